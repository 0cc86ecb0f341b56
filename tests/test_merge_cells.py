"""merge_cells: one cell's versions into the merged cell and its conflict records."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import code_cell, markdown_cell, stream_output
from hypothesis import given, settings
from hypothesis import strategies as st

from nbcollab.merge.cell import CellContext, conflict_note, edited, merge_slot, values_conflict
from nbcollab.merge.markers import unwrap_exact
from nbcollab.merge.order import Slot
from nbcollab.merge.record import (
    CellTypeConflict,
    ConflictKind,
    DeleteEditConflict,
    OutputsConflict,
    SourceConflict,
    ValueConflict,
    ValuesConflict,
    entry_to_json,
    parse_record,
)
from nbcollab.merge.values import MergeLabels
from nbcollab.notebook.absent import ABSENT
from nbcollab.options import MergeOptions, OutputStrategy

LABELS = MergeLabels(ours="HEAD", theirs="feature", marker_size=7)
CTX = CellContext(major=4, options=MergeOptions(), labels=LABELS)
BASE_TEXT = "x = 1\ny = 2\nz = 3\n"


def merge3(
    base: dict | None,
    local: dict | None,
    remote: dict | None,
    *,
    ctx: CellContext = CTX,
    deleted_by: str | None = None,
) -> tuple[dict, list]:
    """Merge one cell given as three versions (None where a version lacks it)."""
    slot = Slot(
        None if base is None else 0,
        None if local is None else 0,
        None if remote is None else 0,
        deleted_by,
    )
    return merge_slot(
        slot, [base] if base else [], [local] if local else [], [remote] if remote else [], ctx
    )


def with_(cell: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**cell, **changes}


BASE = code_cell(BASE_TEXT, count=1, outputs=[stream_output("1\n")], cell_id="c1")

EDITED = {
    # name: (base, other version, whether an author edited it)
    "same": (BASE, BASE, False),
    "source": (BASE, with_(BASE, source="x = 10\n"), True),
    "outputs-are-derived": (BASE, with_(BASE, outputs=[]), False),
    "count-is-derived": (BASE, with_(BASE, execution_count=9), False),
    "id-is-not-content": (BASE, with_(BASE, id="other"), False),
    "execute-time-is-volatile": (
        BASE,
        with_(BASE, metadata={"ExecuteTime": {"start": "t"}}),
        False,
    ),
    "scrolled-is-volatile": (BASE, with_(BASE, metadata={"scrolled": True}), False),
    "jupyter-view-state-is-volatile": (
        BASE,
        with_(BASE, metadata={"jupyter": {"source_hidden": True}}),
        False,
    ),
    "tags-are-content": (BASE, with_(BASE, metadata={"tags": ["x"]}), True),
    "type": (BASE, with_(BASE, cell_type="raw"), True),
}


@pytest.mark.parametrize("base, other, expected", EDITED.values(), ids=EDITED.keys())
def test_edited(base: dict, other: dict, expected: bool) -> None:
    assert edited(base, other) is expected


def test_the_cells_given_are_never_changed() -> None:
    base, local, remote = (
        code_cell(BASE_TEXT, count="*"),
        code_cell("a\n" + BASE_TEXT),
        code_cell(BASE_TEXT + "b\n"),
    )
    copies = [repr(c) for c in (base, local, remote)]
    merge3(base, local, remote)
    assert [repr(c) for c in (base, local, remote)] == copies


SHORTCUTS = {
    # name: (base, local, remote, which version is the result)
    "both-same": (BASE, with_(BASE, source="a\n"), with_(BASE, source="a\n"), "local"),
    "remote-unchanged": (BASE, with_(BASE, source="a\n"), BASE, "local"),
    "local-unchanged": (BASE, BASE, with_(BASE, source="b\n"), "remote"),
    "only-local": (None, BASE, None, "local"),
    "only-remote": (None, None, BASE, "remote"),
}


@pytest.mark.parametrize("base, local, remote, which", SHORTCUTS.values(), ids=SHORTCUTS.keys())
def test_a_side_unchanged_gives_the_other_side(
    base: Any, local: Any, remote: Any, which: str
) -> None:
    cell, conflicts = merge3(base, local, remote)
    assert conflicts == []
    assert cell == (local if which == "local" else remote)


def test_edits_to_different_lines_merge_cleanly() -> None:
    local = with_(BASE, source="x = 10\ny = 2\nz = 3\n")
    remote = with_(BASE, source="x = 1\ny = 2\nz = 30\n")
    cell, conflicts = merge3(BASE, local, remote)
    assert (cell["source"], conflicts) == ("x = 10\ny = 2\nz = 30\n", [])


def test_edits_to_the_same_line_conflict_with_markers() -> None:
    cell, conflicts = merge3(
        BASE,
        with_(BASE, source="x = 10\ny = 2\nz = 3\n"),
        with_(BASE, source="x = 11\ny = 2\nz = 3\n"),
    )
    assert (
        cell["source"] == "<<<<<<< HEAD\nx = 10\n=======\nx = 11\n>>>>>>> feature\ny = 2\nz = 3\n"
    )
    (entry,) = conflicts
    assert isinstance(entry, SourceConflict)
    assert entry.markers == (LABELS.start(), LABELS.mid(), LABELS.end())
    (hunk,) = entry.hunks
    assert (hunk.base, hunk.ours, hunk.theirs, hunk.at) == ("x = 1\n", "x = 10\n", "x = 11\n", 0)


def test_a_metadata_conflict_is_a_note_on_top_and_the_hunks_move_down() -> None:
    local = with_(BASE, source="x = 10\ny = 2\nz = 3\n", metadata={"tags": [], "owner": "ann"})
    remote = with_(BASE, source="x = 11\ny = 2\nz = 3\n", metadata={"tags": [], "owner": "bob"})
    cell, conflicts = merge3(BASE, local, remote)
    values, source = conflicts
    assert isinstance(values, ValuesConflict) and values.kind is ConflictKind.METADATA
    assert [(v.path, v.base, v.ours, v.theirs) for v in values.values] == [
        (("metadata", "owner"), ABSENT, "ann", "bob")
    ]
    assert cell["metadata"]["owner"] == "ann"  # ours kept
    assert cell["source"].startswith(values.note)
    assert values.note == conflict_note("metadata", ["metadata.owner"], LABELS)
    (hunk,) = source.hunks
    assert cell["source"][hunk.at :].startswith(LABELS.start())
    assert hunk.at == len(values.note)


def test_volatile_metadata_and_tags_never_conflict() -> None:
    local = with_(BASE, metadata={"ExecuteTime": {"end": "1"}, "tags": ["a", "shared"]})
    remote = with_(BASE, metadata={"ExecuteTime": {"end": "2"}, "tags": ["shared", "b"]})
    cell, conflicts = merge3(with_(BASE, metadata={"tags": ["shared"]}), local, remote)
    assert conflicts == []
    assert sorted(cell["metadata"]["tags"]) == ["a", "b", "shared"]
    assert not cell["source"].startswith("<")


def test_an_attachments_conflict_has_its_own_record() -> None:
    base = markdown_cell("![x](attachment:x.png)\n")
    base["attachments"] = {"x.png": {"image/png": "AAAA"}}
    local = with_(base, attachments={"x.png": {"image/png": "BBBB"}})
    remote = with_(base, attachments={"x.png": {"image/png": "CCCC"}})
    cell, conflicts = merge3(base, local, remote)
    (entry,) = conflicts
    assert isinstance(entry, ValuesConflict) and entry.kind is ConflictKind.ATTACHMENTS
    assert cell["attachments"] == local["attachments"]
    assert cell["source"] == entry.note + base["source"]


def test_a_cell_type_conflict_keeps_ours_and_fits_the_schema() -> None:
    local = with_(BASE, cell_type="markdown")
    remote = with_(BASE, cell_type="raw", source=BASE_TEXT + "more\n")
    cell, conflicts = merge3(BASE, local, remote)
    (entry,) = conflicts
    assert isinstance(entry, CellTypeConflict)
    assert (entry.base, entry.ours, entry.theirs) == ("code", "markdown", "raw")
    assert cell["cell_type"] == "markdown"
    assert "outputs" not in cell and "execution_count" not in cell  # v4 forbids them there
    assert cell["source"] == entry.note + BASE_TEXT + "more\n"


def test_both_sides_changing_the_id_keeps_ours() -> None:
    cell, _ = merge3(BASE, with_(BASE, id="ours", source="a\n"), with_(BASE, id="theirs"))
    assert cell["id"] == "ours"
    cell, _ = merge3(BASE, with_(BASE, source="a\n"), with_(BASE, id="theirs"))
    assert cell["id"] == "theirs"


def outputs_ctx(strategy: OutputStrategy) -> CellContext:
    return CellContext(major=4, options=MergeOptions(outputs=strategy), labels=LABELS)


OUT_L, OUT_R = [stream_output("ours\n")], [stream_output("theirs\n")]
OUTPUT_CASES = {
    # strategy: (merged outputs, merged count)
    OutputStrategy.AUTO: ([], None),  # both re-ran it: derived data is dropped, not guessed
    OutputStrategy.CLEAR: ([], None),
    OutputStrategy.OURS: (OUT_L, 2),
    OutputStrategy.THEIRS: (OUT_R, 3),
    OutputStrategy.UNION: (OUT_L + OUT_R, 2),
}


@pytest.mark.parametrize("strategy, expected", OUTPUT_CASES.items(), ids=lambda v: str(v))
def test_outputs_both_sides_changed(strategy: OutputStrategy, expected: tuple) -> None:
    local = with_(BASE, source="a\n" + BASE_TEXT, outputs=OUT_L, execution_count=2)
    remote = with_(BASE, source=BASE_TEXT + "b\n", outputs=OUT_R, execution_count=3)
    cell, conflicts = merge3(BASE, local, remote, ctx=outputs_ctx(strategy))
    assert (cell["outputs"], cell["execution_count"]) == expected
    assert conflicts == []


def test_outputs_conflict_strategy_writes_marker_outputs_and_a_record() -> None:
    local = with_(BASE, source="a\n" + BASE_TEXT, outputs=OUT_L, execution_count=2)
    remote = with_(BASE, source=BASE_TEXT + "b\n", outputs=OUT_R, execution_count=3)
    cell, conflicts = merge3(BASE, local, remote, ctx=outputs_ctx(OutputStrategy.CONFLICT))
    (entry,) = conflicts
    assert isinstance(entry, OutputsConflict)
    assert (entry.sections, entry.counts) == ((1, 1, 1), (1, 2, 3))
    texts = [out["text"] for out in cell["outputs"]]
    assert texts == [
        LABELS.start(),
        "ours\n",
        "||||||| base\n",
        "1\n",
        LABELS.mid(),
        "theirs\n",
        LABELS.end(),
    ]


def test_a_running_cells_star_count_is_not_kept() -> None:
    # "*" is what a notebook saved while the cell ran holds: not valid in the schema.
    cell, _ = merge3(None, with_(BASE, execution_count="*"), None)
    assert cell["execution_count"] is None
    v3 = CellContext(major=3, options=MergeOptions(), labels=LABELS)
    old = {
        "cell_type": "code",
        "input": "x\n",
        "prompt_number": True,
        "outputs": [],
        "language": "python",
        "metadata": {},
    }
    cell, _ = merge3(None, old, None, ctx=v3)
    assert "prompt_number" not in cell and cell["input"] == "x\n"


def test_v4_schema_drops_foreign_keys_and_adds_required_ones() -> None:
    cell, _ = merge3(
        None, {"cell_type": "markdown", "source": "m", "outputs": [], "bogus": 1}, None
    )
    assert cell == {"cell_type": "markdown", "source": "m", "metadata": {}}
    cell, _ = merge3(None, {"cell_type": "code", "id": "k"}, None)
    assert cell == {
        "cell_type": "code",
        "id": "k",
        "metadata": {},
        "source": "",
        "outputs": [],
        "execution_count": None,
    }


@pytest.mark.parametrize("deleted_by", ["ours", "theirs"])
def test_delete_vs_edit_wraps_the_kept_cell(deleted_by: str) -> None:
    kept = with_(BASE, source="x = 100\n")
    local, remote = (None, kept) if deleted_by == "ours" else (kept, None)
    cell, conflicts = merge3(BASE, local, remote, deleted_by=deleted_by)
    (entry,) = conflicts
    assert isinstance(entry, DeleteEditConflict)
    assert (entry.deleted_by, entry.base) == (deleted_by, BASE_TEXT)
    head, tail = entry.wrapper
    assert cell["source"] == head + "x = 100\n" + tail
    label = LABELS.ours if deleted_by == "ours" else LABELS.theirs
    assert f"{label} (deleted this cell)" in (head if deleted_by == "ours" else tail)
    assert cell["outputs"] == kept["outputs"]


@given(
    st.text(alphabet="ab\n\r<=>|", max_size=30),
    st.sampled_from(["ours", "theirs"]),
    st.integers(3, 12),
)
@settings(max_examples=80, deadline=None)
def test_delete_vs_edit_wrapper_gives_back_the_text_exactly(
    text: str, deleted_by: str, size: int
) -> None:
    ctx = CellContext(major=4, options=MergeOptions(), labels=MergeLabels(marker_size=size))
    kept = code_cell(text)
    local, remote = (None, kept) if deleted_by == "ours" else (kept, None)
    cell, (entry,) = merge3(code_cell("old\n"), local, remote, ctx=ctx, deleted_by=deleted_by)
    head, tail = entry.wrapper
    assert cell["source"].startswith(head) and cell["source"].endswith(tail)
    assert unwrap_exact(cell["source"], head, tail) == text  # what resolving puts back


def test_the_record_keeps_absent_apart_from_null() -> None:
    change = ValueConflict(("metadata", "k"), ABSENT, None, 1)
    entry = values_conflict(ConflictKind.METADATA, [change], LABELS)
    written = entry_to_json(entry)
    assert written["values"] == [{"path": ["metadata", "k"], "ours": None, "theirs": 1}]
    (read,) = parse_record({"conflicts": [written], "record_version": 2}, [], place="record")
    assert read == entry and read.values[0].base is ABSENT


def test_conflict_note_is_one_marker_line_naming_what_and_who() -> None:
    note = conflict_note("metadata", ["metadata.a", "metadata.b\nx"], MergeLabels(marker_size=9))
    assert note.startswith("<" * 9 + " nbcollab: metadata conflict (metadata.a, metadata.b x)")
    assert note.endswith("\n") and note.count("\n") == 1
    assert "kept ours, theirs differs" in note
    assert "(cell-type)" in conflict_note("cell-type", [], LABELS)
