"""One rule for the notebooks in a folder, and every command that walks a folder follows it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import code_cell, make_notebook, write_notebook
from typer.testing import CliRunner

from nbcollab.cli.app import app
from nbcollab.discover import SKIPPED_FOLDERS, discover_notebooks


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """One notebook to find; a broken one everywhere the walk must not look."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.ipynb").write_text("not a notebook")
    root = tmp_path / "tree"
    (root / "sub").mkdir(parents=True)
    nb = make_notebook(code_cell("#| default_exp mod\n#| export\nx = 1\n", cell_id="a"))
    write_notebook(root / "sub" / "own.ipynb", nb)
    for folder in SKIPPED_FOLDERS:
        (root / folder).mkdir()
        (root / folder / "hidden.ipynb").write_text("not a notebook")
    (root / "env" / "share").mkdir(parents=True)  # a virtualenv under any name
    (root / "env" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (root / "env" / "share" / "shipped.ipynb").write_text("not a notebook")
    (root / "sub" / "link.ipynb").symlink_to(outside / "secret.ipynb")
    (root / "linked-folder").symlink_to(outside, target_is_directory=True)
    (root / "gone.ipynb").symlink_to("nowhere.ipynb")
    os.mkfifo(root / "fifo.ipynb")
    return root


SKIPPED = [
    ("fifo.ipynb", "not a regular file (a FIFO, device or socket)"),
    ("gone.ipynb", "a broken symbolic link (or a loop of links)"),
    ("linked-folder", "a symbolic link to a folder outside {tree}"),
    ("sub/link.ipynb", "a symbolic link to a file outside {tree}"),
]


def test_the_rule(tree: Path) -> None:
    found = discover_notebooks([tree, tree / "sub" / "own.ipynb", tree / "sub"])
    assert found.notebooks == [tree / "sub" / "own.ipynb"]  # each once, in order
    skipped = sorted((str(s.path.relative_to(tree)), s.reason) for s in found.skipped)
    assert skipped == [
        *[(path, reason.format(tree=tree)) for path, reason in SKIPPED],
        ("sub/link.ipynb", f"a symbolic link to a file outside {tree / 'sub'}"),
    ]
    assert discover_notebooks([tree / ".git"]).empty_folders == []  # named: walked as asked


def test_a_folder_without_notebooks_is_said(tmp_path: Path) -> None:
    assert discover_notebooks([tmp_path]).empty_folders == [tmp_path]


@pytest.mark.parametrize(
    "argv",
    [
        ["clean", "--check"],
        ["lint"],
        ["export", "--check"],
        ["trust", "check"],
        ["conflicts"],
        ["resolve"],
    ],
    ids=lambda argv: argv[0],
)
def test_every_command_that_walks_a_folder_follows_the_rule(
    tree: Path, argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tree)
    result = CliRunner().invoke(app, [*argv, "."])
    said = sorted(line for line in result.stderr.splitlines() if "skipped" in line)
    assert said == [
        f"nbcollab: skipped {path}: {reason.format(tree='the current folder')}"
        for path, reason in SKIPPED
    ]
    assert result.exit_code in (0, 1), result.output  # nothing hidden was read (it would be 2)
    assert "hidden" not in result.output and "secret" not in result.output


def test_what_a_walk_skipped_is_said_terminal_safe(tmp_path: Path) -> None:
    folder = tmp_path / "notes\x1b]52;c;eA==\x07"
    folder.mkdir()
    (tmp_path / "elsewhere.ipynb").write_text("{}")
    (folder / "out\x1b[2K.ipynb").symlink_to(tmp_path / "elsewhere.ipynb")
    result = CliRunner().invoke(app, ["clean", "--check", str(folder)])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    said = result.stderr.splitlines()
    assert [line.split(" ")[1] for line in said] == ["skipped", "no"], said
