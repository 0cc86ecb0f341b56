"""The filter launcher's Python part: run nbcollab, or stand in for it without failing checkouts.

git starts the long-running filter for checkouts as well as for ``git add`` (the process serves
smudge too), and with ``filter.nbcollab.required`` it dies when the filter cannot start: the
checkout stops half done and the notebook is left deleted. So the launcher that ``nbcollab
install`` writes never fails to speak the protocol. It runs this code with the Python that
installed nbcollab, else with a ``python3`` found on PATH; ``launch`` then runs nbcollab if that
Python has it, else an ``nbcollab`` found on PATH, else the stand-in filter below:

- smudge is the identity (the outputs the output cache would restore stay out), so checkouts
  work;
- clean answers with the staged blob when the file is known to clean to it (``StagedBlobs``: it
  is that blob, or a working file the output cache recorded as cleaning to it, as git re-reads
  what a checkout wrote), and otherwise refuses the file loudly: ``git add`` of a notebook fails
  until ``nbcollab install`` is run again, rather than storing its outputs.

nbcollab's own filter uses ``StagedBlobs`` too, when it cannot read its configuration. The
install copies this file into the launcher, and any Python 3.6 or newer may run it: it imports
nothing from nbcollab, and keeps to that version's syntax and standard library (so ``shown``
repeats the one terminal-safe rendering, ``nbcollab.safe_text``; a test keeps them equal).
"""

import os
import sys

MYPY = False
if MYPY:  # for type checkers only: importing typing would slow every filter start
    from typing import BinaryIO, Callable, Dict, List, Optional, TextIO, Tuple

# hashlib, shutil and subprocess are imported where needed: the launcher runs this module before
# every filter process, and they would cost ~10 ms when nbcollab is there to take over.

_FLUSH = b"0000"
_MAX_DATA = 65516


def launch(recorded: str, args: "List[str]") -> None:
    """Run ``nbcollab ARGS``: this Python's nbcollab, one on PATH, else the stand-in filter."""
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]  # run with -c from the work tree: a folder there must not pass for nbcollab
    main: "Optional[Callable[[], None]]"
    try:
        from nbcollab.cli.main import main

        if list(args[:1]) == ["filter-process"]:  # what the process needs must import, too
            # (nbcollab.clean.strip comes later: if it fails, the process refuses each clean itself.)
            import nbcollab.config.folders
            import nbcollab.git.filter
            import nbcollab.output_cache.session  # noqa: F401
    except Exception:  # noqa: BLE001 - not installed in this Python, or installed but broken
        main = None
    if main is not None:
        sys.argv = ["nbcollab"] + list(args)
        main()
        return
    found = _working_nbcollab_on_path()
    if found:
        os.execv(found, [found] + list(args))
    problem = "nbcollab cannot run: {} is gone or has no nbcollab".format(recorded)
    if list(args[:1]) != ["filter-process"]:
        sys.stderr.write("nbcollab: {}; run `nbcollab install` again\n".format(problem))
        sys.exit(2)
    sys.exit(serve_stand_in(sys.stdin.buffer, sys.stdout.buffer, sys.stderr, problem))


