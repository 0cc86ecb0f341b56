"""The diff model (cells added/removed/modified/moved, parts of a cell), ignore flags, CLI exit codes."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import (
    code_cell,
    make_notebook,
    markdown_cell,
    run_nbcollab,
    stream_output,
    write_notebook,
)
from typer.testing import CliRunner

from nbcollab.cli.app import app
from nbcollab.diff.compute import ValueChange, diff_notebooks, diff_outputs
from nbcollab.notebook.absent import ABSENT
from nbcollab.options import DiffOptions

PNG_A = {"output_type": "display_data", "metadata": {}, "data": {"image/png": "iVBORw0KGgoA"}}
PNG_B = {"output_type": "display_data", "metadata": {}, "data": {"image/png": "iVBORw0KGgoB"}}


def base() -> dict:
    return make_notebook(
        markdown_cell("# Title", cell_id="m1"),
        code_cell("x = 1\ny = 2\n", outputs=[stream_output("1\n")], count=1, cell_id="c1"),
        code_cell("print(x)", count=2, cell_id="c2"),
    )


def statuses(old: dict, new: dict, **flags: bool) -> list[tuple]:
    d = diff_notebooks(old, new, options=DiffOptions(**flags))
    return [(c.status, c.old_index, c.new_index, c.moved) for c in d.cells]


def test_equal_notebooks() -> None:
    d = diff_notebooks(base(), base())
    assert d.equal and all(c.status == "unchanged" for c in d.cells)


def test_added_removed_modified_moved() -> None:
    old = base()
    old["cells"].append(code_cell("z = 3", cell_id="c3"))
    new = copy.deepcopy(old)
    new["cells"][1]["source"] = "x = 10\ny = 2\n"
    new["cells"].insert(0, code_cell("import os", cell_id="n1"))
    new["cells"].append(new["cells"].pop(1))  # the title moves to the end
    del new["cells"][2]  # print(x) removed
    assert statuses(old, new) == [
        ("added", None, 0, False),
        ("modified", 1, 1, False),
        ("removed", 2, None, False),
        ("unchanged", 3, 2, False),
        ("unchanged", 0, 3, True),
    ]


def test_removed_cells_shown_where_they_stood() -> None:
    new = base()
    del new["cells"][0]
    assert statuses(base(), new)[0] == ("removed", 0, None, False)


def test_removed_cells_come_before_added_ones_in_the_same_gap() -> None:
    old = make_notebook(code_cell("keep = 1"), code_cell("import os"), code_cell("end = 2"))
    new = make_notebook(code_cell("keep = 1"), markdown_cell("# Unrelated"), code_cell("end = 2"))
    assert statuses(old, new) == [
        ("unchanged", 0, 0, False),
        ("removed", 1, None, False),
        ("added", None, 1, False),
        ("unchanged", 2, 2, False),
    ]


def test_parts_of_a_modified_cell() -> None:
    new = base()
    cell = new["cells"][1]
    cell["execution_count"] = 7
    cell["metadata"]["tags"] = ["slow"]
    cell["outputs"] = [stream_output("2\n"), PNG_A]
    d = diff_notebooks(base(), new)
    got = d.cells[1]
    assert got.status == "modified" and not got.source_changed
    assert got.execution_count == ValueChange(("execution_count",), 1, 7)
    assert got.metadata == (ValueChange(("metadata", "tags"), ABSENT, ["slow"]),)
    assert [(o.status, o.old_index, o.new_index) for o in got.outputs] == [
        ("modified", 0, 0),
        ("added", None, 1),
    ]
    assert got.outputs[0].changes == (ValueChange(("text",), "1\n", "2\n"),)


def test_images_compare_by_content() -> None:
    changes = diff_outputs([PNG_A], [PNG_B])
    assert changes[0].changes == (
        ValueChange(("data", "image/png"), "iVBORw0KGgoA", "iVBORw0KGgoB"),
    )
    assert diff_outputs([PNG_A], [copy.deepcopy(PNG_A)]) == ()


def test_notebook_metadata_changes() -> None:
    new = base()
    new["metadata"]["kernelspec"]["name"] = "ir"
    new["nbformat_minor"] = 4
    d = diff_notebooks(base(), new)
    assert {c.path for c in d.metadata} == {("metadata", "kernelspec", "name"), ("nbformat_minor",)}


IGNORES: dict[str, Callable[[dict], Any]] = {
    "ignore_sources": lambda c: c.update(source=c["source"] + "# more\n"),
    "ignore_outputs": lambda c: c.update(outputs=[]),
    "ignore_metadata": lambda c: c["metadata"].update(tags=["x"]),
    "ignore_execution_counts": lambda c: c.update(execution_count=99),
    "ignore_attachments": lambda c: c.update(attachments={"a.png": {"image/png": "AAAA"}}),
    "ignore_ids": lambda c: c.update(id="renamed"),
}


@pytest.mark.parametrize("flag", IGNORES)
def test_ignore_flags(flag: str) -> None:
    new = base()
    IGNORES[flag](new["cells"][1])
    assert not diff_notebooks(base(), new).equal
    assert diff_notebooks(base(), new, options=DiffOptions(**{flag: True})).equal


def test_ignore_execution_counts_covers_outputs() -> None:
    old = make_notebook(
        code_cell(
            "1",
            outputs=[
                {
                    "output_type": "execute_result",
                    "metadata": {},
                    "execution_count": 1,
                    "data": {"text/plain": "1"},
                }
            ],
        )
    )
    new = copy.deepcopy(old)
    new["cells"][0]["outputs"][0]["execution_count"] = 5
    assert diff_notebooks(old, new, options=DiffOptions(ignore_execution_counts=True)).equal


def test_v3_notebooks_diff_by_input() -> None:
    old: dict[str, Any] = {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {},
        "worksheets": [{"cells": [{"cell_type": "code", "input": "a = 1", "outputs": []}]}],
    }
    new = copy.deepcopy(old)
    new["worksheets"][0]["cells"][0]["input"] = "a = 2"
    d = diff_notebooks(old, new)
    assert d.cells[0].source_changed


# --- CLI ------------------------------------------------------------------------------------

runner = CliRunner()


def _pair(tmp_path: Path, old: dict, new: dict) -> tuple[str, str]:
    return (
        str(write_notebook(tmp_path / "old.ipynb", old)),
        str(write_notebook(tmp_path / "new.ipynb", new)),
    )


def test_cli_exit_codes(tmp_path: Path) -> None:
    new = base()
    new["cells"][2]["source"] = "print(y)"
    a, b = _pair(tmp_path, base(), new)
    assert runner.invoke(app, ["diff", a, a]).exit_code == 0
    result = runner.invoke(app, ["diff", a, b])
    assert result.exit_code == 1
    assert "-print(x)\n+print(y)" in result.output
    (tmp_path / "bad.ipynb").write_text("{not json")
    bad = runner.invoke(app, ["diff", a, str(tmp_path / "bad.ipynb")])
    assert bad.exit_code == 2 and "bad.ipynb:1:2" in bad.output


def test_keys_jupyter_drops_on_reading_are_no_difference(tmp_path: Path) -> None:
    # orig_nbformat, the signature and cell "trusted" never survive a save in Jupyter.
    noisy = base()
    noisy["metadata"].update(orig_nbformat=3, signature="sha256:abc")
    noisy["cells"][0]["metadata"]["trusted"] = True
    (tmp_path / "noisy.ipynb").write_text(json.dumps(noisy), encoding="utf-8")
    a = write_notebook(tmp_path / "a.ipynb", base())
    result = runner.invoke(app, ["diff", str(a), str(tmp_path / "noisy.ipynb")])
    assert result.exit_code == 0, result.output


@pytest.mark.slow
def test_cli_ignore_flag_and_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    new = base()
    new["cells"][1]["outputs"] = []
    a, b = _pair(tmp_path, base(), new)
    assert runner.invoke(app, ["diff", a, b, "--ignore-outputs"]).exit_code == 0
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.nbcollab.diff]\nignore-outputs = true\n")
    assert runner.invoke(app, ["diff", a, b]).exit_code == 0
    (tmp_path / "pyproject.toml").write_text("[tool.nbcollab.diff]\nignore-output = true\n")
    typo = runner.invoke(app, ["diff", a, b])
    assert typo.exit_code == 2 and "ignore-output" in typo.output


@pytest.mark.slow
def test_cli_json_and_html_files(tmp_path: Path) -> None:
    new = base()
    new["cells"][0]["source"] = "# Other title"
    a, b = _pair(tmp_path, base(), new)
    result = runner.invoke(app, ["diff", a, b, "--format", "json"])
    assert result.exit_code == 1
    entries = json.loads(result.output)
    assert entries[0]["key"] == "cells" and entries[0]["diff"][0]["key"] == 0
    report = tmp_path / "r.html"
    assert runner.invoke(app, ["diff", a, b, "-f", "html", "-o", str(report)]).exit_code == 1
    assert "Other title" in report.read_text()
    assert runner.invoke(app, ["diff", a, b, "-f", "xml"]).exit_code == 2


def test_cli_color_and_word_diff(tmp_path: Path) -> None:
    new = base()
    new["cells"][2]["source"] = "print(x, y)"
    a, b = _pair(tmp_path, base(), new)
    plain = runner.invoke(app, ["diff", a, b, "--word-diff"]).output
    assert "~print(x{+, y+})" in plain and "\033[" not in plain
    coloured = runner.invoke(app, ["diff", a, b, "--color", "always"]).output
    assert "\033[31m" in coloured


@pytest.mark.slow
def test_cli_subprocess_exit_codes(tmp_path: Path) -> None:
    new = base()
    new["cells"].pop()
    a, b = _pair(tmp_path, base(), new)
    assert run_nbcollab("diff", a, a).returncode == 0
    proc = run_nbcollab("diff", a, b)
    assert proc.returncode == 1 and b"removed" in proc.stdout
    missing = run_nbcollab("diff", a, str(tmp_path / "nope.ipynb"))
    assert missing.returncode == 2 and b"Traceback" not in missing.stderr


def v3_notebook(count: int) -> dict[str, Any]:
    """A v3 notebook whose code cell and pyout output carry ``prompt_number`` ``count``."""
    output = {"output_type": "pyout", "prompt_number": count, "metadata": {}, "text": "1"}
    cell = {
        "cell_type": "code",
        "input": "a",
        "language": "python",
        "metadata": {},
        "outputs": [output],
        "prompt_number": count,
        "collapsed": False,
    }
    return {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {"name": ""},
        "worksheets": [{"cells": [cell], "metadata": {}}],
    }


def test_v3_prompt_numbers_are_execution_counts() -> None:
    old, new = v3_notebook(1), v3_notebook(2)
    assert diff_notebooks(old, new, options=DiffOptions(ignore_execution_counts=True)).equal
    cell = diff_notebooks(old, new).cells[0]
    assert cell.execution_count == ValueChange(("prompt_number",), 1, 2)
    assert cell.other == () and [c.path for c in cell.outputs[0].changes] == [("prompt_number",)]


def test_absent_is_one_value_wherever_it_travels() -> None:
    import copy
    import pickle

    from nbcollab.merge.record import ValueConflict

    assert copy.copy(ABSENT) is ABSENT and copy.deepcopy([ABSENT])[0] is ABSENT
    assert pickle.loads(pickle.dumps(ABSENT)) is ABSENT
    assert type(ABSENT)() is ABSENT
    # the diff and the merge record speak of the same absent key
    diff = diff_notebooks(make_notebook(code_cell("x")), make_notebook(code_cell("x", a=1)))
    assert diff.cells[0].metadata[0].old is ABSENT and ValueConflict(("k",)).base is ABSENT
