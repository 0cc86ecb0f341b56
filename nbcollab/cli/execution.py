"""What the interfaces that run notebooks share (the command line and the pytest plugin),
without typer: where the project's root and its execution cache are, and a progress line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nbcollab.cli.progress import Progress
    from nbcollab.execute.result import NotebookRun
    from nbcollab.execute.store import RunStore


def locate_cache(start: Path, cache_dir: Path | None) -> tuple[Path, RunStore | None]:
    """The project's root (the git work tree, else ``start``) and the execution cache."""
    from nbcollab.errors import GitError, NotARepository
    from nbcollab.execute.plan import cache_store
    from nbcollab.git.config import find_repository

    try:
        repo = find_repository(start)
    except (GitError, NotARepository):
        return start.resolve(), cache_store(None, cache_dir)
    return repo.root.resolve(), cache_store(repo.common_dir, cache_dir)


def progress_reporter(total: int, label: str) -> tuple[Progress, Callable[[NotebookRun], None]]:
    """A progress line on a terminal, stepped once per finished notebook."""
    from nbcollab.cli.progress import Progress

    progress = Progress(total, label)
    return progress, lambda run: progress.step()
