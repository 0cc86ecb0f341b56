"""The attributes files ``install`` and ``uninstall`` edit: nbcollab's one line, and nothing else.

A file is read and planned before anything is written, so a refusal leaves the set-up as it was.
Two rules protect what is not nbcollab's: a file inside the repository is never written through
a symlink that leads out of it (a committed ``.gitattributes`` link could point anywhere on the
machine of whoever clones it), and a file is deleted only when nbcollab's line was all it held,
it is not a symlink and the repository does not track it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from nbcollab.errors import NbcollabError, NotARepository
from nbcollab.git import config as gitconfig
from nbcollab.git.config import Scope

DRIVER_NAME = "nbcollab"
PATTERN = "*.ipynb"
# The attributes of the drivers in nbcollab.git.install.DRIVERS, in the same order.
DRIVER_ATTRIBUTES = ("filter", "diff", "merge")


def attributes_line(attributes: tuple[str, ...]) -> str:
    """The line routing notebooks to the given drivers."""
    return " ".join([PATTERN, *(f"{name}={DRIVER_NAME}" for name in attributes)])


def parse_owned_line(line: str) -> tuple[str, ...] | None:
    """The drivers an attributes line written by nbcollab enables, or None for any other line."""
    tokens = line.split()
    allowed = {f"{name}={DRIVER_NAME}": name for name in DRIVER_ATTRIBUTES}
    if len(tokens) < 2 or tokens[0] != PATTERN or not all(tok in allowed for tok in tokens[1:]):
        return None
    return tuple(allowed[tok] for tok in tokens[1:])


def rewrite_attributes(text: str, line: str | None) -> str:
    """``text`` with nbcollab's line replaced by ``line`` (kept in place), or removed if None."""
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines()
    owned = [existing for existing in lines if parse_owned_line(existing) is not None]
    if owned == ([] if line is None else [line]):
        return text  # already as wanted: the file keeps its bytes
    kept: list[str] = []
    placed = False
    for existing in lines:
        if parse_owned_line(existing) is None:
            kept.append(existing)
        elif line is not None and not placed:
            kept.append(line)
            placed = True
    if line is not None and not placed:
        kept.append(line)
    return newline.join(kept) + newline if kept else ""


def attributes_files(scope: Scope, repo: gitconfig.Repository | None) -> dict[str, AttributesFile]:
    """The attributes files nbcollab may write in ``scope``, by name."""
    if scope == "global":
        return {"global": AttributesFile(gitconfig.global_attributes_file())}
    if repo is None:
        raise NotARepository("not inside a git repository (run `git init`, or use --global)")
    return {
        "gitattributes": AttributesFile(repo.root / ".gitattributes", repo.root, repo),
        "info": AttributesFile(repo.common_dir / "info" / "attributes", repo.common_dir),
    }


@dataclass(frozen=True)
class AttributesFile:
    """An attributes file, and the folder it must not lead out of (None: the user's own file)."""

    path: Path
    inside: Path | None = None
    # The repository that may track the file: a tracked file is never deleted, only edited.
    repo: gitconfig.Repository | None = None


@dataclass(frozen=True)
class FileChange:
    """A planned edit of one attributes file."""

    file: AttributesFile
    line: str | None  # nbcollab's line as it now is in the file (None: removed)
    text: str  # the new content; "" with delete=False keeps an empty file
    delete: bool


def plan_change(file: AttributesFile, line: str | None) -> FileChange | None:
    """What putting or removing nbcollab's line in ``file`` takes; None when nothing does."""
    path = file.path
    text = path.read_bytes().decode("utf-8", "surrogateescape") if path.is_file() else ""
    new_text = rewrite_attributes(text, line)
    if new_text == text:
        return None
    _refuse_leaving(file, line)
    # A symlink (to a dotfiles repository, say) stays, as does a file the repository tracks.
    delete = not new_text and path.is_file() and not path.is_symlink() and not _tracked(file)
    return FileChange(file, line, new_text, delete)


def _refuse_leaving(file: AttributesFile, line: str | None) -> None:
    """Never write through a symlink that leads out of the repository (a tracked link could
    point anywhere on the machine of whoever clones it)."""
    if file.inside is None:
        return
    target = Path(os.path.realpath(file.path))
    if target.is_relative_to(Path(os.path.realpath(file.inside))):
        return
    what = f"add the line '{line}' there yourself" if line else "edit it yourself"
    alternative = ", or use --attributes info" if line and file.repo is not None else ""
    raise NbcollabError(
        f"{file.path}: leads out of the repository (to {target}): nbcollab does not write "
        f"there; {what}{alternative}"
    )


def _tracked(file: AttributesFile) -> bool:
    if file.repo is None:
        return False
    return gitconfig.is_tracked(file.repo.root, file.path.relative_to(file.repo.root))


def apply_change(change: FileChange) -> None:
    """Write (or delete) the file as planned."""
    from nbcollab.files import write_atomic

    path = change.file.path
    if change.delete:
        path.unlink()  # an untracked file that held nothing but nbcollab's line
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, change.text.encode("utf-8", "surrogateescape"))


def describe_change(change: FileChange) -> str:
    """What was done, as one line."""
    path = change.file.path
    if change.line:
        return f"wrote '{change.line}' in {path}"
    if change.delete:
        return f"removed nbcollab's '{PATTERN}' line from {path} (and the file, now empty)"
    return f"removed nbcollab's '{PATTERN}' line from {path}"
