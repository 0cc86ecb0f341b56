"""Running git: the one place nbcollab starts a git process.

Bytes in, bytes out, and one policy for everything that can go wrong, at this one boundary:

- git missing or not runnable: ``GitError`` saying to install it or put it on PATH;
- outside a repository: ``NotARepository``;
- any other failure: ``GitError`` with the line of git's standard error that says what went
  wrong (``fatal:``, ``error:``, a rejected ref), not its first line, which for a push is only
  where it was going;
- time: a command that works on the local repository gets ``TIMEOUT`` seconds, then
  ``GitError`` (a stuck lock or a hung credential helper must not hang a command, a hook or a
  merge); a command that talks to a remote (``fetch``, ``push``, ``ls-remote``) has no limit but
  the user's own Ctrl-C, as git itself behaves.

``run_git`` is a checked command; ``try_git`` is one whose exit code is the answer (``git
check-attr``, ``git merge-file``, a query that may find nothing), and ``git_output`` the answer
of a query where none is an answer too; ``start_git`` is a long-running process (``git cat-file
--batch``), or queries run side by side and then waited for with ``wait_git``. GitPython is used only where an
object model of revisions helps (``nbcollab.git.revisions``: trees and blobs of two revisions
for ``diff`` and the review page); everything else is a plain process, which starts faster.

The filter's stand-ins (``nbcollab.git.filter_fallback`` and the launcher's shell script) run
when nbcollab itself may be gone, so they keep their own few lines of ``subprocess``.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from nbcollab.errors import GitError, NotARepository

# Seconds a git command on the local repository may take.
TIMEOUT = 120.0
# git commands that talk to a remote: as long as the network and the user allow.
_REMOTE = frozenset({"fetch", "push", "ls-remote", "pull", "clone"})


def run_git(
    args: Sequence[str],
    cwd: str | os.PathLike[str] | None = None,
    *,
    stdin: bytes | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = TIMEOUT,
) -> bytes:
    """git's standard output; GitError (NotARepository outside one) with git's own reason."""
    done = _run(args, cwd, stdin, env, timeout)
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        if "not a git repository" in message.lower():
            raise NotARepository(f"{cwd or Path.cwd()}: not inside a git repository")
        raise GitError(
            f"git {_command(args) or 'command'} failed: {complaint(message, done.returncode)}"
        )
    return done.stdout


def try_git(
    args: Sequence[str],
    cwd: str | os.PathLike[str] | None = None,
    *,
    stdin: bytes | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = TIMEOUT,
) -> subprocess.CompletedProcess[bytes]:
    """The finished command, whatever its exit code (GitError only when git could not run)."""
    return _run(args, cwd, stdin, env, timeout)


def git_output(
    args: Sequence[str], cwd: str | os.PathLike[str] | None = None, *, timeout: float = TIMEOUT
) -> str | None:
    """What a read-only query prints, stripped; None when it fails, prints nothing or git
    cannot run (for callers to whom a missing answer is an answer: a label, an attribute)."""
    try:
        done = _run(args, cwd, None, None, timeout)
    except GitError:
        return None
    out = done.stdout.decode("utf-8", "surrogateescape").strip()
    return out if done.returncode == 0 and out else None


def start_git(
    args: Sequence[str],
    cwd: str | os.PathLike[str] | None = None,
    *,
    stdin: int | IO[Any] | None = None,
    stdout: int | IO[Any] | None = subprocess.PIPE,
    stderr: int | IO[Any] | None = subprocess.DEVNULL,
    text: bool = False,
) -> subprocess.Popen[Any]:
    """A git process left running for the caller to talk to (GitError when git cannot start)."""
    try:
        return subprocess.Popen(
            ["git", *args], cwd=cwd, stdin=stdin, stdout=stdout, stderr=stderr, text=text
        )
    except OSError as exc:
        raise GitError(_not_runnable(exc)) from None


def wait_git(process: subprocess.Popen[Any]) -> tuple[int, Any]:
    """The exit code and standard output of a process ``start_git`` started for one answer
    (queries started side by side, then waited for), within the same time limit."""
    try:
        out = process.communicate(timeout=TIMEOUT)[0]
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        args = process.args if isinstance(process.args, list) else ["git"]
        raise GitError(_too_long([str(arg) for arg in args[1:2]] or ["git"], TIMEOUT)) from None
    return process.returncode, out


def complaint(stderr: str, code: int) -> str:
    """The line of git's standard error that says what went wrong."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for mark in ("! [", "fatal:", "error:"):
        found = [line for line in lines if line.startswith(mark)]
        if found:
            return found[0]
    return lines[0] if lines else f"exit code {code}"


def _run(
    args: Sequence[str],
    cwd: str | os.PathLike[str] | None,
    stdin: bytes | None,
    env: Mapping[str, str] | None,
    timeout: float | None,
) -> subprocess.CompletedProcess[bytes]:
    limit = None if _command(args) in _REMOTE else timeout
    try:
        return subprocess.run(
            ["git", *args],
            cwd=cwd,
            input=stdin,
            capture_output=True,
            check=False,
            timeout=limit,
            env={**os.environ, **env} if env else None,
        )
    except subprocess.TimeoutExpired:
        raise GitError(_too_long(args, limit or TIMEOUT)) from None
    except OSError as exc:
        raise GitError(_not_runnable(exc)) from None


# git's own options that take the next argument as their value (``git -C DIR fetch``).
_VALUED = frozenset({"-c", "-C", "--git-dir", "--work-tree", "--namespace", "--exec-path"})


def _command(args: Sequence[str]) -> str:
    """git's command in ``args``: the first word after git's own options."""
    words = iter(args)
    for word in words:
        if word in _VALUED:
            next(words, None)
        elif not word.startswith("-"):
            return word
    return ""


def _too_long(args: Sequence[str], limit: float) -> str:
    return (
        f"git {_command(args) or 'command'} took more than {limit:g} seconds and was stopped (is another git "
        "process holding a lock, or waiting for input?)"
    )


def _not_runnable(exc: OSError) -> str:
    return f"git failed: is it installed and on PATH? ({exc})"
