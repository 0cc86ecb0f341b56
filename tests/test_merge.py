"""The three-way merge core: a table of edits on both sides and what the merged notebook holds."""

from __future__ import annotations

import copy
import re
from typing import Any

import nbformat
import pytest
from helpers import code_cell, make_notebook, markdown_cell, stream_output

from nbcollab.errors import InvalidNotebook
from nbcollab.merge.notebook import merge_notebooks
from nbcollab.merge.values import MergeLabels, merge_text, merge_values
from nbcollab.notebook.codec import serialize_notebook
from nbcollab.options import MergeOptions, OutputStrategy

LABELS = MergeLabels(ours="main", theirs="feature")


def nb(*sources: str, ids: bool = True) -> dict[str, Any]:
    """Code cells (``#`` first: markdown); the id comes from the lowercased first line, so "B" is
    an edit of "b"."""
    cells = []
    for source in sources:
        cell_id = "c-" + re.sub(r"\W", "_", source.split("\n")[0].lower())[:20] if ids else None
        if source.startswith("#"):
            cells.append(markdown_cell(source, cell_id=cell_id))
        else:
            cells.append(code_cell(source, cell_id=cell_id))
    return make_notebook(*cells, minor=5 if ids else 4)


def sources(notebook: dict[str, Any]) -> list[str]:
    return [cell["source"] for cell in notebook["cells"]]


def assert_valid(notebook: dict[str, Any]) -> None:
    text = serialize_notebook(notebook)
    nbformat.validate(nbformat.reads(text, as_version=nbformat.NO_CONVERT))


def merge(base: dict | None, local: dict, remote: dict, **options: Any):
    result = merge_notebooks(base, local, remote, options=MergeOptions(**options), labels=LABELS)
    assert_valid(result.notebook)
    return result


CONFLICT_FREE = [
    pytest.param(
        nb("a", "b", "c"),
        nb("A", "b", "c"),
        nb("a", "b", "C"),
        ["A", "b", "C"],
        id="different-cells-edited",
    ),
    pytest.param(nb("a", "b"), nb("A", "b"), nb("A", "b"), ["A", "b"], id="same-edit-both"),
    pytest.param(
        nb("x = 1\ny = 2\nz = 3"),
        nb("x = 10\ny = 2\nz = 3"),
        nb("x = 1\ny = 2\nz = 30"),
        ["x = 10\ny = 2\nz = 30"],
        id="different-lines-of-one-cell",
    ),
    pytest.param(
        nb("a", "b"),
        nb("a", "L", "b"),
        nb("a", "R", "b"),
        ["a", "L", "R", "b"],
        id="insertions-both-local-first",
    ),
    pytest.param(
        nb("a", "b"),
        nb("a", "N", "b"),
        nb("a", "N", "b"),
        ["a", "N", "b"],
        id="identical-insertions-collapse",
    ),
    pytest.param(
        nb("a", "b"),
        nb("L0", "a", "b"),
        nb("R0", "a", "b"),
        ["L0", "R0", "a", "b"],
        id="insertions-at-start",
    ),
    pytest.param(
        nb("a", "b"),
        nb("a", "b", "L"),
        nb("a", "b", "R"),
        ["a", "b", "L", "R"],
        id="insertions-at-end",
    ),
    pytest.param(
        nb("a", "b", "c"), nb("a", "c"), nb("a", "b", "c"), ["a", "c"], id="delete-unchanged"
    ),
    pytest.param(nb("a", "b", "c"), nb("a", "c"), nb("a", "c"), ["a", "c"], id="both-delete"),
    pytest.param(
        nb("a", "b", "c", "d"),
        nb("a", "B", "c", "d"),
        nb("a", "c", "d", "b"),
        ["a", "c", "d", "B"],
        id="remote-move-local-edit",
    ),
    pytest.param(
        nb("a", "b", "c", "d"),
        nb("a", "c", "d", "b"),
        nb("a", "b", "C", "d"),
        ["a", "C", "d", "b"],
        id="local-move-remote-edit",
    ),
    pytest.param(
        nb("alpha = 1", "b", ids=False),
        nb("alpha = 1", "L", "b", ids=False),
        nb("alpha = 2", "b", "R", ids=False),
        ["alpha = 2", "L", "b", "R"],
        id="without-ids",
    ),
]


