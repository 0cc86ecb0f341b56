"""``nbcollab lint``: execution order, hidden state, and (``--execute``) a top-to-bottom run."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from nbcollab.cli.cells import cell_option
from nbcollab.cli.execute import cell_timeout_option, kernel_option, timeout_option
from nbcollab.cli.jobs import JobsOption, jobs_or_default
from nbcollab.errors import EXIT_CHANGED, EXIT_ERROR, EXIT_OK
from nbcollab.lint.codes import Severity
from nbcollab.lint.formats import Format

if TYPE_CHECKING:
    from collections.abc import Iterable

    from nbcollab.config.folders import SectionByFolder
    from nbcollab.lint.files import FileResult
    from nbcollab.lint.options import LintOptions

_SELECTION = "Selection"
_EXECUTE = "Execution (--execute)"


def register(app: typer.Typer) -> None:
    """Add ``lint`` to ``app``."""
    app.command("lint")(lint)


def _codes(values: list[str] | None) -> tuple[str, ...] | None:
    """Repeatable and comma-separated: ``--select C101,D2 --select R``."""
    if not values:
        return None
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


def lint(
    paths: Annotated[list[Path] | None, typer.Argument(help="Notebooks or folders.")] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.TEXT,
    select: Annotated[
        list[str] | None,
        typer.Option(
            "--select",
            help="Report only these codes, prefixes or names (comma-separated, "
            "repeatable; ALL for every code).",
            rich_help_panel=_SELECTION,
        ),
    ] = None,
    extend_select: Annotated[
        list[str] | None,
        typer.Option(
            "--extend-select",
            help="Report these too (e.g. R301, which is off by default).",
            rich_help_panel=_SELECTION,
        ),
    ] = None,
    ignore: Annotated[
        list[str] | None,
        typer.Option("--ignore", help="Do not report these codes.", rich_help_panel=_SELECTION),
    ] = None,
    fail_on: Annotated[
        Severity | None,
        typer.Option(
            "--fail-on",
            help="Exit 1 for findings of this severity or worse (default: warning; notes, "
            "such as skipped counts, are shown without failing).",
            rich_help_panel=_SELECTION,
        ),
    ] = None,
    baseline: Annotated[
        Path | None,
        typer.Option(
            "--baseline",
            help="Report only findings this file does not record; a missing file "
            "records today's findings.",
            rich_help_panel=_SELECTION,
        ),
    ] = None,
    update_baseline: Annotated[
        bool,
        typer.Option(
            "--update-baseline",
            help="Rewrite the --baseline file with today's findings.",
            rich_help_panel=_SELECTION,
        ),
    ] = False,
    cell: Annotated[
        str | None, cell_option("Report only the findings in these cells of one notebook")
    ] = None,
    list_codes: Annotated[
        bool, typer.Option("--list-codes", help="List every finding code and exit.")
    ] = False,
    execute: Annotated[
        bool,
        typer.Option(
            "--execute",
            help="Also run each notebook top to bottom in a fresh kernel.",
            rich_help_panel=_EXECUTE,
        ),
    ] = False,
    kernel: Annotated[str | None, kernel_option(_EXECUTE)] = None,
    cell_timeout: Annotated[float | None, cell_timeout_option(_EXECUTE)] = None,
    timeout: Annotated[float | None, timeout_option(_EXECUTE)] = None,
    write: Annotated[
        bool,
        typer.Option(
            "--write",
            help="With --execute: save the re-run's outputs into the notebook.",
            rich_help_panel=_EXECUTE,
        ),
    ] = False,
    no_cache: Annotated[
        bool,
        typer.Option(
            "--no-cache",
            help="With --execute: run every notebook, even one whose run is cached.",
            rich_help_panel=_EXECUTE,
        ),
    ] = False,
    jobs: JobsOption = None,
) -> None:
    """Find cells run out of order, hidden state, and notebooks that do not run top to bottom."""
    if list_codes:
        _print_codes()
        raise typer.Exit(EXIT_OK)
    if not paths:
        raise typer.BadParameter("give notebooks or folders to lint", param_hint="PATHS")
    if write and not execute:
        raise typer.BadParameter("--write saves the outputs of --execute: use it with --execute")
    if no_cache and not execute:
        raise typer.BadParameter("--no-cache is about the runs of --execute: use it with --execute")
    if update_baseline and baseline is None:
        raise typer.BadParameter("--update-baseline needs --baseline FILE")
    if update_baseline and cell is not None:
        raise typer.BadParameter(
            "--update-baseline records every cell's findings: leave --cell out",
            param_hint="'--cell'",
        )
    from nbcollab.cli.clean import expand_notebook_paths
    from nbcollab.config.folders import ConfigByFolder, SectionByFolder
    from nbcollab.lint.files import lint_files

    options = SectionByFolder(
        ConfigByFolder(),
        lambda config: config.lint,
        select=_codes(select),
        extend_select=_codes(extend_select),
        ignore=_codes(ignore),
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
        raise typer.BadParameter(
            f"--cell names cells of one notebook, and {len(files)} were given: name one",
            param_hint="'--cell'",
        )
    jobs = jobs_or_default(jobs)
    linted = lint_files(files, chosen.__getitem__, jobs=jobs)
    results = _with_progress(linted, len(files), "linting")
    if execute:
        folders = [path for path in paths if path.is_dir()] if write else []
        _execute_all(results, options, write=write, folders=folders, reuse=not no_cache, jobs=jobs)
    if cell is not None:
        _only_cells(results, cell)
    baseline = baseline or (Path(here.baseline) if here.baseline else None)
    if baseline is not None and _apply_baseline(results, baseline, update=update_baseline):
        raise typer.Exit(EXIT_ERROR if any(r.error for r in results) else EXIT_OK)
    raise typer.Exit(_report(results, fmt, options))


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
    typer.echo(
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
        typer.echo(f"recorded {recorded} finding(s) in {path}", err=True)
        _echo_errors(results)
        return True
    filter_new(results, read_baseline(path), path)
    return False


def _echo_errors(results: list[FileResult]) -> None:
    from nbcollab.safe_text import terminal_safe

    for result in results:
        if result.error:
            typer.echo(f"nbcollab: error: {terminal_safe(result.error, one_line=True)}", err=True)


def _report(
    results: list[FileResult], fmt: Format, options_for: SectionByFolder[LintOptions]
) -> int:
    from nbcollab.lint.report import render
    from nbcollab.safe_text import terminal_safe

    output = render(results, fmt)
    if output:
        typer.echo(output, nl=False)
    _echo_errors(results)
    if fmt is Format.TEXT:
        for result in results:
            for note in result.notes:
                where = f" cell {note.cell}:" if note.cell else ""
                typer.echo(
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


def _print_codes() -> None:
    from nbcollab.lint.codes import CODES

    for code in CODES.values():
        default = "" if code.default else " (off by default)"
        typer.echo(f"{code.code}  {code.severity.value:7}  {code.name:28} {code.summary}{default}")
