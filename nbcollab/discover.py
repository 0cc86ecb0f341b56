"""Finding the notebooks a command was given: files as they are, folders walked by one rule.

Every command that takes folders (``clean``, ``lint``, ``export``, ``trust``, ``conflicts``,
``resolve``) expands them here, so they all agree on what "the notebooks in this folder" means:

- every ``*.ipynb`` below the folder, in path order, each once;
- version-control folders (``.git``, ``.hg``, ``.svn``...) and Jupyter's ``.ipynb_checkpoints``
  are not entered;
- the walk never leaves the folder: a symbolic link to a file or folder outside it is skipped
  (a link whose target is inside is followed only as that target, when the walk reaches it);
- a FIFO, device or socket named ``*.ipynb`` is skipped (reading it would block or never end),
  as is a broken link.

Each skip comes with its reason, for the command to print. A file named on the command line is
taken as it is: reading it says what is wrong with it.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

NOTEBOOK_SUFFIX = ".ipynb"
# Folders a walk never enters: version control's own data, and Jupyter's autosaved copies.
SKIPPED_FOLDERS = frozenset(
    {".git", ".hg", ".svn", ".bzr", "_darcs", ".jj", "CVS", ".ipynb_checkpoints"}
)


@dataclass(frozen=True)
class Skipped:
    """Something named ``*.ipynb`` (or a folder) a walk did not take, and why."""

    path: Path
    reason: str


@dataclass
class Discovered:
    """The notebooks found, what was skipped, and the folders given that hold no notebook."""

    notebooks: list[Path] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    empty_folders: list[Path] = field(default_factory=list)


def discover_notebooks(paths: Iterable[Path]) -> Discovered:
    """Files as given; folders become the notebooks below them (see the module's rule)."""
    found = Discovered()
    for path in paths:
        if not path.is_dir():
            found.notebooks.append(path)
            continue
        below = sorted(_notebooks_below(path, found.skipped))
        if not below:
            found.empty_folders.append(path)
        found.notebooks.extend(below)
    found.notebooks = list(dict.fromkeys(found.notebooks))  # a file named twice is handled once
    return found


def _notebooks_below(folder: Path, skipped: list[Skipped]) -> Iterator[Path]:
    root = _resolved(folder) or folder.absolute()
    for dirpath, dirnames, filenames in os.walk(folder):  # never follows symlinked folders
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_FOLDERS)
        for name in dirnames:
            if (here / name).is_symlink():
                target = _resolved(here / name)
                if target is None or not target.is_relative_to(root):
                    outside = f"a symbolic link to a folder outside {folder}"
                    skipped.append(Skipped(here / name, outside))
        for name in filenames:
            if name.endswith(NOTEBOOK_SUFFIX):
                reason = _skip_reason(here / name, root, folder)
                if reason is None:
                    yield here / name
                else:
                    skipped.append(Skipped(here / name, reason))


def _skip_reason(path: Path, root: Path, folder: Path) -> str | None:
    """Why a notebook found below ``folder`` (resolved: ``root``) is not taken, or None."""
    if path.is_symlink():
        target = _resolved(path)
        if target is None:
            return "a broken symbolic link (or a loop of links)"
        if not target.is_relative_to(root):
            return f"a symbolic link to a file outside {folder}"
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        return f"cannot read ({exc.strerror})"
    return None if stat.S_ISREG(mode) else "not a regular file (a FIFO, device or socket)"


def _resolved(path: Path) -> Path | None:
    try:
        return path.resolve(strict=True)
    except (OSError, RuntimeError):  # a broken link, or a loop of links
        return None
