"""The conflict record a merge writes into ``metadata.nbcollab``: one typed, versioned model.

The merge builds these entries; ``conflicts``, ``resolve`` and the mergetool read them back. Each
entry carries what resolving needs without reading the cell's markers as syntax: for a source
conflict the exact marker lines and each hunk's base, ours and theirs, so that a cell line such as
``=======`` (a markdown heading underline) is never taken for a separator. The format is
documented in ``docs/formats.md`` with a JSON Schema (``conflict-record.schema.json``).

Records are versioned (``metadata.nbcollab.record_version``). A record of an older version is
upgraded when it is read, in one place (``nbcollab.merge.upgrade``), so that everything else
sees the current model only. Entries read from a file are untrusted input, validated by pydantic
(imported only then: the merge driver writes records without it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any, Literal

from nbcollab.errors import InvalidNotebook, invalid_value
from nbcollab.merge.markers import DEFAULT_MARKER_SIZE
from nbcollab.notebook.absent import ABSENT
from nbcollab.notebook.cells import cell_name
from nbcollab.safe_text import terminal_safe

# The version this nbcollab writes; a record without ``record_version`` is version 1.
RECORD_VERSION = 2
_STRICT = {"extra": "forbid"}


class ConflictKind(str, Enum):
    """What conflicted, and so how it is resolved."""

    SOURCE = "source"
    DELETE_EDIT = "delete-edit"
    METADATA = "metadata"
    ATTACHMENTS = "attachments"
    CELL_TYPE = "cell-type"
    OUTPUTS = "outputs"
    NOTEBOOK_METADATA = "notebook-metadata"


@dataclass(frozen=True, kw_only=True)
class SourceHunk:
    """One hunk: each side's exact text, and the agreed text just before/after it in its region.

    A side that ends its version without a final newline is recorded without it (the cell shows
    it with one, so that the next marker starts a line). A region split on agreed lines carries
    its whole base in its first hunk; resolving to the base drops ``before`` and ``after`` so
    that exactly the ancestor's lines come back. ``at`` is where the hunk starts in the cell's
    text (a character offset, kept up to date when the record is rewritten): the text of a cell
    may itself hold a copy of a hunk, and the copy is content.
    """

    __pydantic_config__ = _STRICT

    base: str
    ours: str
    theirs: str
    at: int
    before: str = ""
    after: str = ""


@dataclass(frozen=True, kw_only=True)
class _Entry:
    __pydantic_config__ = _STRICT

    cell: str | None = None
    index: int | None = None
    marker_size: int = DEFAULT_MARKER_SIZE


@dataclass(frozen=True, kw_only=True)
class SourceConflict(_Entry):
    """Both sides changed the same lines; ``markers`` are the exact start, mid and end lines.

    ``length`` is the length of the cell's text when the hunks' offsets were set: a hunk is
    looked for from the end of the text too, past hunks resolved by hand above it.
    """

    kind: Literal[ConflictKind.SOURCE] = ConflictKind.SOURCE
    markers: tuple[str, str, str]
    hunks: list[SourceHunk]
    length: int


@dataclass(frozen=True, kw_only=True)
class DeleteEditConflict(_Entry):
    """Deleted on one side, edited on the other; the kept source sits between ``wrapper``."""

    kind: Literal[ConflictKind.DELETE_EDIT] = ConflictKind.DELETE_EDIT
    deleted_by: Literal["ours", "theirs"]
    base: str = ""
    wrapper: tuple[str, str]  # the exact text before and after the kept source


@dataclass(frozen=True)
class ValueConflict:
    """A JSON value both sides changed differently, at ``path`` (``ABSENT``: the key was absent).

    The merge keeps ours; the record keeps all three for resolving.
    """

    __pydantic_config__ = _STRICT

    path: tuple[str, ...]
    base: Any = ABSENT
    ours: Any = ABSENT
    theirs: Any = ABSENT


@dataclass(frozen=True, kw_only=True)
class ValuesConflict(_Entry):
    """Metadata, attachments or notebook metadata; ours kept, ``note`` opens the cell's text."""

    kind: Literal[ConflictKind.METADATA, ConflictKind.ATTACHMENTS, ConflictKind.NOTEBOOK_METADATA]
    values: list[ValueConflict]
    note: str


@dataclass(frozen=True, kw_only=True)
class CellTypeConflict(_Entry):
    """The cell type changed differently on both sides; ours kept."""

    kind: Literal[ConflictKind.CELL_TYPE] = ConflictKind.CELL_TYPE
    base: str | None = None
    ours: str | None = None
    theirs: str | None = None
    note: str


