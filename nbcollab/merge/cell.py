"""Merging one cell: its three versions (or two, or one) into the merged cell and its conflicts.

A cell both sides kept merges field by field: the source by diff3, the type and every other field
(metadata, attachments) as JSON values, outputs and execution count by the outputs strategy. A cell
deleted on one side and edited on the other is kept with its source wrapped in markers. Conflicts
outside the source get a note line on top of the source, so that they are visible. Pure functions.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from nbcollab.merge.markers import note_line
from nbcollab.merge.order import Slot
from nbcollab.merge.record import (
    CellTypeConflict,
    ConflictEntry,
    ConflictKind,
    DeleteEditConflict,
    OutputsConflict,
    SourceConflict,
    ValueConflict,
    ValuesConflict,
)
from nbcollab.merge.values import (
    MergeLabels,
    ValuePolicy,
    merge_outputs,
    merge_text,
    merge_values,
)
from nbcollab.notebook.absent import ABSENT
from nbcollab.notebook.lines import text_key
from nbcollab.options import MergeOptions

Cell = dict[str, Any]

CELL_POLICY = ValuePolicy(
    volatile=frozenset(
        {
            ("metadata", "execution"),
            ("metadata", "ExecuteTime"),
            ("metadata", "collapsed"),
            ("metadata", "scrolled"),
            ("metadata", "trusted"),
            ("metadata", "jupyter", "outputs_hidden"),
            ("metadata", "id"),
            ("collapsed",),
        }
    ),
    sets=frozenset({("metadata", "tags")}),
)
_OWN_KEYS = frozenset(
    {"cell_type", "id", "source", "input", "outputs", "execution_count", "prompt_number"}
)
_V4_KEYS = {
    "code": frozenset({"id", "cell_type", "metadata", "source", "outputs", "execution_count"})
}
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
    out = {
        k: v
        for k, v in cell.items()
        if k not in ("outputs", "execution_count", "prompt_number", "id", "collapsed")
    }
    metadata = cell.get("metadata")
    if isinstance(metadata, dict):
        out["metadata"] = {
            k: v
            for k, v in metadata.items()
            if not CELL_POLICY.is_volatile(("metadata", k)) and k != "jupyter"
        }
    return out


def edited(base: Mapping[str, Any], cell: Mapping[str, Any]) -> bool:
    return _content(base) != _content(cell)


def merge_slot(
    slot: Slot, b_cells: list[Cell], l_cells: list[Cell], r_cells: list[Cell], ctx: CellContext
) -> tuple[Cell, list[ConflictEntry]]:
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


def _delete_edit(
    base: Cell | None, kept: Cell, deleted_by: str, ctx: CellContext
) -> tuple[Cell, list[ConflictEntry]]:
    """Keep the edited cell, its source wrapped in markers with an empty deleting side."""
    labels, size = ctx.labels, ctx.labels.marker_size
    text = _text(kept, ctx.major)
    body = text if text.endswith("\n") or not text else text + "\n"
    note = " (deleted this cell)"
    if deleted_by == "ours":
        head = "<" * size + " " + labels.ours + note + "\n" + labels.mid()
        tail = labels.end()
    else:
        head = labels.start()
        tail = labels.mid() + ">" * size + " " + labels.theirs + note + "\n"
    if not text.endswith("\n"):
        tail = tail[:-1]  # so that resolving gives back the text as it was
    cell = dict(kept)
    cell[text_key(kept.get("cell_type"), ctx.major)] = head + body + tail
    return cell, [
        DeleteEditConflict(
            deleted_by=deleted_by,  # type: ignore[arg-type]
            base=_text(base, ctx.major),
            wrapper=(head, tail),
        )
    ]


def _merge_cell(
    base: Cell | None, local: Cell, remote: Cell, ctx: CellContext
) -> tuple[Cell, list[ConflictEntry]]:
    found: list[ConflictEntry] = []
    b_type = base.get("cell_type") if base else ABSENT
    cell_type, type_conflicts = merge_values(b_type, local["cell_type"], remote["cell_type"])
    if type_conflicts:
        found.append(
            CellTypeConflict(
                base=_json(b_type),
                ours=local["cell_type"],
                theirs=remote["cell_type"],
                note=conflict_note(ConflictKind.CELL_TYPE.value, [], ctx.labels),
            )
        )
    fields, value_conflicts = _merge_fields(base or {}, local, remote)
    found.extend(_group_value_conflicts(value_conflicts, ctx.labels))
    text = merge_text(
        _text(base, ctx.major), _text(local, ctx.major), _text(remote, ctx.major), labels=ctx.labels
    )
    notes = "".join(entry.note or "" for entry in found)  # type: ignore[union-attr]
    if text.hunks:
        labels = ctx.labels
        # The notes go above the merged text: each hunk is that much further into the cell.
        hunks = [dataclasses.replace(h, at=h.at + len(notes)) for h in text.hunks]
        found.append(
            SourceConflict(
                markers=(labels.start(), labels.mid(), labels.end()),
                hunks=hunks,
                length=len(notes + text.text),
            )
        )
    cell = {"cell_type": cell_type, **fields}
    # Ids merge like any value (a side that re-created the cell changed it); both changed: ours.
    cell_id, _ = merge_values(
        (base or {}).get("id", ABSENT), local.get("id", ABSENT), remote.get("id", ABSENT)
    )
    if cell_id is not ABSENT:
        cell["id"] = cell_id
    cell[text_key(cell_type, ctx.major)] = notes + text.text
    if cell_type == "code":
        outputs = _merge_cell_outputs(cell, base, local, remote, ctx)
        if outputs is not None:
            found.append(outputs)
    return _fit_schema(cell, ctx.major), found


def _group_value_conflicts(values: list[ValueConflict], labels: MergeLabels) -> list[ConflictEntry]:
    """One "attachments" conflict and one "metadata" conflict (every other field) per cell."""
    groups: dict[ConflictKind, list[ValueConflict]] = {}
    for value in values:
        kind = ConflictKind.ATTACHMENTS if value.path[0] == "attachments" else ConflictKind.METADATA
        groups.setdefault(kind, []).append(value)
    return [values_conflict(kind, changes, labels) for kind, changes in groups.items()]


def values_conflict(
    kind: ConflictKind, changes: list[ValueConflict], labels: MergeLabels
) -> ValuesConflict:
    """The record of values both sides changed, with the note line that shows it in the cell."""
    note = conflict_note(kind.value, [".".join(c.path) for c in changes], labels)
    return ValuesConflict(kind=kind, values=changes, note=note)  # type: ignore[arg-type]


def _merge_fields(base: Cell, local: Cell, remote: Cell) -> tuple[Cell, list[ValueConflict]]:
    """Every field but type, id, text and outputs, merged as JSON values."""
    merged: Cell = {}
    conflicts: list[ValueConflict] = []
    keys = dict.fromkeys([*local, *remote, *base])
    for key in keys:
        if key in _OWN_KEYS:
            continue
        value, found = merge_values(
            base.get(key, ABSENT),
            local.get(key, ABSENT),
            remote.get(key, ABSENT),
            path=(key,),
            policy=CELL_POLICY,
        )
        conflicts.extend(found)
        if value is not ABSENT:
            merged[key] = value
    return merged, conflicts


def _merge_cell_outputs(
    cell: Cell, base: Cell | None, local: Cell, remote: Cell, ctx: CellContext
) -> OutputsConflict | None:
    """Set the merged outputs and count on a code cell; their record when they conflict."""
    count_key = "prompt_number" if ctx.major == 3 else "execution_count"

    def derived(c: Cell | None) -> tuple[list[Any], Any] | None:
        if c is None or c.get("cell_type") != "code":
            return None
        return c.get("outputs", []), c.get(count_key)

    result = merge_outputs(
        derived(base) or ([], None),
        derived(local),
        derived(remote),
        strategy=ctx.options.outputs,
        labels=ctx.labels,
        marker_output=lambda text: _stream(text, ctx.major),
        normalize=ctx.options.normalize_options,
    )
    cell["outputs"] = result.outputs
    if result.count is not None or ctx.major == 4:
        cell[count_key] = result.count
    if not result.conflict:
        return None
    counts = tuple(_valid_count(count) for count in result.counts)
    return OutputsConflict(sections=result.sections, counts=counts)  # type: ignore[arg-type]


def _valid_count(count: Any) -> int | None:
    return count if isinstance(count, int) and not isinstance(count, bool) and count >= 0 else None


def _stream(text: str, major: int) -> dict[str, Any]:
    if major == 3:
        return {"output_type": "stream", "stream": "stdout", "text": text}
    return {"name": "stdout", "output_type": "stream", "text": text}


def _fit_schema(cell: Cell, major: int) -> Cell:
    """Drop what the v4 schema forbids for the merged cell type; add what it requires."""
    count_key = "execution_count" if major == 4 else "prompt_number"
    count = cell.get(count_key)
    if count is not None and not (
        isinstance(count, int) and not isinstance(count, bool) and count >= 0
    ):
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
    return None if value is ABSENT else value


def conflict_note(kind: str, paths: list[str], labels: MergeLabels) -> str:
    return note_line(
        f"{kind} conflict ({', '.join(paths) or kind}): kept {labels.ours}, "
        f"{labels.theirs} differs; run 'nbcollab conflicts'",
        labels.marker_size,
    )
