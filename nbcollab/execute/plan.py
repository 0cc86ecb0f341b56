"""Which notebooks to run, with what: each folder's options, the shard, where the cache lives.

Each notebook follows the nearest ``pyproject.toml`` above it (``[tool.nbcollab.execute]`` and
``[tool.nbcollab.normalize]``), read once per folder, with the command line's overrides on top.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from nbcollab.errors import ConfigError
from nbcollab.execute.engine import Request
from nbcollab.execute.store import CACHE_DIR, RunStore


class RequestsByFolder:
    """``requests(path)``: the request for a notebook, its folder's options merged once."""

    def __init__(self, **overrides: Any) -> None:
        self._overrides = overrides
        self._by_folder: dict[Path, tuple[Any, Any, Path | None]] = {}

    def __call__(self, path: Path) -> Request:
        from nbcollab.config.load import find_pyproject, load_config, merge_overrides

        folder = path.parent.resolve()
        if folder not in self._by_folder:
            config = load_config(folder)
            options = merge_overrides(config.execute, **self._overrides)
            pyproject = find_pyproject(folder)
            self._by_folder[folder] = (
                options,
                config.normalize,
                pyproject.parent if pyproject else None,
            )
        options, normalize, project = self._by_folder[folder]
        return Request(path, options, normalize, project)


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/5"`` -> (2, 5); ConfigError for anything that is not K/N with 1 <= K <= N."""
    index, slash, count = text.partition("/")
    try:
        k, n = int(index), int(count)
    except ValueError:
        k = n = 0
    if not slash or not 1 <= k <= n:
        raise ConfigError(f"--shard {text!r}: give K/N with 1 <= K <= N, e.g. 1/4")
    return k, n


def in_shard(name: str, shard: tuple[int, int]) -> bool:
    """Whether the notebook ``name`` (relative to the root) is in shard K of N.

    By a hash of its name alone, so adding or removing a notebook never moves another one.
    """
    k, n = shard
    digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).digest()
    return int.from_bytes(digest[:8], "big") % n == k - 1


def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def cache_store(common_dir: Path | None, cache_dir: Path | None) -> RunStore | None:
    """The cache: ``cache_dir`` when given, else inside the repository's (common) git
    directory, shared by its worktrees; none outside a repository."""
    if cache_dir is not None:
        return RunStore(cache_dir)
    return RunStore(common_dir.joinpath(*CACHE_DIR)) if common_dir is not None else None