@dataclass(frozen=True, kw_only=True)
class OutputsConflict(_Entry):
    """Both sides' outputs kept between marker outputs; ``sections`` counts ours, base, theirs."""

    kind: Literal[ConflictKind.OUTPUTS] = ConflictKind.OUTPUTS
    sections: tuple[int, int, int]
    counts: tuple[int | None, int | None, int | None]  # base, ours, theirs


@dataclass(frozen=True, kw_only=True)
class OlderConflict(_Entry):
    """An entry of an older record that lacks what resolving needs: resolved by hand only.

    Built when such a record is read (never validated, never written in this version's shape):
    ``marked`` says whether its marks were still in the cell then, ``raw`` is the entry as read,
    written back unchanged while the conflict stays.
    """

    kind: ConflictKind
    marked: bool
    raw: Mapping[str, Any]


ConflictEntry = (
    SourceConflict
    | DeleteEditConflict
    | ValuesConflict
    | CellTypeConflict
    | OutputsConflict
    | OlderConflict
)


def entry_to_json(entry: ConflictEntry) -> dict[str, Any]:
    """The JSON object of one entry (absent values and unset optional parts left out)."""
    if isinstance(entry, OlderConflict):
        return {**entry.raw, "cell": entry.cell, "index": entry.index}
    out: dict[str, Any] = {"kind": entry.kind.value}
    for item in dataclasses.fields(entry):
        value = getattr(entry, item.name)
        if item.name == "kind" or (value is None and item.name not in ("cell", "index")):
            continue
        out[item.name] = _json(value)
    return out


