"""The work of ``nbcollab clean``, without typer: the typer command and the lean entry
(``nbcollab.cli.lean``) both run it, so every message and exit code is the same on both paths."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbcollab.cli.errors import echo
from nbcollab.errors import EXIT_CHANGED, EXIT_ERROR, EXIT_OK

if TYPE_CHECKING:
    from nbcollab.config.folders import OptionsByFolder
    from nbcollab.discover import Skipped
    from nbcollab.errors import InvalidNotebook
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
    paths: list[Path], *, check: bool, stdin: bool, staged: bool, **overrides: Any
) -> int:
    """Clean (or check) ``paths``, stdin or the staged notebooks; the exit code. The arguments
    have passed ``usage_problem``; ``overrides`` are the clean options given on the command
    line (None: not given)."""
    from nbcollab.config.folders import OptionsByFolder

    # Each notebook follows its own folder's pyproject.toml, as the git filter does.
    options = OptionsByFolder(Path.cwd(), **overrides)
    if stdin or [str(p) for p in paths] == ["-"]:
        return _clean_stream(options("-"), check=check)
    if staged:
        return _check_staged(paths, options)
    return _clean_files(paths, options, check=check)


def _clean_stream(options: CleanOptions, *, check: bool) -> int:
    """stdin to stdout; with ``check``, only say whether it would change (exit 1)."""
    from nbcollab.clean.strip import clean_bytes
    from nbcollab.files import read_stream_bytes

    data = read_stream_bytes(sys.stdin.buffer, path="<stdin>")
    cleaned = clean_bytes(data, path="<stdin>", options=options)
    if check:
        if cleaned is not None:
            echo("would clean <stdin>")
        return EXIT_CHANGED if cleaned is not None else EXIT_OK
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
    return _judge(
        ((name, blobs[name]) for name in names), options, check=True, staged=True, total=len(names)
    )


def _clean_files(paths: list[Path], options: OptionsByFolder, *, check: bool) -> int:
    from nbcollab.errors import InvalidNotebook
    from nbcollab.files import read_file_bytes

    notebooks = expand_notebook_paths(paths)
    for path in notebooks:  # a broken pyproject.toml is one error before any file changes
        options(str(path))

    def contents() -> Iterator[tuple[str, bytes | InvalidNotebook | None]]:
        for path in notebooks:
            try:
                yield str(path), read_file_bytes(path)
            except InvalidNotebook as exc:
                yield str(path), exc

    return _judge(contents(), options, check=check, staged=False, total=len(notebooks))


def _judge(
    contents: Iterable[tuple[str, bytes | InvalidNotebook | None]],
    options: OptionsByFolder,
    *,
    check: bool,
    staged: bool,
    total: int = 0,
) -> int:
    """Clean (or check) each (name, bytes) pair; report; the exit code for all of them."""
    from nbcollab.clean.strip import clean_bytes
    from nbcollab.cli.progress import Progress
    from nbcollab.errors import InvalidNotebook
    from nbcollab.files import write_atomic

    where = " (staged)" if staged else ""
    changed = errors = 0
    progress = Progress(total, "checking" if check else "cleaning")

    def say(line: str, *, err: bool = False) -> None:
        progress.clear()  # the progress line goes; it comes back at the next step
        echo(line, err=err)

    for name, data in contents:
        progress.step()
        try:
            if isinstance(data, InvalidNotebook):
                raise data
            if data is None:
                raise InvalidNotebook(f"{name}: not staged")
            cleaned = clean_bytes(data, path=name, options=options(name))
        except InvalidNotebook as exc:
            say(f"nbcollab: error: {exc}{where}", err=True)
            errors += 1
            continue
        if cleaned is None:
            continue
        changed += 1
        if check:
            say(f"would clean {name}{where}")
        else:
            write_atomic(name, cleaned)
            say(f"cleaned {name}")
    progress.done()
    if errors:
        return EXIT_ERROR
    return EXIT_CHANGED if check and changed else EXIT_OK
