"""Say something when nothing happens: an empty folder, two folders to diff, a file diffed with itself."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

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


# -- values the command line refuses are said in nbcollab's words ---------------------------------

LEAKS = re.compile(r"Value error|Input should|pydantic|option :|Traceback|type=|errors\.pydantic")


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["lint", "--select", "C9", "x.ipynb"], "--select: unknown finding code 'C9'"),
        (["lint", "--ignore", "Z1", "x.ipynb"], "--ignore: unknown finding code 'Z1'"),
        (
            ["clean", "--keep-outputs", "--drop-output-type", "image/jpg", "x.ipynb"],
            "--drop-output-type: unknown mime type 'image/jpg' (did you mean image/jpeg?)",
        ),
        (["clean", "--keep-output-type", "stream:err", "x.ipynb"], "--keep-output-type: "),
        (["clean", "--extra-key", "cells.x", "x.ipynb"], "key 'cells.x'"),
        (["lint", "--format", "xml", "x.ipynb"], "'xml' is not one of 'text', 'json'"),
        (["clean", "--max-output-bytes", "abc", "x.ipynb"], "'abc' is not a whole number"),
        (["merge", "--marker-size", "0", "a", "b", "c"], "must be at least 1, not 0"),
        (["difff"], "No such command 'difff'. Did you mean 'diff'?"),
        (["textconf"], "No such command 'textconf'."),
    ],
)
def test_refused_values_are_said_in_nbcollabs_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], said: str
) -> None:
    monkeypatch.chdir(tmp_path)
    write_notebook(tmp_path / "x.ipynb", make_notebook(code_cell("x", cell_id="a")))
    result = runner.invoke(app, args, env={"COLUMNS": "300"})
    out = result.output
    assert result.exit_code == 2, out
    assert said in " ".join(out.split()), out  # the error box wraps long lines
    assert not LEAKS.search(out), out
    assert "git-" not in out and "'textconv'" not in out  # hidden entry points are not offered


def value_options() -> list[tuple[list[str], str]]:
    """Every option of every command that takes a number or one of a set of words."""
    import typer as typer_module

    from nbcollab.cli.help import _value_kind

    found = []

    def walk(group: Any, path: list[str]) -> None:
        for name, command in group.commands.items():
            if hasattr(command, "commands"):
                walk(command, [*path, name])
                continue
            for param in command.params:
                if param.param_type_name != "option" or getattr(param, "is_flag", False):
                    continue
                kind, choices = _value_kind(param)
                if kind in ("int", "float") or choices:
                    found.append(([*path, name], max(param.opts, key=len)))

    walk(typer_module.main.get_command(app), [])
    return found


@pytest.mark.parametrize(("command", "option"), value_options())
def test_no_option_leaks_a_validators_words(command: list[str], option: str) -> None:
    result = runner.invoke(app, [*command, option, "§nonsense§"], env={"COLUMNS": "300"})
    assert result.exit_code == 2, result.output
    assert not LEAKS.search(result.output), result.output
    assert option in result.output and "§nonsense§" in result.output, result.output