@pytest.mark.parametrize(("base", "local", "remote", "expected"), CONFLICT_FREE)
def test_clean_merges(base: dict, local: dict, remote: dict, expected: list[str]) -> None:
    result = merge(base, local, remote)
    assert result.clean, result.summary()
    assert sources(result.notebook) == expected
    assert "nbcollab" not in result.notebook["metadata"]


def test_same_line_edited_is_a_marked_conflict() -> None:
    result = merge(nb("x = 1\ny = 2"), nb("x = 10\ny = 2"), nb("x = 11\ny = 2"))
    assert not result.clean
    assert sources(result.notebook) == [
        "<<<<<<< main\nx = 10\n=======\nx = 11\n>>>>>>> feature\ny = 2"
    ]
    (entry,) = result.notebook["metadata"]["nbcollab"]["conflicts"]
    assert entry["kind"] == "source"
    assert entry["hunks"] == [
        {"base": "x = 1\n", "ours": "x = 10\n", "theirs": "x = 11\n", "at": 0}
    ]
    assert entry["markers"] == ["<<<<<<< main\n", "=======\n", ">>>>>>> feature\n"]
    assert entry["cell"] == result.notebook["cells"][0]["id"]
    assert result.summary()[0] == "0 of 1 cells merged cleanly"


def test_inputs_are_not_changed() -> None:
    versions = [nb("x = 1", "b"), nb("x = 2", "b"), nb("x = 3", "b", "c")]
    before = copy.deepcopy(versions)
    for strategy in OutputStrategy:
        result = merge_notebooks(*versions, options=MergeOptions(outputs=strategy))
        assert not result.clean
    assert versions == before


def test_marker_size_follows_git() -> None:
    labels = MergeLabels(ours="a", theirs="b", marker_size=9)
    versions = [nb(f"value = {n}", ids=False) for n in (1, 2, 3)]
    result = merge_notebooks(*versions, labels=labels)
    assert sources(result.notebook) == ["<<<<<<<<< a\nvalue = 2\n=========\nvalue = 3\n>>>>>>>>> b"]


@pytest.mark.parametrize(
    ("deleting", "expected"),
    [
        ("local", "<<<<<<< main (deleted this cell)\n=======\nB\n>>>>>>> feature"),
        ("remote", "<<<<<<< main\nB\n=======\n>>>>>>> feature (deleted this cell)"),
    ],
)
def test_delete_against_edit_keeps_the_edited_cell(deleting: str, expected: str) -> None:
    base, edited, deleted = nb("a", "b", "c"), nb("a", "B", "c"), nb("a", "c")
    edited["cells"][1]["id"] = base["cells"][1]["id"]
    local, remote = (deleted, edited) if deleting == "local" else (edited, deleted)
    result = merge(base, local, remote)
    assert sources(result.notebook) == ["a", expected, "c"]
    (entry,) = result.notebook["metadata"]["nbcollab"]["conflicts"]
    assert entry["kind"] == "delete-edit"
    assert entry["deleted_by"] == ("ours" if deleting == "local" else "theirs")


def test_cell_type_change_merges_with_an_edit() -> None:
    base = nb("text", ids=True)
    local = nb("text", ids=True)
    local["cells"][0] = {**markdown_cell("text"), "id": base["cells"][0]["id"]}
    remote = nb("text\nmore", ids=True)
    remote["cells"][0]["id"] = base["cells"][0]["id"]
    result = merge(base, local, remote)
    assert result.clean
    assert result.notebook["cells"][0]["cell_type"] == "markdown"
    assert "outputs" not in result.notebook["cells"][0]
    assert sources(result.notebook) == ["text\nmore"]


