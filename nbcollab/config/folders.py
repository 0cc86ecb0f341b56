"""Clean options per folder: each folder's nearest pyproject.toml, plus command-line overrides.

The filter and ``nbcollab clean`` resolve options the same way, so that ``clean --check --staged``
(the hook) judges a notebook by the options the filter used when it stored it. Each folder's
config is read once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nbcollab.clean.strip import validate_key_paths
from nbcollab.config.load import load_config, merge_overrides
from nbcollab.errors import ConfigError
from nbcollab.options import CleanOptions


class OptionsByFolder:
    """``options(path)``: the clean options for a notebook path (relative to ``root``)."""

    def __init__(self, root: Path, **overrides: Any) -> None:
        self._root = root
        self._overrides = overrides
        self._cache: dict[Path, CleanOptions] = {}

    def __call__(self, path: str | Path) -> CleanOptions:
        folder = (self._root / path).parent
        if folder not in self._cache:
            options = merge_overrides(load_config(folder).clean, **self._overrides)
            bad_keys = validate_key_paths((*options.extra_keys, *options.keep_keys))
            if bad_keys:
                raise ConfigError(f"key {bad_keys[0]!r}: use cell.metadata.NAME or metadata.NAME")
            self._cache[folder] = options
        return self._cache[folder]
