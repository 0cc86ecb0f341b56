"""The on-disk store of the output cache, inside the git directory and never committed.

Layout under ``<git common dir>/nbcollab/output-cache`` (shared by every worktree)::

    packs/<name>.pack   working files (with their outputs), blobs and cell indexes, one after
                        another
    packs/<name>.idx    one line per record: which blob a working file cleaned to under
                        which clean options, whether the user's Jupyter trusted it, and where
                        its bytes, the blob's, its cell index (``output_cache.cells``) and, for
                        a trusted one, its signed stream (``output_cache.signed``) are

The line format is versioned and documented in docs/formats.md ("The output cache").

Lines that older nbcollab versions wrote are upgraded as they are read (``read_record``), in one
place; lines of a version this one does not know are not records to it (a miss, never an error).

Each filter process that records something appends to a pack of its own, created on its first
new working file: creating files is what costs most here (git's own ``add`` creates one object a
file), so a whole ``git add`` costs two file creations, not two per notebook. Nothing is ever
rewritten in place and nothing is locked: a reader sees a record only after the bytes it names
were written, a torn last line is ignored, and everything read is checked, so a damaged pack is
detected, never restored: a working file against the CRC-32 of its line (tens of MB go through
a checkout; SHA-256 would cost twice as long for no better detection of damage), the rest against
its SHA-256 (a signed stream carries its own seal, checked where it is used). Reading a pack
refreshes its mtime; eviction removes whole packs, least recently used first.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
import time
import zlib
from pathlib import Path
from typing import Any, NamedTuple

from nbcollab.errors import NbcollabError

CACHE_DIR = ("nbcollab", "output-cache")
# Packs a process keeps open for reading (a checkout reads from a few; the oldest is closed).
_OPEN_READERS = 32
_PACK = r"[0-9a-f]+-[0-9]+-[0-9a-f]+"
# The index line format this version writes (its first field).
INDEX_VERSION = "3"
# Fields 2-17 of version 3, which version 2 lines are made of (after their version field).
_FIELDS_2 = (
    rf"([0-9a-f]{{32}}) ([0-9a-f]{{64}}) ([0-9a-f]{{64}}) ([0-9a-f]{{1,64}}) ([t-]) "
    rf"({_PACK}) (\d+) (\d+) ([0-9a-f]{{8}}) (?:({_PACK}) (\d+) (\d+)|- - -) "
    rf"(?:({_PACK}) (\d+) (\d+) ([0-9a-f]{{64}})|- - - -)"
)
_LINE = re.compile(rf"^3 {_FIELDS_2} (?:({_PACK}) (\d+) (\d+)|- - -)$")
_LINE_2 = re.compile(rf"^2 {_FIELDS_2}$")
# Version 1 had no version field; its lines had 7, 8, 10, 11, 14 or 15 fields (see _upgrade).
_LINE_1 = re.compile(
    rf"^([0-9a-f]{{32}}) ([0-9a-f]{{64}}) ([0-9a-f]{{64}}) ([0-9a-f]{{1,64}}) ({_PACK}) "
    rf"(\d+) (\d+)(?: ([0-9a-f]{{8}}))?(?: ({_PACK}) (\d+) (\d+)"
    rf"(?: ({_PACK}) (\d+) (\d+) ([0-9a-f]{{64}}))?)?$"
)


class CacheDamaged(NbcollabError):
    """A cache file is corrupt or cannot be read."""


class Usage(NamedTuple):
    """How much the store holds."""

    packs: int
    bytes: int


class Record(NamedTuple):
    """One recorded working file: which blob it cleaned to, and where its bytes are."""

    path_key: str
    blob: str
    working: str
    fingerprint: str
    pack: str
    offset: int
    length: int
    blob_at: Span | None = None  # where the blob's bytes are, when stored
    cells_at: Span | None = None  # where the cell index is, when stored
    cells: str = ""  # the cell index's SHA-256
    crc: int | None = None  # the working file's CRC-32 (None only in lines of version 1)
    trusted: bool = False  # the user's Jupyter trusted the working file when it was recorded
    signed_at: Span | None = None  # where its signed stream is, for a trusted one (version 3)


class Span(NamedTuple):
    """Where some bytes are: a pack, an offset and a length."""

    pack: str
    offset: int
    length: int


def sha256(data: bytes) -> str:
    """The name of ``data`` in the store."""
    return hashlib.sha256(data).hexdigest()


def path_key(path: str) -> str:
    """A notebook path as the index names it."""
    return sha256(path.encode("utf-8", "surrogateescape"))[:32]


def cache_root(common_dir: Path) -> Path:
    """Where a repository's cache lives, given ``git rev-parse --git-common-dir``."""
    return common_dir.joinpath(*CACHE_DIR)


