"""Resolving the merge conflicts of a notebook to one side, and clearing their record.

Each recorded conflict is resolved by its kind (source hunks, delete against edit, metadata values,
cell type, marker outputs); markers without a record are resolved by their text. Pure functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nbcollab.conflicts import (
    Notebook,
    cell_marker_sizes,
    cell_text,
    cell_text_key,
    describe,
    find_stale,
    locate_cell,
    marker_size_of,
    notebook_cells,
    read_record,
)
from nbcollab.markers import (
    Resolution,
    remove_notes,
    resolve_outputs,
    resolve_text,
    unwrap,
)


@dataclass
class ResolveOutcome:
    """A resolved notebook, how many conflicts were resolved, which could not be, and how many
    records of conflicts already resolved by hand were cleared."""

    notebook: Notebook
    resolved: int
    failed: list[str] = field(default_factory=list)
    cleared: int = 0


def resolve_conflicts(nb: Notebook, choice: Resolution | None, *, cell: str | None = None
                      ) -> ResolveOutcome:
    """Resolve the conflicts of ``nb`` (of one cell: id or index) to ``choice``; a new notebook.

    Records whose marks are gone are cleared whatever the cell; ``choice`` None does only that.
    """
    nb = _copy_cells(nb)
    cells = notebook_cells(nb)
    # Judged before anything is resolved: resolving a cell's source also removes the note of
    # its metadata conflict, which must still be applied, not taken for resolved by hand.
    stale = find_stale(nb)
    kept_entries: list[dict[str, Any]] = []
    doomed: set[int] = set()
    resolved = 0
    failed: list[str] = []
    done: set[int] = set()
    for entry in read_record(nb):
        index = locate_cell(entry, cells)
        if index is None or any(entry is s for s in stale):
            continue
        done.add(index)
        if choice is None or not _in_scope(cells[index], index, cell):
            kept_entries.append(entry)
        elif _apply(nb, cells, index, entry, choice, doomed):
            resolved += 1
        else:
            failed.append(describe({**entry, "index": index}))
            kept_entries.append(entry)
    if choice is not None:
        resolved += _resolve_unrecorded(nb, cells, choice, cell, done, failed)
    _delete_cells(nb, doomed)
    _rewrite_record(nb, kept_entries)
    return ResolveOutcome(nb, resolved, failed, cleared=len(stale))


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
        sizes = cell_marker_sizes(cell, nb)
        if not sizes:
            continue
        before = dict(cell)
        # Largest first: the longer markers are the outer ones (git lengthens nested markers).
        if all(_resolve_cell_text(cell, nb, choice, size, None) for size in sizes):
            for size in sizes:
                cell.update(_resolved_outputs(cell, choice, size))
            resolved += 1
        else:
            cell.clear()
            cell.update(before)  # all sizes or none: no half-resolved cell
            failed.append(f"cell {index}: markers cannot be resolved to {choice.value}")
    return resolved


def _resolve_cell_text(cell: dict[str, Any], nb: Notebook, choice: Resolution, size: int,
                       hunk_bases: list[str] | None,
                       around: list[list[str]] | None = None) -> bool:
    text = resolve_text(cell_text(cell, nb), choice, size, hunk_bases, around)
    if text is None:
        return False
    cell[cell_text_key(cell, nb)] = text
    return True


def _resolved_outputs(cell: dict[str, Any], choice: Resolution, size: int) -> dict[str, Any]:
    outputs = cell.get("outputs")
    picked = resolve_outputs(outputs, choice, size) if isinstance(outputs, list) else None
    return {} if picked is None else {"outputs": picked}


def _apply(nb: Notebook, cells: list[dict[str, Any]], index: int, entry: dict[str, Any],
           choice: Resolution, doomed: set[int]) -> bool:
    """Resolve one recorded conflict in place; False when it cannot be done."""
    cell, kind, size = cells[index], entry.get("kind"), marker_size_of(entry)
    if kind == "source":
        return _resolve_cell_text(cell, nb, choice, size, entry.get("hunks"),
                                  entry.get("around"))
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
    cell[cell_text_key(cell, nb)] = remove_notes(cell_text(cell, nb), size)
    return True


def _apply_delete_edit(cell: dict[str, Any], nb: Notebook, index: int, entry: dict[str, Any],
                       choice: Resolution, doomed: set[int]) -> bool:
    deleted_by = entry.get("deleted_by")
    if choice.value == deleted_by:
        doomed.add(index)
        return True
    if choice is Resolution.BASE:
        cell[cell_text_key(cell, nb)] = str(entry.get("base", ""))
        return True
    # Strip exactly the lines the merge wrapped the kept cell in: parsing the markers would take
    # a body line such as ``=======`` (a markdown heading underline) for the separator.
    head, tail = ("<=", ">") if deleted_by == "ours" else ("<", "=>")
    text = unwrap(cell_text(cell, nb), head, tail, marker_size_of(entry))
    if text is None:
        return False
    cell[cell_text_key(cell, nb)] = text
    return True


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
