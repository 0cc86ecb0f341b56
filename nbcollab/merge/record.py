"""The conflict record a merge writes into ``metadata.nbcollab.conflicts``: one typed model.

The merge builds these entries, ``conflicts`` and ``resolve`` read them back. Each entry carries
what resolving needs without reading the cell's markers as syntax: for a source conflict the
exact marker lines and each hunk's base, ours and theirs, so that a cell line such as
``=======`` (a markdown heading underline) is never taken for a separator. Entries read from a
file are untrusted input, validated by pydantic (imported only then: the merge driver writes
records without it). Records of older versions stay readable; those that lack what resolving
needs say so (``legacy``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any, Literal

from nbcollab.errors import InvalidNotebook, invalid_value
from nbcollab.merge.markers import DEFAULT_MARKER_SIZE
from nbcollab.safe_text import terminal_safe

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


class _Absent:
    """A value absent from one version (a JSON null is a value)."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()


@dataclass(frozen=True)
class SourceHunk:
    """One hunk: each side's lines, and the agreed text just before/after it in its region.

    A region split on agreed lines carries its whole base in its first hunk; ``--base`` drops
    ``before`` and ``after`` so that exactly the ancestor's lines come back. ``at`` is where the
    merge wrote the hunk in the cell's text (a character offset): the text of a cell may itself
    hold a copy of a hunk, and the copy is content.
    """

    __pydantic_config__ = _STRICT

    base: str
    ours: str
    theirs: str
    before: str = ""
    after: str = ""
    at: int | None = None


@dataclass(frozen=True, kw_only=True)
class _Entry:
    __pydantic_config__ = _STRICT

    cell: str | None = None
    index: int | None = None
    marker_size: int = DEFAULT_MARKER_SIZE


@dataclass(frozen=True, kw_only=True)
class SourceConflict(_Entry):
    """Both sides changed the same lines; ``markers`` are the exact start, mid and end lines."""

    kind: Literal[ConflictKind.SOURCE] = ConflictKind.SOURCE
    markers: tuple[str, str, str] | None = None
    hunks: list[SourceHunk] | list[str] = dataclasses.field(default_factory=list)
    around: list[tuple[str, str]] | None = None  # older records: agreed text per hunk

    @property
    def legacy(self) -> bool:
        """Written before records carried each side's lines: not resolvable from the record."""
        return self.markers is None or any(isinstance(h, str) for h in self.hunks)


@dataclass(frozen=True, kw_only=True)
class DeleteEditConflict(_Entry):
    """Deleted on one side, edited on the other; the kept source sits between ``wrapper``."""

    kind: Literal[ConflictKind.DELETE_EDIT] = ConflictKind.DELETE_EDIT
    deleted_by: Literal["ours", "theirs"]
    base: str = ""
    wrapper: tuple[str, str] | None = None  # exact text before and after the kept source


@dataclass(frozen=True)
class ValueChange:
    """A JSON value both sides changed differently, at ``path`` (ABSENT: the key was absent)."""

    __pydantic_config__ = _STRICT

    path: list[str]
    base: Any = ABSENT
    ours: Any = ABSENT
    theirs: Any = ABSENT


@dataclass(frozen=True, kw_only=True)
class ValuesConflict(_Entry):
    """Metadata, attachments or notebook metadata; ours kept, ``note`` opens the cell's text."""

    kind: Literal[ConflictKind.METADATA, ConflictKind.ATTACHMENTS, ConflictKind.NOTEBOOK_METADATA]
    values: list[ValueChange] = dataclasses.field(default_factory=list)
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class CellTypeConflict(_Entry):
    """The cell type changed differently on both sides; ours kept."""

    kind: Literal[ConflictKind.CELL_TYPE] = ConflictKind.CELL_TYPE
    base: str | None = None
    ours: str | None = None
    theirs: str | None = None
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class OutputsConflict(_Entry):
    """Both sides' outputs kept between marker outputs; ``sections`` counts ours, base, theirs."""

    kind: Literal[ConflictKind.OUTPUTS] = ConflictKind.OUTPUTS
    sections: tuple[int, int, int] | None = None
    counts: tuple[int | None, int | None, int | None] | None = None  # base, ours, theirs


