"""What the interfaces that run notebooks share (the command line and the pytest plugin),
without typer: where the project's root and its execution cache are, and a progress line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbcollab.cli.progress import Progress
    from nbcollab.config.folders import ConfigByFolder
    from nbcollab.execute.engine import Request
    from nbcollab.execute.options import ExecuteOptions
    from nbcollab.execute.result import NotebookRun
    from nbcollab.execute.store import RunStore


class RequestsByFolder:
    """``requests(path)``: what to run a notebook with: its folder's ``[tool.nbcollab.execute]``
    (with the command line's overrides) and ``[tool.nbcollab.normalize]``, each pyproject.toml
    read once (``nbcollab.config.folders``)."""

    def __init__(self, configs: ConfigByFolder | None = None, **overrides: Any) -> None:
        from nbcollab.config.folders import ConfigByFolder, SectionByFolder

        self.configs = configs if configs is not None else ConfigByFolder()
        self._options = SectionByFolder(self.configs, lambda config: config.execute, **overrides)

    def __call__(self, path: Path) -> Request:
        from nbcollab.execute.engine import Request

        config = self.configs.config_for(path)
        pyproject = self.configs.pyproject_for(path)
        project = pyproject.parent if pyproject is not None else None
        return Request(path, self._options.options_in(config), config.normalize, project)

    def options_in(self, folder: Path) -> ExecuteOptions:
        """The execute options that apply in ``folder`` (the cache's size, the excludes)."""
        return self._options.options_in(self.configs.config_in(folder))


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
