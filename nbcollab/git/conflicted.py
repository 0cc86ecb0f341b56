"""The repository's notebooks in conflict: unmerged in the index, or holding a conflict record.

A notebook the merge driver left with conflicts is unmerged until ``git add``; one added with its
record still in it (resolved by hand, record not cleared) holds the record. ``nbcollab conflicts``
and ``resolve`` without paths act on both.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from nbcollab.errors import GitError, NotARepository

# A record lives at metadata.nbcollab.conflicts: a file without both words holds none, and
# skipping it spares parsing every notebook of a large repository.
_RECORD_WORDS = (b'"nbcollab"', b'"conflicts"')


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, timeout=120, check=False
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise GitError(f"git {args[0]} failed ({exc}); is git installed?") from None


def _names(out: bytes) -> list[str]:
    return [name.decode("utf-8", "surrogateescape") for name in out.split(b"\0") if name]


def conflicted_notebooks(cwd: Path) -> list[Path]:
    """Notebooks of the repository holding ``cwd`` that are unmerged or hold a record."""
    top = _git(["rev-parse", "--show-toplevel"], cwd)
    if top.returncode != 0:
        raise NotARepository(f"{cwd}: not in a git repository: name the notebooks")
    root = Path(top.stdout.decode("utf-8", "surrogateescape").strip())
    listed = _git(["ls-files", "-z", "--", "*.ipynb"], root)
    unmerged = _git(["ls-files", "-u", "-z", "--", "*.ipynb"], root)
    if listed.returncode or unmerged.returncode:
        raise GitError(f"git ls-files failed in {root}")
    conflicted = {record.partition("\t")[2] for record in _names(unmerged.stdout)}
    found = []
    for name in sorted(set(_names(listed.stdout))):
        if name in conflicted or _holds_record(root / name):
            found.append(_shown(root / name, cwd))
    return found


def _holds_record(path: Path) -> bool:
    try:
        if not path.is_file() or path.is_symlink():
            return False
        data = path.read_bytes()
    except OSError:
        return False
    return all(word in data for word in _RECORD_WORDS)


def _shown(path: Path, cwd: Path) -> Path:
    """``path`` relative to ``cwd`` when below it, as people typed it."""
    try:
        return Path(os.path.relpath(path, cwd))
    except ValueError:
        return path
