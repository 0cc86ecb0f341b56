"""Reading and writing files: bounded reads of regular files only, atomic writes that stay in
their folder.

The edge between the pure core and the file system. A read refuses what is not a regular file
(a FIFO would block, /dev/zero would never end) and anything larger than a notebook can be. A
write goes to a temporary file in the same folder and replaces the target in one step, so a
crash or a signal never leaves a half-written notebook, and the temporary file is removed.

``is_inside`` is the one check of "this write stays inside its root": a path whose symbolic
links (a dangling one too) lead out of the folder the user named, or out of the repository a
command works on, is refused, by ``write_atomic(..., root=...)`` and by every command that skips
such files. Links inside the root are followed, as everywhere else.
"""

from __future__ import annotations

import os
import signal
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO

from nbcollab.errors import InvalidNotebook, NbcollabError
from nbcollab.notebook.codec import Notebook, parse_notebook

# Far above any real notebook (image-heavy ones reach tens of MiB), far below what memory holds:
# /dev/zero or a runaway log named .ipynb is refused instead of read until memory runs out.
MAX_NOTEBOOK_BYTES = 512 * 1024 * 1024


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
        info = os.fstat(fd)
        _require_regular_file(info, path, limit)
        data = _read_to_end(fd, info.st_size, limit)
    except OSError as exc:
        raise InvalidNotebook(f"{path}: cannot read ({exc.strerror})") from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise _too_large(path, limit)
    return data


def is_null_device(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is the null device: how git and nbdime name a side that does not exist
    (a notebook added or deleted). Any other device, FIFO or socket is not."""
    try:
        info, null = os.stat(path), os.stat(os.devnull)
    except (OSError, ValueError):
        return False
    return stat.S_ISCHR(info.st_mode) and info.st_rdev == null.st_rdev


def read_side_bytes(path: str | os.PathLike[str]) -> bytes | None:
    """A version of a notebook given as a file: its bytes, or None for the null device (absent)."""
    return None if is_null_device(path) else read_file_bytes(path)


def _read_to_end(fd: int, size: int, limit: int) -> bytes:
    """What ``fd`` holds, up to ``limit + 1`` bytes: ``size`` (what fstat said) and one more in
    one read, then on while the file has grown since. A buffered read of ``limit + 1`` would
    first set aside ``limit`` bytes of memory for every file."""
    chunks = [os.read(fd, min(size, limit) + 1)]
    total = len(chunks[0])
    while chunks[-1] and total <= limit:
        chunks.append(os.read(fd, min(limit + 1 - total, 1 << 20)))
        total += len(chunks[-1])
    return b"".join(chunks)


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


class OutsideRoot(NbcollabError):
    """A write would leave the folder it must stay in (through a symbolic link, or a path)."""


def is_inside(path: str | os.PathLike[str], root: str | os.PathLike[str]) -> bool:
    """Whether ``path``, every symbolic link in it followed (a dangling one too), stays inside
    ``root`` (itself resolved)."""
    real, top = os.path.realpath(path), os.path.realpath(root)
    return real == top or real.startswith(os.path.join(top, ""))


def outside_message(path: str | os.PathLike[str], root: str | os.PathLike[str]) -> str:
    """``path: leads outside ROOT (to TARGET)``: what a refused write says about its path."""
    return f"{path}: leads outside {root} (to {os.path.realpath(path)})"


def write_atomic(
    path: str | os.PathLike[str], data: bytes, *, root: str | os.PathLike[str] | None = None
) -> None:
    """Replace ``path`` with ``data`` all at once: a temp file in the same folder, then rename.

    A symlink is followed (its target is replaced, the link stays); with ``root``, only while it
    stays inside ``root``: a path that leads outside raises OutsideRoot and nothing is written.
    Raises NbcollabError naming the file when it cannot be written; the old content is then
    untouched.
    """
    if root is not None and not is_inside(path, root):
        raise OutsideRoot(f"{outside_message(path, root)}; nothing written")
    target = os.path.realpath(path)
    try:
        with cleanup_on_signals():
            _replace(target, data, _mode_to_keep(target, path))
    except OSError as exc:
        raise NbcollabError(f"{path}: cannot write ({exc.strerror or exc})") from None


def _mode_to_keep(target: str, path: str | os.PathLike[str]) -> int:
    """The permissions of the file ``target`` replaces, or a new file's."""
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
    except OSError:
        return 0o666  # the write below says what is wrong
    if stat.S_ISDIR(mode):
        raise NbcollabError(f"{path}: is a directory, cannot write a notebook there")
    return mode & 0o7777


def _replace(target: str, data: bytes, mode: int) -> None:
    import tempfile  # only a write needs it (it imports shutil and random): checks start faster

    folder, name = os.path.split(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    try:
        try:
            written = 0
            while written < len(data):
                written += os.write(fd, data[written:] if written else data)
            os.fsync(fd)  # the new bytes are on disk before the name points to them
        finally:
            os.close(fd)
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


class _Signalled(BaseException):
    """A termination signal that arrived while a temp file existed."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


_CLEANUP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, name)
)


def _raise_signalled(signum: int, frame: object) -> None:
    raise _Signalled(signum)


@contextmanager
def cleanup_on_signals() -> Iterator[None]:
    """While temp files may exist, a termination signal unwinds (removing them), then is
    delivered. ``write_atomic`` holds it for each write; a loop of writes may hold it once
    around all of them, and the writes inside then set nothing up again.

    Only in the main thread (the only one Python runs handlers in), and only for signals the
    process does not ignore; the previous handlers are back before the signal is raised again,
    so SIGTERM still ends the process and SIGINT still raises KeyboardInterrupt.
    """
    import threading  # a write needs it, a read or a check does not

    if threading.current_thread() is not threading.main_thread() or (
        _CLEANUP_SIGNALS and signal.getsignal(_CLEANUP_SIGNALS[0]) is _raise_signalled
    ):
        yield  # not ours to catch, or already held around this write
        return
    previous: dict[int, Any] = {}
    for signum in _CLEANUP_SIGNALS:
        if signal.getsignal(signum) not in (signal.SIG_IGN, None):
            previous[signum] = signal.signal(signum, _raise_signalled)
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
