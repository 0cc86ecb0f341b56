"""lcs: patience common subsequences and longest increasing chains, against brute-force oracles."""

from __future__ import annotations

import sys
from collections import Counter
from functools import cache
from itertools import combinations, pairwise

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from nbcollab.align.lcs import lcs_pairs, longest_increasing

SMALL = st.lists(st.integers(0, 3), max_size=8)
DISTINCT = st.lists(st.integers(0, 12), max_size=10, unique=True)
FAST = settings(max_examples=60, deadline=None)


def lcs_length(a: list, b: list) -> int:
    """The exact LCS length (the textbook recurrence), the oracle for maximality."""

    @cache
    def best(i: int, j: int) -> int:
        if i == len(a) or j == len(b):
            return 0
        if a[i] == b[j]:
            return 1 + best(i + 1, j + 1)
        return max(best(i + 1, j), best(i, j + 1))

    return best(0, 0)


def lis_length(values: list[int]) -> int:
    """The longest strictly increasing subsequence, by trying every subset (inputs are tiny)."""
    for size in range(len(values), 0, -1):
        for picked in combinations(values, size):
            if all(x < y for x, y in pairwise(picked)):
                return size
    return 0


def assert_common_subsequence(a: list, b: list, pairs: list[tuple[int, int]]) -> None:
    for i, j in pairs:
        assert 0 <= i < len(a) and 0 <= j < len(b)
        assert a[i] == b[j], (i, j)
    for (i1, j1), (i2, j2) in pairwise(pairs):
        assert i1 < i2 and j1 < j2, "pairs must be in order on both sides"


LCS_CASES = {
    "both-empty": ([], [], []),
    "old-empty": ([], [1, 2], []),
    "new-empty": ([1, 2], [], []),
    "identical": ([1, 2, 3], [1, 2, 3], [(0, 0), (1, 1), (2, 2)]),
    "insert-middle": ([1, 3], [1, 2, 3], [(0, 0), (1, 2)]),
    "delete-middle": ([1, 2, 3], [1, 3], [(0, 0), (2, 1)]),
    "nothing-common": ([1, 2], [3, 4], []),
    "rotation": ([1, 2, 3, 4], [2, 3, 4, 1], [(1, 0), (2, 1), (3, 2)]),
    "repeats-only": ([7, 7, 7], [7, 7], [(0, 0), (1, 1)]),
    "common-suffix-after-a-change": (list("xbab"), list("cbab"), [(1, 1), (2, 2), (3, 3)]),
}
# Several answers are equally long here: only the length is the contract.
TIE_CASES = {
    "reversed-keeps-one": ([1, 2, 3], [3, 2, 1], 1),
    "strings": (list("abcab"), list("cbab"), 3),
    "swap": ([1, 2], [2, 1], 1),
}


@pytest.mark.parametrize("a, b, expected", LCS_CASES.values(), ids=LCS_CASES.keys())
def test_lcs_pairs_cases(a: list, b: list, expected: list[tuple[int, int]]) -> None:
    pairs = lcs_pairs(a, b)
    assert_common_subsequence(a, b, pairs)
    assert pairs == expected


@pytest.mark.parametrize("a, b, length", TIE_CASES.values(), ids=TIE_CASES.keys())
def test_lcs_pairs_ties(a: list, b: list, length: int) -> None:
    pairs = lcs_pairs(a, b)
    assert_common_subsequence(a, b, pairs)
    assert len(pairs) == length


@given(SMALL, SMALL)
@FAST
def test_lcs_pairs_is_an_ordered_common_subsequence(a: list[int], b: list[int]) -> None:
    pairs = lcs_pairs(a, b)
    assert_common_subsequence(a, b, pairs)
    assert len(pairs) <= lcs_length(a, b)


@given(DISTINCT, DISTINCT)
@FAST
def test_lcs_pairs_is_maximal_when_no_element_repeats(a: list[int], b: list[int]) -> None:
    # Every common element is then a unique anchor, and the anchors' longest chain is the LCS.
    assert len(lcs_pairs(a, b)) == lcs_length(a, b)


