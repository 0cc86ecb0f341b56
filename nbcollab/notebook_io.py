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

Notebook = dict[str, Any]

SUPPORTED_MAJOR = (3, 4)
# v4: which mime types nbformat writes as lists of lines (besides every ``text/*``).
_SPLIT_MIMES = frozenset({"application/javascript", "image/svg+xml"})
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# v3: which output keys nbformat writes as lists of lines.
_V3_MULTILINE_OUTPUTS = ("text", "html", "svg", "latex", "javascript", "json")


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
    text_key = "input" if major == 3 and cell["cell_type"] == "code" else "source"
    text = cell.get(text_key, "")
    if not isinstance(text, str) and not (
        isinstance(text, list) and all(isinstance(line, str) for line in text)
    ):
        raise InvalidNotebook(f"{where}: '{text_key}' is not a string or a list of strings")
    if cell["cell_type"] == "code" and not isinstance(cell.get("outputs", []), list):
        raise InvalidNotebook(f"{where}: 'outputs' is not a list")
    for out_index, output in enumerate(cell.get("outputs", []) if cell["cell_type"] == "code" else []):
        if not isinstance(output, dict):
            raise InvalidNotebook(f"{where}: output {out_index} is not an object")


def iter_cells(nb: Notebook) -> list[dict[str, Any]]:
    """All cells of a v3 or v4 notebook, in order."""
    if nb.get("nbformat") == 3:
        return [cell for ws in nb.get("worksheets", []) for cell in ws["cells"]]
    return nb["cells"]


def _join(value: Any) -> Any:
    if isinstance(value, list) and all(isinstance(line, str) for line in value):
        return "".join(value)
    return value


def _is_json_mime(mime: str) -> bool:
    return mime == "application/json" or (mime.startswith("application/") and mime.endswith("+json"))


def _rejoin_bundle(bundle: Any) -> None:
    if isinstance(bundle, dict):
        for key, value in bundle.items():
            if not _is_json_mime(key):
                bundle[key] = _join(value)


def rejoin_lines(nb: Notebook) -> Notebook:
    """Join the multi-line fields nbformat stores as lists of lines (in place; returns nb)."""
    if nb["nbformat"] == 3:
        return _rejoin_lines_v3(nb)
    for cell in nb["cells"]:
        if "source" in cell:
            cell["source"] = _join(cell["source"])
        attachments = cell.get("attachments")
        if isinstance(attachments, dict):
            for bundle in attachments.values():
                _rejoin_bundle(bundle)
        if cell.get("cell_type") == "code":
            for output in cell.get("outputs", []):
                kind = output.get("output_type", "")
                if kind in ("execute_result", "display_data"):
                    _rejoin_bundle(output.get("data"))
                elif kind and "text" in output:
                    output["text"] = _join(output["text"])
    return nb


def _rejoin_lines_v3(nb: Notebook) -> Notebook:
    for cell in iter_cells(nb):
        if cell.get("cell_type") == "code":
            if "input" in cell:
                cell["input"] = _join(cell["input"])
            for output in cell.get("outputs", []):
                for key in _V3_MULTILINE_OUTPUTS:
                    if key in output:
                        output[key] = _join(output[key])
        else:
            for key in ("source", "rendered"):
                if key in cell:
                    cell[key] = _join(cell[key])
    return nb


def _split(value: Any) -> Any:
    return value.splitlines(True) if isinstance(value, str) else value


def _split_lines_v4(nb: Notebook) -> None:
    for cell in nb["cells"]:
        if "source" in cell:
            cell["source"] = _split(cell["source"])
        attachments = cell.get("attachments")
        if isinstance(attachments, dict):
            for bundle in attachments.values():
                if isinstance(bundle, dict):
                    for key, value in bundle.items():
                        if key.startswith("text/") or key in _SPLIT_MIMES:
                            bundle[key] = _split(value)
        if cell.get("cell_type") != "code":
            continue
        for output in cell.get("outputs", []):
            kind = output.get("output_type")
            if kind in ("execute_result", "display_data") and isinstance(output.get("data"), dict):
                data = output["data"]
                for key, value in data.items():
                    if key.startswith("text/") or key in _SPLIT_MIMES:
                        data[key] = _split(value)
            elif kind == "stream" and "text" in output:
                output["text"] = _split(output["text"])


def _split_lines_v3(nb: Notebook) -> None:
    for cell in iter_cells(nb):
        if cell.get("cell_type") == "code":
            if "input" in cell:
                cell["input"] = _split(cell["input"])
            for output in cell.get("outputs", []):
                for key in _V3_MULTILINE_OUTPUTS:
                    if key in output:
                        output[key] = _split(output[key])
        else:
            for key in ("source", "rendered"):
                if key in cell:
                    cell[key] = _split(cell[key])


def strip_transient(nb: Notebook) -> Notebook:
    """Drop what nbformat drops on reading and writing (signature, orig_nbformat, trusted); in place."""
    v3 = nb["nbformat"] == 3
    holder = nb if v3 else nb.get("metadata", {})
    for key in ("orig_nbformat", "orig_nbformat_minor") + (() if v3 else ("signature",)):
        holder.pop(key, None)
    for cell in iter_cells(nb):
        cell.get("metadata", {}).pop("trusted", None)
        if v3:
            cell.pop("trusted", None)
    return nb


def _copy_dict(value: Any) -> Any:
    return dict(value) if isinstance(value, dict) else value


def _copy_cell(cell: Any) -> Any:
    if not isinstance(cell, dict):
        return cell
    cell = dict(cell)
    if isinstance(cell.get("metadata"), dict):
        cell["metadata"] = dict(cell["metadata"])
    if isinstance(cell.get("attachments"), dict):
        cell["attachments"] = {name: _copy_dict(b) for name, b in cell["attachments"].items()}
    if isinstance(cell.get("outputs"), list):
        cell["outputs"] = [_copy_output(output) for output in cell["outputs"]]
    return cell


def _copy_output(output: Any) -> Any:
    output = _copy_dict(output)
    if isinstance(output, dict) and isinstance(output.get("data"), dict):
        output["data"] = dict(output["data"])
    return output


def _copy_for_writing(nb: Notebook) -> Notebook:
    """A copy of every container that writing changes; leaves are shared (never mutated)."""
    nb = dict(nb)
    if isinstance(nb.get("metadata"), dict):
        nb["metadata"] = dict(nb["metadata"])
    if "worksheets" in nb:
        nb["worksheets"] = [
            {**ws, "cells": [_copy_cell(cell) for cell in ws["cells"]]} for ws in nb["worksheets"]
        ]
    if "cells" in nb:
        nb["cells"] = [_copy_cell(cell) for cell in nb["cells"]]
    return nb


def serialize_notebook(nb: Notebook) -> str:
    """The text Jupyter writes for ``nb`` (nbformat's split lines, transient keys dropped)."""
    nb = _copy_for_writing(nb)
    major = nb["nbformat"]
    if major == 4:
        _split_lines_v4(nb)
    else:
        _split_lines_v3(nb)
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
