"""Clean options per folder: each folder's nearest pyproject.toml, plus command-line overrides.

The filter and ``nbcollab clean`` resolve options the same way, so that ``clean --check --staged``
(the hook) judges a notebook by the options the filter used when it stored it. Each folder's
config is read once.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from nbcollab.clean.strip import validate_key_paths
from nbcollab.config.load import load_config, merge_overrides
from nbcollab.errors import ConfigError
from nbcollab.options import CleanOptions

# Where a path's folder is named by what ends in its last "/".
_POSIX = os.sep == "/" and os.altsep is None


class OptionsByFolder:
    """``options(path)``: the clean options for a notebook path (relative to ``root``)."""

    def __init__(self, root: Path, **overrides: Any) -> None:
        self._root = root
        self._overrides = overrides
        self._cache: dict[Path, CleanOptions] = {}
        # By the folder part of a path as given: the filter asks once per notebook, and building
        # a Path costs more than the rest of a look-up.
        self._by_text: dict[str, CleanOptions] = {}

    def __call__(self, path: str | Path) -> CleanOptions:
        # Up to its last "/": "/x.ipynb" and "x.ipynb" are in different folders.
        text = path[: path.rfind("/") + 1] if isinstance(path, str) and _POSIX else None
        found = self._by_text.get(text) if text is not None else None
        if found is not None:
            return found
        folder = (self._root / path).parent
        if folder not in self._cache:
            options = merge_overrides(load_config(folder).clean, **self._overrides)
            bad_keys = validate_key_paths((*options.extra_keys, *options.keep_keys))
            if bad_keys:
                raise ConfigError(f"key {bad_keys[0]!r}: use cell.metadata.NAME or metadata.NAME")
            self._cache[folder] = options
        if text is not None:
            self._by_text[text] = self._cache[folder]
        return self._cache[folder]
