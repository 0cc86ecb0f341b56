"""notebook.cells: cells named from 1, and the one --cell grammar every command takes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers import code_cell, make_notebook, markdown_cell, write_notebook
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from nbcollab.cli.app import app
from nbcollab.errors import ConfigError
from nbcollab.merge.notebook import merge_notebooks
from nbcollab.merge.values import MergeLabels
from nbcollab.notebook.cells import NoSuchCell, cell_name, output_name, select_cells
from nbcollab.notebook.codec import serialize_notebook

CELLS = [
    {"id": "intro"},
    {"id": "one"},
    {"id": "two"},
    {},  # no id: nbformat before 4.5
    {"id": "12"},  # an id that looks like a number
]

SELECT = {
    "first": ("1", [0]),
    "last": ("-1", [4]),
    "second-from-end": ("-2", [3]),
    "plus-sign": ("+2", [1]),
    "bare-id": ("two", [2]),
    "id-prefix": ("id:one", [1]),
    "digits-are-a-number": ("12", []),
    "digit-id-with-prefix": ("id:12", [4]),
    "legacy-index": ("index:0", [0]),
    "legacy-index-last": ("index:4", [4]),
    "range": ("2..4", [1, 2, 3]),
    "range-negative": ("-2..-1", [3, 4]),
    "range-clipped": ("4..99", [3, 4]),
    "range-reversed": ("3..2", []),
    "list": ("1,two, -1", [0, 2, 4]),
    "list-overlapping": ("1..2,2", [0, 1]),
    "beyond": ("6", []),
    "beyond-from-end": ("-6", []),
    "unknown-id": ("nope", []),
    "legacy-index-beyond": ("index:5", []),
}


@pytest.mark.parametrize(("selector", "expected"), SELECT.values(), ids=SELECT.keys())
def test_selectors(selector: str, expected: list[int]) -> None:
    if expected:
        assert select_cells(CELLS, selector, name="nb.ipynb") == expected
        return
    with pytest.raises(NoSuchCell) as caught:
        select_cells(CELLS, selector, name="nb.ipynb")
    assert str(caught.value).startswith(
        f"nb.ipynb: --cell {selector}: no such cell (the notebook has 5 cells; --cell takes N "
    )


@pytest.mark.parametrize(
    ("selector", "why"),
    [
        ("0", "cells count from 1 (index:0 is the first cell"),
        ("0..2", "cells count from 1"),
        ("id:", "id: needs an id"),
        ("index:", "index: needs a number"),
        ("index:-1", "index: needs a number"),
        ("1,,2", "an empty part"),
    ],
)
def test_what_is_not_a_selector_says_the_grammar(selector: str, why: str) -> None:
    with pytest.raises(NoSuchCell, match=re.escape(f"--cell {selector}: {why}")):
        select_cells(CELLS, selector, name="nb.ipynb")


def test_a_selector_error_is_a_usage_error_shown_safely() -> None:
    with pytest.raises(ConfigError) as caught:
        select_cells(CELLS, "\x1b[2Jx", name="nb\x1b.ipynb")
    assert "\x1b" not in str(caught.value).replace("nb\x1b.ipynb", "")


@pytest.mark.parametrize(
    "selector",
    ["9" * 5000, "index:" + "9" * 5000, "1" + "0" * 18, "\u0661", "-" + "9" * 40 + "..2x"],
)
def test_huge_or_foreign_numbers_name_no_cell_without_a_crash(selector: str) -> None:
    with pytest.raises(NoSuchCell) as caught:
        select_cells(CELLS, selector, name="nb.ipynb")
    assert len(str(caught.value)) < 300  # the selector is shortened in the message


@pytest.mark.parametrize(
    ("index", "cell", "expected"),
    [
        (0, {"id": "abc"}, "cell 1 (id abc)"),
        (2, {}, "cell 3"),
        (2, None, "cell 3"),
        (4, {"id": ""}, "cell 5"),
        (0, {"id": 7}, "cell 1"),
        (0, {"id": "a\x1b[2Jb"}, "cell 1 (id a␛[2Jb)"),
    ],
)
def test_cell_name(index: int, cell: dict | None, expected: str) -> None:
    assert cell_name(index, cell) == expected


def test_output_name() -> None:
    assert (output_name(0), output_name(2), output_name(None)) == ("output 1", "output 3", "output")


@given(st.lists(st.sampled_from(["a", "b", None]), max_size=6), st.integers(-8, 8))
@settings(max_examples=100, deadline=None)
def test_a_number_is_the_cell_people_count_to(ids: list[str | None], number: int) -> None:
    cells = [{"id": i} if i else {} for i in ids]
    expected = number - 1 if number > 0 else len(cells) + number
    if number == 0 or not 0 <= expected < len(cells):
        with pytest.raises(NoSuchCell):
            select_cells(cells, str(number), name="nb")
    else:
        assert select_cells(cells, str(number), name="nb") == [expected]
        assert cell_name(expected, cells[expected]).startswith(f"cell {expected + 1}")


# --- the same cell in every command --------------------------------------------------------


def _notebook(edited: bool = False) -> dict:
    """Cell 2 (id one) and cell 3 (id two) each use a name that cell 4 defines only later."""
    mark = "  # edited" if edited else ""
    return make_notebook(
        markdown_cell("# Title" + mark, cell_id="intro"),
        code_cell("print(a)" + mark, cell_id="one", count=1),
        code_cell("print(b)" + mark, cell_id="two", count=2),
        code_cell("a = b = 1" + mark, cell_id="three", count=3),
        code_cell("print(a + b)" + mark, cell_id="four", count=4),
    )


SAME_CELL = {
    "number": ("2", 2, "one"),
    "from-the-end": ("-4", 2, "one"),
    "bare-id": ("one", 2, "one"),
    "id-prefix": ("id:two", 3, "two"),
    "legacy-index": ("index:2", 3, "two"),
}


@pytest.mark.parametrize(("selector", "number", "cell_id"), SAME_CELL.values(), ids=SAME_CELL)
def test_every_command_takes_the_same_cell(
    tmp_path: Path, selector: str, number: int, cell_id: str
) -> None:
    old = write_notebook(tmp_path / "old.ipynb", _notebook())
    new = write_notebook(tmp_path / "new.ipynb", _notebook(edited=True))
    name = f"cell {number}"
    runner = CliRunner()

    shown = runner.invoke(app, ["show", str(old), "--cell", selector, "--no-pager"])
    assert shown.exit_code == 0, shown.output
    assert re.findall(r"── (cell \d+) · code · id (\w+)", shown.output) == [(name, cell_id)]

    diffed = runner.invoke(app, ["diff", str(old), str(new), "--cell", selector])
    assert diffed.exit_code == 1, diffed.output
    assert re.findall(r"## (cell \d+) \(code, id (\w+)\)", diffed.output) == [(name, cell_id)]

    linted = runner.invoke(app, ["lint", str(old), "--cell", selector, "--format", "json"])
    assert linted.exit_code == 1, linted.output
    findings = json.loads(linted.output)["findings"]
    assert {(f["cell"], f["cell_id"]) for f in findings} == {(number, cell_id)}

    conflicted = _conflicted(tmp_path / "merged.ipynb")
    listed = runner.invoke(app, ["conflicts", str(conflicted)])
    assert f"{name} (id {cell_id})" in listed.output  # the number conflicts gives, --cell takes
    resolved = runner.invoke(app, ["resolve", str(conflicted), "--cell", selector, "--theirs"])
    assert resolved.exit_code == 1, resolved.output  # the other cells' conflicts remain
    assert f"--cell {selector} is {name} (id {cell_id})" in resolved.output
    cells = json.loads(conflicted.read_text())["cells"]
    unresolved = ["<<<<<<<" in "".join(cell["source"]) for cell in cells]
    assert unresolved == [False] + [k != number for k in range(2, 6)]


def _conflicted(path: Path) -> Path:
    """The notebook, every code cell changed differently on both sides."""
    base, ours, theirs = _notebook(), _notebook(), _notebook()
    for k in range(1, 5):
        ours["cells"][k]["source"] += "  # ours"
        theirs["cells"][k]["source"] += "  # theirs"
    labels = MergeLabels(ours="main", theirs="feature")
    merged = merge_notebooks(base, ours, theirs, labels=labels).notebook
    path.write_text(serialize_notebook(merged), encoding="utf-8")
    return path


@pytest.mark.parametrize("command", ["show", "diff", "lint"])
def test_every_command_says_the_same_when_no_cell_matches(tmp_path: Path, command: str) -> None:
    old = write_notebook(tmp_path / "old.ipynb", _notebook())
    args = [command, str(old)] + ([str(old)] if command == "diff" else []) + ["--cell", "9"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert f"{old}: --cell 9: no such cell (the notebook has 5 cells; --cell takes N" in (
        result.output
    )


def test_diff_finds_a_removed_cell_by_its_id_in_the_old_version(tmp_path: Path) -> None:
    nb = _notebook()
    old = write_notebook(tmp_path / "old.ipynb", nb)
    del nb["cells"][1]
    new = write_notebook(tmp_path / "new.ipynb", nb)
    result = CliRunner().invoke(app, ["diff", str(old), str(new), "--cell", "one"])
    assert result.exit_code == 1
    assert "## cell 2 (code, id one): removed\n-print(a)\n" in result.output
    assert "id two" not in result.output


def test_diff_of_an_unchanged_cell_is_empty_and_exits_0(tmp_path: Path) -> None:
    nb = _notebook()
    old = write_notebook(tmp_path / "old.ipynb", nb)
    nb["cells"][2]["source"] = "print(b, b)"
    new = write_notebook(tmp_path / "new.ipynb", nb)
    same = CliRunner().invoke(app, ["diff", str(old), str(new), "--cell", "2"])
    assert (same.exit_code, same.output) == (0, "")
    changed = CliRunner().invoke(app, ["diff", str(old), str(new), "--cell", "3"])
    assert changed.exit_code == 1 and "## cell 3 (code, id two): modified" in changed.output


def test_diff_refuses_a_cell_of_the_json_diff(tmp_path: Path) -> None:
    old = write_notebook(tmp_path / "old.ipynb", _notebook())
    result = CliRunner().invoke(app, ["diff", str(old), str(old), "--cell", "1", "-f", "json"])
    assert result.exit_code == 2 and "nbdime's JSON is a diff of whole notebooks" in result.output


def test_lint_cell_takes_one_notebook_and_keeps_the_baseline_whole(tmp_path: Path) -> None:
    one = write_notebook(tmp_path / "a.ipynb", _notebook())
    two = write_notebook(tmp_path / "b.ipynb", _notebook())
    both = CliRunner().invoke(app, ["lint", str(one), str(two), "--cell", "2"])
    assert both.exit_code == 2 and "--cell names cells of one notebook" in both.output
    baseline = tmp_path / "baseline.json"
    args = ["lint", str(one), "--cell", "2", "--baseline", str(baseline), "--update-baseline"]
    refused = CliRunner().invoke(app, args)
    assert refused.exit_code == 2 and not baseline.exists()
