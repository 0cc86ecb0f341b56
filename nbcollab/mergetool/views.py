"""What the page shows of one recorded conflict: each side as it would be if chosen.

Every side is read from the record (``nbcollab.merge.record``) with the marker library's
exact finders, never by reading markers as syntax: a source side is the cell's text with this
conflict's hunks resolved to that side, a deleted side is ``None``, metadata is each changed
path's JSON value (``ABSENT`` where that version lacks the key). Pure.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from nbcollab.merge.conflicts import Notebook, is_marked, read_record
from nbcollab.merge.markers import output_sections, unwrap_exact
from nbcollab.merge.record import (
    CellTypeConflict,
    ConflictEntry,
    DeleteEditConflict,
    OlderConflict,
    OutputsConflict,
    SourceConflict,
    ValuesConflict,
    describe,
    locate_cell,
)
from nbcollab.merge.resolve import Resolution, resolutions_for, resolved_text
from nbcollab.notebook.lines import cell_source, iter_cells

SIDES = (Resolution.BASE, Resolution.OURS, Resolution.THEIRS)


@dataclass
class ConflictView:
    """One unresolved conflict: where, what, each side's content, and the choices it offers."""

    number: int  # its place in the record, as ``resolve_conflicts(entry=...)`` takes it
    entry: ConflictEntry
    cell: int
    description: str
    choices: tuple[Resolution, ...]  # the buttons: each resolves through ``merge.resolve``
    sides: dict[Resolution, Any] = field(default_factory=dict)  # text, None (deleted) or JSON


def conflict_views(nb: Notebook) -> list[ConflictView]:
    """The recorded conflicts of ``nb`` still marked, in record order."""
    cells = iter_cells(nb)
    views = []
    for number, entry in enumerate(read_record(nb)):
        index = locate_cell(entry, cells)
        if index is None or not is_marked(entry, cells[index]):
            continue
        views.append(
            ConflictView(
                number,
                entry,
                index,
                describe(dataclasses.replace(entry, index=index)),
                resolutions_for(entry),
                side_contents(nb, cells[index], entry),
            )
        )
    return views


def side_contents(
    nb: Notebook, cell: dict[str, Any], entry: ConflictEntry
) -> dict[Resolution, Any]:
    """Base, ours and theirs of one conflict, as the page shows them."""
    if isinstance(entry, SourceConflict):
        return _source_sides(cell_source(cell), entry)
    if isinstance(entry, DeleteEditConflict):
        text = cell_source(cell)
        kept = unwrap_exact(text, *entry.wrapper)
        deleted = Resolution(entry.deleted_by)
        other = Resolution.THEIRS if deleted is Resolution.OURS else Resolution.OURS
        return {Resolution.BASE: entry.base, deleted: None, other: text if kept is None else kept}
    if isinstance(entry, ValuesConflict):  # each changed path's value, or ABSENT
        return {
            side: {".".join(v.path): getattr(v, side.value) for v in entry.values} for side in SIDES
        }
    if isinstance(entry, CellTypeConflict):
        return {side: getattr(entry, side.value) for side in SIDES}
    if isinstance(entry, OlderConflict):
        return {}
    return _output_sides(cell, entry)


def _source_sides(text: str, entry: SourceConflict) -> dict[Resolution, Any]:
    sides: dict[Resolution, Any] = {}
    for side in SIDES:
        resolved = resolved_text(text, entry, side)
        if resolved is None:  # part of it resolved by hand: the base of the hunks alone
            resolved = "".join(getattr(h, side.value) for h in entry.hunks)
        sides[side] = resolved
    return sides


def _output_sides(cell: dict[str, Any], entry: OutputsConflict) -> dict[Resolution, Any]:
    outputs = cell.get("outputs")
    found = None
    if isinstance(outputs, list):
        found = output_sections(outputs, entry.sections, entry.marker_size)
    ours, base, theirs = found or ([], [], [])
    return {Resolution.BASE: base, Resolution.OURS: ours, Resolution.THEIRS: theirs}
