"""``nbcollab export``: notebooks to importable modules; ``--check`` finds stale modules."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from nbcollab.cli.errors import echo
from nbcollab.cli.jobs import JobsOption, jobs_or_default
from nbcollab.errors import EXIT_CHANGED, EXIT_ERROR, EXIT_OK, NbcollabError

if TYPE_CHECKING:
    from nbcollab.config.folders import ConfigByFolder
    from nbcollab.export.files import Export
    from nbcollab.export.options import ExportOptions

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
    jobs: JobsOption = None,
) -> None:
    """Write a module per notebook from its exported cells (IPython syntax removed, checked)."""
    from nbcollab.cli.clean import expand_notebook_paths
    from nbcollab.config.folders import ConfigByFolder

    configs = ConfigByFolder()
    paths = expand_notebook_paths(notebooks) if notebooks else _configured(configs)
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
    # Every notebook's options before any module is written: a broken pyproject.toml is one error.
    from nbcollab.workers import map_in_order

    work = [(path, *_project_options(configs, path, overrides), output, outdir) for path in paths]
    exports = map_in_order(_export_job, work, jobs=jobs_or_default(jobs))
    claimed: dict[Path, Path] = {}  # module -> the notebook that exports to it
    codes = [_finish_one(path, result, check, claimed) for (path, *_), result in zip(work, exports)]
    raise typer.Exit(max(codes))


def _configured(configs: ConfigByFolder) -> list[Path]:
    """The notebooks the project's ``modules`` globs name (shown relative to the current folder)."""
    import dataclasses

    from nbcollab.cli.clean import say_skipped
    from nbcollab.export.files import configured_notebooks

    pyproject = configs.pyproject_in(Path.cwd())
    if pyproject is None:
        return []
    found = configured_notebooks(Path(pyproject), configs.config_in(Path.cwd()).export)
    say_skipped([dataclasses.replace(s, path=_as_typed(s.path)) for s in found.skipped])
    return [_as_typed(path) for path in found.notebooks]


def _project_options(
    configs: ConfigByFolder, path: Path, overrides: dict[str, str | bool | None]
) -> tuple[ExportOptions, Path | None]:
    """A notebook's export options (its project's, with the overrides) and the pyproject.toml
    they come from."""
    from nbcollab.config.load import merge_overrides

    options = merge_overrides(configs.config_for(path).export, **overrides)
    return options, configs.pyproject_for(path)


_ExportJob = tuple[Path, "ExportOptions", Path | None, Path | None, Path | None]


def _export_job(job: _ExportJob) -> Export | NbcollabError:
    """One notebook's module, or what stops it (a worker's share of the export)."""
    from nbcollab.export.files import export_notebook

    path, options, pyproject, output, outdir = job
    try:
        return export_notebook(
            path, options=options, pyproject=pyproject, output=output, outdir=outdir
        )
    except NbcollabError as exc:
        return exc


def _finish_one(
    path: Path, result: Export | NbcollabError, check: bool, claimed: dict[Path, Path]
) -> int:
    """Check or write one exported module, in the notebooks' order."""
    from nbcollab.export.model import ExportError

    try:
        if isinstance(result, NbcollabError):
            raise result
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
