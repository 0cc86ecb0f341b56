"""Merge conflicts inside a notebook: the record in its metadata, and finding what is unresolved.

A merge that conflicts writes a valid notebook in which every conflict is visible twice: in the
cells (git-style markers in the source, a one-line ``<<<<<<< nbcollab: ...`` note for conflicts
outside the source, marker outputs around both sides' outputs) and in a machine-readable record,
``metadata.nbcollab.conflicts`` (``nbcollab.merge.record``). Only recorded conflicts are
conflicts: text that looks like markers in a notebook without a record is content.
``nbcollab.merge.resolve`` removes both. Pure functions on dicts.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from nbcollab.merge.markers import (
    closed_text,
    find_hunks,
    find_line_block,
    output_sections,
    unwrap_exact,
)
from nbcollab.merge.record import (
    CellTypeConflict,
    ConflictEntry,
    ConflictKind,
    DeleteEditConflict,
    OlderConflict,
    SourceConflict,
    ValuesConflict,
    describe,
    locate_cell,
    parse_record,
    where_of,
    write_record,
)
from nbcollab.notebook.lines import cell_source, iter_cells

Notebook = dict[str, Any]
METADATA_NOTE_ID = "nbcollab-merge-note"
# The kind of finding that is no conflict to resolve: a record whose marks are gone (resolved by
# hand, the record not cleared yet).
STALE = "stale-record"


@dataclass
class Conflict:
    """One conflict of a merge: its record entry and the merged cell it is in (index)."""

    entry: ConflictEntry
    cell: int | None
    cell_id: str | None = None

    @property
    def kind(self) -> ConflictKind:
        return self.entry.kind

    def placed(self, marker_size: int) -> ConflictEntry:
        """The entry with where it is in the merged notebook."""
        return dataclasses.replace(
            self.entry, cell=self.cell_id, index=self.cell, marker_size=marker_size
        )


def record_conflicts(nb: Notebook, conflicts: list[Conflict], *, marker_size: int) -> None:
    """Write the record of ``conflicts`` into ``nb``'s metadata (in place); none: no record."""
    write_record(nb.setdefault("metadata", {}), [c.placed(marker_size) for c in conflicts])


def read_record(nb: Notebook, *, source: str = "") -> list[ConflictEntry]:
    """The recorded conflicts of ``nb`` (an older record upgraded); InvalidNotebook naming
    ``source`` if one is malformed."""
    own = nb.get("metadata", {}).get("nbcollab")
    if not isinstance(own, dict) or "conflicts" not in own:
        return []
    place = (source + ": " if source else "") + "metadata.nbcollab.conflicts"
    return parse_record(own, iter_cells(nb), place=place)


def strip_record(nb: Notebook) -> Notebook:
    """``nb`` without a conflict record (shallow copies; the input is not changed)."""
    own = nb.get("metadata", {}).get("nbcollab")
    if not isinstance(own, dict) or "conflicts" not in own:
        return nb
    metadata = dict(nb["metadata"])
    rest = {k: v for k, v in own.items() if k not in ("conflicts", "record_version")}
    if rest:
        metadata["nbcollab"] = rest
    else:
        del metadata["nbcollab"]
    return {**nb, "metadata": metadata}


# --- finding -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """An unresolved conflict: where it is and what it is."""

    index: int | None
    cell_id: str | None
    kind: str
    message: str


def is_marked(entry: ConflictEntry, cell: dict[str, Any]) -> bool:
    """Whether a cell still shows the marks the merge left for ``entry``."""
    text = cell_source(cell)
    if isinstance(entry, OlderConflict):
        return entry.marked
    if isinstance(entry, SourceConflict):
        places = find_hunks(text, entry.markers, entry.hunks, entry.length)
        return any(at is not None for at in places)
    if isinstance(entry, DeleteEditConflict):
        return unwrap_exact(text, *entry.wrapper) is not None
    if isinstance(entry, (ValuesConflict, CellTypeConflict)):
        return find_line_block(closed_text(text), entry.note) is not None
    outputs = cell.get("outputs")
    return isinstance(outputs, list) and (
        output_sections(outputs, entry.sections, entry.marker_size) is not None
    )


def find_conflicts(nb: Notebook) -> list[Finding]:
    """Recorded conflicts still marked, then records whose marks are gone (stale)."""
    cells = iter_cells(nb)
    found: list[Finding] = []
    stale: list[Finding] = []
    for entry in read_record(nb):
        index = locate_cell(entry, cells)
        if index is not None and is_marked(entry, cells[index]):
            placed = dataclasses.replace(entry, index=index)
            marked = None
            if isinstance(entry, SourceConflict):
                text = cell_source(cells[index])
                places = find_hunks(text, entry.markers, entry.hunks, entry.length)
                marked = sum(at is not None for at in places)
            message = describe(placed, marked)
            found.append(Finding(index, cells[index].get("id"), entry.kind.value, message))
            continue
        message = f"{where_of(entry)}: {entry.kind.value} conflict resolved, but still recorded"
        stale.append(Finding(index, entry.cell, STALE, message + " in metadata.nbcollab.conflicts"))
    return found + stale
