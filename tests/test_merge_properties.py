"""Merge invariants on generated notebooks (hypothesis).

merge(b, x, b) == x, merge(b, b, y) == y, merge(b, x, x) == x, and swapping the sides does not turn
a clean merge into a conflicted one or back.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from nbcollab.merge.notebook import merge_notebooks

LINES = st.sampled_from(["a = 1", "b = 2", "print(a)", "", "# note", "x = a + b", "plot(x)"])
SOURCES = st.lists(LINES, min_size=0, max_size=4).map("\n".join)


@st.composite
def cells(draw: st.DrawFn) -> dict[str, Any]:
    if draw(st.booleans()):
        return {
            "cell_type": "code",
            "execution_count": draw(st.none() | st.integers(1, 9)),
            "metadata": {},
            "outputs": [],
            "source": draw(SOURCES),
        }
    return {"cell_type": "markdown", "metadata": {}, "source": draw(SOURCES)}


def _notebook(cell_list: list[dict[str, Any]], with_ids: bool) -> dict[str, Any]:
    if with_ids:
        for n, cell in enumerate(cell_list):
            cell.setdefault("id", f"cell-{n}")
    return {
        "cells": cell_list,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5 if with_ids else 4,
    }


@st.composite
def base_notebooks(draw: st.DrawFn) -> dict[str, Any]:
    return _notebook(draw(st.lists(cells(), max_size=6)), draw(st.booleans()))


@st.composite
def edited(draw: st.DrawFn, base: dict[str, Any], tag: str) -> dict[str, Any]:
    """A version of ``base``: some cells edited, deleted, inserted or moved."""
    nb = copy.deepcopy(base)
    out = nb["cells"]
    for _ in range(draw(st.integers(0, 4))):
        op = draw(st.sampled_from(["edit", "delete", "insert", "move"]))
        if op == "insert" or not out:
            cell = draw(cells())
            if nb["nbformat_minor"] >= 5:
                cell["id"] = f"{tag}-{draw(st.integers(0, 10**6))}"
            out.insert(draw(st.integers(0, len(out))), cell)
            continue
        index = draw(st.integers(0, len(out) - 1))
        if op == "edit":
            out[index]["source"] = draw(SOURCES)
        elif op == "delete":
            del out[index]
        else:
            out.insert(draw(st.integers(0, len(out) - 1)), out.pop(index))
    ids = [cell.get("id") for cell in out]
    if nb["nbformat_minor"] >= 5 and len(set(ids)) != len(ids):  # keep the version valid
        for n, cell in enumerate(out):
            cell["id"] = f"{tag}-u{n}"
    return nb


def _content(nb: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (
            c["cell_type"],
            c["source"],
            c.get("outputs"),
            c.get("execution_count"),
            c["metadata"],
            c.get("id"),
        )
        for c in nb["cells"]
    ]


SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.mark.slow
@SETTINGS
@given(st.data())
def test_only_one_side_changed(data: st.DataObject) -> None:
    base = data.draw(base_notebooks())
    changed = data.draw(edited(base, "x"))
    ours = merge_notebooks(base, changed, base)
    theirs = merge_notebooks(base, base, changed)
    assert ours.clean and theirs.clean
    assert _content(ours.notebook) == _content(changed)
    assert _content(theirs.notebook) == _content(changed)


@pytest.mark.slow
@SETTINGS
@given(st.data())
def test_both_sides_made_the_same_change(data: st.DataObject) -> None:
    base = data.draw(base_notebooks())
    changed = data.draw(edited(base, "x"))
    result = merge_notebooks(base, changed, copy.deepcopy(changed))
    assert result.clean
    assert _content(result.notebook) == _content(changed)


@pytest.mark.slow
@SETTINGS
@given(st.data())
def test_conflicts_do_not_depend_on_which_side_is_ours(data: st.DataObject) -> None:
    base = data.draw(base_notebooks())
    x, y = data.draw(edited(base, "x")), data.draw(edited(base, "y"))
    forward, backward = merge_notebooks(base, x, y), merge_notebooks(base, y, x)
    assert forward.clean == backward.clean
    assert sorted(c.kind for c in forward.conflicts) == sorted(c.kind for c in backward.conflicts)


@pytest.mark.slow
@SETTINGS
@given(st.data())
def test_merging_leaves_its_inputs_as_they_were(data: st.DataObject) -> None:
    """The trust check reads the inputs the merge was given, parsed once: the merge must not
    have changed them."""
    base = data.draw(base_notebooks())
    ours, theirs = data.draw(edited(base, "x")), data.draw(edited(base, "y"))
    before = copy.deepcopy((base, ours, theirs))
    merge_notebooks(base, ours, theirs)
    assert (base, ours, theirs) == before


# --- a cell both sides replaced ----------------------------------------------------------------

AROUND = ["import pandas as pd\n", "frame = pd.read_csv('data.csv')\n", "frame.plot()\n"]
REPLACED = st.lists(st.sampled_from(["# Results", "x = 1", "", "total = sum(x)"]), max_size=3)
NEW_LINES = st.sampled_from(["# Results (v2)", "Updated numbers.", "# Final results", "See below."])
NEW_CELLS = st.tuples(
    st.sampled_from(["code", "markdown"]), st.lists(NEW_LINES, min_size=1, max_size=3)
)


def _cells_of(specs: list[tuple[str, list[str]]]) -> list[dict[str, Any]]:
    return [
        {"cell_type": kind, "metadata": {}, "source": "\n".join(lines)} for kind, lines in specs
    ]


@SETTINGS
@given(
    st.integers(0, len(AROUND)),
    REPLACED,
    st.lists(NEW_CELLS, min_size=1, max_size=3),
    st.lists(NEW_CELLS, min_size=1, max_size=3),
)
def test_a_cell_both_sides_replaced_is_a_conflict_unless_they_agree(
    at: int, old: list[str], ours: list[tuple[str, list[str]]], theirs: list[tuple[str, list[str]]]
) -> None:
    """Base cell X deleted on both sides, new cells at its place on both (no ids): a conflict,
    or the sides' new cells agree so that no more cells than one side wrote are there (nothing
    twice), every line of both kept.

    The new cells share no line with X, so that the cells paired with X conflict unless they
    are the same text (a cell type changed on one side only merges)."""
    from nbcollab.align.cells import align_cells

    def version(middle: list[dict[str, Any]]) -> dict[str, Any]:
        cells_ = [{"cell_type": "code", "metadata": {}, "source": s} for s in AROUND]
        return _notebook(cells_[:at] + middle + cells_[at:], with_ids=False)

    base = version([{"cell_type": "code", "metadata": {}, "source": "\n".join(old)}])
    local, remote = version(_cells_of(ours)), version(_cells_of(theirs))
    for side in (local, remote):  # X is deleted on both sides, not edited
        assume(at in align_cells(base["cells"], side["cells"]).deleted)
    result = merge_notebooks(base, local, remote)
    if not result.clean:
        return
    assert len(result.notebook["cells"]) - len(AROUND) <= max(len(ours), len(theirs))
    lines = {line for c in result.notebook["cells"] for line in c["source"].splitlines()}
    assert {line for _, new in ours + theirs for line in new} <= lines
