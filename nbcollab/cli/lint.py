"""``nbcollab lint``: execution order, hidden state, and (``--execute``) a top-to-bottom run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nbcollab.cli.cells import cell_option
from nbcollab.cli.execute import cell_timeout_option, kernel_option, timeout_option
from nbcollab.cli.jobs import JobsOption
from nbcollab.cli.lint_run import CellCountProblem, codes, print_codes, run_lint, usage_problem
from nbcollab.errors import EXIT_OK
from nbcollab.lint.codes import Severity
from nbcollab.lint.formats import Format

_SELECTION = "Selection"
_EXECUTE = "Execution (--execute)"


def register(app: typer.Typer) -> None:
    """Add ``lint`` to ``app``."""
    app.command("lint")(lint)


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
        print_codes()
        raise typer.Exit(EXIT_OK)
    problem = usage_problem(
        paths,
        baseline=baseline,
        update_baseline=update_baseline,
        execute=execute,
        write=write,
        no_cache=no_cache,
        cell=cell,
    )
    if problem is not None:
        message, hint = problem
        raise typer.BadParameter(message, param_hint=hint)
    try:
        code = run_lint(
            paths or [],
            fmt=fmt,
            select=codes(select),
            extend_select=codes(extend_select),
            ignore=codes(ignore),
            fail_on=fail_on,
            baseline=baseline,
            update_baseline=update_baseline,
            execute=execute,
            kernel=kernel,
            cell_timeout=cell_timeout,
            timeout=timeout,
            write=write,
            no_cache=no_cache,
            cell=cell,
            jobs=jobs,
        )
    except CellCountProblem as exc:  # found once the folders are walked, before any linting
        raise typer.BadParameter(str(exc), param_hint="'--cell'") from None
    raise typer.Exit(code)
