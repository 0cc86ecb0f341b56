"""Conflict records of older versions, upgraded to the current one when they are read.

The one place that knows older record formats. Version 1 is every record written before records
carried a version: entries may lack the exact marks (a note line, the wrapper of a kept cell,
the places of marker outputs, the offsets of source hunks) that the current version records.
They are completed here from the cell, once, with the marker patterns those versions relied on;
an entry that cannot be completed (a source conflict recorded without each side's lines, or one
whose marks are gone) becomes an ``OlderConflict``, which is listed and resolved by hand only.
Pure functions on the record's JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import pairwise
from typing import Any

from nbcollab.merge.markers import (
    DEFAULT_MARKER_SIZE,
    NOTE_PREFIX,
    closed_text,
    find_line_block,
    has_start_marker,
    marker_pattern,
    output_marker,
    terminated,
)
from nbcollab.merge.record import (
    RECORD_VERSION,
    ConflictKind,
    OlderConflict,
    locate_cell,
    record_adapter,
)
from nbcollab.notebook.lines import cell_source

Raw = dict[str, Any]
Cell = Mapping[str, Any]


def upgrade_record(raw: list[Any], version: int, cells: Sequence[Cell]) -> list[Any]:
    """The entries of a record of ``version`` as entries of the current version.

    Each is a JSON object for the current model to validate, or an ``OlderConflict``. Anything
    not of an older entry's shape is passed on as it is, for validation to name.
    """
    if version == RECORD_VERSION:
        return raw
    return [_upgrade_v1(item, cells) for item in raw]


def _upgrade_v1(item: Any, cells: Sequence[Cell]) -> Any:
    if not isinstance(item, dict) or item.get("kind") not in _V1:
        return item
    index = locate_cell(item, cells)
    cell = cells[index] if index is not None else None
    size = item.get("marker_size", DEFAULT_MARKER_SIZE)
    if not isinstance(size, int) or not 1 <= size <= 1000:
        return item
    return _V1[item["kind"]](item, cell, size)


def _older(item: Raw, marked: bool, **stand_ins: Any) -> Any:
    """An ``OlderConflict`` for ``item``, whose marks could not be completed; ``item`` itself
    (for validation to name what is wrong) when it is not of an older entry's shape either:
    with ``stand_ins`` for the parts it lacks, it must be an entry of the current version."""
    # ``around`` (agreed text per hunk) is of version 1 only, and no longer read.
    if not _well_formed({**{k: v for k, v in item.items() if k != "around"}, **stand_ins}):
        return item
    return OlderConflict(
        kind=ConflictKind(item["kind"]),
        cell=item.get("cell"),
        index=item.get("index"),
        marker_size=item.get("marker_size", DEFAULT_MARKER_SIZE),
        marked=marked,
        raw=item,
    )


def _well_formed(entry: Raw) -> bool:
    from pydantic import ValidationError

    try:
        record_adapter().validate_python(entry)
    except ValidationError:
        return False
    return True


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _source(item: Raw, cell: Cell | None, size: int) -> Any:
    text = cell_source(cell) if cell is not None else ""
    markers, hunks = item.get("markers"), item.get("hunks")
    if isinstance(hunks, list) and hunks and all(isinstance(h, str) for h in hunks):
        # Recorded without each side's lines: nothing to resolve to but what the markers say.
        marked = cell is not None and has_start_marker(text, size)
        return _older(item, marked, markers=["<\n", "=\n", ">\n"], hunks=[], length=0)
    if not (
        isinstance(markers, list)
        and _strings(markers, 3)
        and isinstance(hunks, list)
        and all(isinstance(h, dict) and _strings([h.get("ours"), h.get("theirs")]) for h in hunks)
    ):
        return item
    hunks = [dict(h) for h in hunks]
    closed, cursor = closed_text(text), 0
    for hunk in hunks:
        block = markers[0] + hunk["ours"] + markers[1] + hunk["theirs"] + markers[2]
        at = hunk.get("at")
        if not _count(at):
            at = find_line_block(closed, block, cursor)
            hunk["at"] = cursor if at is None else at
        cursor = hunk["at"] + len(block)
    if hunks and not text.endswith("\n") and cursor == len(closed):
        # The last hunk ends the text, whose final newline the merge dropped: these versions
        # recorded its sides with the newline the current version records only where a side
        # had one, and resolving dropped it again.
        last = hunks[-1]
        for side in ("base", "ours", "theirs"):
            if isinstance(last.get(side), str):
                last[side] = _unterminated(last[side])
    upgraded = {k: v for k, v in item.items() if k != "around"}  # agreed text: now per hunk
    upgraded["hunks"] = hunks
    upgraded.setdefault("length", len(text))
    return upgraded


def _unterminated(side: str) -> str:
    shorter = side[:-1]
    return shorter if side.endswith("\n") and shorter and terminated(shorter) == side else side


def _delete_edit(item: Raw, cell: Cell | None, size: int) -> Any:
    if item.get("wrapper") is not None:
        return item
    stand_in = {"wrapper": ["<", ">"]}
    if cell is None or item.get("deleted_by") not in ("ours", "theirs"):
        return _older(item, False, **stand_in)
    head, tail = ("<=", ">") if item["deleted_by"] == "ours" else ("<", "=>")
    lines = cell_source(cell).splitlines(True)
    wrapper = lines[: len(head)], lines[len(lines) - len(tail) :]
    if len(lines) < len(head) + len(tail) or not all(
        marker_pattern(char, size).match(line)
        for char, line in zip(head + tail, wrapper[0] + wrapper[1])
    ):
        return _older(item, False, **stand_in)
    return {**item, "wrapper": ["".join(wrapper[0]), "".join(wrapper[1])]}


def _note(item: Raw, cell: Cell | None, size: int) -> Any:
    if item.get("note") is not None:
        return item
    start = marker_pattern("<", size)
    for line in cell_source(cell).splitlines(True) if cell is not None else ():
        if start.match(line) and line[size + 1 :].startswith(NOTE_PREFIX):
            return {**item, "note": terminated(line)}
    return _older(item, False, note="<")


def _outputs(item: Raw, cell: Cell | None, size: int) -> Any:
    outputs = cell.get("outputs") if cell is not None else None
    stand_in = {"sections": [0, 0, 0], "counts": [None, None, None]}
    if not isinstance(outputs, list):
        return _older(item, False, **{k: v for k, v in stand_in.items() if item.get(k) is None})
    upgraded = dict(item)
    if item.get("sections") is None:
        marks = [(at, output_marker(out, size)) for at, out in enumerate(outputs)]
        marks = [(at, char) for at, char in marks if char is not None]
        if [char for _, char in marks] != list("<|=>") or (marks[0][0], marks[-1][0]) != (
            0,
            len(outputs) - 1,
        ):
            marked = any(char == "<" for _, char in marks)
            return _older(
                item, marked, **{k: v for k, v in stand_in.items() if item.get(k) is None}
            )
        between = [b - a - 1 for (a, _), (b, _) in pairwise(marks)]
        upgraded["sections"] = between
    if item.get("counts") is None:
        # Only ours' count is known (it is the cell's); the others resolve to no count.
        count = cell.get("execution_count", cell.get("prompt_number"))  # type: ignore[union-attr]
        upgraded["counts"] = [None, count if _count(count) else None, None]
    return upgraded


def _strings(value: Any, size: int | None = None) -> bool:
    return (
        isinstance(value, list)
        and (size is None or len(value) == size)
        and all(isinstance(v, str) for v in value)
    )


_V1: dict[str, Callable[[Raw, Cell | None, int], Any]] = {
    ConflictKind.SOURCE.value: _source,
    ConflictKind.DELETE_EDIT.value: _delete_edit,
    ConflictKind.METADATA.value: _note,
    ConflictKind.ATTACHMENTS.value: _note,
    ConflictKind.NOTEBOOK_METADATA.value: _note,
    ConflictKind.CELL_TYPE.value: _note,
    ConflictKind.OUTPUTS.value: _outputs,
}
