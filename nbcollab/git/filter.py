"""git's long-running filter process (protocol version 2): one process cleans every notebook.

git starts ``nbcollab filter-process`` once per command (``git add``, ``git status``, ...) and sends
it each file as pkt-lines: a 4-hex-digit length (header included) followed by at most 65516 bytes of
data; ``0000`` (flush) ends a list or a content. See gitattributes(5), "Long Running Filter
Process".

What the filter does with a file that is not a notebook it can read: it passes the bytes through
unchanged and prints one warning on stderr. A filter error would make git add, git status, git diff
and git stash fail on that file (``filter.nbcollab.required`` is true), and such files really occur:
broken JSON committed long ago, conflict markers left by a line merge. ``nbcollab clean --check``
and the pre-commit hook are what refuse them, naming the file.

Nor does the filter fail for its configuration (a pulled pyproject.toml with a TOML typo in
another tool's table): a file that is exactly what git already holds is answered with it, any
other is cleaned with the default options, with one warning (``FilterOptions``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, BinaryIO, TextIO

from nbcollab.errors import ConfigError, InvalidNotebook, NbcollabError
from nbcollab.git.conflict_note import conflict_note
from nbcollab.git.filter_fallback import StagedBlobs
from nbcollab.safe_text import terminal_safe

if TYPE_CHECKING:
    from nbcollab.notebook.lines import Notebook
    from nbcollab.options import CleanOptions
    from nbcollab.output_cache.session import CacheSession

MAX_PACKET_DATA = 65516
_IOV_MAX = 1024  # buffers per writev call (the limit on Linux, macOS and the BSDs)
_FLUSH = b"0000"

# Loads the clean options for a path (relative to the repository root); may raise ConfigError.
OptionsLoader = Callable[[str], "CleanOptions"]


class ProtocolError(NbcollabError):
    """git spoke something other than the filter protocol version 2."""


def read_packet(stream: BinaryIO) -> bytes | None:
    """The data of the next pkt-line, or None for a flush packet; EOFError when git hung up."""
    header = stream.read(4)
    if not header:
        raise EOFError
    if len(header) < 4:
        raise ProtocolError("filter protocol: git closed the pipe inside a packet header")
    try:
        length = int(header, 16)
    except ValueError:
        raise ProtocolError(f"filter protocol: bad packet header {header!r}") from None
    if length == 0:
        return None
    if length <= 4:
        raise ProtocolError(f"filter protocol: bad packet length {header!r}")
    data = stream.read(length - 4)
    if len(data) != length - 4:
        raise ProtocolError("filter protocol: git closed the pipe inside a packet")
    return data


def read_text_list(stream: BinaryIO) -> list[str]:
    """The text lines of one list, up to its flush packet (trailing newlines removed)."""
    lines = []
    while (packet := read_packet(stream)) is not None:
        lines.append(packet.decode("utf-8", "surrogateescape").removesuffix("\n"))
    return lines


def read_content(stream: BinaryIO) -> bytes:
    """A file's content: packets up to the next flush."""
    chunks = []
    while (packet := read_packet(stream)) is not None:
        chunks.append(packet)
    return b"".join(chunks)


def write_packet(out: BinaryIO, data: bytes | memoryview) -> None:
    """One pkt-line (``data`` must fit one packet)."""
    out.write(b"%04x" % (len(data) + 4))
    out.write(data)


def write_text_list(out: BinaryIO, *lines: str) -> None:
    """A list of text lines followed by a flush."""
    for line in lines:
        write_packet(out, f"{line}\n".encode())
    out.write(_FLUSH)


def write_content(out: BinaryIO, data: bytes) -> None:
    """Content split over as many packets as it needs, then a flush."""
    view = memoryview(data)  # slices of it copy nothing
    packets: list[bytes | memoryview] = []
    for start in range(0, len(data), MAX_PACKET_DATA):
        chunk = view[start : start + MAX_PACKET_DATA]
        packets += (b"%04x" % (len(chunk) + 4), chunk)
    packets.append(_FLUSH)
    try:
        fd = out.fileno() if hasattr(os, "writev") else -1  # not on Windows
    except (AttributeError, OSError, ValueError):  # not a file (a test's BytesIO)
        fd = -1
    if fd < 0:
        out.writelines(packets)
        return
    out.flush()  # what was written before goes first
    while packets:  # one system call for a whole file, not two a packet
        written = os.writev(fd, packets[:_IOV_MAX])
        done = 0
        while done < len(packets) and written >= len(packets[done]):
            written -= len(packets[done])
            done += 1
        packets = packets[done:]
        if written:  # a partial write stopped inside a buffer
            packets[0] = memoryview(packets[0])[written:]


def widen_pipe(fd: int) -> None:
    """Give the pipe at ``fd`` a 1 MiB buffer (Linux; elsewhere, or when refused, nothing).

    With the default 64 KiB, a notebook with its outputs crosses the pipe in hundreds of
    round trips between git and the filter, each a context switch on both sides."""
    try:
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)
    except (ImportError, AttributeError, OSError):
        pass  # not Linux, not a pipe, or above /proc/sys/fs/pipe-max-size


def handshake(stream: BinaryIO, out: BinaryIO) -> None:
    """Agree on version 2 and the capabilities clean and smudge."""
    welcome = read_text_list(stream)
    if not welcome or welcome[0] != "git-filter-client" or "version=2" not in welcome[1:]:
        raise ProtocolError(
            f"filter protocol: expected git-filter-client version=2, got {welcome!r} "
            "(nbcollab filter-process is run by git, not by hand)"
        )
    write_text_list(out, "git-filter-server", "version=2")
    out.flush()
    offered = read_text_list(stream)
    chosen = [c for c in ("capability=clean", "capability=smudge") if c in offered]
    write_text_list(out, *chosen)
    out.flush()


