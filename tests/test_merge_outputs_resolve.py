"""`merge --outputs conflict` then `resolve --SIDE`: outputs and execution count from one side."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import code_cell, make_notebook, write_notebook
from typer.testing import CliRunner

from nbcollab.cli.app import app

runner = CliRunner()


def out(text: str) -> list[dict]:
    return [{"output_type": "stream", "name": "stdout", "text": text}]


@pytest.mark.parametrize(
    ("side", "text", "count"), [("--theirs", "2", 3), ("--ours", "1", 2), ("--base", "0", 1)]
)
@pytest.mark.parametrize("sources", [("x", "x", "x"), ("x", "y", "z")])
def test_outputs_and_count_come_from_the_chosen_side(
    tmp_path: Path, side: str, text: str, count: int, sources: tuple[str, str, str]
) -> None:
    for name, source, (value, number) in zip("blr", sources, (("0", 1), ("1", 2), ("2", 3))):
        write_notebook(
            tmp_path / f"{name}.ipynb",
            make_notebook(code_cell(source, cell_id="a", outputs=out(value), count=number)),
        )
    merged = tmp_path / "m.ipynb"
    done = runner.invoke(
        app,
        [
            "merge",
            "--outputs",
            "conflict",
            *(str(tmp_path / f"{n}.ipynb") for n in "blr"),
            "-o",
            str(merged),
        ],
    )
    assert done.exit_code == 1, done.output
    assert runner.invoke(app, ["resolve", side, str(merged)]).exit_code == 0
    (cell,) = json.loads(merged.read_text())["cells"]
    assert ("".join(cell["outputs"][0]["text"]), cell["execution_count"]) == (text, count)
