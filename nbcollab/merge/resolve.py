"""Resolving the recorded merge conflicts of a notebook to one side, and clearing their record.

Each recorded conflict is resolved from its record (source hunks, delete against edit, metadata
values, cell type, marker outputs): the marks the merge wrote are found as the record describes
them and replaced by the chosen side, so nothing else in the cell changes. Text that merely looks
like markers, without a record, is content and is never touched. Pure functions.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from nbcollab.merge.conflicts import Notebook, is_marked, locate_cell, read_record
from nbcollab.merge.markers import (
    Resolution,
    output_sections,
    pick_outputs,
    remove_line,
    remove_notes,
    resolve_hunks,
    unwrap,
    unwrap_exact,
)
from nbcollab.merge.record import (
    ABSENT,
    CellTypeConflict,
    ConflictEntry,
    ConflictKind,
    DeleteEditConflict,
    OutputsConflict,
    SourceConflict,
    ValuesConflict,
    where_of,
)
from nbcollab.notebook.lines import cell_source, iter_cells, text_key

Cell = dict[str, Any]


@dataclass
class ResolveOutcome:
    """A resolved notebook, how many conflicts were resolved, which could not be, and how many
    records of conflicts already resolved by hand were cleared."""

    notebook: Notebook
    resolved: int
    failed: list[str] = field(default_factory=list)
    cleared: int = 0


class _Unresolvable(Exception):
    """Why one recorded conflict cannot be resolved to the chosen side."""


def resolve_conflicts(
    nb: Notebook, choice: Resolution | None, *, cell: int | None = None, entry: int | None = None
) -> ResolveOutcome:
    """Resolve the recorded conflicts of ``nb`` (of the cell at index ``cell``; only the record's
    entry number ``entry``) to ``choice``.

    Returns a new notebook. Records whose marks are gone are cleared whatever the cell;
    ``choice`` None does only that.
    """
    nb = _copy_cells(nb)
    cells = iter_cells(nb)
    entries = read_record(nb)
    raw = list(nb["metadata"]["nbcollab"]["conflicts"]) if entries else []
    # Judged before anything is resolved: resolving a cell's source must not make its metadata
    # conflict look resolved by hand.
    places = [locate_cell(entry, cells) for entry in entries]
    marked = [at is not None and is_marked(e, cells[at], nb) for e, at in zip(entries, places)]
    outcome = ResolveOutcome(nb, 0, cleared=marked.count(False))
    kept: list[int] = []
    doomed: set[int] = set()
    for number, index in enumerate(places):
        if not marked[number] or index is None:
            continue
        if choice is None or cell not in (None, index) or entry not in (None, number):
            kept.append(number)
            continue
        before = cell_source(cells[index])
        try:
            _apply(nb, cells[index], index, entries[number], choice, doomed)
            outcome.resolved += 1
        except _Unresolvable as why:
            recorded = dataclasses.replace(entries[number], index=index)
            outcome.failed.append(f"{where_of(recorded)}: {why}")
            kept.append(number)
            continue
        # Removing a note or a hunk moves the text after it: the cell's other source hunks
        # are looked for where they now are, in this call and in the record kept for the next.
        edit = _text_edit(before, cell_source(cells[index]))
        if edit is not None:
            for other, at in enumerate(places):
                if at == index and other != number:
                    entries[other], raw[other] = _shift_hunks(entries[other], raw[other], edit)
    _delete_cells(nb, doomed)
    _rewrite_record(nb, [raw[number] for number in kept])
    return outcome


def _text_edit(old: str, new: str) -> tuple[int, int] | None:
    """The one change from ``old`` to ``new`` as (where it ends in ``old``, how far what follows
    moved); None when nothing changed. The common end is taken first and as long as it goes,
    so that an offset in it, at or after the change, moves with it."""
    if old == new:
        return None
    tail = 0
    limit = min(len(old), len(new))
    while tail < limit and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    return len(old) - tail, len(new) - len(old)


def _shift_hunks(
    recorded: ConflictEntry, raw: Any, edit: tuple[int, int]
) -> tuple[ConflictEntry, Any]:
    """A source conflict's hunk offsets (in the entry and its raw record) moved by ``edit``."""
    if not isinstance(recorded, SourceConflict) or recorded.legacy or not isinstance(raw, dict):
        return recorded, raw
    end, delta = edit

    def moved(at: int | None) -> int | None:
        return at + delta if at is not None and at >= end else at

    hunks = [
        dataclasses.replace(h, at=moved(h.at)) for h in recorded.hunks if not isinstance(h, str)
    ]
    raw_hunks = [
        {**h, "at": moved(h["at"])} if isinstance(h, dict) and isinstance(h.get("at"), int) else h
        for h in raw.get("hunks", [])
    ]
    return dataclasses.replace(recorded, hunks=hunks), {**raw, "hunks": raw_hunks}


def _copy_cells(nb: Notebook) -> Notebook:
    nb = {**nb, "metadata": dict(nb.get("metadata", {}))}
    if nb.get("nbformat") == 3:
        nb["worksheets"] = [
            {**ws, "cells": [dict(c) for c in ws.get("cells", [])]}
            for ws in nb.get("worksheets", [])
        ]
    else:
        nb["cells"] = [dict(c) for c in nb.get("cells", [])]
    return nb


