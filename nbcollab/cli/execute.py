"""``nbcollab execute``: run a repository's notebooks, only what changed, on every core."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from nbcollab.errors import EXIT_CHANGED, EXIT_ERROR, EXIT_OK
from nbcollab.lint.formats import Format

if TYPE_CHECKING:
    from nbcollab.execute.result import NotebookRun

_TOTAL = re.compile(r"^\d+ finding\(s\) in \d+ notebook\(s\)(: [^\n]*)?\n\Z", re.MULTILINE)
_RUN = "Running"
_CACHE = "Cache"
_REPORT = "Reports"


def kernel_option(panel: str) -> Any:
    """``--kernel``, shared with ``lint --execute``."""
    return typer.Option(
        "--kernel", help="Kernel to run (default: the notebook's).", rich_help_panel=panel
    )


def cell_timeout_option(panel: str) -> Any:
    """``--cell-timeout``, shared with ``lint --execute``."""
    return typer.Option(
        "--cell-timeout", help="Seconds a cell may run (default 60).", rich_help_panel=panel
    )


def timeout_option(panel: str) -> Any:
    """``--timeout``, shared with ``lint --execute``."""
    return typer.Option(
        "--timeout", help="Seconds a whole notebook may run (default 600).", rich_help_panel=panel
    )


def register(app: typer.Typer) -> None:
    """Add ``execute`` to ``app``."""
    app.command("execute")(execute)


def execute(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Notebooks or folders (default: the current folder)."),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            min=1,
            help="Kernels run at once (default: one per core).",
            rich_help_panel=_RUN,
        ),
    ] = None,
    shard: Annotated[
        str | None,
        typer.Option(
            "--shard",
            metavar="K/N",
            help="Run only shard K of N (stable: by a hash of each notebook's path).",
            rich_help_panel=_RUN,
        ),
    ] = None,
    kernel: Annotated[str | None, kernel_option(_RUN)] = None,
    cell_timeout: Annotated[float | None, cell_timeout_option(_RUN)] = None,
    timeout: Annotated[float | None, timeout_option(_RUN)] = None,
    no_compare: Annotated[
        bool,
        typer.Option(
            "--no-compare",
            help="Only check that the notebooks run; do not compare stored outputs.",
            rich_help_panel=_RUN,
        ),
    ] = False,
    cache_dir: Annotated[
        Path | None,
        typer.Option(
            "--cache-dir",
            help="Keep the cache in this folder (default: inside the repository's .git).",
            rich_help_panel=_CACHE,
        ),
    ] = None,
    no_cache: Annotated[
        bool,
        typer.Option(
            "--no-cache",
            help="Run every notebook, even one whose run is cached (the runs are cached).",
            rich_help_panel=_CACHE,
        ),
    ] = False,
    fmt: Annotated[
        Format, typer.Option("--format", "-f", help="Report format.", rich_help_panel=_REPORT)
    ] = Format.TEXT,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the report to FILE.", rich_help_panel=_REPORT),
    ] = None,
    summary: Annotated[
        Path | None,
        typer.Option(
            "--summary",
            metavar="FILE",
            help="Append a Markdown summary to FILE (e.g. $GITHUB_STEP_SUMMARY).",
            rich_help_panel=_REPORT,
        ),
    ] = None,
) -> None:
    """Run notebooks top to bottom: only what changed since a cached run, N kernels at once."""
    from nbcollab.cli.clean import expand_notebook_paths
    from nbcollab.cli.execution import (
        RequestsByFolder,
        locate_cache,
        outside_cache,
        progress_reporter,
        say_if_uncached,
    )
    from nbcollab.execute.engine import EngineOptions, execute_notebooks
    from nbcollab.execute.plan import in_shard, parse_shard
    from nbcollab.workers import default_jobs

    chosen_shard = parse_shard(shard) if shard is not None else None
    _check_report_file("--summary", summary, append=True)
    _check_report_file("--output", output, append=False)
    requests_for = RequestsByFolder(
        kernel=kernel,
        cell_timeout=cell_timeout,
        timeout=timeout,
        compare_outputs=False if no_compare else None,
    )
    here = requests_for.options_in(Path.cwd())
    root, store = locate_cache(Path.cwd(), cache_dir)
    given = paths or [Path(".")]
    files = outside_cache(expand_notebook_paths(given, exclude=here.exclude), store)
    if not files:  # a wrong folder, or everything excluded: a CI job that checks nothing fails
        from nbcollab.errors import NbcollabError

        named = ", ".join(str(path) for path in given)
        raise NbcollabError(
            f"no notebook to run in {named}: name notebooks or folders that hold some, "
            "or check `exclude` in [tool.nbcollab.execute]"
        )
    if chosen_shard is not None:
        files = [f for f in files if in_shard(_name(f, root), chosen_shard)]
    requests = [requests_for(f) for f in files]
    progress, on_done = progress_reporter(len(requests), "running")
    engine = EngineOptions(
        root=root,
        jobs=jobs or default_jobs(),
        store=store,
        reuse=not no_cache,
        max_cache_size=here.max_cache_size,
        on_done=on_done,
    )
    runs = execute_notebooks(requests, engine)
    progress.done()
    say_if_uncached(store)
    raise typer.Exit(_report(runs, fmt, output=output, summary=summary))


def _check_report_file(option: str, path: Path | None, *, append: bool) -> None:
    """ConfigError before anything runs when the report cannot be written to ``path``."""
    import os

    from nbcollab.errors import ConfigError

    if path is None:
        return
    if path.is_dir():
        problem = "a folder, not a file"
    elif append and path.exists():
        problem = "" if os.access(path, os.W_OK) else "not writable"
    else:
        folder = path.parent
        problem = "" if os.access(folder, os.W_OK | os.X_OK) else f"cannot write in {folder}"
    if problem:
        raise ConfigError(f"{option} {path}: {problem}; name a file nbcollab can write")


def _name(path: Path, root: Path) -> str:
    """A notebook's name for sharding: relative to the root, so every CI job agrees."""
    resolved = path.resolve()
    return resolved.relative_to(root).as_posix() if resolved.is_relative_to(root) else str(resolved)


def _report(
    runs: list[NotebookRun], fmt: Format, *, output: Path | None, summary: Path | None
) -> int:
    from nbcollab.cli.errors import echo
    from nbcollab.execute.markdown import render_markdown
    from nbcollab.execute.result import Summary
    from nbcollab.lint.execute import EXECUTE_CODES, run_findings
    from nbcollab.lint.report import render, report_top

    results = [run_findings(run, EXECUTE_CODES) for run in runs]
    report = render(results, fmt, top=report_top(fmt))
    line = Summary.of(runs).line()
    if fmt is Format.TEXT:
        # The summary counts notebooks, in place of lint's count of findings.
        report = _TOTAL.sub("", report) + line + "\n"
    if output is not None:
        from nbcollab.files import write_atomic

        write_atomic(output, report.encode("utf-8"))
    elif report:
        typer.echo(report, nl=False)
    if fmt is not Format.TEXT or output is not None:
        typer.echo(line, err=True)
    for result in results:
        if result.error:
            echo(f"nbcollab: error: {result.error}", err=True)
    if summary is not None:
        with summary.open("a", encoding="utf-8") as handle:
            handle.write(render_markdown(runs))
    if any(r.error for r in results):
        return EXIT_ERROR
    return EXIT_CHANGED if any(r.findings for r in results) else EXIT_OK