def _json(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        # Parts at their default (an absent value, no agreed text) are left out.
        return {
            f.name: _json(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if getattr(value, f.name) is not f.default
        }
    if isinstance(value, (list, tuple)):
        return [_json(item) for item in value]
    return value


def write_record(holder: dict[str, Any], entries: Sequence[ConflictEntry]) -> None:
    """Store ``entries`` as the record in a notebook's ``metadata`` (in place; none: no record).

    The record is marked with this version unless an older entry is kept as it was read.
    """
    own = dict(holder.get("nbcollab") or {})
    own.pop("conflicts", None)
    own.pop("record_version", None)
    if entries:
        own["conflicts"] = [entry_to_json(entry) for entry in entries]
        if not any(isinstance(entry, OlderConflict) for entry in entries):
            own["record_version"] = RECORD_VERSION
    if own:
        holder["nbcollab"] = own
    else:
        holder.pop("nbcollab", None)


def parse_record(
    own: Mapping[str, Any], cells: Sequence[Mapping[str, Any]], *, place: str
) -> list[ConflictEntry]:
    """The entries of ``metadata.nbcollab`` (``own``), upgraded to this version and validated.

    ``cells`` are the notebook's cells: an older record is completed from them. InvalidNotebook
    naming the entry when one is malformed, or when the record is of a newer version.
    """
    from nbcollab.merge.upgrade import upgrade_record

    raw = own.get("conflicts")
    version = own.get("record_version", 1)
    if not isinstance(raw, list):
        raise InvalidNotebook(f"{place}: not a list; fix or remove it")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise InvalidNotebook(f"{place}: record_version is not a version number; fix or remove it")
    if version > RECORD_VERSION:
        raise InvalidNotebook(
            f"{place}: written by a newer nbcollab (record version {version}); upgrade nbcollab"
        )
    adapter = record_adapter()
    entries: list[ConflictEntry] = []
    for number, item in enumerate(upgrade_record(raw, version, cells)):
        where = f"{place}[{number}]"
        entries.append(item if isinstance(item, OlderConflict) else _parse(adapter, item, where))
    return entries


def _parse(adapter: Any, item: Any, place: str) -> ConflictEntry:
    from pydantic import ValidationError

    try:
        entry: ConflictEntry = adapter.validate_python(item)
    except ValidationError as exc:
        first = exc.errors()[0]
        # The first part of the location is the kind (the union's tag), and parts such as
        # ``list[str]`` name a member of a union: not fields.
        loc = [str(p) for p in first["loc"][1:] if "[" not in str(p)]
        field = shown(".".join(loc)) + ": " if loc else ""
        where = f" ({where_of(item)})" if isinstance(item, dict) else ""
        raise InvalidNotebook(
            f"{place}{where}: {field}{invalid_value(first)}; fix or remove the entry"
        ) from None
    problem = _shape_problem(entry)
    if problem:
        raise InvalidNotebook(f"{place} ({where_of(entry)}): {problem}; fix or remove the entry")
    return entry


def _shape_problem(entry: ConflictEntry) -> str | None:
    if not 1 <= entry.marker_size <= 1000:
        return "marker_size must be from 1 to 1000"
    if entry.index is not None and entry.index < 0:
        return "index must not be negative"
    if isinstance(entry, OutputsConflict) and any(n < 0 for n in entry.sections):
        return "sections must not be negative"
    if isinstance(entry, SourceConflict) and (
        entry.length < 0 or any(hunk.at < 0 for hunk in entry.hunks)
    ):
        return "length and offsets must not be negative"
    # Marks are looked for as text: an empty or odd one would match content.
    if isinstance(entry, SourceConflict) and not all(
        mark.startswith(char) and mark.endswith("\n") for mark, char in zip(entry.markers, "<=>")
    ):
        return "markers must be the opening, separator and closing marker lines"
    if isinstance(entry, (ValuesConflict, CellTypeConflict)) and not entry.note.startswith("<"):
        return "note must be the note line the merge wrote"
    if isinstance(entry, DeleteEditConflict) and not (
        entry.wrapper[0].startswith("<") and entry.wrapper[1]
    ):
        return "wrapper must be the marker text around the kept source"
    return None


_ADAPTER: list[Any] = []  # built once per process: building it costs ~20 ms


def record_adapter() -> Any:
    """The pydantic validator of one entry of the current version (built once, on first use)."""
    if not _ADAPTER:
        from pydantic import Field, TypeAdapter

        recorded = (
            SourceConflict
            | DeleteEditConflict
            | ValuesConflict
            | CellTypeConflict
            | OutputsConflict
        )
        _ADAPTER.append(TypeAdapter(Annotated[recorded, Field(discriminator="kind")]))
    return _ADAPTER[0]


def locate_cell(entry: Any, cells: Sequence[Mapping[str, Any]]) -> int | None:
    """The cell a recorded conflict is in: by id, else by index when that cell has no other id.

    ``entry`` is an entry or its JSON object.
    """
    get = entry.get if isinstance(entry, Mapping) else lambda name: getattr(entry, name, None)
    cell_id, recorded = get("cell"), get("index")
    if isinstance(cell_id, str):
        for index, cell in enumerate(cells):
            if cell.get("id") == cell_id:
                return index
    if (
        isinstance(recorded, int)
        and not isinstance(recorded, bool)
        and 0 <= recorded < len(cells)
        and not (isinstance(cell_id, str) and cells[recorded].get("id") not in (None, cell_id))
    ):
        return recorded
    return None


def shown(text: str) -> str:
    """``text`` as one safe terminal line: control characters (escapes, newlines) escaped."""
    return terminal_safe(text, one_line=True)


def where_of(entry: Any) -> str:
    """Where a conflict is: ``cell 3 (id x)`` (numbered from 1, the record's index + 1),
    ``cell``, or ``notebook metadata``."""
    get = entry.get if isinstance(entry, Mapping) else lambda name: getattr(entry, name, None)
    if get("kind") in (ConflictKind.NOTEBOOK_METADATA, ConflictKind.NOTEBOOK_METADATA.value):
        return "notebook metadata"
    cell_id, index = get("cell"), get("index")
    if isinstance(index, int):
        return cell_name(index, cell_id=cell_id)
    return "cell" + (f" (id {shown(cell_id)})" if isinstance(cell_id, str) and cell_id else "")


def describe(entry: ConflictEntry, marked: int | None = None) -> str:
    """One line saying where a recorded conflict is and why (``marked``: how many of a source
    conflict's hunks are still marked, when some were resolved by hand)."""
    where = where_of(entry)
    if isinstance(entry, OlderConflict):
        return (
            f"{where}: {entry.kind.value} conflict recorded by an older nbcollab; edit it by hand"
        )
    if isinstance(entry, SourceConflict):
        count = len(entry.hunks)
        if marked is not None and marked < count:
            return f"{where}: both sides changed the same lines ({marked} of {count} hunks left)"
        return f"{where}: both sides changed the same lines ({count} hunk{'s' * (count != 1)})"
    if isinstance(entry, DeleteEditConflict):
        return f"{where}: deleted by {entry.deleted_by}, edited by the other side (kept)"
    if isinstance(entry, ValuesConflict):
        paths = ", ".join(shown(".".join(v.path)) or "(all)" for v in entry.values)
        return f"{where}: both sides changed {entry.kind.value} ({paths}); kept ours"
    if isinstance(entry, CellTypeConflict):
        return f"{where}: cell type changed differently on both sides; kept ours"
    return f"{where}: both sides changed the outputs (both kept between marker outputs)"
