"""The options of every capability: frozen dataclasses, pure (no files, no pydantic at import).

Each capability has one frozen dataclass of its options; the library functions take it as a
keyword argument. ``Config`` is everything under ``[tool.nbcollab]``; ``nbcollab.config.load``
reads and validates it. The file's keys are kebab-case (``keep-outputs``); snake_case is accepted
too, and unknown keys are errors (``extra="forbid"``), so a typo never passes silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from nbcollab.clean.normalize import NormalizeOptions
from nbcollab.export.options import ExportOptions
from nbcollab.lint.options import LintOptions
from nbcollab.output_cache.keys import RestoreRule

def _kebab(name: str) -> str:
    return name.replace("_", "-")


# pydantic's config for the option classes (a plain dict, so defining them needs no pydantic).
_PYDANTIC_CONFIG = {"extra": "forbid", "alias_generator": _kebab, "populate_by_name": True}
_options = dataclass(frozen=True, kw_only=True)


@_options
class CleanOptions:
    """What ``clean`` and the git filter strip from a notebook."""

    __pydantic_config__ = _PYDANTIC_CONFIG

    keep_outputs: bool = False
    keep_execution_count: bool = False
    keep_output_tag: str = "keep_output"
    keep_output_types: tuple[str, ...] = ()
    drop_output_types: tuple[str, ...] = ()
    max_output_bytes: int | None = None
    extra_keys: tuple[str, ...] = ()
    keep_keys: tuple[str, ...] = ()
    drop_empty_cells: bool = False
    repair_ids: bool = True
    # Keep outputs and counts, rewritten to what is stable across runs (nbcollab.clean.normalize).
    normalize: bool = False
    # Filled in from [tool.nbcollab.normalize] when the config is loaded.
    normalize_options: NormalizeOptions = field(default_factory=NormalizeOptions)

    def __post_init__(self) -> None:
        if self.max_output_bytes is not None and self.max_output_bytes < 0:
            raise ValueError("max-output-bytes must be 0 or more")


@_options
class DiffOptions:
    """What ``diff`` compares; the ignore flags drop parts of the notebook from the comparison."""

    __pydantic_config__ = _PYDANTIC_CONFIG

    ignore_sources: bool = False
    ignore_outputs: bool = False
    ignore_metadata: bool = False
    ignore_execution_counts: bool = False
    ignore_ids: bool = False
    ignore_attachments: bool = False
    normalize_outputs: bool = False


class OutputStrategy(str, Enum):
    """How a merge resolves outputs and execution counts, which are derived data."""

    AUTO = "auto"
    OURS = "ours"
    THEIRS = "theirs"
    CLEAR = "clear"
    UNION = "union"
    CONFLICT = "conflict"


@_options
class MergeOptions:
    """How ``merge`` and the git merge driver combine three versions."""

    __pydantic_config__ = _PYDANTIC_CONFIG

    outputs: OutputStrategy = OutputStrategy.AUTO
    sign: bool = True


@_options
class CacheOptions:
    """The output cache (``[tool.nbcollab.cache]``): its size cap and which cells it restores."""

    __pydantic_config__ = _PYDANTIC_CONFIG

    max_size: int = 1 << 30  # bytes; least recently used outputs go first
    restore: RestoreRule = RestoreRule.PREFIX

    def __post_init__(self) -> None:
        if self.max_size < 0:
            raise ValueError("max-size must be 0 or more")


@_options
class Config:
    """Everything under ``[tool.nbcollab]``."""

    __pydantic_config__ = _PYDANTIC_CONFIG
    clean: CleanOptions = field(default_factory=CleanOptions)
    diff: DiffOptions = field(default_factory=DiffOptions)
    merge: MergeOptions = field(default_factory=MergeOptions)
    export: ExportOptions = field(default_factory=ExportOptions)
    lint: LintOptions = field(default_factory=LintOptions)
    normalize: NormalizeOptions = field(default_factory=NormalizeOptions)
    cache: CacheOptions = field(default_factory=CacheOptions)
