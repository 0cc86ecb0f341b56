"""One notion of "equal": ``nbcollab diff`` exits 0 exactly when its JSON (nbdime) diff is empty."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from helpers import code_cell, make_notebook, markdown_cell, write_notebook
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from nbcollab.cli.app import app
from nbcollab.diff.compute import diff_notebooks
from nbcollab.errors import InvalidNotebook
from nbcollab.notebook.codec import parse_notebook, serialize_notebook
from nbcollab.notebook.json_equal import same_value
from nbcollab.options import DiffOptions
from nbcollab.render.diffs import DiffFormat, NotebookSides, render_diffs
from nbcollab.render.nbdime import to_nbdime_diff
from nbcollab.render.text import render_text

FLAGS = (
    "ignore_sources",
    "ignore_outputs",
    "ignore_metadata",
    "ignore_execution_counts",
    "ignore_ids",
    "ignore_attachments",
)
EVERY_OPTIONS = [
    DiffOptions(**dict(zip(FLAGS, bits)))
    for bits in itertools.product((False, True), repeat=len(FLAGS))
]
ABSENT = object()


def agree(old: dict, new: dict, options: DiffOptions) -> bool:
    """The text diff's "equal", an empty nbdime diff and the exit code, side by side."""
    equal = diff_notebooks(old, new, options=options).equal
    assert equal == (to_nbdime_diff(old, new, options=options) == []), options
    # What decides nbcollab diff's exit code, with the JSON it prints.
    printed, different = render_diffs(
        [NotebookSides("a", "b", old, new, "b")], fmt=DiffFormat.JSON, options=options
    )
    assert different == (json.loads(printed) != []) == (not equal)
    text, different = render_diffs(
        [NotebookSides("a", "b", old, new, "b")], fmt=DiffFormat.TEXT, options=options
    )
    assert different == (text != "") == (not equal)
    return equal


@pytest.mark.parametrize(
    ("key", "old", "new"),
    [
        ("attachments", ABSENT, {}),
        ("metadata", ABSENT, {}),
        ("source", ABSENT, ""),
        ("execution_count", ABSENT, None),
    ],
)
def test_empty_and_absent_differ_in_a_markdown_cell(key: str, old: Any, new: Any) -> None:
    cells = [markdown_cell("# Title", cell_id="m"), markdown_cell("# Title", cell_id="m")]
    for cell, value in zip(cells, (old, new)):
        cell.pop(key, None)
        if value is not ABSENT:
            cell[key] = value
    a, b = make_notebook(cells[0]), make_notebook(cells[1])
    assert not agree(a, b, DiffOptions())
    text = render_text(diff_notebooks(a, b), old_name="a", new_name="b")
    assert f"+  {key}: {json.dumps(new)}" in text


def test_absent_outputs_differ_from_no_outputs() -> None:
    a = make_notebook(code_cell("x", cell_id="c"))
    b = make_notebook(code_cell("x", cell_id="c"))
    del b["cells"][0]["outputs"]
    assert not agree(a, b, DiffOptions())
    assert agree(a, b, DiffOptions(ignore_outputs=True))


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (1, 1.0),
        (1, True),
        (0, False),
        ({"a": 1}, {"a": 1.0}),
        ([1], [True]),
        ("1", 1),
        ([0.0], [-0.0]),
        ({}, []),
    ],
)
def test_numbers_differ_as_in_json(old: Any, new: Any) -> None:
    assert not same_value(old, new)
    a = make_notebook(code_cell("x", cell_id="c", tag=old))
    b = make_notebook(code_cell("x", cell_id="c", tag=new))
    assert not agree(a, b, DiffOptions())
    assert agree(a, b, DiffOptions(ignore_metadata=True))


def test_nan_equals_itself() -> None:
    a = parse_notebook(b'{"cells": [], "metadata": {"x": NaN}, "nbformat": 4, "nbformat_minor": 5}')
    b = parse_notebook(b'{"cells": [], "metadata": {"x": NaN}, "nbformat": 4, "nbformat_minor": 5}')
    assert same_value(a, b) and agree(a, b, DiffOptions())


def test_cli_exit_code_follows_the_json(tmp_path: Path) -> None:
    cell = markdown_cell("# Title", cell_id="m")
    old = write_notebook(tmp_path / "a.ipynb", make_notebook(cell))
    new = write_notebook(tmp_path / "b.ipynb", make_notebook({**cell, "attachments": {}}))
    runner = CliRunner()
    as_json = runner.invoke(app, ["diff", str(old), str(new), "--format", "json"])
    assert as_json.exit_code == 1 and json.loads(as_json.output) != []
    as_text = runner.invoke(app, ["diff", str(old), str(new)])
    assert as_text.exit_code == 1 and "+  attachments: {}" in as_text.output
    ignored = runner.invoke(app, ["diff", str(old), str(new), "--ignore-attachments", "-f", "json"])
    assert ignored.exit_code == 0 and json.loads(ignored.output) == []


def v3(*sheets: list[dict], **sheet_keys: Any) -> dict:
    return {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {},
        "worksheets": [{"cells": cells, **sheet_keys} for cells in sheets],
    }


