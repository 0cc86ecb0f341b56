"""--help reads as words: every option explained, no Python types, examples, git's entry points hidden."""

from __future__ import annotations

import re
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from nbcollab.cli.app import app
from nbcollab.git.entry import GIT_ENTRY_POINTS

runner = CliRunner()


def all_commands(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    found = []
    for name, command in group.commands.items():
        found.append(((*prefix, name), command))
        if hasattr(command, "commands"):
            found.extend(all_commands(command, (*prefix, name)))
    return found


ROOT = typer.main.get_command(app)
COMMANDS = all_commands(ROOT)
VISIBLE = [(path, c) for path, c in COMMANDS if not c.hidden and not hasattr(c, "commands")]


def help_of(*path: str) -> str:
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def test_git_entry_points_are_hidden_from_the_command_list_but_still_have_help() -> None:
    listing = help_of()
    for name in GIT_ENTRY_POINTS:
        assert not re.search(rf"^\W*{name}\s", listing, re.MULTILINE), name
        assert "Usage" in help_of(name)
    assert re.search(r"^\W*clean\s", listing, re.MULTILINE)


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_option_has_help(path: tuple[str, ...], command: Any) -> None:
    missing = [p.name for p in command.params if not getattr(p, "help", None)]
    assert missing == []


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_metavars_read_as_words(path: tuple[str, ...], command: Any) -> None:
    text = help_of(*path)
    assert not re.search(r"<(bool|str|int|float|path|list\[\w+\])>", text), text


@pytest.mark.parametrize(("path", "command"), VISIBLE, ids=[" ".join(p) for p, _ in VISIBLE])
def test_each_command_shows_examples(path: tuple[str, ...], command: Any) -> None:
    text = help_of(*path)
    assert "Examples" in text and f"$ nbcollab {' '.join(path)}" in text


def test_help_text_keeps_its_brackets() -> None:
    assert "[tool.nbcollab.normalize]" in "".join(help_of("clean").split())
