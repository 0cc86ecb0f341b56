"""The execution cache on disk: one small notebook per run that went to its end.

Layout under ``<git common dir>/nbcollab/execute-cache`` (or the folder ``--cache-dir`` names,
which CI persists between jobs)::

    entries/<first two digits of the key>/<key>.ipynb

An entry is a notebook holding, for each code cell, the outputs and execution count the run
gave, and in its metadata the key and the kernel's ``language_info``. It is written atomically
(a temporary file, then a rename), so two runners at once each leave a whole entry and a reader
never sees half of one. A cache may be restored from anywhere, so an entry is untrusted when
read: it goes through the one notebook reader and must name the key it is filed under and hold
as many code cells as the notebook; anything else is a miss. Nothing in an entry is ever run:
outputs are compared and shown as text. Reading an entry refreshes its mtime; ``evict`` removes
the least recently used entries beyond the size cap.
"""

from __future__ import annotations

import math
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nbcollab.errors import NbcollabError

CACHE_DIR = ("nbcollab", "execute-cache")
ENTRY_FORMAT = 1
_META = "nbcollab_execute"
_ENTRY_NAME = re.compile(r"^[0-9a-f]{64}\.ipynb$")
_STALE_TEMP_SECONDS = 3600


@dataclass(frozen=True)
class CachedRun:
    """What a cached run gave: each code cell's outputs and count, and the kernel's language."""

    outputs: list[list[dict[str, Any]]]
    counts: list[int | None]
    language_info: dict[str, Any]
    seconds: float
    slowest_cell: float | None = None  # None: not recorded (at most ``seconds``)

    def within(self, cell_timeout: float, timeout: float | None) -> bool:
        """Whether the run kept to these limits (a run cached under looser ones may not)."""
        slowest = self.seconds if self.slowest_cell is None else self.slowest_cell
        return slowest <= cell_timeout and (timeout is None or self.seconds <= timeout)


class RunStore:
    """The entries of one execution cache."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._entries = root / "entries"
        self.unwritable = False  # a write failed: the interface says so once

    def _path(self, key: str) -> Path:
        return self._entries / key[:2] / f"{key}.ipynb"

    def read(self, key: str, code_cells: int) -> CachedRun | None:
        """The run cached under ``key`` for a notebook of ``code_cells`` code cells, or None
        (absent, evicted, or not a valid entry for this key)."""
        from nbcollab.files import read_file_bytes
        from nbcollab.notebook.codec import parse_notebook

        path = self._path(key)
        if not path.is_file():
            return None
        try:
            nb = parse_notebook(read_file_bytes(path), path=str(path))
            found = _cached_run(nb, key, code_cells)
        except (NbcollabError, RecursionError):
            return None
        if found is not None:
            _touch_quietly(path)
        return found

    def write(self, key: str, run: CachedRun) -> bool:
        """File ``run`` under ``key``; False when the cache folder cannot hold it."""
        from nbcollab.files import write_atomic
        from nbcollab.notebook.codec import serialize_notebook

        path = self._path(key)
        written = _real_folder(self._entries) and _real_folder(path.parent)
        if written and path.is_symlink():
            path.unlink()  # write the entry itself, never where a planted link points
        try:
            if written:
                write_atomic(path, serialize_notebook(_entry_notebook(key, run)).encode("utf-8"))
        except NbcollabError:
            written = False
        self.unwritable = self.unwritable or not written
        return written

    def evict(self, max_bytes: int) -> int:
        """Remove the least recently used entries until at most ``max_bytes`` remain; how many
        were removed (temporary files a killed writer left behind go too)."""
        entries: list[tuple[float, int, Path]] = []
        for folder in _listdir(self._entries):
            for path in _listdir(folder):
                try:
                    info = path.lstat()
                except OSError:
                    continue  # removed meanwhile by another runner
                if _ENTRY_NAME.match(path.name):
                    entries.append((info.st_mtime, info.st_size, path))
                elif (
                    path.name.endswith(".tmp") and time.time() - info.st_mtime > _STALE_TEMP_SECONDS
                ):
                    _unlink_quietly(path)
        total = sum(size for _, size, _ in entries)
        removed = 0
        for _, size, path in sorted(entries):
            if total <= max_bytes:
                break
            removed += _unlink_quietly(path)
            total -= size
        return removed

    def clear(self) -> bool:
        """Remove every entry; True when there was a cache."""
        if not self._entries.exists():
            return False
        import shutil

        shutil.rmtree(self._entries, ignore_errors=True)
        return True


def _entry_notebook(key: str, run: CachedRun) -> dict[str, Any]:
    cells: list[dict[str, Any]] = [
        {
            "cell_type": "code",
            "execution_count": count,
            "id": f"c{index}",
            "metadata": {},
            "outputs": outputs,
            "source": "",
        }
        for index, (outputs, count) in enumerate(zip(run.outputs, run.counts))
    ]
    metadata = {
        _META: {
            "format": ENTRY_FORMAT,
            "key": key,
            "seconds": round(run.seconds, 3),
            "slowest_cell": None if run.slowest_cell is None else round(run.slowest_cell, 3),
        },
        "language_info": run.language_info,
    }
    return {"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}


def _cached_run(nb: dict[str, Any], key: str, code_cells: int) -> CachedRun | None:
    if nb.get("nbformat") != 4:
        return None
    metadata = nb.get("metadata", {})
    about = metadata.get(_META)
    if not isinstance(about, dict) or about.get("format") != ENTRY_FORMAT:
        return None
    if about.get("key") != key:
        return None  # filed under another key: copied or forged
    cells = nb.get("cells", [])
    if len(cells) != code_cells or any(c.get("cell_type") != "code" for c in cells):
        return None
    counts = [c.get("execution_count") for c in cells]
    if any(count is not None and not isinstance(count, int) for count in counts):
        return None
    language = metadata.get("language_info")
    return CachedRun(
        outputs=[list(c.get("outputs", [])) for c in cells],
        counts=counts,
        language_info=language if isinstance(language, dict) else {},
        seconds=_seconds(about.get("seconds")) or 0.0,
        slowest_cell=_seconds(about.get("slowest_cell")),
    )


def _seconds(value: Any) -> float | None:
    """A time an entry records, or None when it records none that makes sense."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) and value >= 0 else None


def _real_folder(folder: Path) -> bool:
    """Whether ``folder`` is (or now is) a folder of its own, not a link to elsewhere."""
    if folder.is_symlink():
        return False
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return folder.is_dir() and not folder.is_symlink()


def _listdir(folder: Path) -> list[Path]:
    if folder.is_symlink():
        return []
    try:
        return [folder / name for name in os.listdir(folder)]
    except OSError:
        return []


def _unlink_quietly(path: Path) -> int:
    try:
        path.unlink()
        return 1
    except OSError:
        return 0


def _touch_quietly(path: Path) -> None:
    try:
        os.utime(path)
    except OSError:
        pass  # a read-only cache: only the eviction order is lost