def _working_nbcollab_on_path() -> "Optional[str]":
    import shutil
    import subprocess

    found = shutil.which("nbcollab")
    if not found:
        return None
    try:
        done = subprocess.run(
            [found, "--version"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=60
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return found if done.returncode == 0 and done.stdout.startswith(b"nbcollab") else None


def serve_stand_in(stream: "BinaryIO", out: "BinaryIO", err: "TextIO", problem: str) -> int:
    """Answer git as nbcollab's filter would, without nbcollab; 0 when git closes the pipe."""
    err.write("nbcollab: warning: {}; notebooks are checked out unchanged, and `git add` refuses "
              "them until you run `nbcollab install` again\n".format(problem))
    err.flush()
    try:
        _read_list(stream)  # git-filter-client, version=2
        _write_list(out, [b"git-filter-server", b"version=2"])
        offered = _read_list(stream)
        _write_list(out, [c for c in (b"capability=clean", b"capability=smudge") if c in offered])
        staged = StagedBlobs()
        while True:
            _serve_one(stream, out, err, problem, staged)
    except EOFError:
        return 0


def _serve_one(stream: "BinaryIO", out: "BinaryIO", err: "TextIO", problem: str,
               staged: "StagedBlobs") -> None:
    keys = dict(line.partition(b"=")[::2] for line in _read_list(stream))
    data = b"".join(_read_list(stream, text=False))
    path = keys.get(b"pathname", b"").decode("utf-8", "surrogateescape")
    if keys.get(b"command") == b"clean":
        known = staged.blob_for(path, data)
        if known is None:
            err.write("nbcollab: error: {}: {}; the notebook was not added\n".format(
                shown(path), problem))
            err.flush()
            _write_list(out, [b"status=error"])
            return
        data = known
    _write_list(out, [b"status=success"])
    for start in range(0, len(data), _MAX_DATA):
        _write_packet(out, data[start : start + _MAX_DATA])
    out.write(_FLUSH)
    _write_list(out, [])


class StagedBlobs:
    """What git already holds for a file that needs no cleaning to know its blob.

    Cleaning a file git has just checked out cannot change what is stored, and git re-cleans such
    files (racy git: written in the same second as the index). So a clean is answered with the
    blob the index holds for the path when the file is byte for byte that blob, or when it is a
    working file that the output cache recorded as cleaning to that blob (a notebook whose outputs
    the cache restored on checkout). The index is listed once; the cache's index files are read
    once, when first needed.
    """

    def __init__(self) -> None:
        self._staged = None  # type: Optional[Dict[bytes, str]]
        self._recorded = None  # type: Optional[Dict[Tuple[str, str], List[str]]]

    def blob_for(self, path: str, data: bytes) -> "Optional[bytes]":
        """The staged blob of ``path`` when ``data`` is known to clean to it, else None."""
        import hashlib

        staged = self._staged_ids().get(os.fsencode(path))
        if staged is None:
            return None
        digest = hashlib.sha1 if len(staged) == 40 else hashlib.sha256
        if digest(b"blob %d\0" % len(data) + data).hexdigest() == staged:
            return data
        key = hashlib.sha256(os.fsencode(path)).hexdigest()[:32]
        blobs = self._recorded_blobs().get((key, hashlib.sha256(data).hexdigest()))
        if not blobs:
            return None
        blob = _git(["cat-file", "blob", staged])
        return blob if blob is not None and hashlib.sha256(blob).hexdigest() in blobs else None

    def _staged_ids(self) -> "Dict[bytes, str]":
        if self._staged is None:
            self._staged = {}
            for entry in (_git(["ls-files", "-s", "-z"]) or b"").split(b"\0"):
                meta, _, name = entry.partition(b"\t")
                fields = meta.split()
                if len(fields) == 3 and fields[2] == b"0":
                    self._staged[name] = fields[1].decode("ascii")
        return self._staged

    def _recorded_blobs(self) -> "Dict[Tuple[str, str], List[str]]":
        """(path key, working file sha256) -> the sha256 of each blob it was recorded as
        cleaning to (``nbcollab.output_cache.store``'s index lines)."""
        if self._recorded is None:
            self._recorded = {}
            common = (_git(["rev-parse", "--git-common-dir"]) or b"").rstrip(b"\n")
            packs = os.path.join(os.fsdecode(common), "nbcollab", "output-cache", "packs")
            try:
                names = [n for n in os.listdir(packs) if n.endswith(".idx")] if common else []
            except OSError:
                names = []
            for name in names:
                lines = _read_regular(os.path.join(packs, name)).split(b"\n")
                for line in lines:
                    fields = line.decode("ascii", "replace").split(" ")
                    if 0 < len(fields[0]) < 32:  # a version field; version 1 lines had none
                        fields = fields[1:]
                    if len(fields) >= 7 and len(fields[1]) == len(fields[2]) == 64:
                        found = self._recorded.setdefault((fields[0], fields[2]), [])
                        found.append(fields[1])
        return self._recorded


def _read_regular(path: str) -> bytes:
    """The bytes of a regular file; nothing for anything else (a FIFO would block git)."""
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return b""
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return b""
        with os.fdopen(os.dup(fd), "rb") as handle:
            return handle.read()
    except OSError:
        return b""
    finally:
        os.close(fd)


def _git(args: "List[str]") -> "Optional[bytes]":
    """What ``git ARGS`` prints, or None when it fails."""
    import subprocess

    try:
        done = subprocess.run(["git"] + args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    except OSError:
        return None
    return done.stdout if done.returncode == 0 else None


def shown(text: str) -> str:
    """``text`` as ``nbcollab.safe_text.terminal_safe`` shows it on one line (this file cannot
    import nbcollab): control characters as pictures (ESC as U+241B), C1 controls and bidi
    controls as <U+XXXX>, a byte that is not UTF-8 as \\xNN."""
    out = []
    for char in text:
        code = ord(char)
        if code < 0x20 and char != "\t":
            out.append(chr(0x2400 + code))
        elif code == 0x7F:
            out.append("\u2421")
        elif 0xDC80 <= code <= 0xDCFF:
            out.append("\\x{:02x}".format(code - 0xDC00))
        elif 0x80 <= code <= 0x9F or 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069 or (
                0xD800 <= code <= 0xDFFF):
            out.append("<U+{:04X}>".format(code))
        else:
            out.append(char)
    return "".join(out)


def _read_packet(stream: "BinaryIO") -> "Optional[bytes]":
    header = stream.read(4)
    if len(header) < 4:
        raise EOFError
    length = int(header, 16)
    if length == 0:
        return None
    data = stream.read(length - 4)
    if len(data) != length - 4:
        raise EOFError
    return data


def _read_list(stream: "BinaryIO", text: bool = True) -> "List[bytes]":
    items: "List[bytes]" = []
    while True:
        packet = _read_packet(stream)
        if packet is None:
            return items
        items.append(packet[:-1] if text and packet.endswith(b"\n") else packet)


def _write_packet(out: "BinaryIO", data: bytes) -> None:
    out.write(b"%04x" % (len(data) + 4) + data)


def _write_list(out: "BinaryIO", lines: "List[bytes]") -> None:
    for line in lines:
        _write_packet(out, line + b"\n")
    out.write(_FLUSH)
    out.flush()
