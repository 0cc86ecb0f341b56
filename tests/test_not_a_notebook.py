"""A file that is not a notebook says what it is and what to do: git's conflict markers, a .py."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from helpers import code_cell, git, make_notebook, run_nbcollab, write_notebook
from mergetool_helpers import conflicted_repo, notebook, running, state

from nbcollab.errors import InvalidNotebook
from nbcollab.files import read_notebook_file
from nbcollab.notebook.codec import parse_notebook

MARKED = '{\n "cells": [\n<<<<<<< HEAD\n  {"a": 1}\n=======\n  {"a": 2}\n>>>>>>> feature\n ]\n}\n'


@pytest.mark.parametrize(
    ("path", "text", "said"),
    [
        ("nb.ipynb", MARKED, "nb.ipynb:3: holds git's conflict markers ('<<<<<<< HEAD')"),
        ("nb.ipynb", MARKED.replace("<<<<<<< HEAD\n", ""), "nb.ipynb:4: holds git's conflict"),
        ("nb.ipynb", "<<<<<<<< ours\n{}\n", "nb.ipynb:1: holds git's conflict markers"),  # %L 8
        ("nb.ipynb", "{\n||||||| base\n", "nb.ipynb:2: holds git's conflict markers"),
        ("mod.py", "import os\n", "mod.py:1: not a notebook but a Python file"),
        ("notes.md", "\n# Title\n", "notes.md:2: not a notebook but a Markdown file"),
        ("x.ipynb", "hello\x1b[2K\n", "x.ipynb:1: not a notebook but text"),
        ("x.ipynb", '{"cells": [}', "x.ipynb:1:12: not valid JSON (Expecting value)"),
        # A line of "=" inside a JSON string is content, never a marker.
        ("x.ipynb", '{"a": "x\\n=======\\n"', "x.ipynb:1:21: not valid JSON"),
    ],
)
def test_the_message_says_what_the_file_is(path: str, text: str, said: str) -> None:
    with pytest.raises(InvalidNotebook) as caught:
        parse_notebook(text.encode(), path=path)
    message = str(caught.value)
    assert message.startswith(said), message
    assert "\x1b" not in message
    if "markers" in said:
        assert f"`nbcollab mergetool {path}`" in message
        assert f"`git checkout --merge {path}`" in message
        assert "while git lists it as unmerged" in message and "once committed so" in message


@pytest.fixture
def line_merged(git_repo: Path) -> Path:
    """A notebook that git merged line by line (no nbcollab at all): conflict markers."""
    return conflicted_repo(git_repo, driver=False, base=notebook("a = 0", "c = 0", "0\n"))


@pytest.mark.git
def test_every_command_names_the_markers_and_the_fix(line_merged: Path) -> None:
    repo = line_merged.parent
    write_notebook(repo / "other.ipynb", make_notebook(code_cell("x = 1")))
    for args in (
        ["show", "--no-pager", "nb.ipynb"],
        ["clean", "nb.ipynb"],
        ["clean", "--check", "nb.ipynb"],
        ["lint", "nb.ipynb"],
        ["diff", "other.ipynb", "nb.ipynb"],
        ["trust", "check", "nb.ipynb"],
        ["trust", "sign", "nb.ipynb"],
        ["export", "--all", "nb.ipynb"],
    ):
        done = run_nbcollab(*args, cwd=repo)
        err = done.stderr.decode()
        assert done.returncode == 2, (args, err)
        assert "holds git's conflict markers ('<<<<<<< HEAD')" in err, (args, err)
        assert "nbcollab mergetool nb.ipynb" in err, (args, err)
        assert "Expecting" not in err, (args, err)


@pytest.mark.git
def test_the_mergetool_rebuilds_it_from_the_stages(line_merged: Path) -> None:
    """As the message says: `nbcollab mergetool FILE`, not only through `git mergetool`."""
    repo = line_merged.parent
    with running([sys.executable, "-m", "nbcollab", "mergetool", "nb.ipynb"], repo) as tool:
        assert [c["kind"] for c in state(tool)["conflicts"]] == ["source", "source"]
        while conflicts := state(tool)["conflicts"]:  # numbered anew after each choice
            first = conflicts[0]
            code, reply = tool.call(
                "api/action",
                {"action": "choose", "file": first["file"], "number": first["number"],
                 "choice": "theirs"},
            )  # fmt: skip
            assert code == 200, reply
        assert tool.call("api/save", {})[0] == 200
        code, output = tool.finish()
    assert code == 0, output
    _, merged = read_notebook_file(line_merged)
    assert [c["source"] for c in merged["cells"]][1:] == ["a = 2", "keep = True", "c = 2"]


@pytest.mark.git
def test_checkout_merge_rebuilds_it_once_installed(line_merged: Path) -> None:
    repo = line_merged.parent
    assert run_nbcollab("install", cwd=repo).returncode == 0
    git(repo, "checkout", "--merge", "--", "nb.ipynb")
    _, rebuilt = read_notebook_file(line_merged)  # a notebook again, with its conflicts recorded
    assert len(rebuilt["metadata"]["nbcollab"]["conflicts"]) == 2
    listed = run_nbcollab("conflicts", "nb.ipynb", cwd=repo)
    assert listed.returncode == 1 and listed.stdout.count(b"both sides changed") == 2


@pytest.mark.git
def test_diff_in_a_repository_names_the_working_file_not_its_label(git_repo: Path) -> None:
    (git_repo / "sub").mkdir()
    write_notebook(git_repo / "nb.ipynb", make_notebook(code_cell("x = 1")))
    git(git_repo, "add", ".")
    git(git_repo, "commit", "-qm", "base")
    (git_repo / "nb.ipynb").write_text(MARKED)
    for cwd, name in ((git_repo, "nb.ipynb"), (git_repo / "sub", "../nb.ipynb")):
        done = run_nbcollab("diff", cwd=cwd)
        err = done.stderr.decode()
        assert done.returncode == 2, err
        assert err.startswith(f"nbcollab: error: {name}:3: holds git's conflict markers"), err
        assert f"`nbcollab mergetool {name}`" in err and "working tree" not in err


@pytest.mark.git
def test_diff_of_a_line_merged_notebook_shows_theirs_and_says_how_to_rebuild(
    line_merged: Path,
) -> None:
    done = run_nbcollab("diff", cwd=line_merged.parent)
    out = done.stdout.decode()
    assert done.returncode == 1, done.stderr
    assert "the working tree is not a notebook (nb.ipynb:" in out
    assert "`nbcollab mergetool nb.ipynb`" in out
