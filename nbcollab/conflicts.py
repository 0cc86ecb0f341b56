"""Merge conflicts inside a notebook: the record in its metadata, and finding what is unresolved.

A merge that conflicts writes a valid notebook in which every conflict is visible twice: in the
cells (git-style markers in the source, a one-line ``<<<<<<< nbcollab: ...`` note for conflicts
outside the source, marker outputs around both sides' outputs) and in a machine-readable record,
``metadata.nbcollab.conflicts``. ``nbcollab.resolve`` removes both. Pure functions on dicts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nbcollab.errors import InvalidNotebook
from nbcollab.markers import (
    DEFAULT_MARKER_SIZE,
    Resolution,
    has_markers,
    marker_sizes,
    output_marker_sizes,
    resolve_outputs,
)
from nbcollab.nbformat_lines import text_key

Notebook = dict[str, Any]
METADATA_NOTE_ID = "nbcollab-merge-note"
# The kinds of findings that are no recorded conflict: markers without a record, and a record
# whose marks are gone (resolved by hand, the record not cleared yet).
UNRECORDED = "markers"
STALE = "stale-record"


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
    cell_id, index = entry.get("cell"), entry.get("index")
    where = f"cell {index}" if isinstance(index, int) else "cell"
    return where + (f" (id {cell_id})" if cell_id else "")


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


def read_record(nb: Notebook, *, source: str = "") -> list[dict[str, Any]]:
    """The recorded conflicts of ``nb``; InvalidNotebook (naming ``source``) if one is malformed."""
    own = nb.get("metadata", {}).get("nbcollab")
    if not isinstance(own, dict) or "conflicts" not in own:
        return []
    entries = own["conflicts"]
    place = (source + ": " if source else "") + "metadata.nbcollab.conflicts"
    if not isinstance(entries, list):
        raise InvalidNotebook(f"{place}: not a list; fix or remove it")
    for number, entry in enumerate(entries):
        problem = _entry_problem(entry)
        if problem:
            where = f" ({_where(entry)})" if isinstance(entry, dict) else ""
            raise InvalidNotebook(f"{place}[{number}]{where}: {problem}; fix or remove the entry")
    return list(entries)


def _entry_problem(entry: Any) -> str | None:
    """What is wrong with one record entry (None: nothing), checking what resolving reads."""
    if not isinstance(entry, dict):
        return "not an object"
    if not isinstance(entry.get("kind"), str):
        return "kind must be a string"
    hunks = entry.get("hunks", [])
    if not (isinstance(hunks, list) and all(isinstance(h, str) for h in hunks)):
        return "hunks must be a list of strings"
    around = entry.get("around", [])
    if not (isinstance(around, list) and all(_string_pair(pair) for pair in around)):
        return "around must be a list of [before, after] string pairs"
    if not isinstance(entry.get("base", ""), str) and entry["kind"] == "delete-edit":
        return "base must be a string"
    values = entry.get("values", [])
    if not (isinstance(values, list) and all(_valid_value(v) for v in values)):
        return 'values must be a list of objects with a "path" list of strings'
    return None


def _string_pair(pair: Any) -> bool:
    return isinstance(pair, list) and len(pair) == 2 and all(isinstance(t, str) for t in pair)


def _valid_value(value: Any) -> bool:
    path = value.get("path") if isinstance(value, dict) else None
    return isinstance(path, list) and all(isinstance(key, str) for key in path)


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


def notebook_cells(nb: Notebook) -> list[dict[str, Any]]:
    if nb.get("nbformat") == 3:
        return [cell for ws in nb.get("worksheets", []) for cell in ws.get("cells", [])]
    cells = nb.get("cells")
    return cells if isinstance(cells, list) else []


def cell_text_key(cell: dict[str, Any], nb: Notebook) -> str:
    return text_key(cell.get("cell_type"), nb.get("nbformat"))


def cell_text(cell: dict[str, Any], nb: Notebook) -> str:
    value = cell.get(cell_text_key(cell, nb), "")
    return value if isinstance(value, str) else "".join(str(v) for v in value)


def locate_cell(entry: dict[str, Any], cells: list[dict[str, Any]]) -> int | None:
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


def cell_is_marked(cell: dict[str, Any], nb: Notebook, size: int) -> bool:
    """Whether a cell still holds markers (text or outputs) of the size a record gives."""
    outputs = cell.get("outputs")
    return has_markers(cell_text(cell, nb), size) or (
        isinstance(outputs, list) and resolve_outputs(outputs, Resolution.OURS, size) is not None
    )


def cell_marker_sizes(cell: dict[str, Any], nb: Notebook) -> list[int]:
    """Sizes of the markers in a cell's text and outputs when no record gives one, largest first."""
    sizes = set(marker_sizes(cell_text(cell, nb)))
    outputs = cell.get("outputs")
    if isinstance(outputs, list):
        sizes.update(output_marker_sizes(outputs))
    return sorted(sizes, reverse=True)


def find_stale(nb: Notebook) -> list[dict[str, Any]]:
    """Recorded conflicts whose marks are gone: resolved by hand, but still in the record."""
    cells = notebook_cells(nb)
    stale = []
    for entry in read_record(nb):
        index = locate_cell(entry, cells)
        if index is None or not cell_is_marked(cells[index], nb, marker_size_of(entry)):
            stale.append(entry)
    return stale


def find_conflicts(nb: Notebook) -> list[Finding]:
    """Recorded conflicts still marked, markers without a record, then stale records."""
    cells = notebook_cells(nb)
    stale = find_stale(nb)
    found: list[Finding] = []
    covered: set[int] = set()
    for entry in read_record(nb):
        index = locate_cell(entry, cells)
        if index is not None and not any(entry is s for s in stale):
            covered.add(index)
            found.append(Finding(index, cells[index].get("id"), str(entry.get("kind")),
                                 describe({**entry, "index": index})))
    for index, cell in enumerate(cells):
        if index not in covered and cell_marker_sizes(cell, nb):
            cell_id = cell.get("id")
            where = f"cell {index}" + (f" (id {cell_id})" if cell_id else "")
            found.append(Finding(index, cell_id, UNRECORDED, f"{where}: conflict markers left"))
    for entry in stale:
        message = f"{_where(entry)}: {entry.get('kind')} conflict resolved, but still recorded"
        found.append(Finding(locate_cell(entry, cells), entry.get("cell"), STALE,
                             message + " in metadata.nbcollab.conflicts"))
    return found


def has_cell(nb: Notebook, wanted: str) -> bool:
    """Whether a cell of ``nb`` has the id, or else the index, ``wanted``."""
    return any(wanted in (cell.get("id"), str(index))
               for index, cell in enumerate(notebook_cells(nb)))


def marker_size_of(entry: dict[str, Any]) -> int:
    """The marker size a record entry was written with (the default when it gives none)."""
    size = entry.get("marker_size")
    return size if isinstance(size, int) and 1 <= size <= 1000 else DEFAULT_MARKER_SIZE
