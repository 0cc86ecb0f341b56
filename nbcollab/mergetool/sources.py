"""Where the conflicts come from: a notebook's record, or git's index stages merged again.

A notebook merged by nbcollab's driver carries its record. One that git merged as text (line
markers, not JSON), or left unmerged for any other reason, is merged again from the index: the
base, ours and theirs are stages 1, 2 and 3 (no stage 1: both added it; no stage 2 or 3: deleted
on that side, git's modify/delete).
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Literal

from nbcollab.errors import GitError, InvalidNotebook
from nbcollab.files import read_file_bytes
from nbcollab.git.conflicted import inside, repository_root, unmerged_entries
from nbcollab.merge.conflicts import read_record
from nbcollab.merge.values import MergeLabels
from nbcollab.mergetool.session import FileDeletion, Session
from nbcollab.notebook.codec import parse_notebook
from nbcollab.options import MergeOptions


def _git(args: list[str], cwd: Path) -> bytes:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        raise GitError(f"git {args[0]} failed ({exc}); is git installed?") from None
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {' '.join(args[:2])} failed: {detail[-1] if detail else ''}")
    return done.stdout


def unmerged_notebooks(root: Path) -> list[Path]:
    """Every unmerged ``*.ipynb`` of the repository, as absolute paths."""
    return [root / name for name in sorted(unmerged_entries(root)) if name.endswith(".ipynb")]


def merge_labels(root: Path, marker_size: int = 7) -> MergeLabels:
    """Marker labels: the current branch and the branch being merged, when git knows them."""

    def name(args: list[str]) -> str | None:
        try:
            text = _git(args, root).decode("utf-8", "replace").strip()
        except GitError:
            return None
        return " ".join(text.split())[:200] or None

    ours = name(["symbolic-ref", "--short", "-q", "HEAD"]) or "ours"
    theirs = name(["name-rev", "--name-only", "--exclude=tags/*", "MERGE_HEAD"])
    return MergeLabels(
        ours=ours,
        theirs=theirs if theirs and theirs != "undefined" else "theirs",
        marker_size=marker_size,
    )


def open_session(path: Path, *, options: MergeOptions) -> Session:
    """The session of one notebook: from its record, or merged again from git's stages."""
    data = _read(path)
    root = repository_root(path.absolute())
    stages: dict[int, bytes] = {}
    relative = _inside(path, root)
    if root is not None and relative is not None:
        blobs = unmerged_entries(root, [relative]).get(relative, {})
        stages = {number: _git(["cat-file", "blob", sha], root) for number, sha in blobs.items()}
    if not stages:
        nb = parse_notebook(data, path=str(path))
        read_record(nb, source=str(path))  # a malformed record is an error, never a guess
        return Session(str(path), nb, data)
    inputs = [stages.get(1), stages.get(2), stages.get(3)]
    if 2 not in stages or 3 not in stages:
        return _deletion_session(path, data, stages)
    recorded = _recorded(data, str(path))
    if recorded is not None:
        return Session(str(path), recorded, data, inputs)
    base = parse_notebook(stages[1], path=f"{path} (base)") if stages.get(1, b"").strip() else None
    ours = parse_notebook(stages[2], path=f"{path} (ours)")
    theirs = parse_notebook(stages[3], path=f"{path} (theirs)")
    from nbcollab.merge.notebook import merge_notebooks

    labels = merge_labels(root) if root is not None else MergeLabels()
    result = merge_notebooks(base, ours, theirs, options=options, labels=labels)
    return Session(str(path), result.notebook, data, inputs)


def _inside(path: Path, root: Path | None) -> str | None:
    return None if root is None else inside(path, root)


def _read(path: Path) -> bytes:
    """The file's bytes (b"": absent); a FIFO or a folder is refused, never read."""
    if not path.exists() and not path.is_symlink():
        return b""
    if not path.is_file():
        raise InvalidNotebook(f"{path}: not a regular file")
    return read_file_bytes(path)


def _recorded(data: bytes, path: str) -> dict | None:
    """The working file when it is a notebook nbcollab merged or someone resolved: it wins."""
    try:
        nb = parse_notebook(data, path=path)
    except InvalidNotebook:
        return None  # git's line markers: merge the stages again
    read_record(nb, source=path)  # a malformed record is an error, never a guess
    return nb


def _deletion_session(path: Path, data: bytes, stages: dict[int, bytes]) -> Session:
    kept = stages[2] if 2 in stages else stages[3]
    deleted_by: Literal["ours", "theirs"] = "theirs" if 2 in stages else "ours"
    nb = _recorded(data, str(path)) if data else None
    if nb is None:
        nb = parse_notebook(kept, path=f"{path} ({'ours' if 2 in stages else 'theirs'})")
    inputs = [stages.get(1), stages.get(2), stages.get(3)]
    root = repository_root(path.absolute())
    names = merge_labels(root) if root is not None else MergeLabels()
    deletion = FileDeletion(deleted_by, labels=(names.ours, names.theirs))
    return Session(str(path), nb, data, inputs, deletion=deletion)
