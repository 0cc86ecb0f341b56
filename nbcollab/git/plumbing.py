"""git's plumbing, for many objects at a time: one process reads them all, one writes them.

``run_git`` runs one git command as ``config._plain_git`` does (a plain subprocess, git's
complaint as a ``GitError``), but keeps the line of git's complaint that says what went wrong
(``error:``, ``fatal:``, a rejected ref) rather than its first line, which for a push is only
where it was going. ``CatFile`` is one ``git cat-file --batch`` process that reads any number
of objects; ``write_blobs`` and ``make_trees`` write any number of objects with one
``git hash-object`` and one ``git mktree`` process.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

from nbcollab.errors import GitError, NotARepository
from nbcollab.published.objects import GitObject, TreeEntry

# Bytes of object names written before their answers are read: well under a pipe's buffer, so
# that git never waits for us to read while we wait for it to read.
_REQUEST_CHUNK = 16 * 1024
_CHUNK = 1 << 20
_SAFE_NAME = frozenset("\n\t\0")


def run_git(
    args: Sequence[str],
    cwd: Path,
    *,
    stdin: bytes | None = None,
    env: Mapping[str, str] | None = None,
) -> bytes:
    """git's standard output; GitError (NotARepository outside one) with git's own reason."""
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            input=stdin,
            capture_output=True,
            check=False,
            env={**os.environ, **env} if env else None,
        )
    except OSError as exc:
        raise GitError(f"git failed: is it installed and on PATH? ({exc})") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        if "not a git repository" in message.lower():
            raise NotARepository(f"{cwd}: not inside a git repository")
        raise GitError(f"git {args[0]} failed: {complaint(message, done.returncode)}")
    return done.stdout


def complaint(stderr: str, code: int) -> str:
    """The line of git's standard error that says what went wrong."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for mark in ("! [", "fatal:", "error:"):
        found = [line for line in lines if line.startswith(mark)]
        if found:
            return found[0]
    return lines[0] if lines else f"exit code {code}"