ConflictEntry = (
    SourceConflict | DeleteEditConflict | ValuesConflict | CellTypeConflict | OutputsConflict
)


def entry_to_json(entry: ConflictEntry) -> dict[str, Any]:
    """The JSON object of one entry (absent values and unset optional parts left out)."""
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


def parse_record(raw: Any, *, place: str) -> list[ConflictEntry]:
    """Validate the JSON of ``metadata.nbcollab.conflicts``; InvalidNotebook naming the entry."""
    if not isinstance(raw, list):
        raise InvalidNotebook(f"{place}: not a list; fix or remove it")
    adapter = _adapter()
    entries = []
    for number, item in enumerate(raw):
        entries.append(_parse_entry(adapter, item, f"{place}[{number}]"))
    return entries


def _parse_entry(adapter: Any, item: Any, place: str) -> ConflictEntry:
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
    if isinstance(entry, OutputsConflict) and any(n < 0 for n in entry.sections or ()):
        return "sections must not be negative"
    # Marks are looked for as text: an empty or odd one would match content.
    if (
        isinstance(entry, SourceConflict)
        and entry.markers is not None
        and not all(mark.startswith(char) for mark, char in zip(entry.markers, "<=>"))
    ):
        return "markers must be the opening, separator and closing marker lines"
    if (
        isinstance(entry, (ValuesConflict, CellTypeConflict))
        and entry.note is not None
        and not entry.note.startswith("<")
    ):
        return "note must be the note line the merge wrote"
    if (
        isinstance(entry, DeleteEditConflict)
        and entry.wrapper is not None
        and not (entry.wrapper[0].startswith("<") and entry.wrapper[1])
    ):
        return "wrapper must be the marker text around the kept source"
    return None


_ADAPTER: list[Any] = []  # built once per process: building it costs ~20 ms


def _adapter() -> Any:
    if not _ADAPTER:
        from pydantic import Field, TypeAdapter

        _ADAPTER.append(TypeAdapter(Annotated[ConflictEntry, Field(discriminator="kind")]))
    return _ADAPTER[0]


def shown(text: str) -> str:
    """``text`` as one safe terminal line: control characters (escapes, newlines) escaped."""
    return terminal_safe(text, one_line=True)


def where_of(entry: Any) -> str:
    """Where a conflict is: ``cell 3 (id x)``, ``cell``, or ``notebook metadata``."""
    get = entry.get if isinstance(entry, dict) else lambda name: getattr(entry, name, None)
    if get("kind") in (ConflictKind.NOTEBOOK_METADATA, ConflictKind.NOTEBOOK_METADATA.value):
        return "notebook metadata"
    cell_id, index = get("cell"), get("index")
    where = f"cell {index}" if isinstance(index, int) else "cell"
    return where + (f" (id {shown(cell_id)})" if isinstance(cell_id, str) and cell_id else "")


def describe(entry: ConflictEntry) -> str:
    """One line saying where a recorded conflict is and why."""
    where = where_of(entry)
    if isinstance(entry, SourceConflict):
        return f"{where}: both sides changed the same lines ({len(entry.hunks)} hunk(s))"
    if isinstance(entry, DeleteEditConflict):
        return f"{where}: deleted by {entry.deleted_by}, edited by the other side (kept)"
    if isinstance(entry, ValuesConflict):
        paths = ", ".join(shown(".".join(v.path)) or "(all)" for v in entry.values)
        return f"{where}: both sides changed {entry.kind.value} ({paths}); kept ours"
    if isinstance(entry, CellTypeConflict):
        return f"{where}: cell type changed differently on both sides; kept ours"
    return f"{where}: both sides changed the outputs (both kept between marker outputs)"
