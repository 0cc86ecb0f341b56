"""``nbcollab export``: notebooks to importable modules; ``--check`` finds stale modules."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from nbcollab.cli.errors import echo
from nbcollab.errors import EXIT_CHANGED, EXIT_ERROR, EXIT_OK, NbcollabError

if TYPE_CHECKING:
    from nbcollab.export.files import Export

_SELECTION = "Selection"


def register(app: typer.Typer) -> None:
    """Add ``export`` to ``app``."""
    app.command("export")(export)


def export(
    notebooks: Annotated[
        list[Path] | None,
        typer.Argument(help="Notebooks or folders (default: those [tool.nbcollab.export] maps)."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the module to this file.")
    ] = None,
    outdir: Annotated[
        Path | None, typer.Option("--outdir", help="Write modules under this folder.")
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 with a diff for stale modules.")
    ] = False,
    select_all: Annotated[
        bool | None,
        typer.Option(
            "--all",
            help="Export every code cell, not only marked ones.",
            rich_help_panel=_SELECTION,
        ),
    ] = None,
    defs_only: Annotated[
        bool | None,
        typer.Option(
            "--defs-only",
            help="Keep only imports, defs, classes, guards, CONSTANTS.",
            rich_help_panel=_SELECTION,
        ),
    ] = None,
    lenient: Annotated[
        bool | None,
        typer.Option(
            "--lenient",
            help="Skip cells like `x = !cmd` instead of failing.",
            rich_help_panel=_SELECTION,
        ),
    ] = None,
) -> None:
    """Write a module per notebook from its exported cells (IPython syntax removed, checked)."""
    from nbcollab.export.files import configured_notebooks, expand_paths

    if notebooks:
        paths = expand_paths(notebooks)
    else:
        configured, outside = configured_notebooks(Path.cwd())
        for path in outside:
            echo(
                f"nbcollab: skipped {_shown(path)}: leads outside the project (to "
                f"{_shown(Path(os.path.realpath(path)))}): not exported",
                err=True,
            )
        paths = [_as_typed(path) for path in configured]
    if not paths:
        raise typer.BadParameter(
            "give notebooks, or map them in [tool.nbcollab.export] modules", param_hint="NOTEBOOKS"
        )
    if output is not None and (len(paths) > 1 or outdir is not None):
        raise typer.BadParameter("-o writes one module: give one notebook and no --outdir")
    overrides = {
        "select": "all" if select_all else None,
        "defs_only": defs_only,
        "lenient": lenient,
    }
    claimed: dict[Path, Path] = {}  # module -> the notebook that exports to it
    codes = [_export_one(path, output, outdir, check, overrides, claimed) for path in paths]
    raise typer.Exit(max(codes))


def _export_one(
    path: Path,
    output: Path | None,
    outdir: Path | None,
    check: bool,
    overrides: dict[str, str | bool | None],
    claimed: dict[Path, Path],
) -> int:
    from nbcollab.export.files import export_notebook
    from nbcollab.export.model import ExportError

    try:
        result = export_notebook(path, output=output, outdir=outdir, **overrides)
        first = claimed.setdefault(result.module_path.resolve(), path)
        if first != path:
            raise ExportError(
                f"{path}: its module {_shown(result.module_path)} is also the "
                f"module of {first}; give each notebook its own module path"
            )
        for warning in result.module.warnings:
            echo(f"nbcollab: warning: {warning}", err=True)
        return _check(result) if check else _write(result)
    except NbcollabError as exc:
        echo(f"nbcollab: error: {exc}", err=True)
        return EXIT_ERROR


def _write(result: Export) -> int:
    from nbcollab.export.files import write_module

    if write_module(result):
        echo(_shown(result.module_path))  # stdout: the files written, one per line
    return EXIT_OK


def _as_typed(path: Path) -> Path:
    """A path as the user would type it: relative to the current folder when inside it."""
    if not path.is_absolute():
        return path
    try:
        return path.relative_to(Path.cwd().resolve())
    except ValueError:
        return path


def _shown(path: Path) -> str:
    """A path as printed: as typed, quoted as git quotes it when it holds control characters."""
    from nbcollab.safe_text import quote_path

    return quote_path(str(_as_typed(path)))


def _check(result: Export) -> int:
    from nbcollab.export.files import stale_diff

    diff = stale_diff(result)
    if diff is None:
        return EXIT_OK
    echo(
        f"{_shown(result.module_path)}: stale, differs from a fresh export of "
        f"{_shown(result.notebook)}"
    )
    for line in diff:
        echo(line)
    return EXIT_CHANGED
