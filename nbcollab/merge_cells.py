"""Merging one cell: its three versions (or two, or one) into the merged cell and its conflicts.

A cell both sides kept merges field by field: the source by diff3, the type and every other field
(metadata, attachments) as JSON values, outputs and execution count by the outputs strategy. A cell
deleted on one side and edited on the other is kept with its source wrapped in markers. Conflicts
outside the source get a note line on top of the source, so that they are visible. Pure functions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from nbcollab.config import MergeOptions
from nbcollab.markers import note_line
from nbcollab.merge_fields import (
    MISSING,
    MergeLabels,
    ValueConflict,
    ValuePolicy,
    merge_outputs,
    merge_text,
    merge_values,
)
from nbcollab.merge_sequence import Slot
from nbcollab.nbformat_lines import text_key

Cell = dict[str, Any]
Found = list[tuple[str, dict[str, Any]]]  # (conflict kind, record details) of one merged cell

CELL_POLICY = ValuePolicy(volatile=frozenset({
    ("metadata", "execution"), ("metadata", "ExecuteTime"), ("metadata", "collapsed"),
    ("metadata", "scrolled"), ("metadata", "trusted"), ("metadata", "jupyter", "outputs_hidden"),
    ("metadata", "id"), ("collapsed",),
}), sets=frozenset({("metadata", "tags")}))
_OWN_KEYS = frozenset({"cell_type", "id", "source", "input", "outputs", "execution_count",
                       "prompt_number"})
_V4_KEYS = {"code": frozenset({"id", "cell_type", "metadata", "source", "outputs",
                               "execution_count"})}
_V4_TEXT_CELL_KEYS = frozenset({"id", "cell_type", "metadata", "source", "attachments"})


@dataclass(frozen=True)
class CellContext:
    """What every cell merge needs: the nbformat major version, the options, the labels."""

    major: int
    options: MergeOptions
    labels: MergeLabels


def _text(cell: Cell | None, major: int) -> str:
    if cell is None:
        return ""
    value = cell.get(text_key(cell.get("cell_type"), major), "")
    return value if isinstance(value, str) else "".join(value)


def _content(cell: Mapping[str, Any]) -> dict[str, Any]:
    """What an author edits in a cell: everything but derived data and volatile metadata."""
    out = {k: v for k, v in cell.items() if k not in ("outputs", "execution_count",
                                                       "prompt_number", "id", "collapsed")}
    metadata = cell.get("metadata")
    if isinstance(metadata, dict):
        out["metadata"] = {k: v for k, v in metadata.items()
                           if not CELL_POLICY.is_volatile(("metadata", k)) and k != "jupyter"}
    return out


def edited(base: Mapping[str, Any], cell: Mapping[str, Any]) -> bool:
    return _content(base) != _content(cell)


def merge_slot(slot: Slot, b_cells: list[Cell], l_cells: list[Cell], r_cells: list[Cell],
                ctx: CellContext) -> tuple[Cell, list[tuple[str, dict[str, Any]]]]:
    base = b_cells[slot.base] if slot.base is not None else None
    local = l_cells[slot.local] if slot.local is not None else None
    remote = r_cells[slot.remote] if slot.remote is not None else None
    if slot.deleted_by:
        return _delete_edit(base, local or remote, slot.deleted_by, ctx)  # type: ignore[arg-type]
    if local is None or remote is None:
        return _fit_schema(dict(local or remote), ctx.major), []  # type: ignore[arg-type]
    # Most cells are unchanged on one side: that is the whole merge, no need to go field by field.
    if local == remote or (base is not None and remote == base):
        return _fit_schema(dict(local), ctx.major), []
    if base is not None and local == base:
        return _fit_schema(dict(remote), ctx.major), []
    return _merge_cell(base, local, remote, ctx)


def _delete_edit(base: Cell | None, kept: Cell, deleted_by: str,
                 ctx: CellContext) -> tuple[Cell, list[tuple[str, dict[str, Any]]]]:
    """Keep the edited cell, its source wrapped in markers with an empty deleting side."""
    labels = ctx.labels
    text = _text(kept, ctx.major)
    body = text if text.endswith("\n") or not text else text + "\n"
    note = " (deleted this cell)"
    if deleted_by == "ours":
        marked = "<" * labels.marker_size + " " + labels.ours + note + "\n" + labels.mid()
        marked += body + labels.end()
    else:
        marked = labels.start() + body + labels.mid()
        marked += ">" * labels.marker_size + " " + labels.theirs + note + "\n"
    if not text.endswith("\n"):
        marked = marked[:-1]  # so that resolving gives back the text as it was
    cell = dict(kept)
    cell[text_key(kept.get("cell_type"), ctx.major)] = marked
    return cell, [("delete-edit", {"deleted_by": deleted_by, "base": _text(base, ctx.major)})]


def _merge_cell(base: Cell | None, local: Cell, remote: Cell,
                ctx: CellContext) -> tuple[Cell, list[tuple[str, dict[str, Any]]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    b_type = base.get("cell_type") if base else MISSING
    cell_type, type_conflicts = merge_values(b_type, local["cell_type"], remote["cell_type"])
    if type_conflicts:
        found.append(("cell-type", {"base": _json(b_type), "ours": local["cell_type"],
                                    "theirs": remote["cell_type"]}))
    text = merge_text(_text(base, ctx.major), _text(local, ctx.major), _text(remote, ctx.major),
                      labels=ctx.labels)
    if text.hunk_bases:
        detail: dict[str, Any] = {"hunks": text.hunk_bases}
        if any(before or after for before, after in text.around):
            detail["around"] = text.around
        found.append(("source", detail))
    fields, value_conflicts = _merge_fields(base or {}, local, remote)
    cell = {"cell_type": cell_type, **fields}
    # Ids merge like any value (a side that re-created the cell changed it); both changed: ours.
    cell_id, _ = merge_values((base or {}).get("id", MISSING), local.get("id", MISSING),
                              remote.get("id", MISSING))
    if cell_id is not MISSING:
        cell["id"] = cell_id
    found.extend(_group_value_conflicts(value_conflicts))
    notes = "".join(
        conflict_note(kind, detail, ctx.labels) for kind, detail in found if kind != "source"
    )
    cell[text_key(cell_type, ctx.major)] = notes + text.text
    if cell_type == "code" and _merge_cell_outputs(cell, base, local, remote, ctx):
        found.append(("outputs", {}))
    return _fit_schema(cell, ctx.major), found


def _group_value_conflicts(values: list[ValueConflict]) -> list[tuple[str, dict[str, Any]]]:
    """One "attachments" conflict and one "metadata" conflict (every other field) per cell."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for value in values:
        kind = "attachments" if value.path[0] == "attachments" else "metadata"
        groups.setdefault(kind, []).append(value_record(value))
    return [(kind, {"values": records}) for kind, records in groups.items()]


