"""The work of ``nbcollab conflicts``, without typer: the typer command and the lean entry
(``nbcollab.cli.lean``, which the pre-commit hook runs) both run it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from nbcollab.cli.errors import echo
from nbcollab.errors import EXIT_CHANGED, EXIT_ERROR, EXIT_OK
from nbcollab.safe_text import safe_path

if TYPE_CHECKING:
    from nbcollab.git.conflicted import FileDeletion, Unmerged


def run_conflicts(notebooks: list[Path], total: int = 0) -> int:
    """Say the unresolved conflicts of ``notebooks`` (``total`` already counted elsewhere);
    exit 1 while any remain, 2 if a file cannot be read."""
    from nbcollab.errors import InvalidNotebook
    from nbcollab.merge.conflicts import STALE

    read_configs(notebooks)
    errors = 0
    unmerged = unmerged_in_git(notebooks)
    for path in notebooks:
        deletion = unmerged[path].deletion if path in unmerged else None
        if deletion is not None:
            echo(deletion_finding(path, deletion))
            total += 1
            continue
        try:
            found = _findings(path)
        except InvalidNotebook as exc:
            # One unreadable file must not hide the conflicts of the others.
            echo(f"nbcollab: error: {exc}", err=True)
            errors += 1
            continue
        for _kind, message in found:
            echo(f"{safe_path(path)}: {message}")
        if not found and path in unmerged:
            say_stage_it(path)
        if any(kind == STALE for kind, _ in found):
            echo(
                f"nbcollab: {safe_path(path)}: conflicts resolved by hand are still recorded; run "
                f"'nbcollab resolve {safe_path(path)}' to clear the record before committing",
                err=True,
            )
        total += len(found)
    if errors:
        return EXIT_ERROR
    return EXIT_CHANGED if total else EXIT_OK


def read_configs(notebooks: list[Path]) -> None:
    """Each notebook's configuration read, as every command reads it: a broken pyproject.toml
    is the same one-line error (ConfigError) here, before anything is said or written."""
    from nbcollab.config.folders import ConfigByFolder

    configs = ConfigByFolder()
    for path in notebooks:
        configs.config_for(path)


def unmerged_in_git(notebooks: list[Path]) -> dict[Path, Unmerged]:
    """The notebooks git holds as unmerged (modify/delete conflicts among them)."""
    if not notebooks:
        return {}
    from nbcollab.git.conflicted import unmerged_files

    return unmerged_files(notebooks)


def say_stage_it(path: Path) -> None:
    """What to do with a notebook without conflicts that git still holds as unmerged."""
    echo(
        f"nbcollab: {safe_path(path)}: no conflict left in it, but git still holds it as "
        f"unmerged: stage it with: git add {safe_path(path)}",
        err=True,
    )


def deletion_finding(path: Path, deletion: FileDeletion) -> str:
    """How ``conflicts`` and ``resolve`` say a modify/delete conflict, and how to resolve it."""
    keeps = "theirs" if deletion.deleted_by == "ours" else "ours"
    return (
        f"{safe_path(path)}: deleted by {deletion.deleted_by}, modified by {keeps} "
        f"(modify/delete): 'nbcollab resolve --{keeps}' keeps it, "
        f"'--{deletion.deleted_by}' deletes it"
    )


def _findings(path: Path) -> list[tuple[str, str]]:
    """(kind, message) of each unresolved conflict of one file; InvalidNotebook if unreadable."""
    from nbcollab.errors import InvalidNotebook
    from nbcollab.files import read_file_bytes
    from nbcollab.merge.conflicts import find_conflicts, read_record
    from nbcollab.notebook.codec import parse_notebook

    data = read_file_bytes(path)
    try:
        nb = parse_notebook(data, path=str(path))
    except InvalidNotebook:
        found = _raw_markers(data)
        if not found:
            raise
        return [("raw", message) for message in found]
    read_record(nb, source=str(path))  # a malformed record: InvalidNotebook naming the entry
    return [(f.kind, f.message) for f in find_conflicts(nb)]


def _raw_markers(data: bytes) -> list[str]:
    """Markers git's line merge left in a file that is no longer JSON."""
    lines = data.decode("utf-8", "replace").splitlines()
    return [
        f"line {n}: conflict marker in the raw file (not a valid notebook)"
        for n, line in enumerate(lines, 1)
        if line.startswith("<<<<<<<")
    ]
