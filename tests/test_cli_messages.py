"""Say something when nothing happens: an empty folder, two folders to diff, a file diffed with itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import code_cell, make_notebook, write_notebook
from typer.testing import CliRunner

from nbcollab.cli.app import app

runner = CliRunner()


@pytest.mark.parametrize(
    "command", [["clean"], ["clean", "--check"], ["conflicts"], ["lint"], ["trust", "check"]]
)
def test_an_empty_folder_is_said(tmp_path: Path, command: list[str]) -> None:
    (tmp_path / "empty").mkdir()
    result = runner.invoke(app, [*command, str(tmp_path / "empty")])
    assert result.exit_code == 0
    assert f"no notebook (*.ipynb) in {tmp_path / 'empty'}" in result.stderr


def test_a_folder_with_notebooks_says_nothing_of_the_kind(tmp_path: Path) -> None:
    write_notebook(tmp_path / "a.ipynb", make_notebook(code_cell("x", cell_id="a"), metadata={}))
    result = runner.invoke(app, ["clean", "--check", str(tmp_path)])
    assert "no notebook" not in result.stderr


def test_diff_of_two_folders_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    result = runner.invoke(app, ["diff", str(tmp_path / "a"), str(tmp_path / "b")])
    assert result.exit_code == 2
    assert "are folders" in result.stderr


def test_diff_of_a_file_with_itself_says_so(tmp_path: Path) -> None:
    path = write_notebook(tmp_path / "a.ipynb", make_notebook(code_cell("x", cell_id="a")))
    result = runner.invoke(app, ["diff", str(path), str(path)])
    assert result.exit_code == 0
    assert "compared with itself" in result.stderr
