"""Three-way merge of notebooks: the cell sequence on the alignment, then each merged cell.

``merge_notebooks(base, local, remote)`` takes three in-memory notebooks (``base`` None when the
notebook did not exist, as in git's add/add) and returns the merged notebook, always valid, with
every conflict marked in it and recorded in ``metadata.nbcollab.conflicts``. Pure: no files, no
printing. The result may share unchanged sub-objects (outputs, attachments) with the inputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from nbcollab.config import MergeOptions, OutputStrategy
from nbcollab.conflicts import METADATA_NOTE_ID, Conflict, describe, record_conflicts, strip_record
from nbcollab.errors import InvalidNotebook
from nbcollab.markers import note_line
from nbcollab.merge_cells import (
    MISSING,
    MergeLabels,
    ValueConflict,
    ValuePolicy,
    merge_text,
    merge_values,
)
from nbcollab.merge_cells import merge_outputs as _merge_outputs
from nbcollab.merge_sequence import Slot, merge_cell_order

Notebook = dict[str, Any]
Cell = dict[str, Any]

# Written by the kernel, the interface or the platform, not by the author: both sides changing
# them is no conflict (ours is kept). Paths below a listed one are covered too. A kernelspec and
# the kernel's language_info are merged whole, never key by key.
NOTEBOOK_METADATA_POLICY = ValuePolicy(
    volatile=frozenset({("language_info",), ("widgets",), ("environment",)}),
    atomic=frozenset({("kernelspec",), ("language_info",)}),
)
CELL_POLICY = ValuePolicy(volatile=frozenset({
    ("metadata", "execution"), ("metadata", "ExecuteTime"), ("metadata", "collapsed"),
    ("metadata", "scrolled"), ("metadata", "trusted"), ("metadata", "jupyter", "outputs_hidden"),
    ("metadata", "id"), ("collapsed",),
}))
_OWN_KEYS = frozenset({"cell_type", "id", "source", "input", "outputs", "execution_count",
                       "prompt_number"})
_V4_KEYS = {"code": frozenset({"id", "cell_type", "metadata", "source", "outputs",
                               "execution_count"})}
_V4_TEXT_CELL_KEYS = frozenset({"id", "cell_type", "metadata", "source", "attachments"})
_DEFAULT_OPTIONS = MergeOptions()
_DEFAULT_LABELS = MergeLabels()


@dataclass
class MergeResult:
    """The merged notebook and its conflicts (cell indices and ids as in the merged notebook)."""

    notebook: Notebook
    conflicts: list[Conflict] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.conflicts

    def summary(self) -> list[str]:
        """Lines for people: cells merged cleanly, then each conflict and why."""
        cells = _cells(self.notebook)
        bad = {c.cell for c in self.conflicts if c.kind != "notebook-metadata"}
        lines = [f"{len(cells) - len(bad)} of {len(cells)} cells merged cleanly"]
        lines += [describe(c.to_record(0)) for c in self.conflicts]
        return lines


@dataclass(frozen=True)
class _Context:
    major: int
    options: MergeOptions
    labels: MergeLabels


def merge_notebooks(base: Notebook | None, local: Notebook, remote: Notebook, *,
                    options: MergeOptions = _DEFAULT_OPTIONS,
                    labels: MergeLabels = _DEFAULT_LABELS) -> MergeResult:
    """Merge ``local`` and ``remote``, both derived from ``base`` (None: added on both sides)."""
    major = _common_major(base, local, remote)
    local, remote = strip_record(local), strip_record(remote)
    base_nb = strip_record(base) if base is not None else None
    ctx = _Context(major, options, labels)
    b_cells = _cells(base_nb) if base_nb is not None else []
    l_cells, r_cells = _cells(local), _cells(remote)
    slots = merge_cell_order(b_cells, l_cells, r_cells, edited=_edited, two_way=base is None)
    cells: list[Cell] = []
    conflicts: list[Conflict] = []
    for slot in slots:
        cell, found = _merge_slot(slot, b_cells, l_cells, r_cells, ctx)
        conflicts.extend(Conflict(kind, len(cells), detail) for kind, detail in found)
        cells.append(cell)
    metadata, meta_conflicts = merge_values(
        base_nb.get("metadata", {}) if base_nb else {}, local.get("metadata", {}),
        remote.get("metadata", {}), policy=NOTEBOOK_METADATA_POLICY,
    )
    merged = _assemble(local, remote, cells, metadata)
    if meta_conflicts:
        _add_metadata_note(merged, meta_conflicts, conflicts, labels)
    _finish(merged, conflicts, options, labels)
    return MergeResult(merged, conflicts)


def _common_major(base: Notebook | None, local: Notebook, remote: Notebook) -> int:
    majors = {nb["nbformat"] for nb in (base, local, remote) if nb is not None}
    if len(majors) != 1:
        raise InvalidNotebook(
            f"versions have different nbformat major versions ({sorted(majors)}); "
            "convert them to one version first (jupyter nbconvert --to notebook)"
        )
    return majors.pop()


def _cells(nb: Notebook) -> list[Cell]:
    if nb.get("nbformat") == 3:
        return [cell for ws in nb.get("worksheets", []) for cell in ws["cells"]]
    return nb["cells"]


def text_key(cell_type: Any, major: int) -> str:
    """Where a cell keeps its text: ``input`` for v3 code cells, ``source`` otherwise."""
    return "input" if major == 3 and cell_type == "code" else "source"


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


def _edited(base: Mapping[str, Any], cell: Mapping[str, Any]) -> bool:
    return _content(base) != _content(cell)


def _merge_slot(slot: Slot, b_cells: list[Cell], l_cells: list[Cell], r_cells: list[Cell],
                ctx: _Context) -> tuple[Cell, list[tuple[str, dict[str, Any]]]]:
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
                 ctx: _Context) -> tuple[Cell, list[tuple[str, dict[str, Any]]]]:
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
                ctx: _Context) -> tuple[Cell, list[tuple[str, dict[str, Any]]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    b_type = base.get("cell_type") if base else MISSING
    cell_type, type_conflicts = merge_values(b_type, local["cell_type"], remote["cell_type"])
    if type_conflicts:
        found.append(("cell-type", {"base": _json(b_type), "ours": local["cell_type"],
                                    "theirs": remote["cell_type"]}))
    text = merge_text(_text(base, ctx.major), _text(local, ctx.major), _text(remote, ctx.major),
                      labels=ctx.labels)
    if text.hunk_bases:
        found.append(("source", {"hunks": text.hunk_bases}))
    fields, value_conflicts = _merge_fields(base or {}, local, remote)
    cell = {"cell_type": cell_type, **fields}
    # Ids merge like any value (a side that re-created the cell changed it); both changed: ours.
    cell_id, _ = merge_values((base or {}).get("id", MISSING), local.get("id", MISSING),
                              remote.get("id", MISSING))
    if cell_id is not MISSING:
        cell["id"] = cell_id
    found.extend(_group_value_conflicts(value_conflicts))
    notes = "".join(_note(kind, detail, ctx.labels) for kind, detail in found if kind != "source")
    cell[text_key(cell_type, ctx.major)] = notes + text.text
    if cell_type == "code" and _merge_cell_outputs(cell, base, local, remote, ctx):
        found.append(("outputs", {}))
    return _fit_schema(cell, ctx.major), found


def _group_value_conflicts(values: list[ValueConflict]) -> list[tuple[str, dict[str, Any]]]:
    """One "attachments" conflict and one "metadata" conflict (every other field) per cell."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for value in values:
        kind = "attachments" if value.path[0] == "attachments" else "metadata"
        groups.setdefault(kind, []).append(_value_record(value))
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
                        ctx: _Context) -> bool:
    """Set the merged outputs and count on a code cell; True when they conflict (kept marked)."""
    count_key = "prompt_number" if ctx.major == 3 else "execution_count"

    def derived(c: Cell | None) -> tuple[list[Any], Any] | None:
        if c is None or c.get("cell_type") != "code":
            return None
        return c.get("outputs", []), c.get(count_key)

    result = _merge_outputs(derived(base) or ([], None), derived(local), derived(remote),
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


def _value_record(conflict: ValueConflict) -> dict[str, Any]:
    record: dict[str, Any] = {"path": list(conflict.path)}
    for name in ("base", "ours", "theirs"):
        value = getattr(conflict, name)
        if value is not MISSING:
            record[name] = value
    return record


def _note(kind: str, detail: dict[str, Any], labels: MergeLabels) -> str:
    paths = ", ".join(".".join(v["path"]) for v in detail.get("values", [])) or kind
    return note_line(f"{kind} conflict ({paths}): kept {labels.ours}, "
                     f"{labels.theirs} differs; run 'nbcollab conflicts'", labels.marker_size)


def _assemble(local: Notebook, remote: Notebook, cells: list[Cell], metadata: Any) -> Notebook:
    minor = max(local.get("nbformat_minor", 0), remote.get("nbformat_minor", 0))
    merged: Notebook = {"metadata": dict(metadata), "nbformat": local["nbformat"],
                        "nbformat_minor": minor}
    if local["nbformat"] == 3:
        sheets = local.get("worksheets") or [{}]
        merged["worksheets"] = [{**{k: v for k, v in sheets[0].items() if k != "cells"},
                                 "cells": cells}]
    else:
        merged["cells"] = cells
    return merged


def _add_metadata_note(merged: Notebook, values: list[ValueConflict], conflicts: list[Conflict],
                       labels: MergeLabels) -> None:
    """Notebook metadata conflicts: a note cell on top, so that people opening the file see it."""
    detail = {"values": [_value_record(v) for v in values]}
    text = _note("notebook-metadata", detail, labels)
    note: Cell = {"cell_type": "markdown", "metadata": {}, "source": text}
    if merged["nbformat"] == 4 and merged["nbformat_minor"] >= 5:
        note["id"] = METADATA_NOTE_ID
    _cells(merged).insert(0, note)
    for conflict in conflicts:
        conflict.cell = None if conflict.cell is None else conflict.cell + 1
    conflicts.insert(0, Conflict("notebook-metadata", 0, detail))


def _finish(merged: Notebook, conflicts: list[Conflict], options: MergeOptions,
            labels: MergeLabels) -> None:
    """Ids (complete and unique from 4.5 on, absent before), cleared outputs, the record."""
    from nbcollab.clean import repair_cell_ids

    cells = _cells(merged)
    if options.outputs is OutputStrategy.CLEAR:
        for cell in cells:
            if cell.get("cell_type") == "code":
                cell["outputs"] = []
                if merged["nbformat"] == 4:
                    cell["execution_count"] = None
                else:
                    cell.pop("prompt_number", None)
    if merged["nbformat"] == 4 and merged["nbformat_minor"] >= 5:
        repair_cell_ids(cells)
    elif merged["nbformat"] == 4:
        for cell in cells:
            cell.pop("id", None)
    for conflict in conflicts:
        if conflict.cell is not None:
            conflict.cell_id = cells[conflict.cell].get("id")
    record_conflicts(merged, conflicts, marker_size=labels.marker_size)
