"""Resolving recorded merge conflicts: the one home of every resolution.

Every tool that resolves conflicts (``nbcollab resolve``, the mergetool's buttons, a JupyterLab
extension) calls this module:

- ``Resolution``: what a conflict can be resolved to.
- ``resolve_conflicts(nb, choice, cell=..., entry=...)``: resolves the recorded conflicts of a
  notebook (all of them, one cell's, or one record entry) and rewrites the record.
- ``resolutions_for(entry)``: the resolutions that make a difference for one entry.
- ``resolved_text(text, entry, choice)``: a source conflict's cell text resolved to a side,
  without touching the notebook (what a side looks like before it is chosen).
- ``set_cell_text(nb, index, text)``: a cell's text edited by hand, the record kept in step.

Each conflict is resolved from its record (``nbcollab.merge.record``): the marks the merge wrote
are found exactly as the record describes them and replaced by the chosen side, so nothing else
in the cell changes, and a side comes back byte for byte (line endings and final newline
included). Text that merely looks like markers, without a record, is never touched. Wherever
the record is rewritten, each remaining hunk's offset and each entry's cell index follow the
edits. Pure functions: dicts in, new dicts out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from nbcollab.merge.conflicts import Notebook, is_marked, read_record
from nbcollab.merge.markers import (
    closed_text,
    find_hunks,
    hunk_block,
    output_sections,
    remove_line,
    terminated,
    unwrap_exact,
)
from nbcollab.merge.record import (
    CellTypeConflict,
    ConflictEntry,
    ConflictKind,
    DeleteEditConflict,
    OlderConflict,
    OutputsConflict,
    SourceConflict,
    SourceHunk,
    ValuesConflict,
    locate_cell,
    where_of,
    write_record,
)
from nbcollab.notebook.absent import ABSENT
from nbcollab.notebook.lines import cell_source, iter_cells, text_key

Cell = dict[str, Any]


class Resolution(str, Enum):
    """What a conflict is resolved to (the values are the names tools show and send)."""

    OURS = "ours"
    THEIRS = "theirs"
    BASE = "base"
    UNION = "union"  # ours then theirs
    UNION_THEIRS_FIRST = "union-theirs-first"  # theirs then ours

    @property
    def first_side(self) -> str:
        """The side whose value is kept where only one can be (metadata, type, count)."""
        return {"union": "ours", "union-theirs-first": "theirs"}.get(self.value, self.value)


_EVERY = tuple(Resolution)
_ONE_SIDE = (Resolution.OURS, Resolution.THEIRS, Resolution.BASE)


def resolutions_for(entry: ConflictEntry) -> tuple[Resolution, ...]:
    """The resolutions that make a difference for ``entry`` (a union of two values is ours)."""
    if isinstance(entry, OlderConflict):
        return ()
    if entry.kind in (ConflictKind.SOURCE, ConflictKind.OUTPUTS):
        return _EVERY
    return _ONE_SIDE


@dataclass
class ResolveOutcome:
    """A resolved notebook, how many conflicts were resolved, which could not be (why), and how
    many records of conflicts already resolved by hand were cleared."""

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
    ``choice`` None does only that. InvalidNotebook when the record is malformed.
    """
    nb = _copy_cells(nb)
    cells = iter_cells(nb)
    entries = read_record(nb)
    # Judged before anything is resolved: resolving a cell's source must not make its metadata
    # conflict look resolved by hand.
    places = [locate_cell(e, cells) for e in entries]
    marked = [at is not None and is_marked(e, cells[at]) for e, at in zip(entries, places)]
    outcome = ResolveOutcome(nb, 0, cleared=marked.count(False))
    kept: list[int] = []
    doomed: set[int] = set()
    for number, index in enumerate(places):
        if index is None or not marked[number]:
            continue
        if choice is None or cell not in (None, index) or entry not in (None, number):
            kept.append(number)
            continue
        before = cell_source(cells[index])
        try:
            _apply(nb, cells[index], index, entries[number], choice, doomed)
        except _Unresolvable as why:
            recorded = dataclasses.replace(entries[number], index=index)
            outcome.failed.append(f"{where_of(recorded)}: {why}")
            kept.append(number)
            continue
        outcome.resolved += 1
        _follow_edit(entries, places, index, number, before, cell_source(cells[index]))
    if outcome.resolved or outcome.cleared:
        _delete_cells(nb, doomed)
        survivors = [
            dataclasses.replace(entries[n], index=_index_after(places[n], doomed))
            for n in kept
            if places[n] not in doomed
        ]
        write_record(nb["metadata"], survivors)
    return outcome


