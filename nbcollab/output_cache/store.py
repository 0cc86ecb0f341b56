"""The on-disk store of the output cache, inside the git directory and never committed.

Layout under ``<git common dir>/nbcollab/output-cache`` (shared by every worktree)::

    objects/ab/<sha256>   file contents: working files with outputs, and their clean blobs
    files/ab/<sha256>     for a clean blob: "<sha256 of the working file> <options fingerprint>"
    paths/<sha256>        for a notebook path: recent "<blob sha256> <working sha256>" lines

Objects are content-addressed and checked against their name when read, so a torn or corrupt
file is detected, never restored. Every write is a temporary file in the same folder and an
``os.replace``: a reader sees the old file or the new one. Nothing is locked: two git processes
recording at once can only lose one of two ``paths`` updates, which costs a restore, not
correctness. Reading an object refreshes its mtime, which is what eviction orders by.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from nbcollab.errors import NbcollabError

CACHE_DIR = ("nbcollab", "output-cache")
PATH_RECORDS_KEPT = 8
_SHA = re.compile(r"^[0-9a-f]{64}$")


class CacheDamaged(NbcollabError):
    """A cache file is corrupt or cannot be read."""


@dataclass(frozen=True)
class Usage:
    """How much the store holds."""

    objects: int
    bytes: int


def sha256(data: bytes) -> str:
    """The name of ``data`` in the store."""
    return hashlib.sha256(data).hexdigest()


def cache_root(common_dir: Path) -> Path:
    """Where a repository's cache lives, given ``git rev-parse --git-common-dir``."""
    return common_dir.joinpath(*CACHE_DIR)


class OutputStore:
    """The files of one repository's output cache."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _object(self, name: str) -> Path:
        return self.root / "objects" / name[:2] / name

    def put_object(self, data: bytes) -> tuple[str, bool]:
        """Store ``data``; its name, and whether new bytes were written."""
        name = sha256(data)
        path = self._object(name)
        try:
            os.utime(path)
            return name, False
        except FileNotFoundError:
            _write_atomic(path, data)
            return name, True

    def get_object(self, name: str) -> bytes | None:
        """The object's bytes, or None when it is not there; CacheDamaged when corrupt."""
        path = self._object(name)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise CacheDamaged(f"{path}: cannot read ({exc.strerror or exc})") from None
        if sha256(data) != name:
            _unlink_quietly(path)
            raise CacheDamaged(f"{path}: corrupt (content does not match its name); removed")
        _touch_quietly(path)
        return data

    def set_working_file(self, blob: str, working: str, fingerprint: str) -> None:
        """Remember that cleaning ``working`` with options ``fingerprint`` gave ``blob``."""
        line = f"{working} {fingerprint}\n"
        path = self.root / "files" / blob[:2] / blob
        if _read_text(path) != line:
            _write_atomic(path, line.encode())

    def working_file(self, blob: str) -> tuple[str, str] | None:
        """``(working sha, fingerprint)`` recorded for ``blob``, or None."""
        text = _read_text(self.root / "files" / blob[:2] / blob)
        if text is None:
            return None
        parts = text.split()
        if len(parts) != 2 or not _SHA.match(parts[0]):
            raise CacheDamaged(f"{self.root}/files/{blob[:2]}/{blob}: corrupt")
        return parts[0], parts[1]

    def add_path_record(self, path: str, blob: str, working: str) -> None:
        """Put ``(blob, working)`` first among the recent records of ``path``."""
        file = self.root / "paths" / sha256(path.encode("utf-8", "surrogateescape"))
        try:
            old = self.path_records(path)
        except CacheDamaged:
            old = []
        records = [(blob, working)] + [r for r in old if r != (blob, working)]
        text = "".join(f"{b} {w}\n" for b, w in records[:PATH_RECORDS_KEPT])
        if _read_text(file) != text:
            _write_atomic(file, text.encode())

    def path_records(self, path: str) -> list[tuple[str, str]]:
        """The recent ``(blob sha, working sha)`` records of ``path``, newest first."""
        file = self.root / "paths" / sha256(path.encode("utf-8", "surrogateescape"))
        text = _read_text(file)
        records = []
        for line in (text or "").splitlines():
            parts = line.split()
            if len(parts) != 2 or not all(_SHA.match(p) for p in parts):
                raise CacheDamaged(f"{file}: corrupt")
            records.append((parts[0], parts[1]))
        return records

    def usage(self) -> Usage:
        """The number and total size of the stored objects."""
        sizes = [size for _, _, size in self._scan_objects()]
        return Usage(len(sizes), sum(sizes))

    def _scan_objects(self) -> list[tuple[float, Path, int]]:
        found = []
        for folder in _listdir(self.root / "objects"):
            for path in _listdir(folder):
                try:
                    stat = path.stat()
                except OSError:
                    continue  # removed meanwhile by another process
                found.append((stat.st_mtime, path, stat.st_size))
        return found

    def evict(self, max_bytes: int) -> Usage:
        """Remove the least recently used objects until at most ``max_bytes`` remain; the freed."""
        found = sorted(self._scan_objects())
        total = sum(size for _, _, size in found)
        freed = Usage(0, 0)
        for _, path, size in found:
            if total <= max_bytes:
                break
            if _unlink_quietly(path):
                freed = Usage(freed.objects + 1, freed.bytes + size)
            total -= size
        return freed

    def prune_records(self) -> int:
        """Remove ``files`` entries whose working file was evicted; how many."""
        removed = 0
        for folder in _listdir(self.root / "files"):
            for path in _listdir(folder):
                try:
                    found = self.working_file(path.name)
                except CacheDamaged:
                    found = None
                if found is None or not self._object(found[0]).exists():
                    removed += _unlink_quietly(path)
        return removed

    def clear(self) -> bool:
        """Remove the whole cache; True when there was one."""
        if not self.root.exists():
            return False
        shutil.rmtree(self.root, ignore_errors=True)
        return True


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        _unlink_quietly(Path(tmp))
        raise


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise CacheDamaged(f"{path}: cannot read ({exc})") from None


def _listdir(folder: Path) -> list[Path]:
    try:
        return [folder / name for name in os.listdir(folder) if not name.startswith(".tmp-")]
    except (FileNotFoundError, NotADirectoryError):
        return []


def _unlink_quietly(path: Path) -> bool:
    try:
        path.unlink()
        return True
    except OSError:
        return False


def _touch_quietly(path: Path) -> None:
    try:
        os.utime(path)
    except OSError:
        pass  # read-only cache: eviction order is all that is lost