def _merge_fields(base: Cell, local: Cell, remote: Cell) -> tuple[Cell, list[ValueConflict]]:
    """Every field but type, id, text and outputs, merged as JSON values."""
    merged: Cell = {}
    conflicts: list[ValueConflict] = []
    keys = dict.fromkeys([*local, *remote, *base])
    for key in keys:
        if key in _OWN_KEYS:
            continue
        value, found = merge_values(base.get(key, MISSING), local.get(key, MISSING),
                                    remote.get(key, MISSING), path=(key,),
                                    policy=CELL_POLICY)
        conflicts.extend(found)
        if value is not MISSING:
            merged[key] = value
    return merged, conflicts


def _merge_cell_outputs(cell: Cell, base: Cell | None, local: Cell, remote: Cell,
                        ctx: CellContext) -> bool:
    """Set the merged outputs and count on a code cell; True when they conflict (kept marked)."""
    count_key = "prompt_number" if ctx.major == 3 else "execution_count"

    def derived(c: Cell | None) -> tuple[list[Any], Any] | None:
        if c is None or c.get("cell_type") != "code":
            return None
        return c.get("outputs", []), c.get(count_key)

    result = merge_outputs(derived(base) or ([], None), derived(local), derived(remote),
                            strategy=ctx.options.outputs, labels=ctx.labels,
                            marker_output=lambda text: _stream(text, ctx.major))
    cell["outputs"] = result.outputs
    if result.count is not None or ctx.major == 4:
        cell[count_key] = result.count
    return result.conflict


def _stream(text: str, major: int) -> dict[str, Any]:
    if major == 3:
        return {"output_type": "stream", "stream": "stdout", "text": text}
    return {"name": "stdout", "output_type": "stream", "text": text}


def _fit_schema(cell: Cell, major: int) -> Cell:
    """Drop what the v4 schema forbids for the merged cell type; add what it requires."""
    count_key = "execution_count" if major == 4 else "prompt_number"
    count = cell.get(count_key)
    if count is not None and not (isinstance(count, int) and not isinstance(count, bool)
                                  and count >= 0):
        # e.g. "*" saved while the cell ran: not a count, and not valid in the schema
        cell[count_key] = None
        if major == 3:
            del cell[count_key]
    if major != 4:
        return cell
    allowed = _V4_KEYS.get(cell["cell_type"], _V4_TEXT_CELL_KEYS)
    cell = {k: v for k, v in cell.items() if k in allowed}
    cell.setdefault("metadata", {})
    cell.setdefault("source", "")
    if cell["cell_type"] == "code":
        cell.setdefault("outputs", [])
        cell.setdefault("execution_count", None)
    return cell


def _json(value: Any) -> Any:
    return None if value is MISSING else value


def value_record(conflict: ValueConflict) -> dict[str, Any]:
    record: dict[str, Any] = {"path": list(conflict.path)}
    for name in ("base", "ours", "theirs"):
        value = getattr(conflict, name)
        if value is not MISSING:
            record[name] = value
    return record


def conflict_note(kind: str, detail: dict[str, Any], labels: MergeLabels) -> str:
    paths = ", ".join(".".join(v["path"]) for v in detail.get("values", [])) or kind
    return note_line(f"{kind} conflict ({paths}): kept {labels.ours}, "
                     f"{labels.theirs} differs; run 'nbcollab conflicts'", labels.marker_size)
