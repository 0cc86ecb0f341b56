"""Finding the notebooks a command was given: files as they are, folders walked by one rule.

Every command that takes folders (``clean``, ``lint``, ``export``, ``trust``, ``conflicts``,
``resolve``) expands them here, so they all agree on what "the notebooks in this folder" means:

- every ``*.ipynb`` below the folder, in path order, each once;
- version-control folders (``.git``, ``.hg``, ``.svn``...), Jupyter's ``.ipynb_checkpoints``,
  and the folders installed packages live in (virtualenvs: ``.venv`` or any folder holding a
  ``pyvenv.cfg``; ``site-packages``, ``.tox``, ``.nox``, ``node_modules``) are not entered: the
  notebooks a package ships are not the project's;
- the walk never leaves the folder (``files.is_inside``, the check every writer makes): a
  symbolic link to a file or folder outside it is skipped (a linked folder whose target is
  inside is walked only as that target, when the walk reaches it);
- a FIFO, device or socket named ``*.ipynb`` is skipped (reading it would block or never end),
  as is a broken link.

Each skip comes with its reason, for the command to print. A file named on the command line is
taken as it is: reading it says what is wrong with it.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from nbcollab.files import is_inside

NOTEBOOK_SUFFIX = ".ipynb"
# Folders a walk never enters: version control's own data, Jupyter's autosaved copies, and
# where installed packages live (with any folder holding a virtualenv's pyvenv.cfg).
SKIPPED_FOLDERS = frozenset(
    {".git", ".hg", ".svn", ".bzr", "_darcs", ".jj", "CVS", ".ipynb_checkpoints"}
    | {".venv", "site-packages", ".tox", ".nox", "node_modules"}
)
_VIRTUALENV_MARK = "pyvenv.cfg"


def skipped_folder(folder: Path) -> bool:
    """Whether a walk leaves ``folder`` out (``SKIPPED_FOLDERS``, or a virtualenv)."""
    return folder.name in SKIPPED_FOLDERS or (folder / _VIRTUALENV_MARK).is_file()


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


def discover_notebooks(paths: Iterable[Path], *, exclude: Sequence[str] = ()) -> Discovered:
    """Files as given; folders become the notebooks below them (see the module's rule), less
    those ``exclude`` names (see ``excluded``)."""
    found = Discovered()
    for path in paths:
        if not path.is_dir():
            found.notebooks.append(path)
            continue
        below = sorted(_notebooks_below(path, found.skipped))
        if not below:
            found.empty_folders.append(path)
        found.notebooks.extend(below)
    # A file named twice is handled once.
    kept = (path for path in found.notebooks if not excluded(path, exclude))
    found.notebooks = list(dict.fromkeys(kept))
    return found


def excluded(path: Path, patterns: Sequence[str]) -> bool:
    """Whether a glob of ``patterns`` matches the path as given, or its name (``exclude`` of
    ``[tool.nbcollab.lint]`` and ``[tool.nbcollab.execute]``)."""
    posix = path.as_posix()
    return any(fnmatch.fnmatch(posix, p) or fnmatch.fnmatch(path.name, p) for p in patterns)


def _notebooks_below(folder: Path, skipped: list[Skipped]) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(folder):  # never follows symlinked folders
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not skipped_folder(here / d))
        for name in dirnames:
            if (here / name).is_symlink() and not is_inside(here / name, folder):
                outside = f"a symbolic link to a folder outside {_named(folder)}"
                skipped.append(Skipped(here / name, outside))
        for name in filenames:
            if name.endswith(NOTEBOOK_SUFFIX):
                reason = _skip_reason(here / name, folder)
                if reason is None:
                    yield here / name
                else:
                    skipped.append(Skipped(here / name, reason))


def _skip_reason(path: Path, folder: Path) -> str | None:
    """Why a notebook found below ``folder`` is not taken, or None."""
    if path.is_symlink():
        if _resolved(path) is None:
            return "a broken symbolic link (or a loop of links)"
        if not is_inside(path, folder):
            return f"a symbolic link to a file outside {_named(folder)}"
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        return f"cannot read ({exc.strerror})"
    return None if stat.S_ISREG(mode) else "not a regular file (a FIFO, device or socket)"


def _named(folder: Path) -> str:
    return "the current folder" if str(folder) == "." else str(folder)


def _resolved(path: Path) -> Path | None:
    try:
        return path.resolve(strict=True)
    except (OSError, RuntimeError):  # a broken link, or a loop of links
        return None