class OutputStore:
    """The files of one repository's output cache, as one process sees them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._packs = root / "packs"
        # The index lines by path key, newest first, read once; each key's records are parsed
        # when first asked for (a large cache holds thousands, a command needs a few).
        self._lines: dict[str, list[str]] | None = None
        self._by_path: dict[str, list[Record]] = {}
        self._everything_seen = False  # whether every record is in _by_working and _blobs
        self._by_working: dict[str, Record] = {}
        self._blobs: dict[str, Span] = {}  # blob sha256 -> where its bytes are
        self._named: tuple[bytes, str] | None = None  # the last bytes hashed, and their name
        self._own: tuple[str, int, int] | None = None  # (name, pack fd, idx fd)
        self._readers: dict[str, int] = {}  # pack name -> descriptor open for reading

    def __del__(self) -> None:
        try:
            self.close()  # descriptors, when a caller did not
        except OSError:
            pass

    def records_for(self, path: str) -> list[Record]:
        """The records of ``path``, newest first."""
        return list(self._records(path_key(path)))

    def find(self, path: str, blob: str, fingerprint: str) -> Record | None:
        """The newest record of ``path`` that cleaned to ``blob`` with these options."""
        for record in self._records(path_key(path)):
            if record.blob == blob and record.fingerprint == fingerprint:
                return record
        return None

    def find_cleaned(self, path: str, working: bytes, fingerprint: str) -> Record | None:
        """The newest record of ``path`` for exactly ``working`` with these options, its blob
        stored."""
        name = self.name(working)
        for record in self._records(path_key(path)):
            if (record.working, record.fingerprint) == (name, fingerprint) and record.blob_at:
                return record
        return None

    def name(self, data: bytes) -> str:
        """``sha256(data)``, computed once for the file the filter is handling."""
        if self._named is None or self._named[0] is not data:
            self._named = (data, sha256(data))
        return self._named[1]

    def read(self, record: Record) -> bytes | None:
        """The working file of ``record``; None when evicted, CacheDamaged when corrupt."""
        span = Span(record.pack, record.offset, record.length)
        return self._read(span, record.working, record.crc)

    def read_blob(self, record: Record) -> bytes | None:
        """The blob of ``record``; None when not stored or evicted, CacheDamaged when corrupt."""
        return self._read(record.blob_at, record.blob) if record.blob_at else None

    def read_cells(self, record: Record) -> bytes | None:
        """The cell index of ``record``; None when not stored or evicted, CacheDamaged when
        corrupt."""
        return self._read(record.cells_at, record.cells) if record.cells_at else None

    def read_signed(self, record: Record) -> bytes | None:
        """The signed stream of ``record``, as stored: its seal is checked by its reader
        (``output_cache.signed``); None when there is none or it was evicted."""
        return self._read(record.signed_at, None) if record.signed_at else None

    def _read(self, span: Span, name: str | None, crc: int | None = None) -> bytes | None:
        fd = self._reader(span.pack)
        if fd is None:
            return None
        try:
            data = os.pread(fd, span.length, span.offset)
        except OSError as exc:
            problem = _cannot_read(exc)
        else:
            if len(data) == span.length and (
                name is None
                or (zlib.crc32(data) == crc if crc is not None else sha256(data) == name)
            ):
                return data
            problem = f"corrupt at offset {span.offset}"
        os.close(self._readers.pop(span.pack))  # opened again, as it may then be, next time
        raise CacheDamaged(f"{self._pack_path(span.pack)}: {problem}")

    def _reader(self, name: str) -> int | None:
        """A descriptor open on pack ``name``, kept for the next read; None when it is gone."""
        fd = self._readers.get(name)
        if fd is None:
            pack = self._pack_path(name)
            try:
                fd = _open_regular(pack)
            except FileNotFoundError:
                return None
            except OSError as exc:
                raise CacheDamaged(f"{pack}: {_cannot_read(exc)}") from None
            if len(self._readers) >= _OPEN_READERS:
                os.close(self._readers.pop(next(iter(self._readers))))
            self._readers[name] = fd
            # Once a process: the mtime only orders eviction.
            _touch_quietly(pack)
        return fd

    def _pack_path(self, name: str) -> Path:
        return self._packs / f"{name}.pack"

    def add(
        self,
        path: str,
        blob: str,
        working: bytes,
        fingerprint: str,
        blob_data: bytes | None = None,
        cells: bytes | None = None,
        *,
        trusted: bool = False,
        signed: bytes | None = None,
    ) -> int:
        """Record that ``working`` cleaned to ``blob`` (whose bytes are ``blob_data``, when
        given; ``cells``: its cell index, stored only with the blob; ``trusted``: the user's
        Jupyter trusts ``working``, and ``signed``: its signed stream); the number of bytes
        appended."""
        key, name = path_key(path), self.name(working)
        records = self._records(key)
        # Already known (git re-reading a restored file): nothing to write, not even a line.
        if any(
            (r.blob, r.working, r.fingerprint) == (blob, name, fingerprint)
            and (r.blob_at or blob_data is None)
            and (r.trusted or not trusted)
            and (r.signed_at or signed is None)
            for r in records
        ):
            return 0
        self._see_everything()  # bytes any record already stored are not stored twice
        known = self._by_working.get(name)
        written = 0
        if known is None or not self._has_pack(known.pack):
            pack, offset = self._append_pack(working)
            known = Record(key, blob, name, fingerprint, pack, offset, len(working))
            written = len(working)
        blob_at = self._blobs.get(blob)
        if blob_data is not None and (blob_at is None or not self._has_pack(blob_at.pack)):
            blob_at = Span(*self._append_pack(blob_data), len(blob_data))
            written += len(blob_data)
        cells_at = None
        if cells is not None and blob_data is not None:
            cells_at = Span(*self._append_pack(cells), len(cells))
            written += len(cells)
        signed_at = None
        if signed is not None and trusted:
            signed_at = Span(*self._append_pack(signed), len(signed))
            written += len(signed)
        record = Record(
            key,
            blob,
            name,
            fingerprint,
            known.pack,
            known.offset,
            known.length,
            blob_at if blob_data is not None else None,
            cells_at,
            sha256(cells) if cells is not None and cells_at is not None else "",
            zlib.crc32(working),
            trusted,
            signed_at,
        )
        self._append_index(record)
        records.insert(0, record)
        self._remember(record)
        return written

    def _has_pack(self, name: str) -> bool:
        return (self._packs / f"{name}.pack").exists()

    def _remember(self, record: Record) -> None:
        self._by_working[record.working] = record
        if record.blob_at is not None:
            self._blobs[record.blob] = record.blob_at

    def _append_pack(self, data: bytes) -> tuple[str, int]:
        name, pack_fd, _ = self._own_files()
        offset = os.lseek(pack_fd, 0, os.SEEK_END)
        _write_all(pack_fd, data)
        return name, offset

    def _append_index(self, record: Record) -> None:
        _, _, idx_fd = self._own_files()
        _write_all(idx_fd, f"{format_record(record)}\n".encode("ascii"))

    def _own_files(self) -> tuple[str, int, int]:
        if self._own is None:
            self._packs.mkdir(parents=True, exist_ok=True)
            name = f"{time.time_ns():x}-{os.getpid()}-{os.urandom(4).hex()}"
            flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_EXCL
            pack_fd = os.open(self._packs / f"{name}.pack", flags, 0o600)
            idx_fd = os.open(self._packs / f"{name}.idx", flags, 0o600)
            self._own = (name, pack_fd, idx_fd)
        return self._own

    def close(self) -> None:
        """Close the packs open for reading, and this process's own pack (the next record
        starts a new one)."""
        for fd in self._readers.values():
            os.close(fd)
        self._readers = {}
        if self._own is not None:
            for fd in self._own[1:]:
                os.close(fd)
            self._own = None

    def _index_lines(self) -> dict[str, list[str]]:
        if self._lines is None:
            self._lines = {}
            for idx in sorted(self._packs.glob("*.idx"), key=_mtime):
                for line in _read_lines(idx):
                    self._lines.setdefault(line_path_key(line), []).append(line)
            for lines in self._lines.values():
                lines.reverse()  # newest first
        return self._lines

    def _records(self, key: str) -> list[Record]:
        """The records of one path key, newest first (the list itself, kept up to date)."""
        records = self._by_path.get(key)
        if records is None:
            parsed = (read_record(line) for line in self._index_lines().get(key, ()))
            records = self._by_path[key] = [r for r in parsed if r is not None]
            for record in reversed(records):  # the newest one wins, as when they were added
                self._remember(record)
        return records

    def _see_everything(self) -> None:
        if not self._everything_seen:
            self._everything_seen = True
            for key in list(self._index_lines()):
                self._records(key)

    def usage(self) -> Usage:
        """The number and total size of the packs (with their indexes)."""
        packs = self._scan()
        return Usage(len(packs), sum(size for _, _, size in packs))

    def _scan(self) -> list[tuple[float, str, int]]:
        sizes: dict[str, list[float]] = {}
        for path in _listdir(self._packs):
            try:
                stat = path.stat()
            except OSError:
                continue  # removed meanwhile by another process
            entry = sizes.setdefault(path.stem, [0.0, 0])
            entry[0] = max(entry[0], stat.st_mtime) if path.suffix == ".pack" else entry[0]
            entry[1] += stat.st_size
        return [(mtime, name, int(size)) for name, (mtime, size) in sizes.items()]

    def evict(self, max_bytes: int) -> Usage:
        """Remove the least recently used packs until at most ``max_bytes`` remain; the freed."""
        own = self._own[0] if self._own else None
        packs = sorted(self._scan())
        total = sum(size for _, _, size in packs)
        freed = Usage(0, 0)
        for _, name, size in packs:
            if total <= max_bytes:
                break
            if name == own:
                self.close()
            if name in self._readers:  # its space is freed only once no one holds it open
                os.close(self._readers.pop(name))
            for suffix in (".pack", ".idx"):
                _unlink_quietly(self._packs / f"{name}{suffix}")
            freed = Usage(freed.packs + 1, freed.bytes + size)
            total -= size
        self._lines = None  # records may name removed packs: read the indexes again
        self._by_path = {}
        self._everything_seen = False
        self._by_working = {}
        self._blobs = {}
        return freed

    def prune(self) -> int:
        """Remove packs left without their index and indexes without their pack; how many."""
        files = _listdir(self._packs)
        stems = {p.stem for p in files if p.suffix == ".pack"} & {
            p.stem for p in files if p.suffix == ".idx"
        }
        own = self._own[0] if self._own else None
        orphans = [p for p in files if p.stem not in stems and p.stem != own]
        return sum(_unlink_quietly(p) for p in orphans)

    def clear(self) -> bool:
        """Remove the whole cache; True when there was one."""
        self.close()
        if not self.root.exists():
            return False
        import shutil  # only here: it imports every compression module

        shutil.rmtree(self.root, ignore_errors=True)
        return True


def _open_regular(path: Path) -> int:
    """``path`` opened for reading; OSError unless it is a regular file (a FIFO would hang git)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(errno.EINVAL, "not a regular file")
    return fd


