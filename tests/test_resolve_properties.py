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
from nbcollab.merge.markers import terminated
from nbcollab.merge.notebook import merge_notebooks
from nbcollab.merge.resolve import Resolution, resolve_conflicts
from nbcollab.merge.values import MergeLabels
from nbcollab.options import MergeOptions, OutputStrategy

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


def merge_of_two_cells(
    first: tuple[str, str, str],
    second: tuple[str, str, str],
    *,
    same_cell: bool = True,
    kernel: bool = False,
) -> Any:
    """The merge (outputs kept in conflict) of a notebook whose markdown cell holds ``first`` and
    a code cell ``second`` (base, ours, theirs), with a colour that differs on every side (a
    metadata conflict whose note sits above that cell's source conflict); ``same_cell``: an
    unchanged code cell between them; ``kernel``: theirs changes the language (a
    notebook-metadata conflict, in a note cell)."""

    def version(k: int) -> dict[str, Any]:
        cells = [markdown_cell(first[k], cell_id="m")]
        if same_cell:
            cells.append(code_cell("x = 1", cell_id="same"))
        cells.append(code_cell(second[k], cell_id="c", color=["base", "ours", "theirs"][k]))
        nb = make_notebook(*cells)
        if kernel:
            language = ["python", "python", "R"][k]
            nb["metadata"]["kernelspec"] = {"name": language, "language": language}
        return nb

    return merge_notebooks(
        version(0),
        version(1),
        version(2),
        labels=LABELS,
        options=MergeOptions(outputs=OutputStrategy.CONFLICT),
    )


def _lines(text: str) -> list[str]:
    lines = text.splitlines(True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\n"
    return lines


def expected(base: str, ours: str, theirs: str, choice: Resolution) -> tuple[str, set[str]]:
    """The merge with every conflict region taken from ``choice``, and who changed the rest.

    A region's lines are the side's own; the one that ends a version keeps that version's
    ending. The text ends as its last line came: from a side in a conflict, as that side ended
    it; otherwise as the merged ending (whether a text ends with a newline merges as a change of
    its own)."""
    texts = {"base": base, "ours": ours, "theirs": theirs}
    merger = Merge3(_lines(base), _lines(ours), _lines(theirs))
    out: list[str] = []
    clean_changes: set[str] = set()
    covered = 0  # base lines kept or in a conflict: merge3 reports no trailing deletion by both
    last_from_conflict = False
    for region in merger.merge_regions():
        kind = region[0]
        if kind == "unchanged":
            covered += region[2] - region[1]
            lines = merger.base[region[1] : region[2]]
        elif kind in ("a", "same", "b"):
            clean_changes.add({"a": "ours", "b": "theirs"}.get(kind, "both"))
            lines = (merger.b if kind == "b" else merger.a)[region[1] : region[2]]
        else:
            _, z0, z1, a0, a1, b0, b1 = region
            covered += z1 - z0
            side = choice.value
            start, stop = {"ours": (a0, a1), "theirs": (b0, b1), "base": (z0, z1)}[side]
            all_lines = _lines(texts[side])
            lines = list(all_lines[start:stop])
            if lines and stop == len(all_lines) and not texts[side].endswith(("\n", "\r")):
                lines[-1] = lines[-1][:-1]
        if lines:
            out += lines
            last_from_conflict = kind == "conflict"
    if covered != len(merger.base):
        clean_changes.add("both")
    text = "".join(out)
    if last_from_conflict:
        return text, clean_changes
    ends = [t.endswith("\n") or not t for t in (base, ours, theirs)]
    end = ends[2] if ends[1] == ends[0] else ends[1]
    changed = (ends[1] != ends[0], ends[2] != ends[0])
    if any(changed):  # whether the text ends with a newline merges as a change of its own
        clean_changes.add("both" if all(changed) else "ours" if changed[0] else "theirs")
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
# The sides disagree on the final newline of the conflicting last line.
@example(("a", "b", "c\n"))
@example(("a\n", "b", "c"))
# The region that ends the cell starts with lines both sides agree on, and its base is empty.
@example(
    (
        ">>>>>>> y",
        "=======\n>>>>>>> y\n<<<<<<< x\n=======",
        ">>>>>>> y\n<<<<<<< x\n>>>>>>> y\n=======",
    )
)
def test_resolving_a_fresh_conflict_gives_each_side_exactly(sides: tuple[str, str, str]) -> None:
    _check_exact_sides(*sides)


def _crlf(text: str) -> str:
    return text.replace("\r", "").replace("\n", "\r\n")


@st.composite
def mixed_endings(draw: st.DrawFn) -> tuple[str, str, str]:
    """Triples in which some sides were converted to CRLF (an editor on Windows), final
    newlines drawn on their own."""
    sides = draw(triples())
    crlf = draw(st.lists(st.booleans(), min_size=3, max_size=3))
    return tuple(_crlf(side) if flag else side for side, flag in zip(sides, crlf))  # type: ignore[return-value]


LINES_1_5 = "".join(f"line {k}\n" for k in range(1, 6))


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mixed_endings())
# base LF, ours CRLF, theirs CRLF with a line deleted
@example((LINES_1_5, _crlf(LINES_1_5), _crlf(LINES_1_5.replace("line 3\n", ""))))
# ours CRLF without line 4, theirs LF without line 1
@example((LINES_1_5, _crlf(LINES_1_5.replace("line 4\n", "")), LINES_1_5[7:]))
@example(("a\r\nb", "a\r\nc\r\n", "a\nd"))
def test_resolving_gives_each_side_exactly_with_mixed_line_endings(
    sides: tuple[str, str, str],
) -> None:
    _check_exact_sides(*sides)


