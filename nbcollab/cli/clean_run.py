"""The work of ``nbcollab clean``, without typer: the typer command and the lean entry
(``nbcollab.cli.lean``) both run it, so every message and exit code is the same on both paths."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from nbcollab.cli.errors import echo
from nbcollab.errors import EXIT_CHANGED, EXIT_ERROR, EXIT_OK

if TYPE_CHECKING:
    from nbcollab.config.folders import OptionsByFolder
    from nbcollab.discover import Skipped
    from nbcollab.options import CleanOptions


def usage_problem(
    paths: Sequence[Path], *, check: bool, stdin: bool, staged: bool
) -> tuple[str, str | None] | None:
    """What is wrong with this combination of arguments (the message and the argument it is
    about), or None."""
    if stdin and paths:
        return "--stdin reads stdin: give no paths with it", "PATHS"
    if staged and not check:
        return "--staged only judges, never writes: use it with --check", None
    if not stdin and not paths and not staged:
        return "give notebooks to clean, or --stdin", "PATHS"
    return None


def run_clean(
    paths: list[Path],
    *,
    check: bool,
    stdin: bool,
    staged: bool,
    jobs: int | None = None,
    **overrides: Any,
) -> int:
    """Clean (or check) ``paths``, stdin or the staged notebooks, on ``jobs`` processes (None:
    one per core); the exit code. The arguments have passed ``usage_problem``; ``overrides`` are
    the clean options given on the command line (None: not given)."""
    from nbcollab.config.folders import OptionsByFolder
    from nbcollab.workers import default_jobs

    # Each notebook follows its own folder's pyproject.toml, as the git filter does.
    options = OptionsByFolder(Path.cwd(), **overrides)
    if stdin or [str(p) for p in paths] == ["-"]:
        return _clean_stream(options("-"), check=check)
    if staged:
        return _check_staged(paths, options)
    return _clean_files(paths, options, check=check, jobs=default_jobs() if jobs is None else jobs)


def _clean_stream(options: CleanOptions, *, check: bool) -> int:
    """stdin to stdout; with ``check``, only say whether it would change (exit 1)."""
    from nbcollab.clean.strip import clean_bytes, needs_cleaning
    from nbcollab.files import read_stream_bytes

    data = read_stream_bytes(sys.stdin.buffer, path="<stdin>")
    if check:
        if not needs_cleaning(data, path="<stdin>", options=options):
            return EXIT_OK
        echo("would clean <stdin>")
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
    from nbcollab.workers import map_in_order

    notebooks = expand_notebook_paths(paths)
    # Each notebook's options first: a broken pyproject.toml is one error before any file changes.
    work = [(str(path), options(str(path)), check) for path in notebooks]
    with _around_writes(check):
        return _report(
            map_in_order(_clean_file, work, jobs=jobs), check=check, staged=False, total=len(work)
        )


def _around_writes(check: bool) -> AbstractContextManager[None]:
    """``cleanup_on_signals``, set up once for every write of the loop rather than once a file;
    nothing for ``--check``, which writes nothing (and so starts without the signal set-up)."""
    if check:
        return contextlib.nullcontext()
    from nbcollab.files import cleanup_on_signals

    return cleanup_on_signals()


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