def _cannot_read(exc: OSError) -> str:
    return f"cannot read ({exc.strerror or exc})"


def _read_lines(idx: Path) -> list[str]:
    try:
        with os.fdopen(_open_regular(idx), "rb") as handle:
            text = handle.read().decode("ascii", "replace")
    except OSError:
        return []  # evicted meanwhile, or unreadable: its records are simply not there
    return text.split("\n")


def format_record(record: Record) -> str:
    """The index line of ``record``, in the current format (``INDEX_VERSION``)."""
    blob_at, cells_at, signed_at = record.blob_at, record.cells_at, record.signed_at
    return " ".join(
        [
            INDEX_VERSION,
            record.path_key,
            record.blob,
            record.working,
            record.fingerprint,
            "t" if record.trusted else "-",
            record.pack,
            str(record.offset),
            str(record.length),
            f"{record.crc or 0:08x}",
            *((blob_at.pack, str(blob_at.offset), str(blob_at.length)) if blob_at else ["-"] * 3),
            *(
                (cells_at.pack, str(cells_at.offset), str(cells_at.length), record.cells)
                if cells_at and blob_at
                else ["-"] * 4
            ),
            *(
                (signed_at.pack, str(signed_at.offset), str(signed_at.length))
                if signed_at and record.trusted
                else ["-"] * 3
            ),
        ]
    )


