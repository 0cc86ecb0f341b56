"""``nbcollab clean``: strip outputs and volatile metadata, in place, as a check, or stdin to stdout."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from nbcollab.cli import EXIT_CHANGED, EXIT_ERROR, EXIT_OK

_OUTPUT_OPTIONS = "Output options"
_METADATA_OPTIONS = "Metadata options"


def register(app: typer.Typer) -> None:
    """Add ``clean`` to ``app``."""
    app.command("clean")(clean)


def clean(
    paths: Annotated[
        Optional[list[Path]],
        typer.Argument(help="Notebooks or folders to clean ('-' reads stdin, writes stdout)."),
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Change nothing; exit 1 listing what would change.")
    ] = False,
    stdin: Annotated[
        bool, typer.Option("--stdin", help="Read a notebook on stdin, write it cleaned on stdout.")
    ] = False,
    keep_outputs: Annotated[
        Optional[bool],
        typer.Option("--keep-outputs", help="Keep all outputs.", rich_help_panel=_OUTPUT_OPTIONS),
    ] = None,
    keep_execution_count: Annotated[
        Optional[bool],
        typer.Option("--keep-count", help="Keep execution counts.", rich_help_panel=_OUTPUT_OPTIONS),
    ] = None,
    keep_output_types: Annotated[
        Optional[list[str]],
        typer.Option(
            "--keep-output-type",
            help="Keep outputs of this output type or mime type (repeatable).",
            rich_help_panel=_OUTPUT_OPTIONS,
        ),
    ] = None,
    drop_output_types: Annotated[
        Optional[list[str]],
        typer.Option(
            "--drop-output-type",
            help="With kept outputs, still drop this output or mime type (repeatable).",
            rich_help_panel=_OUTPUT_OPTIONS,
        ),
    ] = None,
    max_output_bytes: Annotated[
        Optional[int],
        typer.Option(
            "--max-output-bytes", help="Drop kept outputs larger than this.",
            rich_help_panel=_OUTPUT_OPTIONS,
        ),
    ] = None,
    extra_keys: Annotated[
        Optional[list[str]],
        typer.Option(
            "--extra-key",
            help="Also strip this key: cell.metadata.X or metadata.X (repeatable).",
            rich_help_panel=_METADATA_OPTIONS,
        ),
    ] = None,
    keep_keys: Annotated[
        Optional[list[str]],
        typer.Option(
            "--keep-key", help="Do not strip this key (repeatable).",
            rich_help_panel=_METADATA_OPTIONS,
        ),
    ] = None,
    drop_empty_cells: Annotated[
        Optional[bool],
        typer.Option("--drop-empty-cells", help="Remove cells with no source."),
    ] = None,
) -> None:
    """Strip outputs, execution counts and volatile metadata from notebooks."""
    from nbcollab.clean import validate_key_paths
    from nbcollab.config import load_config, merge_overrides
    from nbcollab.errors import ConfigError

    paths = paths or []
    to_stdout = stdin or [str(p) for p in paths] == ["-"]
    if not to_stdout and not paths:
        raise typer.BadParameter("give notebooks to clean, or --stdin", param_hint="PATHS")
    start = None if to_stdout else paths[0]
    options = merge_overrides(
        load_config(start).clean,
        keep_outputs=keep_outputs,
        keep_execution_count=keep_execution_count,
        keep_output_types=keep_output_types or None,
        drop_output_types=drop_output_types or None,
        max_output_bytes=max_output_bytes,
        extra_keys=extra_keys or None,
        keep_keys=keep_keys or None,
        drop_empty_cells=drop_empty_cells,
    )
    bad_keys = validate_key_paths((*options.extra_keys, *options.keep_keys))
    if bad_keys:
        raise ConfigError(f"key {bad_keys[0]!r}: use cell.metadata.NAME or metadata.NAME")
    if to_stdout:
        _clean_stream(options)
    else:
        raise typer.Exit(_clean_files(paths, options, check=check))


def _clean_stream(options: object) -> None:
    from nbcollab.clean import clean_bytes

    data = sys.stdin.buffer.read()
    cleaned = clean_bytes(data, path="<stdin>", options=options)  # type: ignore[arg-type]
    sys.stdout.buffer.write(data if cleaned is None else cleaned)
    sys.stdout.buffer.flush()


def expand_notebook_paths(paths: list[Path]) -> list[Path]:
    """Files as given; folders become the notebooks below them (checkpoints and .git skipped)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(
                    nb
                    for nb in path.rglob("*.ipynb")
                    if not {".ipynb_checkpoints", ".git"} & set(nb.relative_to(path).parts)
                )
            )
        else:
            found.append(path)
    return found


def _clean_files(paths: list[Path], options: object, *, check: bool) -> int:
    from nbcollab.clean import clean_bytes
    from nbcollab.errors import InvalidNotebook
    from nbcollab.notebook_io import read_file_bytes, write_atomic

    changed = errors = 0
    for path in expand_notebook_paths(paths):
        try:
            data = read_file_bytes(path)
            cleaned = clean_bytes(data, path=str(path), options=options)  # type: ignore[arg-type]
        except InvalidNotebook as exc:
            typer.echo(f"nbcollab: error: {exc}", err=True)
            errors += 1
            continue
        if cleaned is None:
            continue
        changed += 1
        if check:
            typer.echo(f"would clean {path}")
        else:
            write_atomic(path, cleaned)
            typer.echo(f"cleaned {path}")
    if errors:
        return EXIT_ERROR
    return EXIT_CHANGED if check and changed else EXIT_OK