V3_CELLS = [
    {"cell_type": "code", "input": f"a = {n}", "outputs": [], "language": "python"}
    for n in range(3)
]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("old", "new"),
    [
        (v3(V3_CELLS), v3(V3_CELLS, metadata={})),
        (v3(V3_CELLS, metadata={"a": 1}), v3(V3_CELLS, metadata={"a": 2})),
        (v3(V3_CELLS), v3(V3_CELLS[:1], V3_CELLS[1:])),
        (v3(V3_CELLS[:2], V3_CELLS[2:]), v3(V3_CELLS[:1], V3_CELLS[1:])),
        (v3(V3_CELLS), v3(V3_CELLS[:2])),
        (v3(V3_CELLS), {**v3(V3_CELLS), "cells": []}),
        ({**make_notebook(), "worksheets": []}, make_notebook()),
    ],
    ids=[
        "sheet-metadata-added",
        "sheet-metadata-changed",
        "split-in-two",
        "split-moved",
        "cell-removed",
        "v3-stray-cells",
        "v4-stray-worksheets",
    ],
)
def test_worksheets_and_stray_keys_count(old: dict, new: dict) -> None:
    for options in EVERY_OPTIONS:
        assert not agree(old, new, options)
    assert agree(old, old, DiffOptions())


def test_one_worksheet_cell_added_shows_only_the_cell() -> None:
    d = diff_notebooks(v3(V3_CELLS[:2]), v3(V3_CELLS))
    assert d.metadata == () and [c.status for c in d.cells] == ["unchanged", "unchanged", "added"]


# Values that are "nothing" in different ways, and a few that are something.
EMPTYISH = {
    "attachments": [ABSENT, {}, {"a.png": {"image/png": "AAAA"}}],
    "metadata": [ABSENT, {}, {"tags": []}, {"tags": ["x"]}, {"n": 1}, {"n": 1.0}, {"n": True}],
    "outputs": [
        ABSENT,
        [],
        [{"output_type": "stream", "name": "stdout", "text": "1\n"}],
        [
            {
                "output_type": "execute_result",
                "execution_count": 1,
                "metadata": {},
                "data": {"text/plain": "1"},
            }
        ],
        [
            {
                "output_type": "execute_result",
                "execution_count": 2,
                "metadata": {},
                "data": {"text/plain": "1"},
            }
        ],
    ],
    "execution_count": [ABSENT, None, 1, 2],
    "source": [ABSENT, "", "x = 1\n", "x = 2\n"],
    "id": [ABSENT, "a", "b"],
}


@st.composite
def cells(draw: st.DrawFn) -> dict:
    cell: dict[str, Any] = {"cell_type": draw(st.sampled_from(["code", "markdown"]))}
    for key, values in EMPTYISH.items():
        value = draw(st.sampled_from(values))
        if value is not ABSENT:
            cell[key] = value
    return cell


@st.composite
def notebook_pairs(draw: st.DrawFn) -> tuple[dict, dict]:
    old_cells = draw(st.lists(cells(), max_size=4))
    new_cells = [dict(c) for c in old_cells]
    for _ in range(draw(st.integers(0, 3))):
        if not new_cells or draw(st.booleans()):
            new_cells.insert(draw(st.integers(0, len(new_cells))), draw(cells()))
            continue
        target = new_cells[draw(st.integers(0, len(new_cells) - 1))]
        key, values = draw(st.sampled_from(sorted(EMPTYISH.items())))
        value = draw(st.sampled_from(values))
        target.pop(key, None)
        if value is not ABSENT:
            target[key] = value
    if len(new_cells) > 1 and draw(st.booleans()):
        new_cells.append(new_cells.pop(0))
    old_meta, new_meta = (draw(st.sampled_from([ABSENT, {}, {"k": 1}, {"k": 1.0}])) for _ in "ab")
    pair = []
    for cell_list, meta in ((old_cells, old_meta), (new_cells, new_meta)):
        nb: dict[str, Any] = {"cells": cell_list, "nbformat": 4, "nbformat_minor": 5}
        if meta is not ABSENT:
            nb["metadata"] = meta
        pair.append(nb)
    return pair[0], pair[1]


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pair=notebook_pairs(), options=st.sampled_from(EVERY_OPTIONS))
def test_equal_exactly_when_the_json_diff_is_empty(
    pair: tuple[dict, dict], options: DiffOptions
) -> None:
    old, new = pair
    agree(old, new, options)
    # As the CLI sees them: written by Jupyter's rules and read back.
    try:
        old, new = (parse_notebook(serialize_notebook(nb).encode()) for nb in (old, new))
    except InvalidNotebook:
        assume(False)
    agree(old, new, options)


@pytest.mark.slow
def test_same_value_has_no_depth_limit() -> None:
    def deep(leaf: object, depth: int = 5000) -> object:
        value = leaf
        for _ in range(depth):
            value = [{"k": value}]
        return value

    assert same_value(deep(1), deep(1))
    assert not same_value(deep(1), deep(1.0))
