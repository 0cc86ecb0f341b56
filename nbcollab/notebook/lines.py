"""nbformat's on-disk conventions: multi-line text stored as lists of lines, transient keys.

In memory nbcollab joins the fields nbformat writes as lists of lines (``rejoin_lines``, what
``nbformat.reads`` does); writing splits exactly the same fields again (``split_lines``) and drops
the keys nbformat never stores (``strip_transient``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, TypeGuard

Notebook = dict[str, Any]

# nbformat 4.5's schema pattern for cell ids.
_VALID_CELL_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def is_valid_cell_id(value: Any) -> TypeGuard[str]:
    """Whether ``value`` is a cell id nbformat 4.5 accepts."""
    return isinstance(value, str) and _VALID_CELL_ID.match(value) is not None


def text_key(cell_type: Any, major: Any) -> str:
    """Where a cell keeps its text: ``input`` for v3 code cells, ``source`` otherwise."""
    return "input" if major == 3 and cell_type == "code" else "source"


def cell_source(cell: Mapping[str, Any]) -> str:
    """A cell's text as one string, whichever key and form it is stored in."""
    value = cell.get("source", cell.get("input", ""))
    return "".join(value) if isinstance(value, list) else str(value)


# v4: which mime types nbformat writes as lists of lines (besides every ``text/*``).
_SPLIT_MIMES = frozenset({"application/javascript", "image/svg+xml"})
# v3: which output keys nbformat writes as lists of lines.
_V3_MULTILINE_OUTPUTS = ("text", "html", "svg", "latex", "javascript", "json")


def iter_cells(nb: Notebook) -> list[dict[str, Any]]:
    """All cells of a v3 or v4 notebook, in order (v4: the notebook's own list)."""
    if nb.get("nbformat") == 3:
        return [cell for ws in nb.get("worksheets", []) for cell in ws.get("cells", [])]
    cells = nb.get("cells")
    return cells if isinstance(cells, list) else []


def _join(value: Any) -> Any:
    if isinstance(value, list):
        try:
            return "".join(value)  # refuses a list holding anything but strings: kept as it is
        except TypeError:
            pass
    return value


def _is_json_mime(mime: str) -> bool:
    return mime == "application/json" or (
        mime.startswith("application/") and mime.endswith("+json")
    )


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
    _map_v3_text(nb, _join)
    return nb


def _map_v3_text(nb: Notebook, convert: Callable[[Any], Any]) -> None:
    """Apply ``convert`` to every field nbformat's v3 format stores as lines (in place)."""
    for cell in iter_cells(nb):
        if cell.get("cell_type") != "code":
            _convert_keys(cell, ("source", "rendered"), convert)
            continue
        _convert_keys(cell, ("input",), convert)
        for output in cell.get("outputs", []):
            _convert_keys(output, _V3_MULTILINE_OUTPUTS, convert)


def _convert_keys(
    holder: dict[str, Any], keys: tuple[str, ...], convert: Callable[[Any], Any]
) -> None:
    for key in keys:
        if key in holder:
            holder[key] = convert(holder[key])


def _split(value: Any) -> Any:
    return value.splitlines(True) if isinstance(value, str) else value


def _split_bundle(bundle: Any) -> None:
    # Unlike joining (every non-JSON mime), nbformat splits only text/* and a few others.
    if isinstance(bundle, dict):
        for key, value in bundle.items():
            if key.startswith("text/") or key in _SPLIT_MIMES:
                bundle[key] = _split(value)


def split_lines_v4(nb: Notebook) -> None:
    for cell in nb["cells"]:
        if "source" in cell:
            cell["source"] = _split(cell["source"])
        attachments = cell.get("attachments")
        if isinstance(attachments, dict):
            for bundle in attachments.values():
                _split_bundle(bundle)
        if cell.get("cell_type") != "code":
            continue
        for output in cell.get("outputs", []):
            kind = output.get("output_type")
            if kind in ("execute_result", "display_data"):
                _split_bundle(output.get("data"))
            elif kind == "stream" and "text" in output:
                output["text"] = _split(output["text"])


def split_lines_v3(nb: Notebook) -> None:
    """Split the v3 fields nbformat's v3 writer stores as lists of lines (in place)."""
    _map_v3_text(nb, _split)


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


def copy_for_writing(nb: Notebook) -> Notebook:
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