def test_cell_metadata_merges_tags_and_marks_conflicts() -> None:
    base, local, remote = nb("a", "b"), nb("a", "b"), nb("a", "b")
    local["cells"][0]["metadata"] = {"tags": ["x"], "owner": "ann"}
    remote["cells"][0]["metadata"] = {"tags": ["y"], "owner": "bob"}
    result = merge(base, local, remote)
    cell = result.notebook["cells"][0]
    assert cell["metadata"] == {"tags": ["x", "y"], "owner": "ann"}
    assert cell["source"].startswith("<<<<<<< nbcollab: metadata conflict (metadata.owner)")
    assert cell["source"].endswith("\na")
    (entry,) = result.notebook["metadata"]["nbcollab"]["conflicts"]
    assert entry["values"] == [{"path": ["metadata", "owner"], "ours": "ann", "theirs": "bob"}]


def test_volatile_cell_metadata_is_no_conflict() -> None:
    base, local, remote = nb("a"), nb("a"), nb("a")
    local["cells"][0]["metadata"] = {"execution": {"iopub.status.idle": "1"}, "collapsed": True}
    remote["cells"][0]["metadata"] = {"execution": {"iopub.status.idle": "2"}, "collapsed": False}
    result = merge(base, local, remote)
    assert result.clean
    assert result.notebook["cells"][0]["metadata"]["collapsed"] is True


def test_notebook_metadata_volatile_and_conflicting() -> None:
    base, local, remote = nb("a"), nb("a"), nb("a")
    local["metadata"]["language_info"]["version"] = "3.12.0"
    remote["metadata"]["language_info"]["version"] = "3.10.1"
    assert merge(base, local, remote).clean
    local["metadata"]["kernelspec"]["name"] = "python3-ann"
    # Another kernel of the same language is a local environment (no conflict); another language is.
    remote["metadata"]["kernelspec"] = {"display_name": "R", "language": "R", "name": "ir"}
    result = merge(base, local, remote)
    first = result.notebook["cells"][0]
    assert first["cell_type"] == "markdown"
    assert first["source"].startswith("<<<<<<< nbcollab: notebook-metadata conflict")
    assert result.notebook["metadata"]["kernelspec"]["name"] == "python3-ann"
    kinds = [e["kind"] for e in result.notebook["metadata"]["nbcollab"]["conflicts"]]
    assert kinds == ["notebook-metadata"]


def test_kernelspec_merges_whole() -> None:
    base, local, remote = nb("a"), nb("a"), nb("a")
    local["metadata"]["kernelspec"]["display_name"] = "Python (ann)"
    remote["metadata"]["kernelspec"] = {"display_name": "R", "language": "R", "name": "ir"}
    result = merge(base, local, remote)
    assert result.notebook["metadata"]["kernelspec"] == local["metadata"]["kernelspec"]
    (entry,) = result.notebook["metadata"]["nbcollab"]["conflicts"]
    assert entry["values"][0]["path"] == ["kernelspec"]
    assert entry["values"][0]["theirs"]["name"] == "ir"
    local["metadata"]["environment"] = {"name": "tf2-gpu.2-5"}
    remote["metadata"]["environment"] = {"name": "tf2-gpu.2-3"}
    remote["metadata"]["kernelspec"] = local["metadata"]["kernelspec"]
    assert merge(base, local, remote).clean


def _with_outputs(text: str, count: int | None) -> dict[str, Any]:
    notebook = nb("print(1)")
    notebook["cells"][0]["outputs"] = [stream_output(text)] if text else []
    notebook["cells"][0]["execution_count"] = count
    return notebook


