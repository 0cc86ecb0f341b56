"""Cell alignment: table-driven cases, invariants, and the near-linear cost."""

from __future__ import annotations

import sys
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nbcollab.align.cells import Alignment, align_cells, lcs_pairs, longest_increasing

sys.path.insert(0, str(Path(__file__).parent / "benchmarks"))
from generate import edit_notebook, make_notebook


def cell(source: str, kind: str = "code", cell_id: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"cell_type": kind, "metadata": {}, "source": source}
    if cell_id is not None:
        out["id"] = cell_id
    return out


def cells(spec: str) -> list[dict[str, Any]]:
    """'a b c' -> cells whose sources are long enough for similarity ('a' vs 'a2': edited)."""
    return [
        cell(f"value_{name[0]} = compute('{name[0]}')\n" + ("# edited\n" if name[1:] else ""))
        for name in spec.split()
    ]


def summary(al: Alignment) -> tuple:
    return (
        tuple((m.old, m.new, m.how) for m in al.matches),
        tuple(sorted(al.moved)),
        al.deleted,
        al.inserted,
    )


CASES = {
    "identical": (
        "a b c",
        "a b c",
        (((0, 0, "exact"), (1, 1, "exact"), (2, 2, "exact")), (), (), ()),
    ),
    "insert": ("a c", "a b c", (((0, 0, "exact"), (1, 2, "exact")), (), (), (1,))),
    "delete": ("a b c", "a c", (((0, 0, "exact"), (2, 1, "exact")), (), (1,), ())),
    "edit": (
        "a b c",
        "a b2 c",
        (((0, 0, "exact"), (1, 1, "similar"), (2, 2, "exact")), (), (), ()),
    ),
    "move": (
        "a b c d",
        "b c d a",
        (((1, 0, "exact"), (2, 1, "exact"), (3, 2, "exact"), (0, 3, "exact")), (0,), (), ()),
    ),
    "empty-old": ("", "a b", ((), (), (), (0, 1))),
    "empty-new": ("a b", "", ((), (), (0, 1), ())),
}


@pytest.mark.parametrize("old, new, expected", CASES.values(), ids=CASES.keys())
def test_alignment_cases(old: str, new: str, expected: tuple) -> None:
    assert summary(align_cells(cells(old), cells(new))) == expected


def test_unrelated_cells_are_deleted_and_inserted() -> None:
    al = align_cells([cell("import os\nos.listdir('.')")], [cell("# Results\nplot(frame)")])
    assert (al.matches, al.deleted, al.inserted) == ((), (0,), (0,))


def test_split_cell_pairs_the_closer_half_and_inserts_the_other() -> None:
    body = "import numpy as np\nimport pandas as pd\n"
    tail = "frame = pd.read_csv('data.csv')\nframe.describe()\n"
    al = align_cells([cell(body + tail)], [cell(body), cell(tail + "# split\n")])
    assert [(m.old, m.new, m.how) for m in al.matches] == [(0, 1, "similar")]
    assert al.inserted == (0,)


def test_moved_and_edited_cell_without_ids_is_a_move() -> None:
    train = "def train(model, data):\n    return model.fit(data)\n"
    old = [*cells("a b c"), cell(train)]
    new = [cell(train.replace("data)", "data, epochs=3)")), *cells("a b c")]
    al = align_cells(old, new)
    assert (al.matches[0].old, al.matches[0].new, al.matches[0].how) == (3, 0, "similar")
    assert al.moved == {3} and al.deleted == () and al.inserted == ()


def test_ids_match_even_when_content_changed_completely() -> None:
    old = [cell("x = 1", cell_id="one"), cell("y = 2", cell_id="two")]
    new = [cell("totally different", cell_id="two"), cell("also new", cell_id="one")]
    al = align_cells(old, new)
    assert {(m.old, m.new, m.how) for m in al.matches} == {(0, 1, "id"), (1, 0, "id")}
    assert len(al.moved) == 1


def test_use_ids_false_ignores_ids() -> None:
    old = [cell("x = 1", cell_id="one")]
    new = [cell("zzz", cell_id="one")]
    assert align_cells(old, new, use_ids=False).matches == ()


def test_duplicated_ids_fall_back_to_content() -> None:
    old = [cell("alpha = 1", cell_id="dup"), cell("beta = 2", cell_id="dup")]
    new = [cell("beta = 2", cell_id="dup"), cell("alpha = 1", cell_id="dup")]
    al = align_cells(old, new)
    assert all(m.how == "exact" for m in al.matches)
    assert al.old_to_new() == {0: 1, 1: 0}


def test_invalid_ids_are_not_used() -> None:
    old = [cell("alpha = 1", cell_id="bad id!")]
    new = [cell("other", cell_id="bad id!")]
    assert align_cells(old, new).matches == ()


