"""What the page shows of one recorded conflict: each side as it would be if chosen.

Every side is read from the record (``nbcollab.merge.record``) with the marker library's
exact finders, never by reading markers as syntax: a source side is the cell's text with this
conflict's hunks resolved to that side, a deleted side is ``None``, metadata is each changed
path's JSON value (``ABSENT`` where that version lacks the key). Pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from nbcollab.merge.conflicts import Notebook, is_marked, locate_cell, read_record
from nbcollab.merge.markers import Resolution, output_sections, resolve_hunks, unwrap, unwrap_exact
from nbcollab.merge.record import (
    CellTypeConflict,
    ConflictEntry,
    ConflictKind,
    DeleteEditConflict,
    OutputsConflict,
    SourceConflict,
    ValuesConflict,
    describe,
)
from nbcollab.notebook.lines import cell_source, iter_cells


class Choice(str, Enum):
    """What a button resolves a conflict to."""

    OURS = "ours"
    THEIRS = "theirs"
    BASE = "base"
    BOTH = "both"  # ours then theirs
    BOTH_THEIRS_FIRST = "both-theirs-first"


SIDES = (Choice.BASE, Choice.OURS, Choice.THEIRS)
_CHOICES = {
    ConflictKind.SOURCE: tuple(Choice),
    ConflictKind.OUTPUTS: (Choice.OURS, Choice.THEIRS, Choice.BASE, Choice.BOTH),
}
_THREE = (Choice.OURS, Choice.THEIRS, Choice.BASE)


@dataclass
class ConflictView:
    """One unresolved conflict: where, what, each side's content, and the choices it offers."""

    number: int  # its place in the record, as ``resolve_conflicts(entry=...)`` takes it
    entry: ConflictEntry
    cell: int
    description: str
    choices: tuple[Choice, ...]
    sides: dict[Choice, Any] = field(default_factory=dict)  # text, None (deleted) or JSON


def conflict_views(nb: Notebook) -> list[ConflictView]:
    """The recorded conflicts of ``nb`` still marked, in record order."""
    cells = iter_cells(nb)
    views = []
    for number, entry in enumerate(read_record(nb)):
        index = locate_cell(entry, cells)
        if index is None or not is_marked(entry, cells[index], nb):
            continue
        placed = _placed(entry, index)
        views.append(
            ConflictView(
                number,
                entry,
                index,
                describe(placed),
                _CHOICES.get(entry.kind, _THREE),
                side_contents(nb, cells[index], entry),
            )
        )
    return views


def _placed(entry: ConflictEntry, index: int) -> ConflictEntry:
    import dataclasses

    return dataclasses.replace(entry, index=index)


def side_contents(nb: Notebook, cell: dict[str, Any], entry: ConflictEntry) -> dict[Choice, Any]:
    """Base, ours and theirs of one conflict, as the page shows them."""
    if isinstance(entry, SourceConflict):
        return _source_sides(cell_source(cell), entry)
    if isinstance(entry, DeleteEditConflict):
        kept = _kept_text(cell_source(cell), entry)
        deleted = Choice(entry.deleted_by)
        other = Choice.THEIRS if deleted is Choice.OURS else Choice.OURS
        return {Choice.BASE: entry.base, deleted: None, other: kept}
    if isinstance(entry, ValuesConflict):  # each changed path's value, or ABSENT
        return {
            side: {".".join(v.path): getattr(v, side.value) for v in entry.values} for side in SIDES
        }
    if isinstance(entry, CellTypeConflict):
        return {side: getattr(entry, side.value) for side in SIDES}
    return _output_sides(cell, entry)


def _source_sides(text: str, entry: SourceConflict) -> dict[Choice, Any]:
    sides: dict[Choice, Any] = {}
    for side in SIDES:
        resolved = None
        if not entry.legacy and entry.markers is not None:
            resolved = resolve_hunks(text, entry.markers, entry.hunks, Resolution(side.value))
        if resolved is None:  # an older record, or part of it resolved by hand: the hunks alone
            resolved = "".join(
                getattr(h, side.value, "") for h in entry.hunks if not isinstance(h, str)
            )
        sides[side] = resolved
    return sides


def _kept_text(text: str, entry: DeleteEditConflict) -> str:
    if entry.wrapper is not None:
        kept = unwrap_exact(text, *entry.wrapper)
    else:
        head, tail = ("<=", ">") if entry.deleted_by == "ours" else ("<", "=>")
        kept = unwrap(text, head, tail, entry.marker_size)
    return text if kept is None else kept


def _output_sides(cell: dict[str, Any], entry: OutputsConflict) -> dict[Choice, Any]:
    outputs = cell.get("outputs")
    found = None
    if entry.sections is not None and isinstance(outputs, list):
        found = output_sections(outputs, entry.sections, entry.marker_size)
    ours, base, theirs = found or ([], [], [])
    return {Choice.BASE: base, Choice.OURS: ours, Choice.THEIRS: theirs}