def _check_exact_sides(base: str, ours: str, theirs: str) -> None:
    """Resolving to a side gives that side's lines in every conflict region and the merged
    lines elsewhere (merge3's regions), so exactly its text, byte for byte, where the other
    side changed nothing else in the cell."""
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


def _one_source_conflict(
    sides: tuple[str, str, str],
) -> tuple[dict[str, Any], dict[str, Any], str, list[str]]:
    """The merge of ``sides`` with its one source conflict (assumed): the notebook, the record's
    entry, the cell's text with the final newline the merge dropped, and each hunk's marked text
    (checked to be where the record says)."""
    merged = merge_notebooks(*_notebooks(*sides), labels=LABELS).notebook
    record = merged["metadata"].get("nbcollab", {}).get("conflicts", [])
    assume(record)
    (entry,) = record
    text = merged["cells"][1]["source"]
    closed = text if text.endswith("\n") or not text else text + "\n"
    start, mid, end = entry["markers"]
    blocks = []
    for hunk in entry["hunks"]:
        blocks.append(start + terminated(hunk["ours"]) + mid + terminated(hunk["theirs"]) + end)
        assert closed.startswith(blocks[-1], hunk["at"])
    return merged, entry, closed, blocks


@pytest.mark.slow
@settings(max_examples=80, deadline=None)
@given(triples(), st.lists(st.booleans(), min_size=1, max_size=6))
# Hunk 0's marked text is also the start of hunk 1's: once hunk 0 is resolved by hand, the copy
# inside hunk 1 must not be taken for it.
@example(
    ("", "=======\n=======\n>>>>>>> y\n=======\n=======\n>>>>>>> y", "=======\n>>>>>>> y"), [True]
)
@example(
    (
        "",
        "=======\n=======\n<<<<<<< x\n<<<<<<< x\n=======\n=======\n<<<<<<< x",
        "<<<<<<< x\n<<<<<<< x",
    ),
    [True],
)
# Both hunks are written the same (their sides differ only in the final newline), and the edit
# by hand also ends the cell with a newline.
@example(
    (
        "<<<<<<< x\n=======\n=======",
        "=======",
        "<<<<<<< x\n<<<<<<< x\n<<<<<<< x\n<<<<<<< x\n<<<<<<< x\n=======\n"
        "<<<<<<< x\n<<<<<<< x\n<<<<<<< x\n<<<<<<< x\n<<<<<<< x",
    ),
    [True],
)
# Two hunks written the same, with the same agreed text before them, between two hunks resolved
# by hand: each is taken in order, none for the other.
@example(
    (
        "",
        "<<<<<<< x\n" * 5 + "<<<<<<< x",
        "=======\n<<<<<<< x\n<<<<<<< x\n<<<<<<< HEAD\n=======\n=======\n<<<<<<< x\n<<<<<<< x\n"
        "<<<<<<< HEAD\n=======\n=======\n<<<<<<< x\n=======\n<<<<<<< x\n=======",
    ),
    [True, False, False, True],
)
def test_hunks_resolved_by_hand_stay_and_the_rest_resolve(
    sides: tuple[str, str, str], flags: list[bool]
) -> None:
    merged, entry, closed, blocks = _one_source_conflict(sides)
    by_hand = (flags + [False] * len(entry["hunks"]))[: len(entry["hunks"])]
    assume(not all(by_hand))
    edited, expected, cursor = [], {"ours": [], "theirs": []}, 0
    for number, (hunk, mine, block) in enumerate(zip(entry["hunks"], by_hand, blocks)):
        kept = closed[cursor : hunk["at"]]
        cursor = hunk["at"] + len(block)
        edited += [kept, f"by hand {number}\n" if mine else block]
        for side in expected:
            # a side that ends the cell keeps its own ending; inside it, it ends its line
            text = hunk[side] if cursor >= len(closed) else terminated(hunk[side])
            expected[side] += [kept, f"by hand {number}\n" if mine else text]
    for part in (edited, *expected.values()):
        part.append(closed[cursor:])
    merged["cells"][1]["source"] = "".join(edited)
    for side, parts in expected.items():
        outcome = resolve_conflicts(merged, Resolution(side))
        assert outcome.notebook["cells"][1]["source"] == "".join(parts)
        assert find_conflicts(outcome.notebook) == []