@pytest.mark.parametrize(
    ("strategy", "expected_texts", "count"),
    [
        (OutputStrategy.AUTO, [], None),
        (OutputStrategy.OURS, ["L\n"], 2),
        (OutputStrategy.THEIRS, ["R\n"], 3),
        (OutputStrategy.UNION, ["L\n", "R\n"], 2),
        (OutputStrategy.CLEAR, [], None),
        (
            OutputStrategy.CONFLICT,
            [
                "<<<<<<< main\n",
                "L\n",
                "||||||| base\n",
                "B\n",
                "=======\n",
                "R\n",
                ">>>>>>> feature\n",
            ],
            2,
        ),
    ],
)
def test_output_strategies_when_both_changed(
    strategy: OutputStrategy, expected_texts: list[str], count: int | None
) -> None:
    result = merge(
        _with_outputs("B\n", 1), _with_outputs("L\n", 2), _with_outputs("R\n", 3), outputs=strategy
    )
    cell = result.notebook["cells"][0]
    assert [out["text"] for out in cell["outputs"]] == expected_texts
    assert cell["execution_count"] == count
    assert result.clean == (strategy is not OutputStrategy.CONFLICT)


def test_auto_takes_the_side_that_changed_outputs() -> None:
    result = merge(_with_outputs("B\n", 1), _with_outputs("B\n", 1), _with_outputs("R\n", 3))
    cell = result.notebook["cells"][0]
    assert [out["text"] for out in cell["outputs"]] == ["R\n"]
    assert cell["execution_count"] == 3


def test_added_on_both_sides_merges_cell_by_cell() -> None:
    local = nb("import os", "x = 1\ny = 2\nz = 3", "# Title", "local only")
    remote = nb("import os", "x = 1\ny = 20\nz = 3", "# Title")
    result = merge(None, local, remote)
    assert sources(result.notebook) == [
        "import os",
        "x = 1\n<<<<<<< main\ny = 2\n=======\ny = 20\n>>>>>>> feature\nz = 3",
        "# Title",
        "local only",
    ]
    assert merge(None, local, local).notebook["cells"] == local["cells"]


def test_ids_complete_and_unique_in_45() -> None:
    local = nb("a", "b", ids=False)
    remote = nb("a", "b", "c", ids=True)
    remote["cells"][2]["id"] = remote["cells"][0]["id"]  # a duplicate id in the input
    result = merge(nb("a", "b", ids=False), local, remote)
    ids = [cell["id"] for cell in result.notebook["cells"]]
    assert result.notebook["nbformat_minor"] == 5
    assert len(set(ids)) == len(ids) == 3


def test_ids_dropped_below_45() -> None:
    local = nb("a", ids=False)
    local["cells"][0]["id"] = "stray"
    result = merge(nb("a", ids=False), local, nb("a", "b", ids=False))
    assert all("id" not in cell for cell in result.notebook["cells"])


def test_v3_notebooks_merge() -> None:
    def v3(*inputs: str) -> dict[str, Any]:
        cells = [
            {
                "cell_type": "code",
                "collapsed": False,
                "input": text,
                "language": "python",
                "metadata": {},
                "outputs": [],
            }
            for text in inputs
        ]
        return {
            "metadata": {"name": ""},
            "nbformat": 3,
            "nbformat_minor": 0,
            "worksheets": [{"cells": cells, "metadata": {}}],
        }

    result = merge(v3("a", "b"), v3("A", "b"), v3("a", "b", "c"))
    assert [c["input"] for c in result.notebook["worksheets"][0]["cells"]] == ["A", "b", "c"]


def test_mixed_major_versions_are_refused() -> None:
    v3 = {"metadata": {}, "nbformat": 3, "nbformat_minor": 0, "worksheets": []}
    with pytest.raises(InvalidNotebook, match="different nbformat major versions"):
        merge_notebooks(nb("a"), v3, nb("a"))


def test_previous_record_in_inputs_is_replaced() -> None:
    local = nb("a")
    local["metadata"]["nbcollab"] = {"conflicts": [{"kind": "source", "cell": "zz"}]}
    result = merge(nb("a"), local, nb("a", "b"))
    assert result.clean and "nbcollab" not in result.notebook["metadata"]


