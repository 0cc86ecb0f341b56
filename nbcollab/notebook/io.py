"""Read, check and write notebooks exactly as Jupyter does, without importing nbformat.

In memory a notebook is the parsed JSON with multi-line fields joined into single strings (what
``nbformat.reads`` gives, minus the ``NotebookNode`` wrapper). ``serialize_notebook`` splits them
again, drops the transient keys nbformat drops, and dumps with nbformat's JSON settings, so its
output equals ``nbformat.writes(nb) + "\\n"`` for every schema-valid v4 notebook.
"""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from nbcollab.errors import InvalidNotebook, NbcollabError
from nbcollab.notebook.lines import (
    Notebook,
    copy_for_writing,
    rejoin_lines,
    split_lines_v3,
    split_lines_v4,
    strip_transient,
)
from nbcollab.notebook.check import MAX_NESTING, check_notebook_shape

__all__ = [
    "Notebook",
    "check_notebook_shape",
    "parse_notebook",
    "read_file_bytes",
    "read_notebook_file",
    "read_stream_bytes",
    "serialize_notebook",
    "strip_transient",
    "write_atomic",
]


# Far above any real notebook (image-heavy ones reach tens of MiB), far below what memory holds:
# /dev/zero or a runaway log named .ipynb is refused instead of read until memory runs out.
MAX_NOTEBOOK_BYTES = 512 * 1024 * 1024
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def parse_notebook(data: bytes | str, *, path: str = "<stdin>") -> Notebook:
    """Parse notebook JSON into its in-memory form, or raise InvalidNotebook naming the place."""
    text = _decode(data, path)
    if not text.strip():
        raise InvalidNotebook(f"{path}: empty file, not a notebook")
    nb = _load_json(text, path)
    check_notebook_shape(nb, path=path)
    return rejoin_lines(nb)


class _DuplicateKey(Exception):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Jupyter (Python's json) keeps the last of two equal keys and never shows the first; a file
    # kept byte for byte because it looks clean would then carry content nobody sees (outputs
    # hidden under a first "cells" or "outputs"). Such a file is refused, naming the key.
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return obj


def _load_json(text: str, path: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise InvalidNotebook(
            f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})"
        ) from None
    except _DuplicateKey as exc:
        raise InvalidNotebook(
            f"{path}: duplicate key {exc.args[0]!r} in one JSON object "
            "(Jupyter would silently keep only the last one: remove the other)"
        ) from None
    except ValueError:
        # Python refuses to convert integers longer than its int-str limit (4300 digits).
        raise InvalidNotebook(f"{path}: a number too long to read (thousands of digits)") from None
    except RecursionError:
        raise InvalidNotebook(
            f"{path}: JSON nested more than {MAX_NESTING} levels deep"
        ) from None


def _decode(data: bytes | str, path: str) -> str:
    if isinstance(data, str):
        return data
    if b"\0" in data[:8192]:
        raise InvalidNotebook(f"{path}: binary file (NUL byte), not a notebook")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InvalidNotebook(f"{path}:{line}:{col}: not UTF-8 text, not a notebook") from None
    return text.removeprefix("\ufeff")


def serialize_notebook(nb: Notebook) -> str:
    """The text Jupyter writes for ``nb`` (nbformat's split lines, transient keys dropped)."""
    nb = copy_for_writing(nb)
    major = nb["nbformat"]
    if major == 4:
        split_lines_v4(nb)
    else:
        split_lines_v3(nb)
    strip_transient(nb)
    # nbformat's v3 writer keeps json's ensure_ascii default; its v4 writer turns it off.
    text = json.dumps(
        nb, indent=1, sort_keys=True, separators=(",", ": "), ensure_ascii=(major == 3)
    )
    if _LONE_SURROGATE.search(text):
        # JSON may escape a lone surrogate ("\udc80") but UTF-8 cannot carry one raw: keep the
        # escape, so the file stays valid UTF-8 and reads back as the same string.
        text = _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return text + "\n"


def read_file_bytes(path: str | os.PathLike[str], *, limit: int | None = None) -> bytes:
    """A regular file's bytes (at most ``limit``, MAX_NOTEBOOK_BYTES by default), or
    InvalidNotebook naming the file."""
    limit = MAX_NOTEBOOK_BYTES if limit is None else limit
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer that never comes.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise InvalidNotebook(f"{path}: cannot read ({exc.strerror})") from None
    try:
        _require_regular_file(os.fstat(fd), path, limit)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(limit + 1)  # the file may have grown since
    except OSError as exc:
        raise InvalidNotebook(f"{path}: cannot read ({exc.strerror})") from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise _too_large(path, limit)
    return data


def read_stream_bytes(stream: BinaryIO, *, path: str, limit: int | None = None) -> bytes:
    """All of ``stream`` (stdin), or InvalidNotebook once it passes ``limit`` bytes."""
    limit = MAX_NOTEBOOK_BYTES if limit is None else limit
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise _too_large(path, limit)
    return data


def _require_regular_file(info: os.stat_result, path: str | os.PathLike[str], limit: int) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise InvalidNotebook(f"{path}: is a directory, not a notebook")
    if not stat.S_ISREG(info.st_mode):
        raise InvalidNotebook(f"{path}: not a regular file (a FIFO, device or socket)")
    if info.st_size > limit:
        raise _too_large(path, limit)


def _too_large(path: str | os.PathLike[str], limit: int) -> InvalidNotebook:
    size = f"{limit >> 20} MiB" if limit >= 1 << 20 else f"{limit} bytes"
    return InvalidNotebook(f"{path}: larger than {size}, not read")


def read_notebook_file(path: str | os.PathLike[str]) -> tuple[bytes, Notebook]:
    """Read a notebook file: its raw bytes and its in-memory form."""
    data = read_file_bytes(path)
    return data, parse_notebook(data, path=str(path))


def write_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace ``path`` with ``data`` all at once: a temp file in the same folder, then rename.

    A symlink is followed (its target is replaced, the link stays). Raises NbcollabError naming
    the file when it cannot be written; the old content is then untouched.
    """
    target = Path(os.path.realpath(path))
    if target.is_dir():
        raise NbcollabError(f"{path}: is a directory, cannot write a notebook there")
    try:
        with _signals_as_exceptions():
            _replace(target, data)
    except OSError as exc:
        raise NbcollabError(f"{path}: cannot write ({exc.strerror or exc})") from None


def _replace(target: Path, data: bytes) -> None:
    mode = _existing_mode(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _existing_mode(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


class _Signalled(BaseException):
    """A termination signal that arrived while a temp file existed."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


_CLEANUP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, name)
)


@contextmanager
def _signals_as_exceptions() -> Iterator[None]:
    """While a temp file exists, a termination signal unwinds (removing it), then is delivered.

    Only in the main thread (the only one Python runs handlers in), and only for signals the
    process does not ignore; the previous handlers are back before the signal is raised again,
    so SIGTERM still ends the process and SIGINT still raises KeyboardInterrupt.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise _Signalled(signum)

    previous: dict[int, Any] = {}
    for signum in _CLEANUP_SIGNALS:
        if signal.getsignal(signum) not in (signal.SIG_IGN, None):
            previous[signum] = signal.signal(signum, interrupt)
    received: int | None = None
    try:
        yield
    except _Signalled as exc:
        received = exc.signum
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if received is not None:
        signal.raise_signal(received)
        raise KeyboardInterrupt  # the previous handler returned: the write was cut short anyway