@given(SMALL, SMALL)
@FAST
def test_lcs_pairs_is_maximal_without_unique_anchors(a: list[int], b: list[int]) -> None:
    # Common ends are matched greedily (always optimal); what is left without an element unique
    # on both sides is solved exactly.
    lo = 0
    while lo < min(len(a), len(b)) and a[lo] == b[lo]:
        lo += 1
    hi = 0
    while hi < min(len(a), len(b)) - lo and a[-1 - hi] == b[-1 - hi]:
        hi += 1
    count_a, count_b = Counter(a[lo : len(a) - hi]), Counter(b[lo : len(b) - hi])
    assume(not any(n == 1 and count_b[key] == 1 for key, n in count_a.items()))
    assert len(lcs_pairs(a, b)) == lcs_length(a, b)


def test_patience_prefers_unique_anchors_over_length() -> None:
    # The trade-off patience makes (and why aligned cells read well): the unique "1" anchors the
    # match, although matching the repeated 2s would be longer. Pinned so that a change is seen.
    a, b = [1, 1, 2, 2], [1, 2, 2, 1]
    pairs = lcs_pairs(a, b)
    assert_common_subsequence(a, b, pairs)
    assert len(pairs) == 2 < lcs_length(a, b) == 3


def test_large_range_without_anchors_is_greedy_but_valid() -> None:
    # 300 x 300 elements with no unique one is past the exact-LCS budget: the greedy pass runs.
    a, b = [0, 1] * 150, [1, 0] * 150
    pairs = lcs_pairs(a, b)
    assert_common_subsequence(a, b, pairs)
    assert len(pairs) == 299  # everything but one end: greedy finds the optimum here


class Counted:
    """An element that counts how often it is hashed or compared: the work of an alignment."""

    __slots__ = ("value",)
    calls = 0

    def __init__(self, value: int) -> None:
        self.value = value

    def __hash__(self) -> int:
        Counted.calls += 1
        return hash(self.value)

    def __eq__(self, other: object) -> bool:
        Counted.calls += 1
        return isinstance(other, Counted) and self.value == other.value


def _stack_depth() -> int:
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    return depth


def test_long_inputs_need_no_recursion_and_linear_work() -> None:
    # Each anchor opens a sub-range: 10,000 of them must not need a deeper stack, and each
    # element is hashed or compared a bounded number of times (tests/benchmarks/bench_lcs.py
    # times it against difflib).
    n = 10_000
    a = [Counted(i) for i in range(n)]
    b = [
        Counted(x) for pair in zip(range(n), range(n, 2 * n)) for x in pair
    ]  # one inserted after each
    Counted.calls = 0
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(_stack_depth() + 50)
    try:
        pairs = lcs_pairs(a, b)
    finally:
        sys.setrecursionlimit(limit)
    assert pairs == [(i, 2 * i) for i in range(n)]
    assert Counted.calls <= 6 * (len(a) + len(b)), Counted.calls


def test_unhashable_elements_are_refused() -> None:
    with pytest.raises(TypeError):
        lcs_pairs([[1]], [[2]])


INCREASING_CASES = {
    "empty": ([], []),
    "one": ([5], [0]),
    "sorted": ([1, 2, 3], [0, 1, 2]),
    "reversed": ([3, 2, 1], [2]),
    "equal-values-are-not-increasing": ([4, 4, 4], [2]),
    "middle-dip": ([1, 5, 2, 3], [0, 2, 3]),
    "negative": ([-3, -1, -2, 0], [0, 2, 3]),
}


@pytest.mark.parametrize("values, expected", INCREASING_CASES.values(), ids=INCREASING_CASES.keys())
def test_longest_increasing_cases(values: list[int], expected: list[int]) -> None:
    assert longest_increasing(values) == expected


@given(st.lists(st.integers(-4, 4), max_size=9))
@FAST
def test_longest_increasing_is_a_longest_strictly_increasing_chain(values: list[int]) -> None:
    chain = longest_increasing(values)
    assert chain == sorted(set(chain)), "positions are distinct and in order"
    picked = [values[pos] for pos in chain]
    assert all(x < y for x, y in pairwise(picked))
    assert len(chain) == lis_length(values)