def set_cell_text(nb: Notebook, index: int, text: str) -> Notebook:
    """``nb`` with the text of the cell at ``index`` replaced (an edit by hand).

    The record's offsets of the hunks in that cell follow the edit, so that the hunks it left
    alone are still found where they are. IndexError when there is no such cell.
    """
    nb = _copy_cells(nb)
    cells = iter_cells(nb)
    if not 0 <= index < len(cells):
        raise IndexError(f"no cell {index}")
    before = cell_source(cells[index])
    _set_text(cells[index], nb, text)
    entries = read_record(nb)
    places = [locate_cell(e, cells) for e in entries]
    if index in places and before != text:
        _follow_edit(entries, places, index, None, before, text)
        write_record(nb["metadata"], entries)
    return nb


def resolved_text(text: str, entry: SourceConflict, choice: Resolution) -> str | None:
    """``text`` (a cell's) with each hunk of ``entry`` still in it replaced by ``choice``.

    None when it cannot be done exactly: ``BASE`` needs every hunk still marked and the agreed
    lines around them unchanged, since a region's base cannot be split among its hunks.
    """
    try:
        return _resolved_source(text, entry, choice)
    except _Unresolvable:
        return None


# --- one conflict ------------------------------------------------------------------------------


def _apply(
    nb: Notebook, cell: Cell, index: int, entry: ConflictEntry, choice: Resolution, doomed: set[int]
) -> None:
    """Resolve one recorded conflict in place; _Unresolvable when it cannot be done exactly."""
    if isinstance(entry, OlderConflict):
        raise _Unresolvable(
            "recorded by an older nbcollab without what resolving it needs; resolve it by hand"
        )
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
            _set_cell_type(cell, nb, getattr(entry, choice.first_side))
        else:
            _apply_values(cell, entry, choice)
        _set_text(cell, nb, _without_note(cell_source(cell), entry))


def _set_text(cell: Cell, nb: Notebook, text: str) -> None:
    cell[text_key(cell.get("cell_type"), nb.get("nbformat"))] = text


def _resolved_source(text: str, entry: SourceConflict, choice: Resolution) -> str:
    places = find_hunks(text, entry.markers, entry.hunks, entry.length)
    closed = closed_text(text)
    if choice is Resolution.BASE:
        spans = _base_spans(closed, entry, places)
    else:
        spans = [
            (at, at + len(hunk_block(entry.markers, hunk)), hunk, not hunk.before)
            for hunk, at in zip(entry.hunks, places)
            if at is not None
        ]
    out, cursor, opens = [], 0, False
    for start, end, hunk, opens in spans:
        # Nothing of the cell follows a hunk that ends it: the side's own ending is the cell's.
        picked = _pick(hunk, choice, last=end >= len(text))
        out += [closed[cursor:start], picked]
        cursor = end
        opens = opens and not picked
    out.append(text[cursor:])
    result = "".join(out)
    if cursor >= len(text) and opens and not text.endswith("\n"):
        # The conflict region that ends the cell gave nothing: the line before it ends the cell
        # as the merge ended it (without a newline, as the closing marker showed).
        result = result.removesuffix("\n")
    return result


