"""``nbcollab clean``: strip outputs and volatile metadata: in place, --check, or --stdin."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NamedTuple

import typer

from nbcollab.cli.errors import echo
from nbcollab.cli.jobs import JobsOption, jobs_or_default
from nbcollab.errors import EXIT_CHANGED, EXIT_ERROR, EXIT_OK

if TYPE_CHECKING:
    from nbcollab.config.folders import OptionsByFolder
    from nbcollab.discover import Skipped
    from nbcollab.options import CleanOptions

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
    from nbcollab.config.folders import OptionsByFolder

    paths = paths or []
    to_stdout = stdin or [str(p) for p in paths] == ["-"]
    if stdin and paths:
        raise typer.BadParameter("--stdin reads stdin: give no paths with it", param_hint="PATHS")
    if staged and not check:
        raise typer.BadParameter("--staged only judges, never writes: use it with --check")
    if not to_stdout and not paths and not staged:
        raise typer.BadParameter("give notebooks to clean, or --stdin", param_hint="PATHS")
    # Each notebook follows its own folder's pyproject.toml, as the git filter does.
    options = OptionsByFolder(
        Path.cwd(),
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
    if to_stdout:
        raise typer.Exit(_clean_stream(options("-"), check=check))
    elif staged:
        raise typer.Exit(_check_staged(paths, options))
    else:
        raise typer.Exit(_clean_files(paths, options, check=check, jobs=jobs_or_default(jobs)))


def _clean_stream(options: CleanOptions, *, check: bool) -> int:
    """stdin to stdout; with ``check``, only say whether it would change (exit 1)."""
    from nbcollab.clean.strip import clean_bytes, needs_cleaning
    from nbcollab.files import read_stream_bytes

    data = read_stream_bytes(sys.stdin.buffer, path="<stdin>")
    if check:
        if not needs_cleaning(data, path="<stdin>", options=options):
            return EXIT_OK
        typer.echo("would clean <stdin>")
        return EXIT_CHANGED
    cleaned = clean_bytes(data, path="<stdin>", options=options)
    sys.stdout.buffer.write(data if cleaned is None else cleaned)
    sys.stdout.buffer.flush()
    return EXIT_OK


def expand_notebook_paths(paths: list[Path], *, exclude: Sequence[str] = ()) -> list[Path]:
    """Files as given; folders become the notebooks below them (``nbcollab.discover``'s rule,
    less those ``exclude`` names), saying on stderr what a walk skipped and which folder held no
    notebook."""
    from nbcollab.discover import discover_notebooks

    found = discover_notebooks(paths, exclude=exclude)
    say_skipped(found.skipped)
    for folder in found.empty_folders:
        echo(f"nbcollab: no notebook (*.ipynb) in {folder}", err=True)
    return found.notebooks


def say_skipped(skipped: list[Skipped]) -> None:
    """One line on stderr for each thing a folder walk skipped, and why (terminal-safe)."""
    for item in skipped:
        echo(f"nbcollab: skipped {item.path}: {item.reason}", err=True)


def _check_staged(paths: list[Path], options: OptionsByFolder) -> int:
    """``--check --staged``: judge the index's blobs, read through one git process."""
    from nbcollab.git.config import read_staged_blobs, staged_notebooks

    cwd = Path.cwd()
    folders = [str(path) for path in paths if path.is_dir()]
    names = [str(path) for path in paths if not path.is_dir()]
    if folders or not paths:
        names += staged_notebooks(cwd, folders or None)
    for name in names:  # a broken pyproject.toml is one error, not one per notebook
        options(name)
    blobs = read_staged_blobs(names, cwd)
    outcomes = (_clean_data(name, blobs[name], options(name), write=False) for name in names)
    return _report(outcomes, check=True, staged=True, total=len(names))


def _clean_files(paths: list[Path], options: OptionsByFolder, *, check: bool, jobs: int) -> int:
    from nbcollab.files import cleanup_on_signals
    from nbcollab.workers import map_in_order

    notebooks = expand_notebook_paths(paths)
    # Each notebook's options first: a broken pyproject.toml is one error before any file changes.
    work = [(str(path), options(str(path)), check) for path in notebooks]
    with cleanup_on_signals():  # set up once for every write here, not once a file
        return _report(
            map_in_order(_clean_file, work, jobs=jobs), check=check, staged=False, total=len(work)
        )


class _Outcome(NamedTuple):
    """What became of one notebook: an error message, or whether it (would have) changed."""

    name: str
    error: str | None = None
    changed: bool = False


def _clean_file(job: tuple[str, CleanOptions, bool]) -> _Outcome:
    """Read, clean and (unless checking) write one notebook file; run on any worker."""
    from nbcollab.errors import InvalidNotebook
    from nbcollab.files import read_file_bytes

    name, options, check = job
    try:
        data = read_file_bytes(name)
    except InvalidNotebook as exc:
        return _Outcome(name, str(exc))
    return _clean_data(name, data, options, write=not check)


def _clean_data(name: str, data: bytes | None, options: CleanOptions, *, write: bool) -> _Outcome:
    from nbcollab.clean.strip import clean_bytes, needs_cleaning
    from nbcollab.errors import InvalidNotebook, NbcollabError
    from nbcollab.files import write_atomic

    try:
        if data is None:
            raise InvalidNotebook(f"{name}: not staged")
        if not write:  # no need to build the cleaned file to know that it would change
            return _Outcome(name, changed=needs_cleaning(data, path=name, options=options))
        cleaned = clean_bytes(data, path=name, options=options)
        if cleaned is not None:
            write_atomic(name, cleaned)
    except NbcollabError as exc:  # this notebook's problem: the others are still cleaned
        return _Outcome(name, str(exc))
    return _Outcome(name, changed=cleaned is not None)


def _report(outcomes: Iterable[_Outcome], *, check: bool, staged: bool, total: int) -> int:
    """Say what became of each notebook, in order; the exit code for all of them."""
    from nbcollab.cli.progress import Progress

    where = " (staged)" if staged else ""
    changed = errors = 0
    progress = Progress(total, "checking" if check else "cleaning")

    def say(line: str, *, err: bool = False) -> None:
        progress.clear()  # the progress line goes; it comes back at the next step
        echo(line, err=err)

    for outcome in outcomes:
        progress.step()
        if outcome.error is not None:
            say(f"nbcollab: error: {outcome.error}{where}", err=True)
            errors += 1
        elif outcome.changed:
            changed += 1
            say(f"{'would clean' if check else 'cleaned'} {outcome.name}{where}")
    progress.done()
    if errors:
        return EXIT_ERROR
    return EXIT_CHANGED if check and changed else EXIT_OK
