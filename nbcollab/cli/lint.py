"""``nbcollab lint``: execution order, hidden state, and (``--execute``) a top-to-bottom run."""

from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from nbcollab.errors import EXIT_CHANGED, EXIT_ERROR, EXIT_OK
from nbcollab.lint.formats import Format

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

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
    kernel: Annotated[
        str | None,
        typer.Option(
            "--kernel", help="Kernel to run (default: the notebook's).", rich_help_panel=_EXECUTE
        ),
    ] = None,
    cell_timeout: Annotated[
        float | None,
        typer.Option(
            "--cell-timeout", help="Seconds a cell may run (default 60).", rich_help_panel=_EXECUTE
        ),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            help="Seconds a whole notebook may run (default 600).",
            rich_help_panel=_EXECUTE,
        ),
    ] = None,
    write: Annotated[
        bool,
        typer.Option(
            "--write",
            help="With --execute: save the re-run's outputs into the notebook.",
            rich_help_panel=_EXECUTE,
        ),
    ] = False,
) -> None:
    """Find cells run out of order, hidden state, and notebooks that do not run top to bottom."""
    if list_codes:
        _print_codes()
        raise typer.Exit(EXIT_OK)
    if not paths:
        raise typer.BadParameter("give notebooks or folders to lint", param_hint="PATHS")
    if write and not execute:
        raise typer.BadParameter("--write saves the outputs of --execute: use it with --execute")
    if update_baseline and baseline is None:
        raise typer.BadParameter("--update-baseline needs --baseline FILE")
    from nbcollab.cli.clean import expand_notebook_paths
    from nbcollab.config.folders import ConfigByFolder, SectionByFolder
    from nbcollab.lint.files import lint_files

    options = SectionByFolder(
        ConfigByFolder(),
        lambda config: config.lint,
        select=_codes(select),
        extend_select=_codes(extend_select),
        ignore=_codes(ignore),
        kernel=kernel,
        cell_timeout=cell_timeout,
        timeout=timeout,
    )
    here = options.options_in(options.configs.config_in(Path.cwd()))
    files = [f for f in expand_notebook_paths(paths) if not _excluded(f, here.exclude)]
    # Every notebook's options before any is linted: a broken pyproject.toml is one error.
    chosen = {path: options(path) for path in files}
    results = _with_progress(lint_files(files, chosen.__getitem__), len(files), "linting")
    if execute:
        _execute_all(results, lambda path: chosen[path], write=write)
    baseline = baseline or (Path(here.baseline) if here.baseline else None)
    if baseline is not None and _apply_baseline(results, baseline, update=update_baseline):
        raise typer.Exit(EXIT_ERROR if any(r.error for r in results) else EXIT_OK)
    raise typer.Exit(_report(results, fmt))


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


def _excluded(path: Path, patterns: tuple[str, ...]) -> bool:
    posix = path.as_posix()
    return any(fnmatch.fnmatch(posix, p) or fnmatch.fnmatch(path.name, p) for p in patterns)


def _execute_all(
    results: list[FileResult], options_for: Callable[[Path], LintOptions], *, write: bool
) -> None:
    from nbcollab.errors import NbcollabError
    from nbcollab.lint.execute import execute_file

    for result in results:
        if result.error is None:
            try:
                execute_file(result, options_for(Path(result.path)), write=write)
            except NbcollabError as exc:  # e.g. its kernel is not installed: the others still run
                result.error = str(exc)


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
    from nbcollab.lint.report import safe

    for result in results:
        if result.error:
            typer.echo(f"nbcollab: error: {safe(result.error)}", err=True)


def _report(results: list[FileResult], fmt: Format) -> int:
    from nbcollab.lint.report import render, safe

    output = render(results, fmt)
    if output:
        typer.echo(output, nl=False)
    _echo_errors(results)
    if fmt is Format.TEXT:
        for result in results:
            for note in result.notes:
                where = f" cell {note.cell}:" if note.cell else ""
                typer.echo(f"{safe(result.path)}:{where} note: {safe(note.message)}", err=True)
    if any(r.error for r in results):
        return EXIT_ERROR
    return EXIT_CHANGED if any(r.findings for r in results) else EXIT_OK


def _print_codes() -> None:
    from nbcollab.lint.codes import CODES

    for code in CODES.values():
        default = "" if code.default else " (off by default)"
        typer.echo(f"{code.code}  {code.name:28} {code.summary}{default}")
