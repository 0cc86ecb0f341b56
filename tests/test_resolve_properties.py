"""Resolving a fresh merge gives back exactly what each side wrote (hypothesis).

Cell sources are drawn from lines that look like conflict markers (``=======``, ``<<<<<<< x``,
``>>>>>>> y`` with the very labels the merge writes, ``|||||||``, notes) as well as code. For a
cell both sides changed, ``resolve`` to a side must give that side's lines in every conflict
region and the merged lines elsewhere (computed here from merge3's regions, independently of the
markers and the record), so exactly that side's source when the other side changed nothing else;
every other cell, and every cell of a notebook without a record, must keep its bytes.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers import code_cell, make_notebook, markdown_cell
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st
from merge3 import Merge3

from nbcollab.merge.conflicts import find_conflicts
from nbcollab.merge.markers import Resolution
from nbcollab.merge.notebook import merge_notebooks
from nbcollab.merge.resolve import resolve_conflicts
from nbcollab.merge.values import MergeLabels

LABELS = MergeLabels(ours="x", theirs="y")
TRICKY = [
    "=======",
    "<<<<<<< x",
    ">>>>>>> y",
    "|||||||",
    "<<<<<<< HEAD",
    ">>>>>>>",
    "<<<<<<< nbcollab: metadata conflict",
    "Title",
    "-----",
    "",
    "a = 1",
    "b = 2",
    "crlf\r",
    "<<<<<<<<<< x",
    "==========",
]
LINES = st.lists(st.sampled_from(TRICKY), max_size=5)
TUTORIAL = "How git marks a conflict:\n<<<<<<< HEAD\nours\n=======\ntheirs\n>>>>>>> branch\n"


def _text(lines: list[str], newline: bool) -> str:
    return "\n".join(lines) + ("\n" if newline and lines else "")


@st.composite
def triples(draw: st.DrawFn) -> tuple[str, str, str]:
    """Base, ours, theirs: blocks all three share, and blocks where all three differ."""
    texts: list[list[str]] = [[], [], []]
    for _ in range(draw(st.integers(1, 4))):
        if draw(st.booleans()):
            common = draw(LINES)
            for side in texts:
                side += common
        else:
            block = draw(st.lists(LINES, min_size=3, max_size=3, unique_by=tuple))
            for side, lines in zip(texts, block):
                side += lines
    ends = draw(st.lists(st.booleans(), min_size=3, max_size=3))
    base, ours, theirs = (_text(lines, end) for lines, end in zip(texts, ends))
    return base, ours, theirs


def _lines(text: str) -> list[str]:
    lines = text.splitlines(True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\n"
    return lines


def expected(base: str, ours: str, theirs: str, choice: Resolution) -> tuple[str, set[str]]:
    """The merge with every conflict region taken from ``choice``, and who changed the rest."""
    merger = Merge3(_lines(base), _lines(ours), _lines(theirs))
    out: list[str] = []
    clean_changes: set[str] = set()
    covered = 0  # base lines kept or in a conflict: merge3 reports no trailing deletion by both
    for region in merger.merge_regions():
        kind = region[0]
        if kind == "unchanged":
            covered += region[2] - region[1]
            out += merger.base[region[1] : region[2]]
        elif kind in ("a", "same", "b"):
            clean_changes.add({"a": "ours", "b": "theirs"}.get(kind, "both"))
            out += (merger.b if kind == "b" else merger.a)[region[1] : region[2]]
        else:
            _, z0, z1, a0, a1, b0, b1 = region
            covered += z1 - z0
            out += {
                Resolution.OURS: merger.a[a0:a1],
                Resolution.THEIRS: merger.b[b0:b1],
                Resolution.BASE: merger.base[z0:z1],
            }[choice]
    if covered != len(merger.base):
        clean_changes.add("both")
    ends = [t.endswith("\n") or not t for t in (base, ours, theirs)]
    end = ends[2] if ends[1] == ends[0] else ends[1]
    changed = (ends[1] != ends[0], ends[2] != ends[0])
    if any(changed):  # whether the text ends with a newline merges as a change of its own
        clean_changes.add("both" if all(changed) else "ours" if changed[0] else "theirs")
    text = "".join(out)
    return (text[:-1] if not end and text.endswith("\n") else text), clean_changes


def _notebooks(base: str, ours: str, theirs: str) -> list[dict[str, Any]]:
    def version(text: str, other: str) -> dict[str, Any]:
        return make_notebook(
            markdown_cell(TUTORIAL, cell_id="tutorial"),
            code_cell(text, cell_id="c"),
            markdown_cell(other, cell_id="one-sided"),
        )

    return [
        version(base, "=======\n"),
        version(ours, "<<<<<<< x\nedited\n"),
        version(theirs, "=======\n"),
    ]


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(triples())
# The agreed text after the conflict ends the cell without a final newline, and it is not in
# the base: resolving to the base drops it with the newline put back for finding lines.
@example(("=======", "=======\n=======\ncrlf\r", "=======\ncrlf\r"))
def test_resolving_a_fresh_conflict_gives_each_side_exactly(sides: tuple[str, str, str]) -> None:
    base, ours, theirs = sides
    assume(len({base, ours, theirs}) == 3)
    merged = merge_notebooks(*_notebooks(base, ours, theirs), labels=LABELS).notebook
    kinds = [f.kind for f in find_conflicts(merged)]
    assume(kinds)  # the diff may line the blocks up so that they merge cleanly
    assert kinds == ["source"]
    for choice in (Resolution.OURS, Resolution.THEIRS, Resolution.BASE):
        outcome = resolve_conflicts(merged, choice)
        assert (outcome.resolved, outcome.failed) == (1, [])
        tutorial, cell, one_sided = outcome.notebook["cells"]
        want, changed_elsewhere = expected(base, ours, theirs, choice)
        assert cell["source"] == want
        # exactly the side's source where the other side changed nothing outside the conflicts
        exact, other_changes = {
            Resolution.OURS: (ours, {"theirs"}),
            Resolution.THEIRS: (theirs, {"ours"}),
            Resolution.BASE: (base, {"ours", "theirs", "both"}),
        }[choice]
        if not changed_elsewhere & other_changes:
            event(f"exactly {choice.value}")
            assert cell["source"] == exact
        # the cells without a conflict keep their bytes
        assert json.dumps(tutorial) == json.dumps(merged["cells"][0])
        assert json.dumps(one_sided) == json.dumps(merged["cells"][2])
        assert find_conflicts(outcome.notebook) == []


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(triples())
@example(("", "crlf\r", "\n======="))  # ours ends with a lone CR, theirs starts with a newline
def test_union_keeps_every_line_of_both_sides(sides: tuple[str, str, str]) -> None:
    base, ours, theirs = sides
    merged = merge_notebooks(*_notebooks(base, ours, theirs), labels=LABELS).notebook
    assume(find_conflicts(merged))
    union = resolve_conflicts(merged, Resolution.UNION).notebook["cells"][1]["source"]
    for choice in (Resolution.OURS, Resolution.THEIRS):
        side = resolve_conflicts(merged, choice).notebook["cells"][1]["source"]
        assert {line.rstrip("\r\n") for line in _lines(side)} <= {
            line.rstrip("\r\n") for line in _lines(union)
        }


@settings(max_examples=60, deadline=None)
@given(st.lists(LINES.map("\n".join), min_size=1, max_size=4))
def test_marker_like_text_without_a_record_is_never_a_conflict(texts: list[str]) -> None:
    nb = make_notebook(*(code_cell(text, cell_id=f"c{k}") for k, text in enumerate(texts)))
    assert find_conflicts(nb) == []
    for choice in Resolution:
        outcome = resolve_conflicts(nb, choice)
        assert (outcome.resolved, outcome.notebook) == (0, nb)


@pytest.mark.slow
@settings(max_examples=80, deadline=None)
@given(triples(), st.data())
def test_hunks_resolved_by_hand_stay_and_the_rest_resolve(
    sides: tuple[str, str, str], data: st.DataObject
) -> None:
    merged = merge_notebooks(*_notebooks(*sides), labels=LABELS).notebook
    record = merged["metadata"].get("nbcollab", {}).get("conflicts", [])
    assume(record)
    (entry,) = record
    text = merged["cells"][1]["source"]
    closed = text if text.endswith("\n") or not text else text + "\n"
    by_hand = data.draw(
        st.lists(st.booleans(), min_size=len(entry["hunks"]), max_size=len(entry["hunks"]))
    )
    assume(not all(by_hand))
    start, mid, end = entry["markers"]
    edited, expected, cursor = [], {"ours": [], "theirs": []}, 0
    for number, (hunk, mine) in enumerate(zip(entry["hunks"], by_hand)):
        block = start + hunk["ours"] + mid + hunk["theirs"] + end
        assert closed.startswith(block, hunk["at"])
        kept = closed[cursor : hunk["at"]]
        edited += [kept, f"by hand {number}\n" if mine else block]
        for side in expected:
            expected[side] += [kept, f"by hand {number}\n" if mine else hunk[side]]
        cursor = hunk["at"] + len(block)
    for part in (edited, *expected.values()):
        part.append(closed[cursor:])
    merged["cells"][1]["source"] = "".join(edited)
    for side, parts in expected.items():
        outcome = resolve_conflicts(merged, Resolution(side))
        assert outcome.notebook["cells"][1]["source"] == "".join(parts)
        assert find_conflicts(outcome.notebook) == []
