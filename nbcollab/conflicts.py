"""Merge conflicts inside a notebook: the record in its metadata, the markers, and resolving them.

A merge that conflicts writes a valid notebook in which every conflict is visible twice: in the
cells (git-style markers in the source, a one-line ``<<<<<<< nbcollab: ...`` note for conflicts
outside the source, marker outputs around both sides' outputs) and in a machine-readable record,
``metadata.nbcollab.conflicts``. Resolving removes both. Pure functions on notebook dicts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nbcollab.markers import (
    DEFAULT_MARKER_SIZE,
    Resolution,
    has_markers,
    remove_notes,
    resolve_outputs,
    resolve_text,
)

Notebook = dict[str, Any]
METADATA_NOTE_ID = "nbcollab-merge-note"


@dataclass
class Conflict:
    """One conflict of a merge: its kind, the merged cell it is in (index), and resolve data."""

    kind: str  # source | delete-edit | metadata | attachments | cell-type | outputs | notebook-metadata
    cell: int | None
    detail: dict[str, Any] = field(default_factory=dict)
    cell_id: str | None = None

    def to_record(self, marker_size: int) -> dict[str, Any]:
        """The JSON entry written into ``metadata.nbcollab.conflicts``."""
        return {"kind": self.kind, "cell": self.cell_id, "index": self.cell,
                "marker_size": marker_size, **self.detail}


def describe(entry: dict[str, Any]) -> str:
    """One line saying where a recorded conflict is and why."""
    where = _where(entry)
    kind = entry.get("kind", "?")
    if kind == "source":
        return f"{where}: both sides changed the same lines ({len(entry.get('hunks', []))} hunk(s))"
    if kind == "delete-edit":
        return f"{where}: deleted by {entry.get('deleted_by')}, edited by the other side (kept)"
    if kind in ("metadata", "attachments", "notebook-metadata"):
        paths = ", ".join(".".join(v["path"]) or "(all)" for v in entry.get("values", []))
        return f"{where}: both sides changed {kind} ({paths}); kept ours"
    if kind == "cell-type":
        return f"{where}: cell type changed differently on both sides; kept ours"
    if kind == "outputs":
        return f"{where}: both sides changed the outputs (both kept between marker outputs)"
    return f"{where}: {kind}"


def _where(entry: dict[str, Any]) -> str:
    if entry.get("kind") == "notebook-metadata":
        return "notebook metadata"
    cell_id = entry.get("cell")
    return f"cell {entry.get('index')}" + (f" (id {cell_id})" if cell_id else "")


def record_conflicts(nb: Notebook, conflicts: list[Conflict], *, marker_size: int) -> None:
    """Write the record of ``conflicts`` into ``nb``'s metadata (in place); none: no record."""
    holder = nb.setdefault("metadata", {})
    own = dict(holder.get("nbcollab") or {})
    own.pop("conflicts", None)
    if conflicts:
        own["conflicts"] = [c.to_record(marker_size) for c in conflicts]
    if own:
        holder["nbcollab"] = own
    else:
        holder.pop("nbcollab", None)


def read_record(nb: Notebook) -> list[dict[str, Any]]:
    """The recorded conflicts of ``nb`` (entries that are not objects are ignored)."""
    own = nb.get("metadata", {}).get("nbcollab")
    entries = own.get("conflicts") if isinstance(own, dict) else None
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def strip_record(nb: Notebook) -> Notebook:
    """``nb`` without a conflict record (shallow copies; the input is not changed)."""
    own = nb.get("metadata", {}).get("nbcollab")
    if not isinstance(own, dict) or "conflicts" not in own:
        return nb
    metadata = dict(nb["metadata"])
    rest = {k: v for k, v in own.items() if k != "conflicts"}
    if rest:
        metadata["nbcollab"] = rest
    else:
        del metadata["nbcollab"]
    return {**nb, "metadata": metadata}




# --- finding ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """An unresolved conflict: where it is and what it is."""

    index: int | None
    cell_id: str | None
    kind: str
    message: str


def _cells(nb: Notebook) -> list[dict[str, Any]]:
    if nb.get("nbformat") == 3:
        return [cell for ws in nb.get("worksheets", []) for cell in ws.get("cells", [])]
    cells = nb.get("cells")
    return cells if isinstance(cells, list) else []


def _text_key(cell: dict[str, Any], nb: Notebook) -> str:
    return "input" if nb.get("nbformat") == 3 and cell.get("cell_type") == "code" else "source"


def _text(cell: dict[str, Any], nb: Notebook) -> str:
    value = cell.get(_text_key(cell, nb), "")
    return value if isinstance(value, str) else "".join(str(v) for v in value)


