"""One recorded conflict resolved in its cell (or the notebook's metadata), kind by kind."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nbcollab.merge.markers import output_sections, remove_line, unwrap_exact
from nbcollab.merge.record import (
    CellTypeConflict,
    ConflictEntry,
    ConflictKind,
    DeleteEditConflict,
    OlderConflict,
    OutputsConflict,
    SourceConflict,
    ValuesConflict,
)
from nbcollab.merge.resolve.choice import Resolution, Unresolvable
from nbcollab.merge.resolve.text import resolved_source
from nbcollab.notebook.absent import ABSENT
from nbcollab.notebook.lines import cell_source, text_key

Cell = dict[str, Any]
Notebook = dict[str, Any]


def apply_resolution(
    nb: Notebook, cell: Cell, index: int, entry: ConflictEntry, choice: Resolution, doomed: set[int]
) -> None:
    """Resolve one recorded conflict in place; Unresolvable when it cannot be done exactly."""
    if isinstance(entry, OlderConflict):
        raise Unresolvable(
            "recorded by an older nbcollab without what resolving it needs; resolve it by hand"
        )
    if isinstance(entry, SourceConflict):
        set_text(cell, nb, resolved_source(cell_source(cell), entry, choice))
    elif isinstance(entry, DeleteEditConflict):
        _apply_delete_edit(cell, nb, index, entry, choice, doomed)
    elif isinstance(entry, OutputsConflict):
        _apply_outputs(cell, nb, entry, choice)
    elif isinstance(entry, ValuesConflict) and entry.kind is ConflictKind.NOTEBOOK_METADATA:
        _apply_values(nb["metadata"], entry, choice)
        left = _without_note(cell_source(cell), entry)
        if left.strip():  # someone wrote in the note cell the merge added: keep what they wrote
            set_text(cell, nb, left)
        else:
            doomed.add(index)
    else:
        if isinstance(entry, CellTypeConflict):
            _set_cell_type(cell, nb, getattr(entry, choice.first_side))
        else:
            _apply_values(cell, entry, choice)
        set_text(cell, nb, _without_note(cell_source(cell), entry))


def set_text(cell: Cell, nb: Notebook, text: str) -> None:
    """Set a cell's text (v3 code cells keep it in ``input``)."""
    cell[text_key(cell.get("cell_type"), nb.get("nbformat"))] = text


def _without_note(text: str, entry: ValuesConflict | CellTypeConflict) -> str:
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
        set_text(cell, nb, entry.base)
        return
    kept = unwrap_exact(cell_source(cell), *entry.wrapper)  # the edit, whichever union
    if kept is None:
        raise Unresolvable("the markers around the kept cell were edited")
    set_text(cell, nb, kept)


def _apply_outputs(cell: Cell, nb: Notebook, entry: OutputsConflict, choice: Resolution) -> None:
    outputs = cell.get("outputs")
    sections = (
        output_sections(outputs, entry.sections, entry.marker_size)
        if isinstance(outputs, list)
        else None
    )
    if sections is None:
        raise Unresolvable("the marker outputs were moved or edited")
    ours, base, theirs = sections
    cell["outputs"] = pick_outputs(ours, base, theirs, choice)
    count = entry.counts[("base", "ours", "theirs").index(choice.first_side)]
    if nb.get("nbformat") == 3:
        cell.pop("prompt_number", None)
        if count is not None:
            cell["prompt_number"] = count
    else:
        cell["execution_count"] = count


def pick_outputs(
    ours: list[Any], base: list[Any], theirs: list[Any], choice: Resolution
) -> list[Any]:
    """The outputs ``choice`` gives (a union keeps the second side's outputs the first lacks)."""
    if choice is Resolution.UNION:
        return ours + [item for item in theirs if item not in ours]
    if choice is Resolution.UNION_THEIRS_FIRST:
        return theirs + [item for item in ours if item not in theirs]
    return {"ours": ours, "base": base, "theirs": theirs}[choice.value]


def _apply_values(holder: dict[str, Any], entry: ValuesConflict, choice: Resolution) -> None:
    for value in entry.values:
        if value.path:
            _set_path(holder, value.path, getattr(value, choice.first_side))


def _set_path(holder: dict[str, Any], path: Sequence[str], value: Any) -> None:
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