class CatFile:
    """One ``git cat-file --batch`` process: objects by name, as many as asked."""

    def __init__(self, cwd: Path) -> None:
        try:
            self._process = subprocess.Popen(
                ["git", "cat-file", "--batch"],
                cwd=cwd,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        except OSError as exc:
            raise GitError(f"git failed: is it installed and on PATH? ({exc})") from None

    def read_many(self, names: Sequence[str], *, limit: int) -> list[GitObject | None]:
        """The objects ``names`` name (None for a missing one); bytes over ``limit`` skipped."""
        if any(not _SAFE_NAME.isdisjoint(name) for name in names):
            raise ValueError("an object name with a line break")
        stdin, stdout = self._process.stdin, self._process.stdout
        assert stdin is not None and stdout is not None  # both are pipes
        found: list[GitObject | None] = []
        at = 0
        while at < len(names):
            batch: list[str] = []
            size = 0
            while at < len(names) and (not batch or size < _REQUEST_CHUNK):
                batch.append(names[at])
                size += len(names[at]) + 1
                at += 1
            try:
                stdin.write("".join(f"{name}\n" for name in batch).encode())
                stdin.flush()
            except OSError as exc:
                raise GitError(f"git cat-file stopped ({exc})") from None
            found += [_read_answer(stdout, limit) for _ in batch]
        return found

    def close(self) -> None:
        """End the process."""
        if self._process.stdin:
            self._process.stdin.close()
        if self._process.stdout:
            self._process.stdout.close()
        self._process.wait()

    def __enter__(self) -> CatFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _read_answer(stdout: IO[bytes], limit: int) -> GitObject | None:
    header = stdout.readline()
    if not header.endswith(b"\n"):
        raise GitError("git cat-file stopped answering")
    fields = header.decode("utf-8", "surrogateescape").split()
    if len(fields) != 3 or not fields[2].isdigit():
        return None  # "<name> missing" (or ambiguous)
    oid, kind, size = fields[0], fields[1], int(fields[2])
    if size > limit:
        left = size + 1
        while left:
            chunk = stdout.read(min(left, _CHUNK))
            if not chunk:
                raise GitError("git cat-file stopped answering")
            left -= len(chunk)
        return GitObject(oid, kind, size, None)
    data = stdout.read(size + 1)
    if len(data) != size + 1:
        raise GitError("git cat-file stopped answering")
    return GitObject(oid, kind, size, data[:-1])


def write_blobs(blobs: Sequence[bytes], cwd: Path) -> list[str]:
    """Store ``blobs`` as git objects (one ``git hash-object`` for all); their ids, in order."""
    if not blobs:
        return []
    with tempfile.TemporaryDirectory(prefix="nbcollab-objects-") as folder:
        paths = []
        for index, data in enumerate(blobs):
            path = Path(folder, str(index))
            path.write_bytes(data)
            paths.append(str(path))
        listing = "".join(f"{path}\n" for path in paths).encode()
        out = run_git(["hash-object", "-w", "--no-filters", "--stdin-paths"], cwd, stdin=listing)
    oids = out.decode("ascii").split()
    if len(oids) != len(blobs):
        raise GitError("git hash-object gave fewer object ids than it was given files")
    return oids


def make_trees(trees: Sequence[Sequence[TreeEntry]], cwd: Path) -> list[str]:
    """Store each list of entries as a tree (one ``git mktree --batch`` for all); their ids."""
    if not trees:
        return []
    text = []
    for entries in trees:
        for entry in entries:
            if not _SAFE_NAME.isdisjoint(entry.name) or "/" in entry.name:
                raise ValueError(f"a tree entry name git cannot take: {entry.name!r}")
            kind = "tree" if entry.mode == "40000" else "blob"
            text.append(f"{entry.mode} {kind} {entry.oid}\t{entry.name}\n")
        text.append("\n")
    out = run_git(["mktree", "--batch"], cwd, stdin="".join(text).encode())
    oids = out.decode("ascii").split()
    if len(oids) != len(trees):
        raise GitError("git mktree gave fewer tree ids than it was given trees")
    return oids


def commit_tree(tree: str, parents: Sequence[str], message: str, cwd: Path) -> str:
    """A commit of ``tree`` with ``parents``: its id."""
    args = ["commit-tree", tree, *[arg for parent in parents for arg in ("-p", parent)]]
    env = None if _has_identity(cwd) else _NO_IDENTITY
    return run_git([*args, "-m", message], cwd, env=env).decode("ascii").strip()


# When the user has no git identity, outputs commits still get one (push needs none).
_NO_IDENTITY = {
    "GIT_AUTHOR_NAME": "nbcollab",
    "GIT_AUTHOR_EMAIL": "nbcollab@localhost",
    "GIT_COMMITTER_NAME": "nbcollab",
    "GIT_COMMITTER_EMAIL": "nbcollab@localhost",
}


def _has_identity(cwd: Path) -> bool:
    try:
        run_git(["var", "GIT_COMMITTER_IDENT"], cwd)
    except GitError:
        return False
    return True


def identity(cwd: Path) -> str:
    """``Name <email>`` of the user as git would sign a commit (``nbcollab`` without one)."""
    try:
        ident = run_git(["var", "GIT_AUTHOR_IDENT"], cwd).decode("utf-8", "replace")
    except GitError:
        return "nbcollab <nbcollab@localhost>"
    return ident.rsplit(">", 1)[0].strip() + ">" if ">" in ident else ident.strip()


def update_ref(ref: str, new: str, old: str | None, message: str, cwd: Path) -> None:
    """Point ``ref`` at ``new`` only if it points at ``old`` (None: only if it does not exist)."""
    run_git(["update-ref", "-m", message, ref, new, old or ""], cwd)


def list_refs(prefix: str, cwd: Path) -> dict[str, str]:
    """Refs under ``prefix`` and the object each points at."""
    out = run_git(["for-each-ref", "--format=%(objectname) %(refname)", prefix], cwd)
    refs = {}
    for line in out.decode("utf-8", "surrogateescape").splitlines():
        oid, _, ref = line.partition(" ")
        refs[ref] = oid
    return refs