def _locate(entry: dict[str, Any], cells: list[dict[str, Any]]) -> int | None:
    cell_id = entry.get("cell")
    if isinstance(cell_id, str):
        for index, cell in enumerate(cells):
            if cell.get("id") == cell_id:
                return index
    recorded = entry.get("index")
    if isinstance(recorded, int) and 0 <= recorded < len(cells) and not (
        isinstance(cell_id, str) and cells[recorded].get("id") not in (None, cell_id)
    ):
        return recorded
    return None


def _cell_marked(cell: dict[str, Any], nb: Notebook, size: int) -> bool:
    outputs = cell.get("outputs")
    return has_markers(_text(cell, nb), size) or (
        isinstance(outputs, list) and resolve_outputs(outputs, Resolution.OURS, size) is not None
    )


def find_conflicts(nb: Notebook) -> list[Finding]:
    """Recorded conflicts still marked in the notebook, then markers left without a record."""
    cells = _cells(nb)
    found: list[Finding] = []
    covered: set[int] = set()
    for entry in read_record(nb):
        index = _locate(entry, cells)
        size = _marker_size(entry)
        if index is not None and _cell_marked(cells[index], nb, size):
            covered.add(index)
            found.append(Finding(index, cells[index].get("id"), str(entry.get("kind")),
                                 describe({**entry, "index": index})))
    for index, cell in enumerate(cells):
        if index not in covered and _cell_marked(cell, nb, DEFAULT_MARKER_SIZE):
            cell_id = cell.get("id")
            where = f"cell {index}" + (f" (id {cell_id})" if cell_id else "")
            found.append(Finding(index, cell_id, "markers", f"{where}: conflict markers left"))
    return found


def _marker_size(entry: dict[str, Any]) -> int:
    size = entry.get("marker_size")
    return size if isinstance(size, int) and 1 <= size <= 1000 else DEFAULT_MARKER_SIZE


# --- resolving -------------------------------------------------------------------------------


@dataclass
class ResolveOutcome:
    """A resolved notebook, how many conflicts were resolved and which could not be."""

    notebook: Notebook
    resolved: int
    failed: list[str] = field(default_factory=list)


def resolve_conflicts(nb: Notebook, choice: Resolution, *, cell: str | None = None
                      ) -> ResolveOutcome:
    """Resolve the conflicts of ``nb`` (of one cell: id or index) to ``choice``; a new notebook."""
    nb = _copy_cells(nb)
    cells = _cells(nb)
    kept_entries: list[dict[str, Any]] = []
    doomed: set[int] = set()
    resolved = 0
    failed: list[str] = []
    done: set[int] = set()
    for entry in read_record(nb):
        index = _locate(entry, cells)
        if index is not None and not _in_scope(cells[index], index, cell):
            kept_entries.append(entry)
            continue
        if index is not None and _cell_marked(cells[index], nb, _marker_size(entry)):
            if not _apply(nb, cells, index, entry, choice, doomed):
                failed.append(describe({**entry, "index": index}))
                kept_entries.append(entry)
                continue
            resolved += 1
        done.add(index if index is not None else -1)
    resolved += _resolve_unrecorded(nb, cells, choice, cell, done, failed)
    _delete_cells(nb, doomed)
    _rewrite_record(nb, kept_entries)
    return ResolveOutcome(nb, resolved, failed)


def _in_scope(cell: dict[str, Any], index: int, wanted: str | None) -> bool:
    return wanted is None or wanted == cell.get("id") or wanted == str(index)


def _copy_cells(nb: Notebook) -> Notebook:
    nb = {**nb, "metadata": dict(nb.get("metadata", {}))}
    if nb.get("nbformat") == 3:
        nb["worksheets"] = [{**ws, "cells": [dict(c) for c in ws.get("cells", [])]}
                            for ws in nb.get("worksheets", [])]
    else:
        nb["cells"] = [dict(c) for c in nb.get("cells", [])]
    return nb


def _resolve_unrecorded(nb: Notebook, cells: list[dict[str, Any]], choice: Resolution,
                        wanted: str | None, done: set[int], failed: list[str]) -> int:
    """Markers without a record (from another tool or an older merge): resolve them by text."""
    resolved = 0
    for index, cell in enumerate(cells):
        if index in done or not _in_scope(cell, index, wanted):
            continue
        if not _cell_marked(cell, nb, DEFAULT_MARKER_SIZE):
            continue
        if _resolve_cell_text(cell, nb, choice, DEFAULT_MARKER_SIZE, None):
            cell.update(_resolved_outputs(cell, choice, DEFAULT_MARKER_SIZE))
            resolved += 1
        else:
            failed.append(f"cell {index}: markers cannot be resolved to {choice.value}")
    return resolved