def _base_spans(
    closed: str, entry: SourceConflict, places: list[int | None]
) -> list[tuple[int, int, SourceHunk, bool]]:
    """For ``--base``: each conflict region's span in ``closed`` (its agreed text included) and
    the hunk that carries its base; _Unresolvable when a hunk or the text around it changed."""
    found = [at for at in places if at is not None]
    if len(found) < len(places):
        raise _Unresolvable(_EDITED)
    spans: list[tuple[int, int, SourceHunk, bool]] = []
    for hunk, at in zip(entry.hunks, found):
        start, end = at - len(hunk.before), at + len(hunk_block(entry.markers, hunk))
        if (
            start < (spans[-1][1] if spans else 0)
            or not closed.startswith(hunk.before, start)
            or not closed.startswith(hunk.after, end)
        ):
            raise _Unresolvable(_EDITED)
        end += len(hunk.after)
        if spans and hunk.before and spans[-1][1] == start and not spans[-1][2].after:
            # Agreed lines split one region into these hunks: the first carries all its base.
            spans[-1] = (
                spans[-1][0],
                end,
                dataclasses.replace(spans[-1][2], after=hunk.after),
                True,
            )
        else:
            spans.append((start, end, hunk, True))
    return spans


_EDITED = "part of it was edited by hand, so the ancestor's lines no longer fit"


def _pick(hunk: SourceHunk, choice: Resolution, *, last: bool) -> str:
    def fit(side: str) -> str:
        return side if last else terminated(side)

    if choice is Resolution.UNION:
        return _joined(hunk.ours, fit(hunk.theirs))
    if choice is Resolution.UNION_THEIRS_FIRST:
        return _joined(hunk.theirs, fit(hunk.ours))
    return fit(str(getattr(hunk, choice.value)))


def _joined(first: str, second: str) -> str:
    first = terminated(first)
    if first.endswith("\r") and second.startswith("\n"):
        # A line ended by a lone CR would join the next side's first line (an empty one) into
        # a CRLF.
        first += "\n"
    return first + second


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
        _set_text(cell, nb, entry.base)
        return
    kept = unwrap_exact(cell_source(cell), *entry.wrapper)  # the edit, whichever union
    if kept is None:
        raise _Unresolvable("the markers around the kept cell were edited")
    _set_text(cell, nb, kept)


def _apply_outputs(cell: Cell, nb: Notebook, entry: OutputsConflict, choice: Resolution) -> None:
    outputs = cell.get("outputs")
    sections = (
        output_sections(outputs, entry.sections, entry.marker_size)
        if isinstance(outputs, list)
        else None
    )
    if sections is None:
        raise _Unresolvable("the marker outputs were moved or edited")
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


# --- keeping the record in step ----------------------------------------------------------------


def _follow_edit(
    entries: list[ConflictEntry],
    places: list[int | None],
    cell: int,
    done: int | None,
    before: str,
    after: str,
) -> None:
    """Move the offsets of the source entries of ``cell`` (but entry ``done``) with its edit."""
    if before == after:
        return
    edit = _text_edit(before, after)
    for other, at in enumerate(places):
        entry = entries[other]
        if other != done and at == cell and isinstance(entry, SourceConflict):
            entries[other] = _shifted(entry, edit)


def _text_edit(old: str, new: str) -> tuple[int, int]:
    """The change from ``old`` to ``new`` as (where it ends in ``old``, how far what follows
    moved). The common end is taken first and as long as it goes, so that an offset in it, at
    or after the change, moves with it."""
    tail = 0
    limit = min(len(old), len(new))
    while tail < limit and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    return len(old) - tail, len(new) - len(old)


def _shifted(entry: SourceConflict, edit: tuple[int, int]) -> SourceConflict:
    end, delta = edit
    hunks = [dataclasses.replace(h, at=h.at + delta) if h.at >= end else h for h in entry.hunks]
    return dataclasses.replace(entry, hunks=hunks, length=entry.length + delta)


def _index_after(index: int | None, doomed: set[int]) -> int | None:
    return None if index is None else index - sum(1 for gone in doomed if gone < index)


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
