"""``nbcollab clean``: strip outputs and volatile metadata: in place, --check, or --stdin."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

# The work itself, without typer (the lean entry runs it too); the path helpers other commands use.
from nbcollab.cli.clean_run import (
    expand_notebook_paths,
    run_clean,
    say_skipped,
    usage_problem,
)
from nbcollab.cli.jobs import JobsOption

__all__ = ["clean", "expand_notebook_paths", "register", "say_skipped"]

_OUTPUT_OPTIONS = "Output options"
_METADATA_OPTIONS = "Metadata options"


def register(app: typer.Typer) -> None:
    """Add ``clean`` to ``app``."""
    app.command("clean")(clean)


def clean(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Notebooks or folders to clean ('-' reads stdin, writes stdout)."),
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Change nothing; exit 1 listing what would change.")
    ] = False,
    stdin: Annotated[
        bool, typer.Option("--stdin", help="Read a notebook on stdin, write it cleaned on stdout.")
    ] = False,
    staged: Annotated[
        bool,
        typer.Option(
            "--staged",
            help="With --check: judge the staged version (what `git commit` would store); "
            "without paths, every staged notebook under the current folder.",
        ),
    ] = False,
    keep_outputs: Annotated[
        bool | None,
        typer.Option("--keep-outputs", help="Keep all outputs.", rich_help_panel=_OUTPUT_OPTIONS),
    ] = None,
    keep_execution_count: Annotated[
        bool | None,
        typer.Option(
            "--keep-count", help="Keep execution counts.", rich_help_panel=_OUTPUT_OPTIONS
        ),
    ] = None,
    keep_output_types: Annotated[
        list[str] | None,
        typer.Option(
            "--keep-output-type",
            help="Keep outputs of this output type or mime type (repeatable).",
            rich_help_panel=_OUTPUT_OPTIONS,
        ),
    ] = None,
    drop_output_types: Annotated[
        list[str] | None,
        typer.Option(
            "--drop-output-type",
            help="With kept outputs, still drop this output or mime type (repeatable).",
            rich_help_panel=_OUTPUT_OPTIONS,
        ),
    ] = None,
    max_output_bytes: Annotated[
        int | None,
        typer.Option(
            "--max-output-bytes",
            help="Drop kept outputs larger than this.",
            rich_help_panel=_OUTPUT_OPTIONS,
        ),
    ] = None,
    extra_keys: Annotated[
        list[str] | None,
        typer.Option(
            "--extra-key",
            help="Also strip this key: cell.metadata.X or metadata.X (repeatable).",
            rich_help_panel=_METADATA_OPTIONS,
        ),
    ] = None,
    keep_keys: Annotated[
        list[str] | None,
        typer.Option(
            "--keep-key",
            help="Do not strip this key (repeatable).",
            rich_help_panel=_METADATA_OPTIONS,
        ),
    ] = None,
    drop_empty_cells: Annotated[
        bool | None,
        typer.Option("--drop-empty-cells", help="Remove cells with no source."),
    ] = None,
    strip_init_cells: Annotated[
        bool | None,
        typer.Option(
            "--strip-init-cells",
            help="Also strip cells marked init_cell: true (kept by default, as nbstripout does).",
            rich_help_panel=_OUTPUT_OPTIONS,
        ),
    ] = None,
    drop_tagged_cells: Annotated[
        list[str] | None,
        typer.Option(
            "--drop-tagged-cells",
            metavar="TAG",
            help="Remove cells with this tag entirely (repeatable).",
        ),
    ] = None,
    strip_cell_metadata: Annotated[
        bool | None,
        typer.Option(
            "--strip-cell-metadata",
            help="Strip all cell metadata but the --keep-cell-metadata keys (nb-clean's default).",
            rich_help_panel=_METADATA_OPTIONS,
        ),
    ] = None,
    keep_cell_metadata: Annotated[
        list[str] | None,
        typer.Option(
            "--keep-cell-metadata",
            metavar="KEY",
            help="With --strip-cell-metadata, keep this cell metadata key (repeatable).",
            rich_help_panel=_METADATA_OPTIONS,
        ),
    ] = None,
    drop_notebook_metadata: Annotated[
        bool | None,
        typer.Option(
            "--drop-notebook-metadata",
            help="Remove all notebook metadata (kernelspec, language_info...), as nb-clean -M.",
            rich_help_panel=_METADATA_OPTIONS,
        ),
    ] = None,
    normalize: Annotated[
        bool | None,
        typer.Option(
            "--normalize",
            help="Keep outputs and counts, rewritten to what is stable across runs: streams "
            "joined, progress bars settled, addresses, timings and temp paths replaced "
            "([tool.nbcollab.normalize] says which rules).",
            rich_help_panel=_OUTPUT_OPTIONS,
        ),
    ] = None,
    jobs: JobsOption = None,
) -> None:
    """Strip outputs, execution counts and volatile metadata from notebooks."""
    paths = paths or []
    problem = usage_problem(paths, check=check, stdin=stdin, staged=staged)
    if problem is not None:
        message, hint = problem
        raise typer.BadParameter(message, param_hint=hint)
    raise typer.Exit(
        run_clean(
            paths,
            check=check,
            stdin=stdin,
            staged=staged,
            jobs=jobs,
            keep_outputs=keep_outputs,
            keep_execution_count=keep_execution_count,
            keep_output_types=keep_output_types or None,
            drop_output_types=drop_output_types or None,
            max_output_bytes=max_output_bytes,
            extra_keys=extra_keys or None,
            keep_keys=keep_keys or None,
            drop_empty_cells=drop_empty_cells,
            strip_init_cells=strip_init_cells,
            drop_tagged_cells=drop_tagged_cells or None,
            strip_cell_metadata=strip_cell_metadata,
            keep_cell_metadata=keep_cell_metadata or None,
            drop_notebook_metadata=drop_notebook_metadata,
            normalize=normalize,
        )
    )
