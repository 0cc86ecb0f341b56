"""The files a run depends on: lockfiles found on their own, and the globs a project declares.

A lockfile in the notebook's folder or any folder above it, up to the project's root, counts
(a monorepo's sub-project has its own). Declared inputs are globs relative to the folder of the
``pyproject.toml`` that declares them. Only regular files inside the root are read, each once a
run, by content: the configuration may come from anyone who can commit, so a glob never reads a
FIFO, a device or a file a symlink leads to outside the root.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import stat
from pathlib import Path

from nbcollab.execute.options import ExecuteOptions

LOCKFILE_PATTERNS = (
    "uv.lock",
    "poetry.lock",
    "pdm.lock",
    "Pipfile.lock",
    "pixi.lock",
    "pylock.toml",
    "pylock.*.toml",
    "conda-lock.yml",
    "environment.yml",
    "environment.yaml",
    "requirements*.txt",
    "constraints*.txt",
    "renv.lock",
    "Manifest.toml",
)
_CHUNK = 1 << 20


def is_lockfile(name: str) -> bool:
    """Whether a file name is one of the lockfiles found on their own."""
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in LOCKFILE_PATTERNS)


class InputHasher:
    """The inputs of each notebook under ``root``, every file hashed at most once."""

    def __init__(self, root: Path) -> None:
        self._root = root.resolve()
        self._hashes: dict[Path, str | None] = {}
        self._lockfiles: dict[Path, list[Path]] = {}

    def inputs_for(
        self, notebook: Path, options: ExecuteOptions, project: Path | None
    ) -> dict[str, str]:
        """Path (relative to the root, ``/``-separated) -> sha256, for every input."""
        found: dict[str, str] = {}
        candidates = self._lockfiles_above(notebook.resolve().parent) if options.lockfiles else []
        if project is not None:
            for pattern in options.inputs:
                candidates += sorted(project.resolve().glob(pattern))
        for path in candidates:
            digest = self._digest(path)
            if digest is not None:
                found[self.relative(path)] = digest
        return found

    def relative(self, path: Path) -> str:
        """``path`` relative to the root, as a ``/``-separated string ("." for the root)."""
        try:
            return path.resolve().relative_to(self._root).as_posix()
        except ValueError:
            return path.resolve().as_posix()

    def _lockfiles_above(self, folder: Path) -> list[Path]:
        found: list[Path] = []
        for current in (folder, *folder.parents):
            if current not in self._lockfiles:
                self._lockfiles[current] = _lockfiles_in(current)
            found += self._lockfiles[current]
            if current == self._root or not current.is_relative_to(self._root):
                break
        return found

    def _digest(self, path: Path) -> str | None:
        if path not in self._hashes:
            self._hashes[path] = self._read_digest(path)
        return self._hashes[path]

    def _read_digest(self, path: Path) -> str | None:
        real = path.resolve()
        if not real.is_relative_to(self._root):
            return None  # a symlink out of the project
        try:
            fd = os.open(real, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except OSError:
            return None
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return None
            hasher = hashlib.sha256()
            while chunk := os.read(fd, _CHUNK):
                hasher.update(chunk)
            return hasher.hexdigest()
        except OSError:
            return None
        finally:
            os.close(fd)


def _lockfiles_in(folder: Path) -> list[Path]:
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    return [folder / name for name in names if is_lockfile(name)]
