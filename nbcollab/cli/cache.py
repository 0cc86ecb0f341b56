"""``nbcollab cache status|gc|clear``: the output cache of this repository."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from nbcollab.cli.errors import echo

if TYPE_CHECKING:
    from nbcollab.output_cache.store import OutputStore

cache_app = typer.Typer(
    name="cache",
    help="The output cache: outputs the clean filter strips, restored when git writes notebooks.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add ``nbcollab cache`` to ``app``."""
    app.add_typer(cache_app, name="cache")


def _store() -> OutputStore:
    import subprocess

    from nbcollab.errors import NotARepository
    from nbcollab.output_cache.session import find_store

    try:
        return find_store(Path.cwd())
    except (OSError, subprocess.SubprocessError):
        raise NotARepository(f"{Path.cwd()}: not inside a git repository") from None


def human_size(count: int) -> str:
    """A byte count as people read it: ``512 bytes``, ``1.5 MiB``."""
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1024  # type: ignore[assignment]
    return str(count)


def _cap() -> int:
    from nbcollab.config.folders import ConfigByFolder
    from nbcollab.git.config import find_repository

    # The filter reads [tool.nbcollab.cache] at the top of the working tree, where git runs it.
    return ConfigByFolder().config_in(find_repository(Path.cwd()).root).cache.max_size


@cache_app.command("status")
def status() -> None:
    """Where the cache is, how much it holds, its cap, and whether it is on."""
    from nbcollab.output_cache.session import read_enabled

    store = _store()
    usage = store.usage()
    echo(f"output cache: {store.root}")
    echo(f"  {'on' if read_enabled(Path.cwd()) else 'off (nbcollab.outputcache = false)'}")
    echo(f"  {usage.packs} packs, {human_size(usage.bytes)} of {human_size(_cap())}")


@cache_app.command("gc")
def gc() -> None:
    """Evict the least recently used outputs beyond the size cap; drop stale records."""
    store = _store()
    cap = _cap()
    pruned = store.prune()
    freed = store.evict(cap)
    echo(f"removed {freed.packs} packs ({human_size(freed.bytes)}) and {pruned} orphan files")


@cache_app.command("clear")
def clear() -> None:
    """Remove the whole output cache of this repository."""
    store = _store()
    echo(f"removed {store.root}" if store.clear() else "no output cache to remove")
