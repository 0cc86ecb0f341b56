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
edits. Pure functions: dicts in, new dicts out. Inside: ``choice`` (the vocabulary), ``text``
(a source conflict in its cell's text) and ``cells`` (each kind of conflict in its cell).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from nbcollab.merge.conflicts import Notebook, is_marked, read_record
from nbcollab.merge.markers import find_hunks
from nbcollab.merge.record import ConflictEntry, SourceConflict, locate_cell, where_of, write_record
from nbcollab.merge.resolve.cells import apply_resolution, set_text
from nbcollab.merge.resolve.choice import Resolution, Unresolvable, resolutions_for
from nbcollab.merge.resolve.text import resolved_text
from nbcollab.notebook.lines import cell_source, iter_cells

__all__ = [
    "Resolution",
    "ResolveOutcome",
    "resolutions_for",
    "resolve_conflicts",
    "resolved_text",
    "set_cell_text",
]


@dataclass
class ResolveOutcome:
    """A resolved notebook, how many conflicts were resolved, which could not be (why), and how
    many records of conflicts already resolved by hand were cleared."""

    notebook: Notebook
    resolved: int
    failed: list[str] = field(default_factory=list)
    cleared: int = 0
    # Of those resolved to a union, how many hold one value only (metadata, a cell's type, an
    # execution count): those got the first side's value (``Resolution.first_side``).
    one_value: int = 0


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
            apply_resolution(nb, cells[index], index, entries[number], choice, doomed)
        except Unresolvable as why:
            recorded = dataclasses.replace(entries[number], index=index)
            outcome.failed.append(f"{where_of(recorded)}: {why}")
            kept.append(number)
            continue
        outcome.resolved += 1
        outcome.one_value += choice.first_side != choice.value and choice not in resolutions_for(
            entries[number]
        )
        _follow_edit(entries, places, index, number, before, cell_source(cells[index]))
    if outcome.resolved or outcome.cleared:
        _delete_cells(nb, doomed)
        survivors = [
            _placed(
                dataclasses.replace(entries[n], index=_index_after(at, doomed)),
                cell_source(cells[at]),
            )
            for n, at in ((n, places[n]) for n in kept)
            if at is not None and at not in doomed
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
    set_text(cells[index], nb, text)
    entries = read_record(nb)
    places = [locate_cell(e, cells) for e in entries]
    if index in places and before != text:
        _follow_edit(entries, places, index, None, before, text)
        write_record(nb["metadata"], entries)
    return nb


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


def _placed(entry: ConflictEntry, text: str) -> ConflictEntry:
    """A source entry with each hunk's offset where it is now found in ``text`` (the cell's), so
    that an edit by hand made outside nbcollab is not guessed at again. A hunk no longer there
    (resolved by hand) moves as the nearest hunk found before it did."""
    if not isinstance(entry, SourceConflict):
        return entry
    places = find_hunks(text, entry.markers, entry.hunks, entry.length)
    hunks, moved = [], 0
    for hunk, at in zip(entry.hunks, places):
        moved = moved if at is None else at - hunk.at
        hunks.append(dataclasses.replace(hunk, at=hunk.at + moved))
    return dataclasses.replace(entry, hunks=hunks, length=len(text))


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
