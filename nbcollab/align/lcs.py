"""Common subsequences and increasing chains in near-linear time (patience diff).

Used for cell alignment (over cell hashes), output lists and line lists; kept apart from the
notebook logic so that blame and merge can reuse it on any hashable sequence.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Hashable, Sequence

# Below this many old*new elements a range without unique anchors is solved by exact LCS.
_DP_LIMIT = 40_000


def lcs_pairs(a: Sequence[Hashable], b: Sequence[Hashable]) -> list[tuple[int, int]]:
    """Index pairs of a common subsequence of ``a`` and ``b`` (patience diff, near-linear)."""
    out: list[tuple[int, int]] = []
    # An explicit stack, not recursion: adversarial inputs could nest deeper than Python allows.
    todo = [(0, len(a), 0, len(b))]
    while todo:
        todo.extend(_patience_step(a, b, *todo.pop(), out))
    out.sort()
    return out


def longest_increasing(values: Sequence[int]) -> list[int]:
    """Positions of one longest strictly increasing subsequence of ``values``."""
    tails: list[int] = []  # tails[k]: position ending the best chain of length k+1
    tail_values: list[int] = []
    parent = [-1] * len(values)
    for pos, value in enumerate(values):
        k = bisect_left(tail_values, value)
        parent[pos] = tails[k - 1] if k else -1
        if k == len(tails):
            tails.append(pos)
            tail_values.append(value)
        else:
            tails[k] = pos
            tail_values[k] = value
    chain, pos = [], tails[-1] if tails else -1
    while pos != -1:
        chain.append(pos)
        pos = parent[pos]
    return chain[::-1]


def _patience_step(
    a: Sequence[Hashable],
    b: Sequence[Hashable],
    alo: int,
    ahi: int,
    blo: int,
    bhi: int,
    out: list[tuple[int, int]],
) -> list[tuple[int, int, int, int]]:
    """Match one range's common ends and unique anchors; return the sub-ranges left to do."""
    while alo < ahi and blo < bhi and a[alo] == b[blo]:
        out.append((alo, blo))
        alo, blo = alo + 1, blo + 1
    while alo < ahi and blo < bhi and a[ahi - 1] == b[bhi - 1]:
        ahi, bhi = ahi - 1, bhi - 1
        out.append((ahi, bhi))
    if alo == ahi or blo == bhi:
        return []
    anchors = _unique_anchors(a, b, alo, ahi, blo, bhi)
    if not anchors:
        out.extend(_lcs_no_anchor(a, b, alo, ahi, blo, bhi))
        return []
    todo = []
    for i, j in anchors:
        todo.append((alo, i, blo, j))
        out.append((i, j))
        alo, blo = i + 1, j + 1
    todo.append((alo, ahi, blo, bhi))
    return todo


def _unique_anchors(
    a: Sequence[Hashable], b: Sequence[Hashable], alo: int, ahi: int, blo: int, bhi: int
) -> list[tuple[int, int]]:
    """Elements that occur once on each side, kept in an in-order chain."""
    count_a: dict[Hashable, int] = {}
    where_a: dict[Hashable, int] = {}
    for i in range(alo, ahi):
        count_a[a[i]] = count_a.get(a[i], 0) + 1
        where_a[a[i]] = i
    count_b: dict[Hashable, int] = {}
    where_b: dict[Hashable, int] = {}
    for j in range(blo, bhi):
        count_b[b[j]] = count_b.get(b[j], 0) + 1
        where_b[b[j]] = j
    common = sorted(
        (where_b[key], where_a[key])
        for key, n in count_a.items()
        if n == 1 and count_b.get(key) == 1
    )
    chain = longest_increasing([i for _, i in common])
    return [(common[k][1], common[k][0]) for k in chain]


def _lcs_no_anchor(
    a: Sequence[Hashable], b: Sequence[Hashable], alo: int, ahi: int, blo: int, bhi: int
) -> list[tuple[int, int]]:
    """Only repeated elements remain (e.g. many identical cells): exact LCS when small, else greedy."""
    n, m = ahi - alo, bhi - blo
    if n * m <= _DP_LIMIT:
        return _lcs_dp(a, b, alo, ahi, blo, bhi)
    positions: dict[Hashable, list[int]] = {}
    for j in range(blo, bhi):
        positions.setdefault(b[j], []).append(j)
    out, next_j = [], blo
    for i in range(alo, ahi):
        spots = positions.get(a[i])
        if spots:
            k = bisect_left(spots, next_j)
            if k < len(spots):
                out.append((i, spots[k]))
                next_j = spots[k] + 1
    return out


def _lcs_dp(
    a: Sequence[Hashable], b: Sequence[Hashable], alo: int, ahi: int, blo: int, bhi: int
) -> list[tuple[int, int]]:
    n, m = ahi - alo, bhi - blo
    table = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        row, below = table[i], table[i + 1]
        for j in range(m - 1, -1, -1):
            row[j] = below[j + 1] + 1 if a[alo + i] == b[blo + j] else max(below[j], row[j + 1])
    out, i, j = [], 0, 0
    while i < n and j < m:
        if a[alo + i] == b[blo + j]:
            out.append((alo + i, blo + j))
            i, j = i + 1, j + 1
        elif table[i + 1][j] >= table[i][j + 1]:
            i += 1
        else:
            j += 1
    return out
