"""The cells both sides put at one place of the merged sequence, and how they pair up.

Local's new cells come first; a new cell the same on both sides appears once (in local's order
when the sides have them in different orders); a notebook added on both branches pairs similar
cells too. Where both sides deleted base cells, the new cells both put there replace them: they
are paired in order, the most alike first (the same cell on both sides is such a pair), and each
base cell is merged with the pair most like it, as a cell both sides edited. A pair of
different cells is then a conflict. Without ids, a cell both sides rewrote beyond recognition
looks like that, and keeping both sides' new cells would hold two versions of it without a
word. Pure functions on the merge's slots.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

from nbcollab.align.cells import align_cells, cell_key, lcs_pairs
from nbcollab.notebook.lines import cell_source

Cell = Mapping[str, Any]
# A place holding more than this many candidate pairs is paired in order, without scoring.
_PAIRING_WORK = 2_500


@dataclass(frozen=True)
class Slot:
    """One merged cell: the indices of the versions it merges (None where a side lacks it)."""

    base: int | None
    local: int | None
    remote: int | None
    deleted_by: str | None = None  # "ours" | "theirs": a delete-vs-edit conflict


@dataclass(frozen=True)
class Gone:
    """A base cell both sides deleted, and the new cells each side has in its place."""

    base: int
    local: range
    remote: range


@dataclass(frozen=True)
class Versions:
    """The cells of the three versions the slots point into."""

    base: Sequence[Cell]
    local: Sequence[Cell]
    remote: Sequence[Cell]


def merge_insertions(
    cells: Versions, ours: list[Slot], theirs: list[Slot], gone: list[Gone], *, two_way: bool
) -> list[Slot]:
    """Local's new cells ``ours`` and remote's cells ``theirs`` at one place, merged in order.

    ``gone`` are the base cells both sides deleted at that place.
    """
    if not ours or not theirs:
        return ours + theirs
    crossed: dict[int, int] = {}
    pairs = _replacements(cells, ours, theirs, gone) if gone else {}
    if not pairs:
        pairs = {a: (None, b) for a, b in _same_cells(cells, ours, theirs, two_way)}
        crossed = _crossed_copies(cells, ours, theirs, pairs)
    taken = set(crossed.values())
    out: list[Slot] = []
    prev_a = prev_b = 0
    for a, (old, b) in [*sorted(pairs.items()), (len(ours), (None, len(theirs)))]:
        for k in range(prev_a, a):
            copy = crossed.get(k)
            out.append(ours[k] if copy is None else Slot(None, ours[k].local, theirs[copy].remote))
        out.extend(theirs[k] for k in range(prev_b, b) if k not in taken)
        if a < len(ours):
            out.append(Slot(old, ours[a].local, theirs[b].remote))
        prev_a, prev_b = a + 1, b + 1
    return out


def _same_cells(
    cells: Versions, ours: list[Slot], theirs: list[Slot], two_way: bool
) -> list[tuple[int, int]]:
    """In-order pairs (position in ours, position in theirs) of the same new cell."""
    new = [b for b, slot in enumerate(theirs) if slot.base is None]
    local_cells = [cells.local[slot.local] for slot in ours]  # type: ignore[index]
    remote_cells = [cells.remote[theirs[b].remote] for b in new]  # type: ignore[index]
    if two_way:
        found = align_cells(local_cells, remote_cells)
        pairs = sorted((m.old, m.new) for m in found.matches if m.old not in found.moved)
    else:
        pairs = lcs_pairs([cell_key(c) for c in local_cells], [cell_key(c) for c in remote_cells])
    return [(a, new[b]) for a, b in pairs]


def _crossed_copies(
    cells: Versions, ours: list[Slot], theirs: list[Slot], pairs: Mapping[int, Any]
) -> dict[int, int]:
    """New cells the same on both sides that the in-order pairs left apart: ours -> theirs."""
    paired_b = {b for _, b in pairs.values()}
    waiting: dict[tuple[str, str], list[int]] = {}
    for b, slot in enumerate(theirs):
        if b not in paired_b and slot.base is None and slot.remote is not None:
            waiting.setdefault(cell_key(cells.remote[slot.remote]), []).append(b)
    crossed = {}
    for a, slot in enumerate(ours):
        bucket = waiting.get(cell_key(cells.local[slot.local])) if slot.local is not None else None
        if a not in pairs and bucket:
            crossed[a] = bucket.pop(0)
    return crossed


def _replacements(
    cells: Versions, ours: list[Slot], theirs: list[Slot], gone: list[Gone]
) -> dict[int, tuple[int | None, int]]:
    """The new cells both sides put where base cells were, paired in order, the most alike
    (the same cell) first, and each base cell given to the pair most like it; nothing when no
    base cell has a pair in its place."""
    mine = [a for a, slot in enumerate(ours) if any(slot.local in g.local for g in gone)]
    yours = [
        b
        for b, slot in enumerate(theirs)
        if slot.base is None and any(slot.remote in g.remote for g in gone)
    ]
    local = [cells.local[ours[a].local] for a in mine]  # type: ignore[index]
    remote = [cells.remote[theirs[b].remote] for b in yours]  # type: ignore[index]
    found = _pair_in_order(len(local), len(remote), lambda x, y: _alike(local[x], remote[y]))

    def fit(g: int, n: int) -> float | None:
        place, (x, y) = gone[g], found[n]
        if ours[mine[x]].local not in place.local or theirs[yours[y]].remote not in place.remote:
            return None
        old = cells.base[place.base]
        return _alike(old, local[x]) + _alike(old, remote[y])

    olds = {n: gone[g].base for g, n in _pair_in_order(len(gone), len(found), fit)}
    if not olds:
        return {}
    return {mine[x]: (olds.get(n), yours[y]) for n, (x, y) in enumerate(found)}


def _alike(one: Cell, other: Cell) -> float:
    """How alike two cells are: their texts (0-100), and a little more for the same type."""
    same_type = one.get("cell_type") == other.get("cell_type")
    return fuzz.ratio(cell_source(one), cell_source(other)) + (0.5 if same_type else 0.0)


def _pair_in_order(
    first: int, second: int, score: Callable[[int, int], float | None]
) -> list[tuple[int, int]]:
    """As many in-order pairs of positions in two lists as can be, the best ``score`` (None:
    no pair); of equal ones, those nearest the same relative place, whichever list is first."""
    if first * second > _PAIRING_WORK:
        zipped = zip(range(first), range(second))
        return [(a, b) for a, b in zipped if score(a, b) is not None]
    # best[a][b]: (pairs, score, nearness) of the best pairing of first[:a] with second[:b]
    best = [[(0, 0.0, 0.0)] * (second + 1) for _ in range(first + 1)]
    for a in range(first):
        for b in range(second):
            best[a + 1][b + 1] = max(best[a][b + 1], best[a + 1][b])
            value = score(a, b)
            if value is not None:
                count, total, near = best[a][b]
                apart = abs((2 * a + 1) * second - (2 * b + 1) * first) / (first * second)
                best[a + 1][b + 1] = max(
                    best[a + 1][b + 1], (count + 1, total + value, near - apart)
                )
    pairs = []
    a, b = first, second
    while a and b:
        if best[a][b] == best[a - 1][b]:
            a -= 1
        elif best[a][b] == best[a][b - 1]:
            b -= 1
        else:
            pairs.append((a - 1, b - 1))
            a, b = a - 1, b - 1
    return pairs[::-1]
