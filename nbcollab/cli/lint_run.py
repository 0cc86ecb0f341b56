"""The work of ``nbcollab lint``, without typer: the typer command and the lean entry
(``nbcollab.cli.lean``) both run it, so every message and exit code is the same on both paths."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from nbcollab.cli.errors import print_text
from nbcollab.errors import EXIT_CHANGED, EXIT_ERROR, EXIT_OK
from nbcollab.lint.formats import Format

if TYPE_CHECKING:
    from collections.abc import Iterable

    from nbcollab.config.folders import SectionByFolder
    from nbcollab.lint.codes import Severity
    from nbcollab.lint.files import FileResult
    from nbcollab.lint.options import LintOptions


def codes(values: list[str] | None) -> tuple[str, ...] | None:
    """Repeatable and comma-separated: ``--select C101,D2 --select R``."""
    if not values:
        return None
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


class CellCountProblem(Exception):
    """``--cell`` with other than one notebook once the paths are walked (a usage error)."""


def usage_problem(
    paths: list[Path] | None,
    *,
    baseline: Path | None,
    update_baseline: bool,
    execute: bool,
    write: bool,
    no_cache: bool,
    cell: str | None = None,
) -> tuple[str, str | None] | None:
    """What is wrong with this combination of arguments (the message and the argument it is
    about), or None (``--list-codes`` is answered before)."""
    if not paths:
        return "give notebooks or folders to lint", "PATHS"
    if write and not execute:
        return "--write saves the outputs of --execute: use it with --execute", None
    if no_cache and not execute:
        return "--no-cache is about the runs of --execute: use it with --execute", None
    if update_baseline and baseline is None:
        return "--update-baseline needs --baseline FILE", None
    if update_baseline and cell is not None:
        return "--update-baseline records every cell's findings: leave --cell out", "'--cell'"
    return None


def run_lint(
    paths: list[Path],
    *,
    fmt: Format = Format.TEXT,
    select: tuple[str, ...] | None = None,
    extend_select: tuple[str, ...] | None = None,
    ignore: tuple[str, ...] | None = None,
    fail_on: Severity | None = None,
    baseline: Path | None = None,
    update_baseline: bool = False,
    execute: bool = False,
    kernel: str | None = None,
    cell_timeout: float | None = None,
    timeout: float | None = None,
    write: bool = False,
    no_cache: bool = False,
    cell: str | None = None,
    jobs: int | None = None,
) -> int:
    """Lint ``paths`` (they have passed ``usage_problem``) on ``jobs`` processes (None: one per
    core); the exit code. Raises CellCountProblem when ``cell`` is given and the paths are not
    one notebook, before any is linted."""
    from nbcollab.cli.clean_run import expand_notebook_paths
    from nbcollab.config.folders import ConfigByFolder, SectionByFolder
    from nbcollab.lint.files import lint_files
    from nbcollab.workers import default_jobs

    options = SectionByFolder(
        ConfigByFolder(),
        lambda config: config.lint,
        select=select,
        extend_select=extend_select,
        ignore=ignore,
        fail_on=fail_on,
        kernel=kernel,
        cell_timeout=cell_timeout,
        timeout=timeout,
    )
    here = options.options_in(options.configs.config_in(Path.cwd()))
    files = expand_notebook_paths(paths, exclude=here.exclude)
    # Every notebook's options before any is linted: a broken pyproject.toml is one error.
    chosen = {path: options(path) for path in files}
    if cell is not None and len(files) != 1:
        raise CellCountProblem(
            f"--cell names cells of one notebook, and {len(files)} were given: name one"
        )
    jobs = default_jobs() if jobs is None else jobs
    linted = lint_files(files, chosen.__getitem__, jobs=jobs)
    results = _with_progress(linted, len(files), "linting")
    if execute:
        folders = [path for path in paths if path.is_dir()] if write else []
        _execute_all(results, options, write=write, folders=folders, reuse=not no_cache, jobs=jobs)
    if cell is not None:
        _only_cells(results, cell)
    baseline = baseline or (Path(here.baseline) if here.baseline else None)
    if baseline is not None and _apply_baseline(results, baseline, update=update_baseline):
        return EXIT_ERROR if any(r.error for r in results) else EXIT_OK
    return _report(results, fmt, options)


def _only_cells(results: list[FileResult], cell: str) -> None:
    """Keep the findings and notes of the cells ``--cell`` selects (in place); the notebook's
    other cells were still read, as a cell's findings depend on the cells around it."""
    from nbcollab.lint.files import read_text
    from nbcollab.notebook.cells import cell_number, parse_selector
    from nbcollab.notebook.codec import parse_notebook
    from nbcollab.notebook.lines import iter_cells

    selector = parse_selector(cell)
    for result in results:
        if result.error is not None:
            continue
        # Read again: a result keeps no notebook, and --cell names cells of one notebook.
        nb = parse_notebook(read_text(Path(result.path)).removeprefix("\ufeff"), path=result.path)
        chosen = selector.select(iter_cells(nb), name=result.path)
        numbers = {cell_number(index) for index in chosen}
        result.findings = [f for f in result.findings if f.cell in numbers]
        result.notes = [n for n in result.notes if n.cell is None or n.cell in numbers]


