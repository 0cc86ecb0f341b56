"""The output cache's options (``[tool.nbcollab.cache]``)."""

from __future__ import annotations

from dataclasses import dataclass

from nbcollab.options import PYDANTIC_CONFIG
from nbcollab.output_cache.keys import RestoreRule


@dataclass(frozen=True, kw_only=True)
class CacheOptions:
    """The output cache (``[tool.nbcollab.cache]``): its size cap and which cells it restores."""

    __pydantic_config__ = PYDANTIC_CONFIG

    max_size: int = 1 << 30  # bytes; least recently used outputs go first
    restore: RestoreRule = RestoreRule.PREFIX

    def __post_init__(self) -> None:
        if self.max_size < 0:
            raise ValueError("max-size must be 0 or more")
