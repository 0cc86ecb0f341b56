"""The order of the merged cells: both sides' edits to the cell sequence, on the alignment.

Each merged cell is a ``Slot`` naming the base, local and remote cells it comes from. Local's order
is the skeleton; each of remote's insertions follows the remote cell before it, after the cells local
inserted there (local first); remote's moves are honoured unless local moved the cell too;
identical insertions collapse; a cell deleted on one side but edited on the other is kept and
marked ``deleted_by``; a cell both sides replaced by new cells at its place is merged with one
of each side's as a cell both edited (a conflict unless the edits agree), never kept twice.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nbcollab.align.cells import Alignment, align_cells
from nbcollab.merge.insertions import Gone, Slot, Versions, merge_insertions

__all__ = ["Slot", "merge_cell_order"]

Cell = Mapping[str, Any]


@dataclass
class _Sides:
    base: Sequence[Cell]
    local: Sequence[Cell]
    remote: Sequence[Cell]
    to_local: Alignment
    to_remote: Alignment


def merge_cell_order(
    base: Sequence[Cell],
    local: Sequence[Cell],
    remote: Sequence[Cell],
    *,
    edited: Callable[[Cell, Cell], bool],
    two_way: bool = False,
) -> list[Slot]:
    """The merged cell sequence; ``edited(base_cell, cell)`` tells an edit from an unchanged cell.

    ``two_way`` (no base version at all) pairs similar new cells of both sides, so that a notebook
    added on two branches merges cell by cell instead of being doubled.
    """
    sides = _Sides(base, local, remote, align_cells(base, local), align_cells(base, remote))
    skeleton, positions = _local_skeleton(sides, edited)
    kept = {
        slot.base: pos
        for pos, slot in enumerate(skeleton)
        if slot.deleted_by == "theirs" and slot.base is not None
    }
    pending = _remote_placements(sides, positions, kept, edited)
    return _assemble(sides, skeleton, pending, _gone_at(sides, {**positions, **kept}), two_way)


def _local_skeleton(
    sides: _Sides, edited: Callable[[Cell, Cell], bool]
) -> tuple[list[Slot], dict[int, int]]:
    """Local's cells in local's order, and base index -> position in it."""
    to_remote = sides.to_remote.old_to_new()
    moved_l, moved_r = sides.to_local.moved, sides.to_remote.moved
    base_of = sides.to_local.new_to_old()
    skeleton: list[Slot] = []
    positions: dict[int, int] = {}
    for j, cell in enumerate(sides.local):
        i = base_of.get(j)
        if i is None:
            skeleton.append(Slot(None, j, None))
            continue
        k = to_remote.get(i)
        if k is None:
            if edited(sides.base[i], cell):
                skeleton.append(Slot(i, j, None, deleted_by="theirs"))
            continue
        if i in moved_r and i not in moved_l:
            continue  # remote moved it and local did not: it goes where remote put it
        positions[i] = len(skeleton)
        skeleton.append(Slot(i, j, k))
    return skeleton, positions


def _remote_placements(
    sides: _Sides,
    positions: dict[int, int],
    kept: dict[int, int],
    edited: Callable[[Cell, Cell], bool],
) -> dict[int, list[Slot]]:
    """Remote's cells that local's skeleton lacks, keyed by the skeleton position they follow.

    ``kept`` maps the base cells remote deleted but local edited (kept, in the skeleton) to their
    positions: remote has no cell for them to follow, so a remote cell after them in base order
    follows them explicitly, and a crossed delete-vs-edit keeps the base order.
    """
    to_local = sides.to_local.old_to_new()
    moved_l, moved_r = sides.to_local.moved, sides.to_remote.moved
    base_of = sides.to_remote.new_to_old()
    kept_bases = sorted(kept)
    pending: dict[int, list[Slot]] = {}
    anchor = previous = -1
    for k, cell in enumerate(sides.remote):
        i = base_of.get(k)
        if i is not None and i in positions:
            anchor, previous = positions[i], i
            continue
        if i is not None and i not in moved_r:
            anchor = _after_kept(kept, kept_bases, previous, i, anchor)
            previous = i
        j = None if i is None else to_local.get(i)
        if i is None:
            slot: Slot | None = Slot(None, None, k)
        elif j is None:
            slot = Slot(i, None, k, deleted_by="ours") if edited(sides.base[i], cell) else None
        else:
            slot = Slot(i, j, k) if i in moved_r and i not in moved_l else None
        if slot is not None:
            pending.setdefault(anchor, []).append(slot)
    return pending


def _after_kept(
    kept: dict[int, int], kept_bases: list[int], low: int, high: int, anchor: int
) -> int:
    """``anchor``, moved past the kept cells whose base index lies between ``low`` and ``high``."""
    between = kept_bases[bisect_right(kept_bases, low) : bisect_left(kept_bases, high)]
    return max([anchor, *(kept[b] for b in between)])


def _gone_at(sides: _Sides, positions: dict[int, int]) -> dict[int, list[Gone]]:
    """Base cells both sides deleted, keyed by the skeleton position of the base cell before
    them on both sides (``positions``: base index -> skeleton position), with the new cells
    each side has in their place; a cell whose place the sides' orders do not agree on (a move
    around it) has none."""
    gone = sorted(set(sides.to_local.deleted) & set(sides.to_remote.deleted))
    gaps = [
        _Gaps(sides.to_local, len(sides.base), len(sides.local)),
        _Gaps(sides.to_remote, len(sides.base), len(sides.remote)),
    ]
    places: dict[int, list[Gone]] = {}
    for i in gone:
        (before_l, local), (before_r, remote) = (gap.around(i) for gap in gaps)
        anchor = positions.get(before_l) if before_l >= 0 else -1
        if before_l == before_r and anchor is not None:
            places.setdefault(anchor, []).append(Gone(i, local, remote))
    return places


class _Gaps:
    """Where an unmatched base cell was in a version: between which in-order matches."""

    def __init__(self, alignment: Alignment, n_old: int, n_new: int) -> None:
        chain = sorted((m.old, m.new) for m in alignment.matches if m.old not in alignment.moved)
        self._chain = [(-1, -1), *chain, (n_old, n_new)]
        self._olds = [old for old, _ in self._chain]

    def around(self, old: int) -> tuple[int, range]:
        """The base cell matched before ``old`` (-1: none), and the version's cells between."""
        after = bisect_left(self._olds, old)
        (before, start), (_, stop) = self._chain[after - 1], self._chain[after]
        return before, range(start + 1, stop)


def _assemble(
    sides: _Sides,
    skeleton: list[Slot],
    pending: dict[int, list[Slot]],
    gone: dict[int, list[Gone]],
    two_way: bool,
) -> list[Slot]:
    """Local's skeleton, remote's cells after the local insertions that follow their anchor."""
    out: list[Slot] = []
    run: list[Slot] = []
    anchor = -1
    for pos, slot in enumerate(skeleton):
        if slot.base is None:
            run.append(slot)
            continue
        out.extend(_insertions(sides, run, pending.pop(anchor, []), gone.get(anchor), two_way))
        run = []
        out.append(slot)
        anchor = pos
    out.extend(_insertions(sides, run, pending.pop(anchor, []), gone.get(anchor), two_way))
    for rest in pending.values():  # cannot happen with a consistent alignment; never drop cells
        out.extend(rest)
    return out


def _insertions(
    sides: _Sides, ours: list[Slot], theirs: list[Slot], gone: list[Gone] | None, two_way: bool
) -> list[Slot]:
    cells = Versions(sides.base, sides.local, sides.remote)
    return merge_insertions(cells, ours, theirs, gone or [], two_way=two_way)