def _resolve_cell_text(cell: dict[str, Any], nb: Notebook, choice: Resolution, size: int,
                       hunk_bases: list[str] | None) -> bool:
    text = resolve_text(_text(cell, nb), choice, size, hunk_bases)
    if text is None:
        return False
    cell[_text_key(cell, nb)] = text
    return True


def _resolved_outputs(cell: dict[str, Any], choice: Resolution, size: int) -> dict[str, Any]:
    outputs = cell.get("outputs")
    picked = resolve_outputs(outputs, choice, size) if isinstance(outputs, list) else None
    return {} if picked is None else {"outputs": picked}


def _apply(nb: Notebook, cells: list[dict[str, Any]], index: int, entry: dict[str, Any],
           choice: Resolution, doomed: set[int]) -> bool:
    """Resolve one recorded conflict in place; False when it cannot be done."""
    cell, kind, size = cells[index], entry.get("kind"), _marker_size(entry)
    if kind == "source":
        return _resolve_cell_text(cell, nb, choice, size, entry.get("hunks"))
    if kind == "delete-edit":
        return _apply_delete_edit(cell, nb, index, entry, choice, doomed)
    if kind == "outputs":
        cell.update(_resolved_outputs(cell, choice, size))
        return True
    if kind == "cell-type":
        _set_cell_type(cell, entry.get("ours" if choice is Resolution.UNION else choice.value))
    elif kind == "notebook-metadata":
        _apply_values(nb["metadata"], entry, choice)
        doomed.add(index)
        return True
    elif kind in ("metadata", "attachments"):
        _apply_values(cell, entry, choice, relative_to_cell=True)
    cell[_text_key(cell, nb)] = remove_notes(_text(cell, nb), size)
    return True


def _apply_delete_edit(cell: dict[str, Any], nb: Notebook, index: int, entry: dict[str, Any],
                       choice: Resolution, doomed: set[int]) -> bool:
    deleted_by = entry.get("deleted_by")
    if choice.value == deleted_by:
        doomed.add(index)
        return True
    if choice is Resolution.BASE:
        cell[_text_key(cell, nb)] = str(entry.get("base", ""))
        return True
    kept_side = Resolution.OURS if deleted_by == "theirs" else Resolution.THEIRS
    return _resolve_cell_text(cell, nb, kept_side, _marker_size(entry), None)


def _apply_values(holder: dict[str, Any], entry: dict[str, Any], choice: Resolution,
                  relative_to_cell: bool = False) -> None:
    side = "ours" if choice is Resolution.UNION else choice.value
    for value in entry.get("values", []):
        path = [str(p) for p in value.get("path", [])]
        if path:
            _set_path(holder, path, value.get(side, _ABSENT))


_ABSENT = object()


def _set_path(holder: dict[str, Any], path: list[str], value: Any) -> None:
    for key in path[:-1]:
        child = holder.get(key)
        if not isinstance(child, dict):
            if value is _ABSENT:
                return
            child = {}
        holder[key] = child = dict(child)
        holder = child
    if value is _ABSENT:
        holder.pop(path[-1], None)
    else:
        holder[path[-1]] = value


def _set_cell_type(cell: dict[str, Any], cell_type: Any) -> None:
    if not isinstance(cell_type, str):
        return
    cell["cell_type"] = cell_type
    if cell_type == "code":
        cell.setdefault("outputs", [])
        cell.setdefault("execution_count", None)
        cell.pop("attachments", None)
    else:
        cell.pop("outputs", None)
        cell.pop("execution_count", None)


def _delete_cells(nb: Notebook, doomed: set[int]) -> None:
    if not doomed:
        return
    if nb.get("nbformat") == 3:
        offset = 0
        for ws in nb.get("worksheets", []):
            count = len(ws["cells"])
            ws["cells"] = [c for k, c in enumerate(ws["cells"]) if k + offset not in doomed]
            offset += count
    else:
        nb["cells"] = [c for k, c in enumerate(nb["cells"]) if k not in doomed]


def _rewrite_record(nb: Notebook, entries: list[dict[str, Any]]) -> None:
    own = dict(nb["metadata"].get("nbcollab") or {})
    own.pop("conflicts", None)
    if entries:
        own["conflicts"] = entries
    if own:
        nb["metadata"]["nbcollab"] = own
    else:
        nb["metadata"].pop("nbcollab", None)