def test_ids_on_one_side_only_align_by_content() -> None:
    old = cells("a b c")
    new = [dict(c, id=f"id{k}") for k, c in enumerate(cells("a b2 c"))]
    assert summary(align_cells(old, new))[0] == (
        (0, 0, "exact"),
        (1, 1, "similar"),
        (2, 2, "exact"),
    )


def test_identical_repeated_cells_pair_in_order() -> None:
    old = [cell("")] * 5 + [cell("x = 1")]
    new = [cell("")] * 3 + [cell("x = 1")] + [cell("")] * 2
    al = align_cells(old, new)
    assert len(al.matches) == 6
    assert len(al.moved) == 1  # one of the blank cells went after "x = 1"


def test_similarity_needs_same_cell_type() -> None:
    old = [cell("Some explanation of the data", "markdown")]
    new = [cell("Some explanation of the data!", "raw")]
    assert align_cells(old, new).matches == ()


def test_large_gap_of_repeats_without_anchor_stays_in_order() -> None:
    old = [cell("a"), cell("b")] * 300
    new = [cell("b"), cell("a")] * 300
    al = align_cells(old, new)
    assert len(al.matches) >= 599
    assert [m.old for m in al.matches if m.old not in al.moved] == sorted(
        m.old for m in al.matches if m.old not in al.moved
    )


def test_longest_increasing() -> None:
    values = [3, 1, 4, 1, 5, 9, 2, 6]
    chain = longest_increasing(values)
    picked = [values[k] for k in chain]
    assert len(picked) == 4 and picked == sorted(set(picked))


def test_generated_edits_are_found_without_ids() -> None:
    base = make_notebook(1000, seed=3, with_ids=False)
    edited = edit_notebook(base, seed=4)
    al = align_cells(base["cells"], edited["cells"])
    assert len(al.deleted) == 10 and len(al.inserted) == 10
    assert sum(m.how == "similar" for m in al.matches) == 30


@pytest.mark.slow
def test_near_linear_work(monkeypatch: pytest.MonkeyPatch) -> None:
    # Work, not seconds: count the similarity comparisons, the part that is quadratic in nbdime.
    from rapidfuzz import fuzz

    calls = 0

    class CountingFuzz:
        @staticmethod
        def ratio(*args: Any, **kwargs: Any) -> float:
            nonlocal calls
            calls += 1
            return fuzz.ratio(*args, **kwargs)

    monkeypatch.setattr("nbcollab.align.cells.fuzz", CountingFuzz)

    def work(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> int:
        nonlocal calls
        calls = 0
        align_cells(old, new)
        return calls

    def every_cell_edited(n: int) -> int:  # no exact anchors: one gap of n cells
        old = [cell(f"x{i} = {i}", "code", None) for i in range(n)]
        return work(old, [cell(f"x{i} = {i + 1}", "code", None) for i in range(n)])

    assert every_cell_edited(1600) < 4.4 * every_cell_edited(400)  # 4x the cells; pairs: 16x
    for n in (500, 4000):
        base = make_notebook(n, seed=n, with_ids=False)
        # A band of candidates per cell, plus a fixed budget for cells moved and edited.
        assert work(base["cells"], edit_notebook(base, seed=n + 1)["cells"]) < 13 * n + 40_000


@st.composite
def notebook_pair(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    alphabet = st.sampled_from(["x = 1", "y = 2", "print(x)", "# note", "", "z = x + y"])
    kinds = st.sampled_from(["code", "markdown"])
    ids = st.one_of(st.none(), st.sampled_from(["a", "b", "c", "d", "bad id"]))
    one = st.builds(cell, alphabet, kinds, ids)
    return draw(st.lists(one, max_size=12)), draw(st.lists(one, max_size=12))


@pytest.mark.slow
@given(notebook_pair(), st.booleans())
@settings(max_examples=300, deadline=None)
def test_alignment_invariants(pair: tuple, use_ids: bool) -> None:
    old, new = pair
    al = align_cells(old, new, use_ids=use_ids)
    olds = [m.old for m in al.matches]
    news = [m.new for m in al.matches]
    assert news == sorted(set(news)) and len(set(olds)) == len(olds)
    assert sorted(olds + list(al.deleted)) == list(range(len(old)))
    assert sorted(news + list(al.inserted)) == list(range(len(new)))
    assert al.moved <= set(olds)
    in_order = [m.old for m in al.matches if m.old not in al.moved]
    assert in_order == sorted(in_order)
    for m in al.matches:
        if m.how == "exact":
            assert (old[m.old]["cell_type"], old[m.old]["source"]) == (
                new[m.new]["cell_type"],
                new[m.new]["source"],
            )


@given(st.lists(st.integers(0, 4), max_size=30), st.lists(st.integers(0, 4), max_size=30))
def test_lcs_pairs_is_a_common_subsequence(a: list[int], b: list[int]) -> None:
    pairs = lcs_pairs(a, b)
    assert all(a[i] == b[j] for i, j in pairs)
    assert all(p[0] < q[0] and p[1] < q[1] for p, q in pairwise(pairs))