def line_path_key(line: str) -> str:
    """The path key an index line is about, read without parsing the line."""
    # After a short version field; version 1 lines start with the key itself.
    space = line.find(" ", 0, 32)
    return line[space + 1 : space + 33] if space > 0 else line[:32]


def read_record(line: str) -> Record | None:
    """The record of one index line, of any version; None for a torn, damaged or unknown one."""
    match = _LINE.match(line)
    if match is None:
        return _upgrade(line)
    fields = match.groups()
    record = _record(fields[:4] + fields[5:8], fields[9:16], int(fields[8], 16), fields[4] == "t")
    signed_at = _span(*fields[16:19])
    return record._replace(signed_at=signed_at) if record.trusted else record


def _upgrade(line: str) -> Record | None:
    """A line of an older version as a current record, or None.

    Version 2: the fields of version 3 but the last three (no signed stream: a restore from it
    is judged by parsing the working file). Version 1: no version field, 7 fields and then, as
    they were added, the working file's CRC-32, the blob's span and the cell index's span and
    SHA-256. Without a CRC the working file is checked against its SHA-256; nothing recorded
    then is trusted (the flag did not exist)."""
    match = _LINE_2.match(line)
    if match is not None:
        fields = match.groups()
        return _record(fields[:4] + fields[5:8], fields[9:16], int(fields[8], 16), fields[4] == "t")
    match = _LINE_1.match(line)
    if match is None:
        return None
    fields = match.groups()
    return _record(fields[:7], fields[8:15], int(fields[7], 16) if fields[7] else None, False)


def _record(
    main: tuple[str | Any, ...], spans: tuple[str | Any, ...], crc: int | None, trusted: bool
) -> Record:
    """A record from a line's matched fields: the seven every version has, then the blob's and
    the cell index's spans (and the index's SHA-256), each None when absent."""
    key, blob, working, fingerprint, pack, offset, length = main
    blob_at, cells_at = _span(*spans[:3]), _span(*spans[3:6])
    sha = spans[6] or ""
    return Record(
        key,
        blob,
        working,
        fingerprint,
        pack,
        int(offset),
        int(length),
        blob_at,
        cells_at,
        sha,
        crc,
        trusted,
    )


def _span(pack: str | None, offset: str | None, length: str | None) -> Span | None:
    return Span(pack, int(offset), int(length)) if pack and offset and length else None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _listdir(folder: Path) -> list[Path]:
    try:
        return [folder / name for name in os.listdir(folder)]
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
