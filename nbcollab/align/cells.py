"""Match the cells of two versions of a notebook, in near-linear time.

Passes, each on the cells the previous ones left unmatched:

1. ``id``: cells whose id is valid and unique on both sides.
2. ``exact``: same type and source, paired in order by a patience/LCS pass over hashes; identical
   cells left over after that (a cell moved elsewhere unchanged) are then paired by content.
3. ``similar``: in each gap between the in-order anchors, edited cells of the same type paired by
   similarity, each cell scoring only a bounded window of candidates.

Matches outside the longest in-order chain are moves. No pass compares every cell with every
other: that all-pairs grid is what makes other tools slow on long notebooks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from rapidfuzz import fuzz

from nbcollab.align.lcs import lcs_pairs, longest_increasing
from nbcollab.notebook.lines import cell_source, is_valid_cell_id

Key = tuple[str, str]  # (cell type, source)

# A gap whose both sides have at most this many cells is scored all-pairs; bigger gaps only score
# a band of candidates around each new cell's expected place.
_SMALL_GAP = 24
_BAND = 6
# Sources at least this similar (0-100) count as the same cell, edited.
_SIMILARITY_CUTOFF = 50.0
# A cell both moved and edited must be closer than that to be paired across gaps, and the
# cross-gap pass only runs when few cells are left (its cost is their product).
_MOVED_CUTOFF = 75.0
_MOVED_WORK = 40_000


@dataclass(frozen=True)
class CellMatch:
    """One old cell paired with one new cell."""

    old: int
    new: int
    how: str  # "id" | "exact" | "similar"


@dataclass(frozen=True)
class Alignment:
    """How the cells of two notebook versions correspond."""

    matches: tuple[CellMatch, ...]
    moved: frozenset[int]
    deleted: tuple[int, ...]
    inserted: tuple[int, ...]

    def old_to_new(self) -> dict[int, int]:
        """Old cell index -> new cell index, for matched cells."""
        return {m.old: m.new for m in self.matches}

    def new_to_old(self) -> dict[int, int]:
        """New cell index -> old cell index, for matched cells."""
        return {m.new: m.old for m in self.matches}


def align_cells(
    old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]], *, use_ids: bool = True
) -> Alignment:
    """Match ``old`` cells to ``new`` cells by id, then exact content, then similarity."""
    pairs: dict[int, tuple[int, str]] = {}  # old index -> (new index, how)
    if use_ids:
        for i, j in _match_ids(old, new):
            pairs[i] = (j, "id")
    # Each cell's key is computed once: the passes below look at them several times.
    old_keys, new_keys = [cell_key(c) for c in old], [cell_key(c) for c in new]
    _match_exact(old_keys, new_keys, pairs)
    _match_similar(old_keys, new_keys, pairs)
    _match_moved_edits(old_keys, new_keys, pairs)
    return _build_alignment(len(old), len(new), pairs)


def cell_key(cell: Mapping[str, Any]) -> tuple[str, str]:
    """What makes two cells "the same content": type and source."""
    return (str(cell.get("cell_type", "")), cell_source(cell))


def _valid_unique_ids(cells: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    seen: dict[str, int] = {}
    duplicated: set[str] = set()
    for index, cell in enumerate(cells):
        cell_id = cell.get("id")
        if is_valid_cell_id(cell_id):
            if cell_id in seen:
                duplicated.add(cell_id)
            seen[cell_id] = index
    return {key: index for key, index in seen.items() if key not in duplicated}


def _match_ids(
    old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]
) -> list[tuple[int, int]]:
    old_ids = _valid_unique_ids(old)
    new_ids = _valid_unique_ids(new)
    return [(i, new_ids[key]) for key, i in old_ids.items() if key in new_ids]


def _match_exact(old: list[Key], new: list[Key], pairs: dict[int, tuple[int, str]]) -> None:
    taken_new = {j for j, _ in pairs.values()}
    old_left = [i for i in range(len(old)) if i not in pairs]
    new_left = [j for j in range(len(new)) if j not in taken_new]
    old_hashes = [hash(old[i]) for i in old_left]
    new_hashes = [hash(new[j]) for j in new_left]
    matched_new: set[int] = set()
    for a, b in lcs_pairs(old_hashes, new_hashes):
        if old[old_left[a]] == new[new_left[b]]:  # hash collisions
            pairs[old_left[a]] = (new_left[b], "exact")
            matched_new.add(new_left[b])
    # Unchanged cells that moved are not in the in-order LCS: pair the leftovers by content.
    waiting: dict[Key, list[int]] = {}
    for j in reversed(new_left):
        if j not in matched_new:
            waiting.setdefault(new[j], []).append(j)
    for i in old_left:
        if i not in pairs:
            bucket = waiting.get(old[i])
            if bucket:
                pairs[i] = (bucket.pop(), "exact")


def _gaps(
    n_old: int, n_new: int, pairs: dict[int, tuple[int, str]]
) -> list[tuple[list[int], list[int]]]:
    """Unmatched old and new cells between consecutive anchors of the in-order chain."""
    by_new = sorted((j, i) for i, (j, _) in pairs.items())
    chain = [by_new[k] for k in longest_increasing([i for _, i in by_new])]
    bounds = [(-1, -1), *((i, j) for j, i in chain), (n_old, n_new)]
    taken_new = {j for j, _ in by_new}
    gaps = []
    for (i0, j0), (i1, j1) in pairwise(bounds):
        olds = [i for i in range(i0 + 1, i1) if i not in pairs]
        news = [j for j in range(j0 + 1, j1) if j not in taken_new]
        if olds and news:
            gaps.append((olds, news))
    return gaps


def _match_similar(old: list[Key], new: list[Key], pairs: dict[int, tuple[int, str]]) -> None:
    for olds, news in _gaps(len(old), len(new), pairs):
        scored = _score_gap(old, new, olds, news)
        for a, b in _best_chain(scored):
            pairs[olds[a]] = (news[b], "similar")


def _match_moved_edits(old: list[Key], new: list[Key], pairs: dict[int, tuple[int, str]]) -> None:
    """Pair leftover cells across gaps (moved and edited), best score first, when few are left."""
    taken_new = {j for j, _ in pairs.values()}
    olds = [i for i in range(len(old)) if i not in pairs]
    news = [j for j in range(len(new)) if j not in taken_new]
    if not olds or not news or len(olds) * len(news) > _MOVED_WORK:
        return
    candidates = []
    for j in news:
        for i in olds:
            if old[i][0] == new[j][0]:
                score = fuzz.ratio(old[i][1], new[j][1], score_cutoff=_MOVED_CUTOFF)
                if score:
                    candidates.append((-score, i, j))
    for _, i, j in sorted(candidates):
        if i not in pairs and j not in taken_new:
            pairs[i] = (j, "similar")
            taken_new.add(j)


def _score_gap(
    old: list[Key], new: list[Key], olds: list[int], news: list[int]
) -> list[tuple[int, int, float]]:
    """(old pos, new pos, score) for same-type candidates above the cutoff, bounded per cell."""
    old_keys = [old[i] for i in olds]
    small = len(olds) <= _SMALL_GAP and len(news) <= _SMALL_GAP
    scale = len(olds) / len(news)
    scored = []
    for b, j in enumerate(news):
        kind, text = new[j]
        if small:
            window = range(len(olds))
        else:
            centre = int(b * scale)
            window = range(max(0, centre - _BAND), min(len(olds), centre + _BAND + 1))
        for a in window:
            if old_keys[a][0] == kind:
                score = fuzz.ratio(old_keys[a][1], text, score_cutoff=_SIMILARITY_CUTOFF)
                if score:
                    scored.append((a, b, score))
    return scored


def _best_chain(scored: list[tuple[int, int, float]]) -> list[tuple[int, int]]:
    """The non-crossing subset of candidate pairs with the highest total score."""
    if not scored:
        return []
    # Order by new position, and within one new position by old position descending, so that one
    # new cell cannot be chained with two old cells; a Fenwick tree keeps the best chain per prefix.
    scored.sort(key=lambda t: (t[1], -t[0]))
    size = max(a for a, _, _ in scored) + 2
    tree: list[tuple[float, int]] = [(0.0, -1)] * (size + 1)
    back = [-1] * len(scored)
    best = (0.0, -1)
    for k, (a, _, score) in enumerate(scored):
        prev = _prefix_max(tree, a)  # best chain using old positions < a
        back[k] = prev[1]
        total = (prev[0] + score, k)
        _update(tree, a + 1, total)
        best = max(best, total)
    chain, k = [], best[1]
    while k != -1:
        chain.append((scored[k][0], scored[k][1]))
        k = back[k]
    return chain[::-1]


def _prefix_max(tree: list[tuple[float, int]], pos: int) -> tuple[float, int]:
    best = (0.0, -1)
    while pos > 0:
        best = max(best, tree[pos])
        pos -= pos & -pos
    return best


def _update(tree: list[tuple[float, int]], pos: int, value: tuple[float, int]) -> None:
    while pos < len(tree):
        tree[pos] = max(tree[pos], value)
        pos += pos & -pos


def _build_alignment(n_old: int, n_new: int, pairs: dict[int, tuple[int, str]]) -> Alignment:
    matches = tuple(
        sorted((CellMatch(i, j, how) for i, (j, how) in pairs.items()), key=lambda m: m.new)
    )
    chain = set(longest_increasing([m.old for m in matches]))
    moved = frozenset(m.old for k, m in enumerate(matches) if k not in chain)
    taken_new = {m.new for m in matches}
    return Alignment(
        matches=matches,
        moved=moved,
        deleted=tuple(i for i in range(n_old) if i not in pairs),
        inserted=tuple(j for j in range(n_new) if j not in taken_new),
    )


__all__ = ["Alignment", "CellMatch", "align_cells", "cell_key", "lcs_pairs", "longest_increasing"]
