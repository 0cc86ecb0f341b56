"""The order of the merged cells: both sides' edits to the cell sequence, on the alignment.

Each merged cell is a ``Slot`` naming the base, local and remote cells it comes from. Local's order
is the skeleton; each of remote's insertions follows the remote cell before it, after the cells local
inserted there (local first); remote's moves are honoured unless local moved the cell too;
identical insertions collapse; a cell deleted on one side but edited on the other is kept and
marked ``deleted_by``.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nbcollab.align.cells import Alignment, align_cells, cell_key, lcs_pairs

Cell = Mapping[str, Any]


@dataclass(frozen=True)
class Slot:
    """One merged cell: the indices of the versions it merges (None where a side lacks it)."""

    base: int | None
    local: int | None
    remote: int | None
    deleted_by: str | None = None  # "ours" | "theirs": a delete-vs-edit conflict


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
    return _assemble(sides, skeleton, pending, two_way)


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


def _assemble(
    sides: _Sides, skeleton: list[Slot], pending: dict[int, list[Slot]], two_way: bool
) -> list[Slot]:
    """Local's skeleton, remote's cells after the local insertions that follow their anchor."""
    out: list[Slot] = []
    run: list[Slot] = []
    anchor = -1
    for pos, slot in enumerate(skeleton):
        if slot.base is None:
            run.append(slot)
            continue
        out.extend(_merge_insertions(sides, run, pending.pop(anchor, []), two_way))
        run = []
        out.append(slot)
        anchor = pos
    out.extend(_merge_insertions(sides, run, pending.pop(anchor, []), two_way))
    for rest in pending.values():  # cannot happen with a consistent alignment; never drop cells
        out.extend(rest)
    return out


def _merge_insertions(
    sides: _Sides, ours: list[Slot], theirs: list[Slot], two_way: bool
) -> list[Slot]:
    """Both sides' new cells at one place: local's first, the same new cell only once."""
    if not ours or not theirs:
        return ours + theirs
    pairs = _pair_insertions(sides, ours, theirs, two_way)
    out: list[Slot] = []
    prev_a = prev_b = 0
    for a, b in pairs:
        out.extend(ours[prev_a:a])
        out.extend(theirs[prev_b:b])
        out.append(Slot(None, ours[a].local, theirs[b].remote))
        prev_a, prev_b = a + 1, b + 1
    return out + ours[prev_a:] + theirs[prev_b:]


def _pair_insertions(
    sides: _Sides, ours: list[Slot], theirs: list[Slot], two_way: bool
) -> list[tuple[int, int]]:
    """In-order pairs (position in ours, position in theirs) of cells to merge into one."""
    new = [b for b, slot in enumerate(theirs) if slot.base is None]
    local_cells = [sides.local[slot.local] for slot in ours]  # type: ignore[index]
    remote_cells = [sides.remote[theirs[b].remote] for b in new]  # type: ignore[index]
    if two_way:
        found = align_cells(local_cells, remote_cells)
        pairs = sorted((m.old, m.new) for m in found.matches if m.old not in found.moved)
    else:
        pairs = lcs_pairs([cell_key(c) for c in local_cells], [cell_key(c) for c in remote_cells])
    return [(a, new[b]) for a, b in pairs]
