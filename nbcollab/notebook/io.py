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
import tempfile
from pathlib import Path
from typing import Any

from nbcollab.errors import InvalidNotebook, NbcollabError
from nbcollab.notebook.lines import (
    Notebook,
    copy_for_writing,
    rejoin_lines,
    split_lines_v3,
    split_lines_v4,
    strip_transient,
    text_key,
)

__all__ = [
    "Notebook",
    "check_notebook_shape",
    "parse_notebook",
    "read_file_bytes",
    "read_notebook_file",
    "serialize_notebook",
    "strip_transient",
    "write_atomic",
]


SUPPORTED_MAJOR = (3, 4)
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def parse_notebook(data: bytes | str, *, path: str = "<stdin>") -> Notebook:
    """Parse notebook JSON into its in-memory form, or raise InvalidNotebook naming the place."""
    text = _decode(data, path)
    if not text.strip():
        raise InvalidNotebook(f"{path}: empty file, not a notebook")
    try:
        nb = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidNotebook(
            f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})"
        ) from None
    except RecursionError:
        raise InvalidNotebook(f"{path}: JSON nested too deeply") from None
    check_notebook_shape(nb, path=path)
    return rejoin_lines(nb)


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


def check_notebook_shape(nb: Any, *, path: str) -> None:
    """Check the few structural facts every nbcollab command relies on."""
    if not isinstance(nb, dict):
        raise InvalidNotebook(f"{path}: not a notebook (the JSON is not an object)")
    major = nb.get("nbformat")
    if major is None:
        raise InvalidNotebook(f"{path}: not a notebook (no 'nbformat' key)")
    if not isinstance(major, int) or isinstance(major, bool):
        raise InvalidNotebook(f"{path}: not a notebook ('nbformat' is not an integer)")
    if major not in SUPPORTED_MAJOR:
        raise InvalidNotebook(f"{path}: nbformat {major} is not supported (only 3 and 4)")
    minor = nb.get("nbformat_minor", 0)
    if not isinstance(minor, int) or isinstance(minor, bool):
        raise InvalidNotebook(f"{path}: not a notebook ('nbformat_minor' is not an integer)")
    if not isinstance(nb.get("metadata", {}), dict):
        raise InvalidNotebook(f"{path}: not a notebook ('metadata' is not an object)")
    cells = _cell_lists(nb, path)
    for cells_list in cells:
        for index, cell in enumerate(cells_list):
            _check_cell(cell, index, major, path)


def _cell_lists(nb: Notebook, path: str) -> list[list[Any]]:
    if nb["nbformat"] == 4:
        if not isinstance(nb.get("cells"), list):
            raise InvalidNotebook(f"{path}: not a notebook (no 'cells' list)")
        return [nb["cells"]]
    worksheets = nb.get("worksheets", [])  # nbformat reads a v3 file without any as empty
    if not isinstance(worksheets, list) or not all(
        isinstance(ws, dict) and isinstance(ws.get("cells"), list) for ws in worksheets
    ):
        raise InvalidNotebook(f"{path}: not a notebook (no 'worksheets' list of cells)")
    return [ws["cells"] for ws in worksheets]


def _check_cell(cell: Any, index: int, major: int, path: str) -> None:
    where = f"{path}: cell {index}"
    if not isinstance(cell, dict):
        raise InvalidNotebook(f"{where}: not an object")
    if not isinstance(cell.get("cell_type"), str):
        raise InvalidNotebook(f"{where}: no 'cell_type'")
    if not isinstance(cell.get("metadata", {}), dict):
        raise InvalidNotebook(f"{where}: 'metadata' is not an object")
    key = text_key(cell["cell_type"], major)
    text = cell.get(key, "")
    if not isinstance(text, str) and not (
        isinstance(text, list) and all(isinstance(line, str) for line in text)
    ):
        raise InvalidNotebook(f"{where}: '{key}' is not a string or a list of strings")
    if cell["cell_type"] == "code" and not isinstance(cell.get("outputs", []), list):
        raise InvalidNotebook(f"{where}: 'outputs' is not a list")
    for out_index, output in enumerate(cell.get("outputs", []) if cell["cell_type"] == "code" else []):
        if not isinstance(output, dict):
            raise InvalidNotebook(f"{where}: output {out_index} is not an object")


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


def read_file_bytes(path: str | os.PathLike[str]) -> bytes:
    """A file's bytes, or InvalidNotebook naming the file when it cannot be read."""
    try:
        return Path(path).read_bytes()
    except IsADirectoryError:
        raise InvalidNotebook(f"{path}: is a directory, not a notebook") from None
    except OSError as exc:
        raise InvalidNotebook(f"{path}: cannot read ({exc.strerror})") from None


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