def _with_progress(items: Iterable[FileResult], total: int, label: str) -> list[FileResult]:
    """All of ``items``, with a progress line on a terminal (results are printed at the end)."""
    from nbcollab.cli.progress import Progress

    progress = Progress(total, label)
    found = []
    for item in items:
        found.append(item)
        progress.step()
    progress.done()
    return found


def _execute_all(
    results: list[FileResult],
    options_for: SectionByFolder[LintOptions],
    *,
    write: bool,
    folders: list[Path],
    reuse: bool,
    jobs: int,
) -> None:
    """Run the notebooks that linted, through the one execution engine and its cache."""
    import dataclasses

    from nbcollab.cli.execution import RequestsByFolder, locate_cache, progress_reporter
    from nbcollab.errors import NbcollabError
    from nbcollab.execute.engine import EngineOptions, execute_notebooks
    from nbcollab.lint.execute import add_run_findings, write_run

    runnable = [r for r in results if r.error is None]
    requests_for = RequestsByFolder(options_for.configs)
    requests = []
    for result in runnable:
        path = Path(result.path)
        lint_options = options_for(path)
        request = requests_for(path)
        execute_options = dataclasses.replace(
            request.options,
            kernel=lint_options.kernel or request.options.kernel,
            cell_timeout=lint_options.cell_timeout,
            timeout=lint_options.timeout,
        )
        requests.append(dataclasses.replace(request, options=execute_options))
    root, store = locate_cache(Path.cwd(), None)
    progress, on_done = progress_reporter(len(requests), "running")
    engine = EngineOptions(
        root=root,
        jobs=jobs,
        store=store,
        max_cache_size=requests_for.options_in(Path.cwd()).max_cache_size,
        reuse=reuse and not write,  # --write saves a run made now, never a cached one
        keep_executed=write,
        on_done=on_done,
    )
    runs = execute_notebooks(requests, engine)
    progress.done()
    for result, run in zip(runnable, runs):
        path = Path(result.path)
        add_run_findings(result, run, options_for(path))
        executed = run.executed
        if write and executed is not None and result.error is None:
            if not _stays_in_its_folder(path, folders):
                continue
            try:
                write_run(path, executed)
            except NbcollabError as exc:  # e.g. read-only: the other notebooks are still saved
                result.error = str(exc)


def _stays_in_its_folder(path: Path, folders: list[Path]) -> bool:
    """Whether ``--write`` may write a notebook found in a folder: not through a link that
    leads out of that folder (one named on the command line is the user's choice)."""
    from nbcollab.files import is_inside, outside_message
    from nbcollab.safe_text import terminal_safe

    folder = next((f for f in folders if path.is_relative_to(f)), None)
    if folder is None or is_inside(path, folder):
        return True
    print_text(
        f"nbcollab: {terminal_safe(outside_message(path, folder), one_line=True)}: run, not written (--write writes only "
        "inside the folders it is given)",
        err=True,
    )
    return False


def _apply_baseline(results: list[FileResult], path: Path, *, update: bool) -> bool:
    """Filter by the baseline; True when it was (re)written instead."""
    from nbcollab.files import write_atomic
    from nbcollab.lint.baseline import baseline_bytes, filter_new, read_baseline

    if update or not path.exists():
        write_atomic(path, baseline_bytes(results, path))
        recorded = sum(len(r.findings) for r in results)
        print_text(f"recorded {recorded} finding(s) in {path}", err=True)
        _echo_errors(results)
        return True
    filter_new(results, read_baseline(path), path)
    return False


def _echo_errors(results: list[FileResult]) -> None:
    from nbcollab.safe_text import terminal_safe

    for result in results:
        if result.error:
            print_text(f"nbcollab: error: {terminal_safe(result.error, one_line=True)}", err=True)


def _report(
    results: list[FileResult], fmt: Format, options_for: SectionByFolder[LintOptions]
) -> int:
    from nbcollab.lint.report import render, report_top
    from nbcollab.safe_text import terminal_safe

    output = render(results, fmt, top=report_top(fmt))
    if output:
        print_text(output, nl=False)
    _echo_errors(results)
    if fmt is Format.TEXT:
        for result in results:
            for note in result.notes:
                where = f" cell {note.cell}:" if note.cell else ""
                print_text(
                    terminal_safe(f"{result.path}:{where} note: {note.message}", one_line=True),
                    err=True,
                )
    if any(r.error for r in results):
        return EXIT_ERROR
    return EXIT_CHANGED if any(_fails(r, options_for) for r in results) else EXIT_OK


def _fails(result: FileResult, options_for: SectionByFolder[LintOptions]) -> bool:
    """Whether a file holds a finding at or above its ``fail-on`` severity."""
    from nbcollab.lint.codes import severity_of

    if not result.findings:
        return False
    threshold = options_for(Path(result.path)).fail_on.rank
    return any(severity_of(f.code).rank >= threshold for f in result.findings)


def print_codes() -> None:
    from nbcollab.lint.codes import CODES

    for code in CODES.values():
        default = "" if code.default else " (off by default)"
        print_text(f"{code.code}  {code.severity.value:7}  {code.name:28} {code.summary}{default}")
