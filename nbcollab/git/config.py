"""The git edge: config, repository paths, attributes, version and staged blobs.

Config is read and written through git itself (``git config``, run by ``nbcollab.gitcmd``), so
nbcollab edits config files exactly as git does: other keys, comments and includes stay
untouched, and ``GIT_CONFIG_GLOBAL`` / XDG locations are honoured.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from nbcollab.errors import GitError, NotARepository
from nbcollab.gitcmd import run_git, try_git

Scope = Literal["local", "global"]


def _run(args: list[str], cwd: Path | None = None) -> tuple[int, str, str]:
    """``git ARGS``: (status, stdout, stderr), never raising on status."""
    done = try_git(args, cwd)
    return (
        done.returncode,
        done.stdout.decode("utf-8", "surrogateescape"),
        done.stderr.decode("utf-8", "replace"),
    )


@dataclass(frozen=True)
class Repository:
    """Where a repository keeps its work tree and its (common) git directory."""

    root: Path
    common_dir: Path


def find_repository(start: Path) -> Repository:
    """The repository holding ``start``, or NotARepository saying what to do."""
    folder = start if start.is_dir() else start.parent
    status, out = 1, ""
    if folder.is_dir():
        status, out, _ = _run(["rev-parse", "--is-bare-repository", "--git-common-dir"], folder)
    if status != 0:
        raise NotARepository(
            f"{start}: not inside a git repository (run `git init`, or use --global)"
        )
    bare, common = out.splitlines()[:2]
    if bare == "true":
        raise NotARepository(f"{start}: a bare repository has no work tree to install into")
    status, top, _ = _run(["rev-parse", "--show-toplevel"], folder)
    if status != 0 or not top.strip():
        raise NotARepository(f"{start}: inside a git directory, not a work tree to install into")
    common_dir = Path(common) if Path(common).is_absolute() else folder / common
    return Repository(Path(top.strip()), Path(os.path.normpath(common_dir.absolute())))


def git_version() -> tuple[int, ...]:
    """The version of the git on PATH, e.g. ``(2, 39, 5)``."""
    status, out, err = _run(["--version"])
    found = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", out)
    if status != 0 or found is None:
        raise GitError(f"git --version failed: {err.strip() or out.strip()}")
    return tuple(int(part) for part in found.groups() if part is not None)


def _scope_args(scope: Scope) -> list[str]:
    return ["config", f"--{scope}"]


def read_section_keys(scope: Scope, pattern: str, cwd: Path | None = None) -> dict[str, str]:
    """Config keys matching the regular expression ``pattern`` in one scope (last value wins)."""
    status, out, err = _run([*_scope_args(scope), "-z", "--get-regexp", pattern], cwd)
    if status not in (0, 1):
        raise GitError(f"git config --{scope} failed: {err.strip()}")
    found = {}
    for entry in filter(None, out.split("\0")):
        key, _, value = entry.partition("\n")
        found[key] = value
    return found


def set_value(scope: Scope, key: str, value: str, cwd: Path | None = None) -> None:
    """Set one config key."""
    status, _, err = _run([*_scope_args(scope), key, value], cwd)
    if status != 0:
        raise GitError(f"git config --{scope} {key} failed: {err.strip()}")


def unset_value(scope: Scope, key: str, cwd: Path | None = None) -> None:
    """Remove one config key (every value it has)."""
    status, _, err = _run([*_scope_args(scope), "--unset-all", key], cwd)
    if status not in (0, 5):  # 5: the key was not set
        raise GitError(f"git config --{scope} --unset-all {key} failed: {err.strip()}")


def global_attributes_file() -> Path:
    """The user's attributes file: core.attributesFile, else $XDG_CONFIG_HOME/git/attributes."""
    status, out, _ = _run(["config", "--global", "--path", "--get", "core.attributesFile"])
    if status == 0 and out.strip():
        return Path(out.strip()).expanduser()
    xdg = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(xdg) / "git" / "attributes"


def check_attributes(repo_root: Path, path: str, names: tuple[str, ...]) -> dict[str, str]:
    """The attribute values git applies to ``path`` ('unspecified' when none)."""
    status, out, err = _run(["check-attr", "-z", *names, "--", path], repo_root)
    if status != 0:
        raise GitError(f"git check-attr failed: {err.strip()}")
    fields = out.split("\0")
    return {fields[i + 1]: fields[i + 2] for i in range(0, len(fields) - 2, 3)}


def is_tracked(repo_root: Path, path: Path) -> bool:
    """Whether ``path`` (relative to the work tree's top) is in the index."""
    listed = run_git(["ls-files", "-z", "--", f":(literal){path.as_posix()}"], repo_root)
    return bool(listed.strip(b"\0"))


def staged_notebooks(cwd: Path, folders: list[str] | None = None) -> list[str]:
    """Notebooks added, copied, modified or renamed in the index (relative to cwd), under folders."""
    # Outside a repository `git diff` turns into `diff --no-index` and only complains of usage.
    run_git(["rev-parse", "--git-dir"], cwd)
    out = run_git(
        [
            "diff",
            "--cached",
            "--name-only",
            "-z",
            "--relative",
            "--diff-filter=ACMR",
            "--",
            *([f"{folder.rstrip('/')}/*.ipynb" for folder in folders] if folders else ["*.ipynb"]),
        ],
        cwd,
    )
    return [name for name in out.decode("utf-8", "surrogateescape").split("\0") if name]


def read_staged_blobs(paths: list[str], cwd: Path) -> dict[str, bytes | None]:
    """The staged content of each path (None when it is not in the index), via one cat-file."""
    listing = run_git(["ls-files", "-s", "-z", "--", *paths], cwd) if paths else b""
    shas: dict[str, str] = {}
    for entry in filter(None, listing.split(b"\0")):
        meta, _, name = entry.partition(b"\t")
        _mode, sha, stage = meta.decode().split()
        if stage == "0":  # paths are listed relative to cwd, as given
            shas[os.path.normpath(name.decode("utf-8", "surrogateescape"))] = sha
    blobs = _cat_blobs(sorted(set(shas.values())), cwd)
    found: dict[str, bytes | None] = {}
    for path in paths:
        staged_sha = shas.get(os.path.normpath(path))
        found[path] = None if staged_sha is None else blobs[staged_sha]
    return found


def _cat_blobs(shas: list[str], cwd: Path) -> dict[str, bytes]:
    if not shas:
        return {}
    request = "".join(f"{sha}\n" for sha in shas).encode()
    out = run_git(["cat-file", "--batch"], cwd, stdin=request)
    blobs, pos = {}, 0
    for sha in shas:
        header_end = out.index(b"\n", pos)
        size = int(out[pos:header_end].split()[2])
        blobs[sha] = out[header_end + 1 : header_end + 1 + size]
        pos = header_end + 1 + size + 1  # the content is followed by a newline
    return blobs