@pytest.mark.slow
@settings(max_examples=80, deadline=None)
@given(triples(), st.lists(st.booleans(), min_size=1, max_size=6), st.data())
def test_a_pasted_copy_of_a_marked_hunk_is_resolved_around_or_refused(
    sides: tuple[str, str, str], flags: list[bool], data: st.DataObject
) -> None:
    # Some hunks resolved by hand, and a copy of a still-marked hunk's lines pasted at any line
    # start outside the marks: resolving gives each side with the copy left where it was pasted,
    # or refuses and leaves the cell as it was, still listed; never a copy resolved in the
    # hunk's place with the hunk's marks left behind. (Hunks whose marked lines are all the same
    # cannot be told apart from a copy of one of them: not drawn here.)
    merged, entry, closed, blocks = _one_source_conflict(sides)
    hunks = entry["hunks"]
    by_hand = (flags + [False] * len(hunks))[: len(hunks)]
    assume(len(set(blocks)) == len(blocks))
    marked = [k for k, mine in enumerate(by_hand) if not mine]
    assume(marked)
    copy = blocks[data.draw(st.sampled_from(marked), label="copied hunk")]
    # The cell as pieces: agreed text (its own), then each hunk (marked, or by hand).
    pieces: list[tuple[int | None, str]] = []
    cursor = 0
    for k, hunk in enumerate(hunks):
        pieces.append((None, closed[cursor : hunk["at"]]))
        pieces.append((k, f"by hand {k}\n" if by_hand[k] else blocks[k]))
        cursor = hunk["at"] + len(blocks[k])
    pieces.append((None, closed[cursor:]))
    spots = sorted(
        {
            (i, sum(len(line) for line in piece.splitlines(True)[:n]))
            for i, (k, piece) in enumerate(pieces)
            if k is None or by_hand[k]
            for n in range(len(piece.splitlines(True)) + 1)
        }
    )
    spot = data.draw(st.sampled_from(spots), label="pasted at")

    def cell(side: str | None, at: tuple[int, int]) -> str:
        out = []
        for i, (k, piece) in enumerate(pieces):
            if side is not None and k is not None and not by_hand[k]:
                last = i == len(pieces) - 2 and not pieces[-1][1] and at[0] != len(pieces) - 1
                piece = hunks[k][side] if last else terminated(hunks[k][side])
            out.append(piece[: at[1]] + copy + piece[at[1] :] if i == at[0] else piece)
        return "".join(out)

    edited = cell(None, spot)
    merged["cells"][1]["source"] = edited
    # The spots where the same text is written (on either side of a marked hunk) are one paste.
    same = [other for other in spots if cell(None, other) == edited]
    for side in ("ours", "theirs"):
        outcome = resolve_conflicts(merged, Resolution(side))
        got = outcome.notebook["cells"][1]["source"]
        left = find_conflicts(outcome.notebook)
        if outcome.failed:
            event("refused")
            assert got == edited and [f.kind for f in left] == ["source"]
        else:
            event("resolved")
            assert got in {cell(side, other) for other in same} and left == []
