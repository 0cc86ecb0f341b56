"""The repository's notebooks in conflict: unmerged in the index, or holding a conflict record.

A notebook the merge driver left with conflicts is unmerged until ``git add``; one added with its
record still in it (resolved by hand, record not cleared) holds the record. ``nbcollab conflicts``
and ``resolve`` without paths act on both. A notebook deleted on one branch and modified on the
other (git's modify/delete, ``UD``/``DU`` in ``git status``) has no stage for the deleting side:
it is resolved whole, by keeping or deleting the file and staging that.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from nbcollab.errors import GitError, NotARepository
from nbcollab.gitcmd import run_git, try_git

# A record lives at metadata.nbcollab.conflicts: a file without both words holds none, and
# skipping it spares parsing every notebook of a large repository.
_RECORD_WORDS = (b'"nbcollab"', b'"conflicts"')


def repository_root(start: Path) -> Path | None:
    """The top of the work tree holding ``start`` (a folder, or a file's folder); None outside."""
    folder = start if start.is_dir() else start.parent
    try:
        done = try_git(["rev-parse", "--show-toplevel"], folder)
    except GitError:
        return None
    if done.returncode != 0:
        return None
    return Path(done.stdout.decode("utf-8", "surrogateescape").strip())


def unmerged_entries(root: Path, paths: list[str] | None = None) -> dict[str, dict[int, str]]:
    """Unmerged paths (relative to ``root``) and the blob of each of their stages."""
    found: dict[str, dict[int, str]] = {}
    for record in run_git(["ls-files", "-u", "-z", "--", *(paths or [])], root).split(b"\0"):
        if not record:
            continue
        info, _, name = record.partition(b"\t")
        _mode, sha, stage = info.decode().split()
        found.setdefault(name.decode("utf-8", "surrogateescape"), {})[int(stage)] = sha
    return found


@dataclass(frozen=True)
class FileDeletion:
    """A notebook deleted on one side and modified on the other (git's modify/delete)."""

    root: Path  # the work tree
    name: str  # the path as git names it, relative to ``root``
    deleted_by: Literal["ours", "theirs"]
    stages: dict[int, str]  # stage number -> blob (1 base, 2 ours, 3 theirs)

    def blob(self, stage: int) -> bytes:
        """The content git holds at ``stage``."""
        return run_git(["cat-file", "blob", self.stages[stage]], self.root)

    def stage_kept(self) -> None:
        """Mark the conflict resolved by keeping the working file (``git add``)."""
        run_git(["add", "--", self.name], self.root)

    def stage_deleted(self) -> None:
        """Mark the conflict resolved by deleting the notebook (``git rm``: file and index)."""
        run_git(["rm", "-q", "--ignore-unmatch", "--", self.name], self.root)


@dataclass(frozen=True)
class Unmerged:
    """A path git holds as unmerged: the stages it has, and the modify/delete it is, if one."""

    stages: dict[int, str]
    deletion: FileDeletion | None


def unmerged_files(paths: list[Path]) -> dict[Path, Unmerged]:
    """Which of ``paths`` git holds as unmerged (paths outside a repository are not)."""
    by_root: dict[Path, dict[str, Path]] = {}
    roots: dict[Path, Path | None] = {}  # by folder: one git call per folder, not per file
    for path in paths:
        folder = path.absolute().parent
        if folder not in roots:
            roots[folder] = repository_root(folder)
        root = roots[folder]
        relative = inside(path, root) if root is not None else None
        if root is not None and relative is not None:
            by_root.setdefault(root, {})[relative] = path
    found: dict[Path, Unmerged] = {}
    for root, names in by_root.items():
        for name, stages in unmerged_entries(root, list(names)).items():
            if name not in names:
                continue
            deletion = None
            if (2 in stages) != (3 in stages):
                deleted_by: Literal["ours", "theirs"] = "theirs" if 2 in stages else "ours"
                deletion = FileDeletion(root, name, deleted_by, stages)
            found[names[name]] = Unmerged(stages, deletion)
    return found


def inside(path: Path, root: Path) -> str | None:
    """``path`` relative to the work tree, as git names it; None when it is not inside."""
    try:
        folder = path.absolute().parent.resolve()
        return folder.joinpath(path.name).relative_to(root.resolve()).as_posix()
    except ValueError:
        return None


def _names(out: bytes) -> list[str]:
    return [name.decode("utf-8", "surrogateescape") for name in out.split(b"\0") if name]


def conflicted_notebooks(cwd: Path) -> list[Path]:
    """Notebooks of the repository holding ``cwd`` that are unmerged or hold a record."""
    try:
        top = run_git(["rev-parse", "--show-toplevel"], cwd)
    except NotARepository:
        raise NotARepository(f"{cwd}: not in a git repository: name the notebooks") from None
    root = Path(top.decode("utf-8", "surrogateescape").strip())
    listed = run_git(["ls-files", "-z", "--", "*.ipynb"], root)
    unmerged = run_git(["ls-files", "-u", "-z", "--", "*.ipynb"], root)
    conflicted = {record.partition("\t")[2] for record in _names(unmerged)}
    found = []
    for name in sorted(set(_names(listed))):
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
