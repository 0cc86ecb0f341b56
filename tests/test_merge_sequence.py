"""merge_sequence: the order of the merged cells, table-driven and as properties."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from nbcollab.merge.order import Slot, merge_cell_order

FAST = settings(max_examples=60, deadline=None)


# Texts unlike each other, so that similarity pairs an edited cell only with its own base.
TEXTS = {
    "a": "import numpy as np\nimport pandas as pd\n",
    "b": "frame = pd.read_csv('data/measurements.csv')\n",
    "c": "frame.plot(x='time', y='value', kind='line')\n",
    "d": "summary = frame.describe().transpose()\n",
    "e": "model = fit_regression(frame, target='value')\n",
    "f": "with open('report.txt', 'w') as handle:\n    handle.write(str(summary))\n",
    "g": "assert len(frame) > 100, 'not enough rows'\n",
    "h": "for column in frame.columns:\n    print(column, frame[column].dtype)\n",
    "x": "# Inserted on the local side\nlocal_only = True\n",
    "y": "# Inserted on the remote side\nremote_only = 42\n",
}


def cell(name: str) -> dict[str, Any]:
    """A code cell; ``'c'`` and ``'c2'`` are the same cell before and after an edit."""
    edit = "" if len(name) == 1 else f"# edited ({name})\n"
    return {"cell_type": "code", "metadata": {}, "source": TEXTS[name[0]] + edit}


def cells(spec: str) -> list[dict[str, Any]]:
    return [cell(name) for name in spec.split()]


def changed(base: Mapping[str, Any], other: Mapping[str, Any]) -> bool:
    return base["source"] != other["source"]


def order(base: str, local: str, remote: str, **kw: Any) -> list[Slot]:
    return merge_cell_order(cells(base), cells(local), cells(remote), edited=changed, **kw)


def names(slots: list[Slot], base: str, local: str, remote: str) -> str:
    """The merged order as cell names (local's version where there is one), '!' for conflicts."""
    b, lo, r = base.split(), local.split(), remote.split()
    out = []
    for slot in slots:
        name = (
            lo[slot.local]
            if slot.local is not None
            else r[slot.remote]
            if slot.remote is not None
            else b[slot.base]
        )  # type: ignore[index]
        out.append(name + ("!" if slot.deleted_by else ""))
    return " ".join(out)


CASES = {
    # name: (base, local, remote, merged order)
    "nothing-changed": ("a b c", "a b c", "a b c", "a b c"),
    "local-insert": ("a b c", "a x b c", "a b c", "a x b c"),
    "remote-insert": ("a b c", "a b c", "a b y c", "a b y c"),
    "both-insert-apart": ("a b c", "x a b c", "a b c y", "x a b c y"),
    "both-insert-same-place-local-first": ("a b", "a x b", "a y b", "a x y b"),
    "same-insert-collapses": ("a b", "a x b", "a x b", "a x b"),
    "local-delete": ("a b c", "a c", "a b c", "a c"),
    "remote-delete": ("a b c", "a b c", "a c", "a c"),
    "both-delete": ("a b c", "a c", "a c", "a c"),
    "delete-vs-edit-ours": ("a b c", "a c", "a b2 c", "a b2! c"),
    "delete-vs-edit-theirs": ("a b c", "a b2 c", "a c", "a b2! c"),
    "remote-move": ("a b c d", "a b c d", "b c d a", "b c d a"),
    "local-move": ("a b c d", "b c d a", "a b c d", "b c d a"),
    "remote-move-local-insert": ("a b c d", "a x b c d", "b c d a", "x b c d a"),
    "empty-base": ("", "a", "b", "a b"),
    "everything-deleted-on-one-side": ("a b", "", "a b", ""),
}


@pytest.mark.parametrize("base, local, remote, expected", CASES.values(), ids=CASES.keys())
def test_merge_cell_order_cases(base: str, local: str, remote: str, expected: str) -> None:
    assert names(order(base, local, remote), base, local, remote) == expected


def test_delete_vs_edit_says_who_deleted() -> None:
    (_, ours, _), (_, theirs, _) = order("a b c", "a c", "a b2 c"), order("a b c", "a b2 c", "a c")
    assert ours == Slot(1, None, 1, deleted_by="ours")
    assert theirs == Slot(1, 1, None, deleted_by="theirs")


def test_two_way_pairs_similar_new_cells_instead_of_doubling() -> None:
    # Added on both branches, one cell edited: merged cell by cell, not both copies.
    slots = order("", "a b c", "a b2 c", two_way=True)
    assert slots == [Slot(None, 0, 0), Slot(None, 1, 1), Slot(None, 2, 2)]
    # Without two-way pairing only identical new cells collapse.
    three_way = order("", "a b c", "a b2 c")
    assert [s for s in three_way if s.local is not None and s.remote is not None] == [
        Slot(None, 0, 0),
        Slot(None, 2, 2),
    ]
    assert len(three_way) == 4


@pytest.mark.parametrize(
    "base, local, remote, expected",
    [
        # Local edits a and deletes b; remote deletes a and edits b: both are kept, a before b.
        ("a b c", "a2 c", "b3 c", "a2! b3! c"),
        ("a b c", "b2 c", "a3 c", "a3! b2! c"),
        ("a b c d", "a2 d", "b3 c3 d", "a2! b3! c3! d"),
        ("a b c", "a2 c", "b3 y c", "a2! b3! y c"),
        ("x a b c", "x a2 c", "x b3 c", "x a2! b3! c"),
    ],
)
def test_crossed_delete_vs_edit_conflicts_keep_base_order(
    base: str, local: str, remote: str, expected: str
) -> None:
    assert names(order(base, local, remote), base, local, remote) == expected


# --- properties --------------------------------------------------------------------------------

Edit = tuple[str, int]


@st.composite
def side(draw: st.DrawFn, base: list[str], tag: str) -> list[str]:
    """A version of ``base``: cells deleted, edited, inserted (new names), at most one moved."""
    out: list[str] = []
    for k, name in enumerate(base):
        action = draw(st.sampled_from(["keep", "keep", "delete", "edit"]))
        if action == "keep":
            out.append(name)
        elif action == "edit":
            out.append(name + "2" if tag == "l" else name + "3")
        if draw(st.integers(0, 4)) == 0:
            out.append(f"{tag}{k}")  # a new cell, its name unique to this side
    if out and draw(st.booleans()):
        out.insert(draw(st.integers(0, len(out))), f"{tag}n")
    return out


LETTERS = "abcdefgh"


@st.composite
def versions(draw: st.DrawFn) -> tuple[list[str], list[str], list[str]]:
    base = list(LETTERS[: draw(st.integers(0, 6))])
    return base, draw(side(base, "l")), draw(side(base, "r"))


def named_cell(name: str) -> dict[str, Any]:
    # New cells get texts unlike any other cell, so that alignment cannot pair them with one.
    if name[0] in "lr":
        text = f"print('{name} ' * {len(name) * 7919})  # {name * 9}\n"
        return {"cell_type": "markdown", "metadata": {}, "source": text}
    return cell(name)


def slots_of(base: list[str], local: list[str], remote: list[str], **kw: Any) -> list[Slot]:
    return merge_cell_order(
        [named_cell(n) for n in base],
        [named_cell(n) for n in local],
        [named_cell(n) for n in remote],
        edited=changed,
        **kw,
    )


@given(versions())
@FAST
def test_every_inserted_cell_of_both_sides_is_kept_once(sides: tuple) -> None:
    base, local, remote = sides
    slots = slots_of(base, local, remote)
    locals_ = [s.local for s in slots if s.local is not None]
    remotes = [s.remote for s in slots if s.remote is not None]
    assert len(locals_) == len(set(locals_)) and len(remotes) == len(set(remotes))
    for j, name in enumerate(local):
        if name not in base and name[0] not in LETTERS:
            assert j in locals_, f"local's new cell {name} was dropped"
    for k, name in enumerate(remote):
        if name not in base and name[0] not in LETTERS:
            assert k in remotes, f"remote's new cell {name} was dropped"


@given(versions())
@FAST
def test_cells_follow_base_order_and_each_sides_order(sides: tuple) -> None:
    base, local, remote = sides  # no side moves a base cell here
    slots = slots_of(base, local, remote)
    # Delete-vs-edit conflicts on both sides at once can swap (see the pinned case below).
    assume(not {"ours", "theirs"} <= {s.deleted_by for s in slots})
    in_base = [s.base for s in slots if s.base is not None]
    assert in_base == sorted(in_base)
    assert [s.local for s in slots if s.local is not None] == sorted(
        s.local for s in slots if s.local is not None
    )
    assert [s.remote for s in slots if s.remote is not None] == sorted(
        s.remote for s in slots if s.remote is not None
    )


@given(versions())
@FAST
def test_a_cell_survives_unless_a_side_deleted_it_unedited(sides: tuple) -> None:
    base, local, remote = sides
    slots = slots_of(base, local, remote)
    kept = {s.base for s in slots if s.base is not None}
    for i, name in enumerate(base):
        in_local = any(n[0] == name for n in local)
        in_remote = any(n[0] == name for n in remote)
        edited_somewhere = name + "2" in local or name + "3" in remote
        if in_local and in_remote:
            assert i in kept
        elif in_local or in_remote:
            assert (i in kept) == edited_somewhere, name  # delete-vs-edit keeps the edit
        else:
            # deleted on both sides: gone, unless both put new cells in its place (one of each
            # side is then merged as its edited versions)
            slot = next((s for s in slots if s.base == i), None)
            assert slot is None or (
                slot.local is not None
                and slot.remote is not None
                and local[slot.local][0] in "lr"
                and remote[slot.remote][0] in "lr"
            )
    for slot in slots:
        assert (slot.deleted_by is not None) == (
            slot.base is not None and (slot.local is None or slot.remote is None)
        )


@given(versions())
@FAST
def test_one_side_unchanged_gives_the_other(sides: tuple) -> None:
    base, local, remote = sides
    assert [s.local for s in slots_of(base, local, base)] == list(range(len(local)))
    assert [s.remote for s in slots_of(base, base, remote)] == list(range(len(remote)))
    same = slots_of(base, local, local)
    assert [(s.local, s.remote) for s in same] == [(j, j) for j in range(len(local))]
