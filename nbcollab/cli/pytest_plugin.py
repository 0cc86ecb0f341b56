"""``pytest --nbcollab``: each notebook a test item, run by nbcollab's engine and its cache.

pytest loads this plugin (the ``pytest11`` entry point) in every run of everyone who installs
nbcollab, so without ``--nbcollab`` it adds its options and nothing else: it imports nothing
beyond pytest and collects nothing. With it, every ``*.ipynb`` pytest collects is one item that
passes when the notebook runs top to bottom and reproduces its stored outputs (after
normalizing), judged from the execution cache when nothing it depends on changed. pytest-xdist
(``-n auto``) spreads the items over processes, ``--lf`` re-runs the failed ones; nbcollab
schedules nothing itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from nbcollab.cli.execution import RequestsByFolder
    from nbcollab.execute.engine import EngineOptions
    from nbcollab.execute.result import NotebookRun
    from nbcollab.lint.files import FileResult

_PROPERTY = "nbcollab"  # how each item's result was obtained: executed, cached or error


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("nbcollab", "notebooks run by nbcollab")
    group.addoption(
        "--nbcollab",
        action="store_true",
        help="collect *.ipynb files: each notebook must run top to bottom and reproduce its "
        "stored outputs (cached runs are reused)",
    )
    group.addoption(
        "--nbcollab-no-cache", action="store_true", help="run every notebook, even cached ones"
    )
    group.addoption(
        "--nbcollab-cache-dir",
        metavar="DIR",
        help="keep the execution cache in DIR (default: inside the repository's .git)",
    )
    group.addoption(
        "--nbcollab-no-compare",
        action="store_true",
        help="only check that notebooks run; do not compare stored outputs",
    )
    group.addoption("--nbcollab-kernel", metavar="NAME", help="kernel to run every notebook with")
    group.addoption(
        "--nbcollab-cell-timeout", type=float, metavar="SECONDS", help="seconds a cell may run"
    )
    group.addoption(
        "--nbcollab-timeout", type=float, metavar="SECONDS", help="seconds a notebook may run"
    )


def pytest_configure(config: pytest.Config) -> None:
    if not config.getoption("nbcollab", False):
        return
    from nbcollab.errors import NbcollabError

    try:
        _Session.of(config)  # a bad --nbcollab-cache-dir is a usage error before collecting
    except NbcollabError as exc:
        raise pytest.UsageError(str(exc)) from None


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    session = config.stash.get(_SESSION, None) if config.getoption("nbcollab", False) else None
    if session is None or not collection_path.is_dir():
        return None
    from nbcollab.discover import skipped_folder  # the folders every walk of nbcollab skips

    if skipped_folder(collection_path):
        return True
    # The cache's entries are notebooks too: they are never run as the project's.
    store = session.engine.store
    return (store is not None and collection_path.resolve() == store.root.resolve()) or None


def pytest_sessionfinish(session: pytest.Session) -> None:
    found = session.config.stash.get(_SESSION, None)
    if found is not None and found.engine.store is not None:
        found.engine.store.evict(found.max_cache_size)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The same summary line as ``nbcollab execute`` (xdist's workers send their items' runs)."""
    outcomes = [
        (dict(report.user_properties).get(_PROPERTY), report.failed)
        for key in ("passed", "failed")
        for report in terminalreporter.stats.get(key, [])
        if getattr(report, "when", "") == "call" and _PROPERTY in dict(report.user_properties)
    ]
    if outcomes:
        from nbcollab.execute.result import Summary

        summary = Summary(
            notebooks=len(outcomes),
            executed=sum(outcome == "executed" for outcome, _ in outcomes),
            cached=sum(outcome == "cached" for outcome, _ in outcomes),
            failed=sum(failed for _, failed in outcomes),
        )
        terminalreporter.write_line(f"nbcollab: {summary.line()}")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix != ".ipynb" or not parent.config.getoption("nbcollab"):
        return None
    from nbcollab.discover import SKIPPED_FOLDERS  # the folders every walk of nbcollab skips

    root = parent.config.rootpath
    below = file_path.relative_to(root).parts if file_path.is_relative_to(root) else ()
    if any(part in SKIPPED_FOLDERS for part in below):
        return None
    return NotebookFile.from_parent(parent, path=file_path)


class NotebookFile(pytest.File):
    """A notebook file: one item, the notebook run top to bottom."""

    def collect(self) -> list[pytest.Item]:
        from nbcollab.discover import excluded

        exclude = _Session.of(self.config).requests(self.path).options.exclude
        if excluded(_shown(self.path), exclude):
            return []  # excluded by [tool.nbcollab.execute]
        return [NotebookItem.from_parent(self, name="notebook")]


class NotebookFailed(Exception):
    """A notebook that did not run, or did not reproduce its outputs."""

    def __init__(self, run: NotebookRun, result: FileResult) -> None:
        super().__init__(run.path)
        self.run = run
        self.result = result


class NotebookItem(pytest.Item):
    """One notebook, run (or judged from its cached run) by nbcollab's engine."""

    def runtest(self) -> None:
        from nbcollab.execute.engine import execute_notebooks
        from nbcollab.lint.execute import EXECUTE_CODES, run_findings

        session = _Session.of(self.config)
        (run,) = execute_notebooks([session.requests(_shown(self.path))], session.engine)
        result = run_findings(run, EXECUTE_CODES)
        self.user_properties.append((_PROPERTY, run.outcome.value))
        if result.error or result.findings:
            raise NotebookFailed(run, result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, NotebookFailed):
            from nbcollab.execute.failure import describe_failure

            return describe_failure(excinfo.value.run, excinfo.value.result.findings)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"notebook {self.path.name}"


def _shown(path: Path) -> Path:
    """``path`` relative to the current folder when it is below it, as reports show it."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


class _Session:
    """What every item of one pytest process shares: options by folder, cache, fingerprints."""

    def __init__(self, config: pytest.Config) -> None:
        from nbcollab.cli.execution import RequestsByFolder, locate_cache
        from nbcollab.execute.engine import EngineOptions, Fingerprints

        cache_dir = config.getoption("nbcollab_cache_dir")
        # From where pytest runs, as `nbcollab execute` does, so both find the same keys.
        root, store = locate_cache(
            Path.cwd(), Path(cache_dir) if cache_dir else None, option="--nbcollab-cache-dir"
        )
        self.requests: RequestsByFolder = RequestsByFolder(
            kernel=config.getoption("nbcollab_kernel"),
            cell_timeout=config.getoption("nbcollab_cell_timeout"),
            timeout=config.getoption("nbcollab_timeout"),
            compare_outputs=False if config.getoption("nbcollab_no_compare") else None,
        )
        self.max_cache_size = self.requests.options_in(config.rootpath).max_cache_size
        self.engine: EngineOptions = EngineOptions(
            root=root,
            jobs=1,
            store=store,
            reuse=not config.getoption("nbcollab_no_cache"),
            max_cache_size=None,  # once, when the session ends
            fingerprints=Fingerprints(root),
        )

    @classmethod
    def of(cls, config: pytest.Config) -> _Session:
        session = config.stash.get(_SESSION, None)
        if session is None:
            session = config.stash[_SESSION] = cls(config)
        return session


_SESSION = pytest.StashKey[_Session]()