def clean_for_git(
    data: bytes, path: str, options: CleanOptions, err: TextIO
) -> tuple[bytes, Notebook | None]:
    """What git stores for ``data``: cleaned, or unchanged (with a warning) if not a notebook;
    and the notebook the stored bytes read as, when cleaning wrote them (else None)."""
    from nbcollab.clean.strip import clean_file

    try:
        cleaned = clean_file(data, path=path, options=options)
    except InvalidNotebook as exc:
        message = str(exc)
    except Exception as exc:  # noqa: BLE001 - whatever the bytes, git must not fail on the file
        message = f"{path}: internal error ({type(exc).__name__}: {exc}); please report it"
    else:
        return (data, None) if cleaned is None else cleaned
    err.write(
        f"nbcollab: warning: {terminal_safe(message, one_line=True)}; stored as it is, not cleaned\n"
    )
    err.flush()
    return data, None


class FilterOptions:
    """The clean options for each path, never failing: when a folder's configuration cannot be
    read (a TOML typo in another tool's table of a pulled pyproject.toml), the defaults and one
    warning for the whole process. A filter error would make git status, diff and switch exit
    128 on notebooks nobody touched; ``nbcollab clean --check`` and the hooks report the problem.
    """

    def __init__(self, load: OptionsLoader, err: TextIO) -> None:
        self._load = load
        self._err = err
        self._warned = False
        self.staged = StagedBlobs()

    def __call__(self, path: str) -> CleanOptions:
        return self.options_for(path)[0]

    def options_for(self, path: str) -> tuple[CleanOptions, bool]:
        """The options for ``path``, and whether they are the defaults for want of a config."""
        try:
            return self._load(path), False
        except Exception as exc:  # noqa: BLE001 - git must keep working whatever the config
            self._warn(path, exc)
            from nbcollab.options import CleanOptions

            return CleanOptions(), True

    def _warn(self, path: str, exc: Exception) -> None:
        if self._warned:
            return
        self._warned = True
        from pathlib import Path

        from nbcollab.config.fallback import config_problem

        problem = config_problem(exc, Path.cwd() / path)
        self._err.write(
            f"nbcollab: warning: {problem}; notebooks that changed are cleaned with the default "
            "options until it is fixed\n"
        )
        self._err.flush()


def answer(
    command: str,
    data: bytes,
    path: str,
    options_for: FilterOptions,
    err: TextIO,
    cache: CacheSession | None,
) -> bytes:
    """What git gets back for one file (``cache``: the output cache, or None)."""
    if command == "smudge":  # never raises: the blob as it is at worst
        return cache.restore(data, path, options_for) if cache is not None else data
    if command != "clean":
        raise ProtocolError(f"filter protocol: unknown command {command!r}")
    blob = _clean(data, path, options_for, err, cache)
    note = conflict_note(blob, path)
    if note is not None:  # stored all the same: see nbcollab.git.conflict_note
        err.write(f"nbcollab: warning: {terminal_safe(note, one_line=True)}\n")
        err.flush()
    return blob


def _clean(
    data: bytes, path: str, options_for: FilterOptions, err: TextIO, cache: CacheSession | None
) -> bytes:
    options, defaults = options_for.options_for(path)
    if defaults:  # what git already holds needs no options to be answered
        staged = options_for.staged.blob_for(path, data)
        if staged is not None:
            return staged
    known = cache.clean(data, path, options) if cache is not None else None
    if known is not None:
        return known  # a working file recorded (or restored) before: its blob, already known
    cleaned, written = clean_for_git(data, path, options, err)
    if cache is not None:
        cache.record(data, cleaned, path, options, written=written)  # never raises
    return cleaned


def serve(
    stream: BinaryIO,
    out: BinaryIO,
    err: TextIO,
    load_options: OptionsLoader,
    cache: CacheSession | None = None,
) -> None:
    """Answer git's requests until it closes the pipe (``cache``: see nbcollab.output_cache)."""
    handshake(stream, out)
    options_for = FilterOptions(load_options, err)
    while True:
        try:
            header = read_text_list(stream)
        except EOFError:
            return
        keys = dict(line.partition("=")[::2] for line in header)
        data = read_content(stream)
        path = keys.get("pathname", "<unknown>")
        command = keys.get("command", "")
        try:
            result = answer(command, data, path, options_for, err, cache)
        except Exception as exc:  # noqa: BLE001 - one bad file must not end git's whole command
            known = options_for.staged.blob_for(path, data) if command == "clean" else None
            if known is None:
                _refuse(out, err, path, exc)
                continue
            result = known  # whatever failed, what git already holds is the answer
        write_text_list(out, "status=success")
        write_content(out, result)
        write_text_list(out)  # an empty list keeps status=success
        out.flush()


def _refuse(out: BinaryIO, err: TextIO, path: str, exc: Exception) -> None:
    """Fail this one file loudly rather than let git store it uncleaned."""
    if isinstance(exc, (ConfigError, ProtocolError)):
        message = str(exc)
    else:
        message = f"internal error ({type(exc).__name__}: {exc}); please report it"
    err.write(terminal_safe(f"nbcollab: error: {path}: {message}", one_line=True) + "\n")
    err.flush()
    write_text_list(out, "status=error")
    out.flush()
