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


def locate_cache(
    start: Path, cache_dir: Path | None, *, option: str = "--cache-dir"
) -> tuple[Path, RunStore | None]:
    """The project's root (the git work tree, else ``start``) and the execution cache.

    A ``cache_dir`` (given as ``option``) that is not a usable folder, or that holds files git
    tracks, is a ConfigError: a cache committed to the repository would let a commit vouch for
    its own notebooks."""
    from nbcollab.errors import GitError, NotARepository
    from nbcollab.execute.plan import cache_store
    from nbcollab.git.config import find_repository

    if cache_dir is not None:
        _check_cache_dir(cache_dir, option)
    try:
        repo = find_repository(start)
    except (GitError, NotARepository):
        return start.resolve(), cache_store(None, cache_dir)
    root = repo.root.resolve()
    if cache_dir is not None:
        _refuse_tracked_cache(cache_dir, root, option)
    return root, cache_store(repo.common_dir, cache_dir)


def _check_cache_dir(cache_dir: Path, option: str) -> None:
    """A folder the cache can live in (or be made in), else ConfigError; a warning when it can
    be read but not written (runs are judged from it, none is cached). Nothing is made yet."""
    import os

    from nbcollab.cli.errors import echo
    from nbcollab.errors import ConfigError

    existing = cache_dir.absolute()
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        problem = "not a folder" if existing == cache_dir.absolute() else f"{existing} is a file"
    elif existing != cache_dir.absolute() and not os.access(existing, os.W_OK | os.X_OK):
        problem = f"cannot make it in {existing}"
    elif not os.access(existing, os.R_OK | os.X_OK):
        problem = "cannot read it"
    else:
        problem = ""
    if problem:
        raise ConfigError(
            f"{option} {cache_dir}: {problem}; name a folder nbcollab can create or write"
        )
    if existing == cache_dir.absolute() and not os.access(existing, os.W_OK):
        echo(f"nbcollab: warning: {option} {cache_dir}: read-only: no run will be cached", err=True)


def _refuse_tracked_cache(cache_dir: Path, root: Path, option: str) -> None:
    from nbcollab.errors import ConfigError
    from nbcollab.git.config import is_tracked

    folder = cache_dir.resolve()
    if folder.is_relative_to(root) and is_tracked(root, folder.relative_to(root)):
        raise ConfigError(
            f"{option} {cache_dir}: git tracks files in it, and a commit must not vouch for "
            f"its own notebooks: keep the cache outside the checkout (e.g. {option} "
            '"$RUNNER_TEMP/nbcollab-cache"), or `git rm -r --cached` it'
        )


def say_if_uncached(store: RunStore | None) -> None:
    """A warning when runs could not be written to the cache (they will run again)."""
    from nbcollab.cli.errors import echo

    if store is not None and store.unwritable:
        echo(
            f"nbcollab: warning: could not write to the cache in {store.root}: runs were not cached",
            err=True,
        )


def outside_cache(files: list[Path], store: RunStore | None) -> list[Path]:
    """``files`` less those inside the cache folder: its entries are never run as notebooks."""
    if store is None:
        return files
    folder = store.root.resolve()
    return [f for f in files if not f.resolve().is_relative_to(folder)]


def progress_reporter(total: int, label: str) -> tuple[Progress, Callable[[NotebookRun], None]]:
    """A progress line on a terminal, stepped once per finished notebook."""
    from nbcollab.cli.progress import Progress

    progress = Progress(total, label)
    return progress, lambda run: progress.step()
