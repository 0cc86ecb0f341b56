"""Which notebooks to run and where the cache lives: the shard and the store.

Each notebook's options come from the interfaces (``nbcollab.cli.execution.RequestsByFolder``:
its folder's ``pyproject.toml``, read once, with the command line's overrides on top).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from nbcollab.errors import ConfigError
from nbcollab.execute.store import CACHE_DIR, RunStore


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


def cache_store(common_dir: Path | None, cache_dir: Path | None) -> RunStore | None:
    """The cache: ``cache_dir`` when given, else inside the repository's (common) git
    directory, shared by its worktrees; none outside a repository."""
    if cache_dir is not None:
        return RunStore(cache_dir)
    return RunStore(common_dir.joinpath(*CACHE_DIR)) if common_dir is not None else None