def _apply(
    nb: Notebook, cell: Cell, index: int, entry: ConflictEntry, choice: Resolution, doomed: set[int]
) -> None:
    """Resolve one recorded conflict in place; _Unresolvable when it cannot be done exactly."""
    if isinstance(entry, SourceConflict):
        _set_text(cell, nb, _resolved_source(cell_source(cell), entry, choice))
    elif isinstance(entry, DeleteEditConflict):
        _apply_delete_edit(cell, nb, index, entry, choice, doomed)
    elif isinstance(entry, OutputsConflict):
        _apply_outputs(cell, nb, entry, choice)
    elif isinstance(entry, ValuesConflict) and entry.kind is ConflictKind.NOTEBOOK_METADATA:
        _apply_values(nb["metadata"], entry, choice)
        left = _without_note(cell_source(cell), entry)
        if left.strip():  # someone wrote in the note cell the merge added: keep what they wrote
            _set_text(cell, nb, left)
        else:
            doomed.add(index)
    else:
        if isinstance(entry, CellTypeConflict):
            _set_cell_type(cell, nb, _side(entry, choice))
        else:
            _apply_values(cell, entry, choice)
        _set_text(cell, nb, _without_note(cell_source(cell), entry))


def _side(entry: CellTypeConflict, choice: Resolution) -> Any:
    return getattr(entry, "ours" if choice is Resolution.UNION else choice.value)


def _set_text(cell: Cell, nb: Notebook, text: str) -> None:
    cell[text_key(cell.get("cell_type"), nb.get("nbformat"))] = text


def _resolved_source(text: str, entry: SourceConflict, choice: Resolution) -> str:
    if entry.legacy or entry.markers is None:
        raise _Unresolvable(
            "recorded by an older nbcollab without each side's lines; resolve it by hand"
        )
    resolved = resolve_hunks(text, entry.markers, entry.hunks, choice)
    if resolved is None:
        raise _Unresolvable(
            f"cannot be resolved to {choice.value}: part of it was edited by "
            "hand, so the ancestor's lines no longer fit"
        )
    return resolved


def _without_note(text: str, entry: ValuesConflict | CellTypeConflict) -> str:
    if entry.note is None:
        return remove_notes(text, entry.marker_size)
    removed = remove_line(text, entry.note)
    return text if removed is None else removed


def _apply_delete_edit(
    cell: Cell,
    nb: Notebook,
    index: int,
    entry: DeleteEditConflict,
    choice: Resolution,
    doomed: set[int],
) -> None:
    if choice.value == entry.deleted_by:
        doomed.add(index)
        return
    if choice is Resolution.BASE:
        _set_text(cell, nb, entry.base)
        return
    text = cell_source(cell)
    if entry.wrapper is not None:
        kept = unwrap_exact(text, *entry.wrapper)
    else:
        head, tail = ("<=", ">") if entry.deleted_by == "ours" else ("<", "=>")
        kept = unwrap(text, head, tail, entry.marker_size)
    if kept is None:
        raise _Unresolvable("the markers around the kept cell were edited")
    _set_text(cell, nb, kept)


def _apply_outputs(cell: Cell, nb: Notebook, entry: OutputsConflict, choice: Resolution) -> None:
    outputs = cell.get("outputs")
    if entry.sections is None or entry.counts is None or not isinstance(outputs, list):
        raise _Unresolvable(
            "recorded by an older nbcollab without the outputs' places; resolve it by hand"
        )
    sections = output_sections(outputs, entry.sections, entry.marker_size)
    if sections is None:
        raise _Unresolvable("the marker outputs were moved or edited")
    ours, base, theirs = sections
    cell["outputs"] = pick_outputs(ours, base, theirs, choice)
    side = {Resolution.BASE: 0, Resolution.THEIRS: 2}.get(choice, 1)  # union: ours' count
    count = entry.counts[side]
    if nb.get("nbformat") == 3:
        cell.pop("prompt_number", None)
        if count is not None:
            cell["prompt_number"] = count
    else:
        cell["execution_count"] = count


def _apply_values(holder: dict[str, Any], entry: ValuesConflict, choice: Resolution) -> None:
    side = "ours" if choice is Resolution.UNION else choice.value
    for value in entry.values:
        if value.path:
            _set_path(holder, value.path, getattr(value, side))


def _set_path(holder: dict[str, Any], path: list[str], value: Any) -> None:
    for key in path[:-1]:
        child = holder.get(key)
        if not isinstance(child, dict):
            if value is ABSENT:
                return
            child = {}
        holder[key] = child = dict(child)
        holder = child
    if value is ABSENT:
        holder.pop(path[-1], None)
    else:
        holder[path[-1]] = value


def _set_cell_type(cell: Cell, nb: Notebook, cell_type: Any) -> None:
    if not isinstance(cell_type, str):
        return
    text = cell_source(cell)
    cell.pop(text_key(cell.get("cell_type"), nb.get("nbformat")), None)
    cell["cell_type"] = cell_type
    cell[text_key(cell_type, nb.get("nbformat"))] = text  # v3 code keeps it in "input"
    if cell_type == "code":
        cell.setdefault("outputs", [])
        if nb.get("nbformat") != 3:
            cell.setdefault("execution_count", None)
        cell.pop("attachments", None)
    else:
        for key in ("outputs", "execution_count", "prompt_number"):
            cell.pop(key, None)


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


def _rewrite_record(nb: Notebook, entries: list[Any]) -> None:
    own = dict(nb["metadata"].get("nbcollab") or {})
    own.pop("conflicts", None)
    if entries:
        own["conflicts"] = entries
    if own:
        nb["metadata"]["nbcollab"] = own
    else:
        nb["metadata"].pop("nbcollab", None)