@pytest.mark.parametrize(
    ("base", "local", "remote", "expected"),
    [
        ("a\nb\nc", "a\nb\nc\nd", "A\nb\nc", "A\nb\nc\nd"),
        ("a", "a\n", "a", "a\n"),
        ("", "x", "x", "x"),
        ("a\nb\nc\nd\ne", "A\nb\nc\nd\ne", "a\nb\nc\nd\nE", "A\nb\nc\nd\nE"),
    ],
)
def test_merge_text_clean(base: str, local: str, remote: str, expected: str) -> None:
    merged = merge_text(base, local, remote, labels=LABELS)
    assert (merged.text, merged.hunks) == (expected, [])


def test_merge_text_splits_conflicts_on_agreed_lines() -> None:
    merged = merge_text("a\nb\nc", "A\nb2\nC", "a2\nb2\nc2", labels=LABELS)
    assert merged.text.count("<<<<<<< main") == 2
    assert "\nb2\n" in merged.text
    assert [hunk.base for hunk in merged.hunks] == ["a\nb\nc", ""]  # the base's own ending
    assert [(hunk.before, hunk.after) for hunk in merged.hunks] == [("", ""), ("b2\n", "")]


@pytest.mark.parametrize(
    ("base", "local", "remote", "expected", "n_conflicts"),
    [
        ({"a": 1}, {"a": 1, "b": 2}, {"a": 3}, {"a": 3, "b": 2}, 0),
        ({"a": 1}, {}, {"a": 1}, {}, 0),
        ({"a": 1}, {}, {"a": 2}, {"a": 2}, 1),
        ({"t": ["x"]}, {"t": ["x", "y"]}, {"t": []}, {"t": ["x", "y"]}, 1),  # a list, not a set
        ({"t": ["b", "a"]}, {"t": ["a", "b", "a"]}, {"t": ["b", "a"]}, {"t": ["a", "b", "a"]}, 0),
        (
            {"t": ["b", "a"]},
            {"t": ["a", "b", "a"]},
            {"t": ["b", "a", "c"]},
            {"t": ["a", "b", "a"]},
            1,
        ),
        (
            {"a": {"b": 1, "c": 1}},
            {"a": {"b": 2, "c": 1}},
            {"a": {"b": 1, "c": 2}},
            {"a": {"b": 2, "c": 2}},
            0,
        ),
    ],
)
def test_merge_values(base: Any, local: Any, remote: Any, expected: Any, n_conflicts: int) -> None:
    merged, conflicts = merge_values(base, local, remote)
    assert merged == expected
    assert len(conflicts) == n_conflicts


@pytest.mark.parametrize(
    ("base", "local", "remote", "expected"),
    [
        (["x"], ["x", "y"], [], ["y"]),
        (["b", "a"], ["a", "b", "a"], ["b", "a", "c"], ["a", "b", "c"]),
    ],
)
def test_cell_tags_merge_as_a_set(
    base: list[str], local: list[str], remote: list[str], expected: list[str]
) -> None:
    def version(tags: list[str]) -> dict[str, Any]:
        return make_notebook(code_cell("x", cell_id="c", tags=tags))

    result = merge_notebooks(version(base), version(local), version(remote))
    assert result.clean
    assert result.notebook["cells"][0]["metadata"]["tags"] == expected


def test_other_string_lists_keep_duplicates_and_conflict_when_both_changed() -> None:
    def version(items: list[str]) -> dict[str, Any]:
        return make_notebook(code_cell("x", cell_id="c", order=items), metadata={"order": items})

    result = merge_notebooks(
        version(["b", "a"]), version(["a", "b", "a"]), version(["b", "a", "c"])
    )
    cell = result.notebook["cells"][1]
    assert cell["metadata"]["order"] == ["a", "b", "a"]
    assert result.notebook["metadata"]["order"] == ["a", "b", "a"]
    assert sorted(c.kind for c in result.conflicts) == ["metadata", "notebook-metadata"]
    one_side = merge_notebooks(version(["b", "a"]), version(["a", "b", "a"]), version(["b", "a"]))
    assert one_side.clean and one_side.notebook["cells"][0]["metadata"]["order"] == ["a", "b", "a"]
