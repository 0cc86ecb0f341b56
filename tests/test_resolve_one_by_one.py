"""Resolving a notebook's recorded conflicts one entry at a time (as the mergetool does) gives
exactly what resolving them all at once gives, for every choice and every order: resolving one
entry (a metadata note removed, a hunk replaced) moves the text after it, and the cell's other
hunks are still found where they now are."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_resolve_properties import merge_of_two_cells, triples

from nbcollab.merge.conflicts import read_record
from nbcollab.merge.resolve import Resolution, resolve_conflicts
from nbcollab.notebook.codec import serialize_notebook

SETTINGS = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def _merged(first: tuple[str, str, str], second: tuple[str, str, str]) -> dict[str, Any]:
    return merge_of_two_cells(first, second, same_cell=False).notebook


def _one_by_one(nb: dict[str, Any], choice: Resolution, picks: list[int]) -> dict[str, Any]:
    """Resolve one recorded entry per call, the ``picks`` choosing which of those left."""
    for pick in picks:
        left = len(read_record(nb))
        if not left:
            break
        outcome = resolve_conflicts(nb, choice, entry=pick % left)
        assert not outcome.failed, outcome.failed
        nb = outcome.notebook
    assert not read_record(nb)
    return nb


MARKER_LIKE = (
    "=======\n=======",
    "=======\n=======\n<<<<<<< x",
    "=======\n=======\n=======\n<<<<<<< x\n=======",
)


@pytest.mark.parametrize("choice", list(Resolution))
@pytest.mark.parametrize("picks", [[0, 0, 0], [1, 0, 0]], ids=["note-first", "source-first"])
def test_the_metadata_note_and_a_marker_like_source_resolve_one_at_a_time(
    choice: Resolution, picks: list[int]
) -> None:
    nb = _merged(("", "", ""), MARKER_LIKE)
    at_once = resolve_conflicts(nb, choice)
    assert not at_once.failed
    one_by_one = _one_by_one(nb, choice, picks)
    assert serialize_notebook(one_by_one) == serialize_notebook(at_once.notebook)


@SETTINGS
@given(
    triples(),
    triples(),
    st.sampled_from(list(Resolution)),
    st.lists(st.integers(0, 5), min_size=6, max_size=6),
)
def test_one_entry_at_a_time_equals_all_at_once(
    first: tuple[str, str, str], second: tuple[str, str, str], choice: Resolution, picks: list[int]
) -> None:
    nb = _merged(first, second)
    at_once = resolve_conflicts(nb, choice)
    assert not at_once.failed  # a fresh merge resolves to any side
    one_by_one = _one_by_one(nb, choice, picks)
    assert serialize_notebook(one_by_one) == serialize_notebook(at_once.notebook)


@pytest.mark.parametrize("picks", [[1, 0], [0, 0]], ids=["source-first", "note-first"])
def test_a_metadata_note_left_as_the_last_line_still_resolves(picks: list[int]) -> None:
    # Resolving the source to an empty base leaves the note as the cell's last line, without the
    # newline the merge dropped: the note must still be found, and the metadata resolved.
    nb = _merged(("", "", ""), ("", "=======", "=======\n======="))
    one_by_one = _one_by_one(nb, Resolution.BASE, picks)
    assert one_by_one["cells"][1]["metadata"]["color"] == "base"
    assert one_by_one["cells"][1]["source"] == ""


def test_resolving_one_cell_records_where_the_hunks_of_another_cell_now_are() -> None:
    # Hunk 0 of cell "c" is resolved by hand outside nbcollab (its length changes); resolving
    # cell "m" rewrites the record, which must then say where hunk 1 of "c" is now.
    nb = _merged(
        ("a\nx\n", "a\nX1\n", "a\nX2\n"),
        ("a\nx\nb\ny\nc\n", "a\nX1\nb\nY1\nc\n", "a\nX2\nb\nY2\nc\n"),
    )
    source = nb["cells"][1]["source"]
    start = source.index("<<<<<<< x\nX1\n")
    end = source.index(">>>>>>> y\n", start) + len(">>>>>>> y\n")
    nb["cells"][1]["source"] = source[:start] + "written by hand\nover two lines\n" + source[end:]
    outcome = resolve_conflicts(nb, Resolution.OURS, cell=0)
    assert outcome.resolved == 1
    text = outcome.notebook["cells"][1]["source"]
    (entry,) = (e for e in read_record(outcome.notebook) if e.kind.value == "source")
    assert entry.length == len(text)
    assert text.startswith("<<<<<<< x\nY1\n=======\nY2\n>>>>>>> y\n", entry.hunks[1].at)
    final = resolve_conflicts(outcome.notebook, Resolution.THEIRS)
    assert final.notebook["cells"][1]["source"].endswith(
        "written by hand\nover two lines\nb\nY2\nc\n"
    )
