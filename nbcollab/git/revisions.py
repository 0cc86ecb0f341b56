"""Read notebooks at git revisions, the index or the working tree (GitPython, one cat-file process).

``notebook_pairs`` answers the question ``git diff [REV [REV]] [-- PATH...]`` answers, for
notebooks: which ``.ipynb`` files differ between two sides, and their bytes on each side.

During a conflicted merge the index holds no notebook for a conflicted path, only its stages
(1 base, 2 ours, 3 theirs), and ``git diff --name-only`` lists the path once per stage. Such a
notebook is one pair: ours against the working tree (with theirs at hand for when the working
tree holds git's line conflict markers and is no notebook), or, against the index, a note.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nbcollab.errors import GitError, NotARepository
from nbcollab.safe_text import quote_path

WORKTREE = None  # a side that is the working tree
INDEX = ":"  # a side that is the index (staging area)


@dataclass(frozen=True)
class NotebookPair:
    """One notebook on two sides; ``None`` bytes mean it does not exist on that side."""

    path: str
    old: bytes | None
    new: bytes | None
    old_label: str
    new_label: str
    unmerged: bool = False
    theirs: bytes | None = None  # an unmerged notebook's stage 3, the other side of the merge
    # The new side's file as the user names it (relative to their folder), when it is the
    # working tree: what a message about that file tells them to run a command on.
    new_file: str | None = None


def open_repo(start: Path) -> Any:
    """The GitPython repository holding ``start``."""
    import git

    try:
        return git.Repo(start, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise NotARepository(
            f"{start}: not inside a git repository (give two notebook files to compare instead)"
        ) from None


def is_revision(repo: Any, name: str) -> bool:
    """Whether ``name`` names a commit (or tree) in ``repo``."""
    import git

    try:
        repo.git.rev_parse("--verify", "--quiet", f"{name}^{{tree}}")
    except git.GitCommandError:
        return False
    return True


def notebook_pairs(
    repo: Any,
    old_rev: str | None,
    new_rev: str | None,
    paths: Sequence[str] = (),
    *,
    cached: bool = False,
    cwd: Path | None = None,
) -> list[NotebookPair]:
    """Notebooks that differ between two sides, like ``git diff`` picks them.

    No revision: index -> working tree (``cached``: HEAD -> index). One: it -> working tree
    (``cached``: it -> index). Two: the first -> the second. ``paths`` are pathspecs relative to
    ``cwd`` (the user's folder; default the repository root), as git reads them; no path means
    the whole repository. The pairs' paths are relative to the root.
    """
    import git

    sides: list[str] = [rev for rev in (old_rev, new_rev) if rev is not None]
    old_side = old_rev if old_rev is not None else ("HEAD" if cached else INDEX)
    new_side = new_rev if new_rev is not None else (INDEX if cached else WORKTREE)
    args = ["--name-only", "-z", "--no-renames", "--no-ext-diff", "--no-textconv"]
    args += ["--cached"] if cached else []
    # Run git where the user is, so that their relative paths and globs mean what they mean to
    # git; --name-only still prints root-relative names.
    runner = git.Git(str(cwd)) if cwd is not None else repo.git
    try:
        names = runner.diff(*args, *sides, "--", *paths).split("\0")
    except git.GitCommandError as exc:
        raise GitError(f"git diff failed: {exc.stderr.strip() or exc}") from None
    root = Path(repo.working_tree_dir)
    stages = INDEX in (old_side, new_side) or new_side is WORKTREE
    unmerged = unmerged_paths(repo) if stages else set()
    chosen = sorted({n for n in names if n.endswith(".ipynb")})  # once, not once per stage
    stored = _stored_blobs(
        root, [(side, n) for n in chosen if n not in unmerged for side in (old_side, new_side)]
    )

    def read(side: str | None, name: str) -> bytes | None:
        if (side, name) in stored:
            return stored[side, name]
        return read_side(repo, side, name, root)

    pairs = []
    for name in chosen:
        new_file = os.path.relpath(root / name, cwd or root) if new_side is WORKTREE else None
        if name in unmerged:
            pair = _unmerged_pair(repo, old_side, new_side, name, root)
            pairs.append(dataclasses.replace(pair, new_file=new_file))
            continue
        pairs.append(
            NotebookPair(
                name,
                read(old_side, name),
                read(new_side, name),
                _label(old_side, name, "a"),
                _label(new_side, name, "b"),
                new_file=new_file,
            )
        )
    return pairs


def unmerged_paths(repo: Any) -> set[str]:
    """The paths that have conflict stages in the index (``git ls-files -u``)."""
    import git

    try:
        out = repo.git.ls_files("-u", "-z")
    except git.GitCommandError as exc:
        raise GitError(f"git ls-files failed: {exc.stderr.strip() or exc}") from None
    # -z lines: "<mode> <object> <stage>\t<path>"
    return {entry.split("\t", 1)[1] for entry in out.split("\0") if "\t" in entry}


def _unmerged_pair(
    repo: Any, old_side: str | None, new_side: str | None, name: str, root: Path
) -> NotebookPair:
    """An unmerged notebook against the working tree: from ours (stage 2) when the old side is
    the index, as ``git diff`` compares it; against the index, which has no such notebook, nothing
    but the fact that it is unmerged."""
    if new_side is WORKTREE:
        old_label = (
            f"{quote_path(f'a/{name}')} (ours)"
            if old_side == INDEX
            else _label(old_side, name, "a")
        )
        old = read_side(repo, ":2" if old_side == INDEX else old_side, name, root)
        return NotebookPair(
            name,
            old,
            read_side(repo, WORKTREE, name, root),
            old_label,
            _label(WORKTREE, name, "b"),
            unmerged=True,
            theirs=read_side(repo, ":3", name, root),
        )
    return NotebookPair(
        name, None, None, _label(old_side, name, "a"), _label(new_side, name, "b"), unmerged=True
    )


def _label(side: str | None, name: str, prefix: str) -> str:
    where = "working tree" if side is WORKTREE else ("index" if side == INDEX else side)
    return f"{quote_path(f'{prefix}/{name}')} ({where})"


def _stored_blobs(
    root: Path, wanted: Sequence[tuple[str | None, str]]
) -> dict[tuple[str | None, str], bytes | None]:
    """The blobs of (revision or index, path) pairs, through one ``git cat-file`` process: a
    change touching hundreds of notebooks reads them all at once. What it cannot answer
    (the working tree, a name with a line break, a tree, a huge object) ``read_side`` reads."""
    from nbcollab.files import MAX_NOTEBOOK_BYTES
    from nbcollab.git.plumbing import CatFile

    keys = [(side, path) for side, path in wanted if side is not WORKTREE and _nameable(path)]
    if not keys:
        return {}
    specs = [f":{path}" if side == INDEX else f"{side}:{path}" for side, path in keys]
    reader = CatFile(root)
    try:
        found = reader.read_many(specs, limit=MAX_NOTEBOOK_BYTES)
    finally:
        reader.close()
    return {
        key: None if obj is None else obj.data
        for key, obj in zip(keys, found)
        if obj is None or (obj.kind == "blob" and obj.data is not None)
    }


def _nameable(path: str) -> bool:
    return not any(c in path for c in "\n\t\0")


def read_side(repo: Any, side: str | None, path: str, root: Path) -> bytes | None:
    """A file's bytes at a revision, in the index (``":"``) or in the working tree (``None``)."""
    if side is WORKTREE:
        file = root / path
        return file.read_bytes() if file.is_file() else None
    spec = f":{path}" if side == INDEX else f"{side}:{path}"  # ":2" + ":" + path: a stage
    try:
        blob = repo.rev_parse(spec)
    except Exception:  # noqa: BLE001 - GitPython raises several types for "no such path here"
        return None
    return blob.data_stream.read()


def filtered_paths(repo: Any, paths: Sequence[str]) -> set[str]:
    """The paths whose ``filter`` attribute is ``nbcollab`` (their working tree is not yet clean)."""
    if not paths:
        return set()
    out = repo.git.check_attr("-z", "filter", "--", *paths).split("\0")
    # -z output: path, attribute, value, path, attribute, value, ...
    return {out[k] for k in range(0, len(out) - 2, 3) if out[k + 2] == "nbcollab"}
