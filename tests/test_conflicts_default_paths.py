"""`conflicts` and `resolve` without paths: the repository's notebooks in conflict; several paths."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import DRIVER, code_cell, git, make_notebook, run_nbcollab, write_notebook

pytestmark = [pytest.mark.git, pytest.mark.slow]


def _nb(*sources: str) -> dict:
    return make_notebook(*(code_cell(s, cell_id=f"c{n}") for n, s in enumerate(sources)))


@pytest.fixture
def conflicted(git_repo: Path) -> Path:
    """Two notebooks in conflict (a.ipynb, sub/b.ipynb), one merged cleanly (c.ipynb)."""
    git(git_repo, "config", "merge.nbcollab.driver", DRIVER)
    (git_repo / ".gitattributes").write_text("*.ipynb merge=nbcollab\n")
    (git_repo / "sub").mkdir()
    names = ("a.ipynb", "sub/b.ipynb", "c.ipynb")
    for name in names:
        write_notebook(git_repo / name, _nb("x = 1", "y = 1"))
    git(git_repo, "add", ".")
    git(git_repo, "commit", "-qm", "base")
    for branch, value in (("feature", "2"), ("main", "3")):
        git(git_repo, "checkout", "-q", *(["-b"] if branch == "feature" else []), branch)
        write_notebook(git_repo / "a.ipynb", _nb(f"x = {value}", "y = 1"))
        write_notebook(git_repo / "sub/b.ipynb", _nb(f"x = {value}", "y = 1"))
        other = ("x = 1", f"y = {value}") if branch == "main" else (f"x = {value}", "y = 1")
        write_notebook(git_repo / "c.ipynb", _nb(*other))
        git(git_repo, "commit", "-qam", branch)
    assert git(git_repo, "merge", "--no-edit", "feature", check=False).returncode == 1
    return git_repo


def test_conflicts_without_paths_lists_the_repository_notebooks_in_conflict(
    conflicted: Path,
) -> None:
    done = run_nbcollab("conflicts", cwd=conflicted / "sub")
    out = done.stdout.decode()
    assert done.returncode == 1, done.stderr
    assert "../a.ipynb:" in out and "b.ipynb:" in out and "c.ipynb" not in out


def test_resolve_without_paths_resolves_them_all(conflicted: Path) -> None:
    done = run_nbcollab("resolve", "--theirs", cwd=conflicted)
    assert done.returncode == 0, done.stderr
    for name in ("a.ipynb", "sub/b.ipynb"):
        nb = json.loads((conflicted / name).read_text())
        assert "".join(nb["cells"][0]["source"]) == "x = 2"
    assert run_nbcollab("conflicts", cwd=conflicted).returncode == 0


def test_a_record_left_in_an_added_notebook_is_still_found(conflicted: Path) -> None:
    git(conflicted, "add", "a.ipynb", "sub/b.ipynb")  # added with markers and record
    done = run_nbcollab("conflicts", cwd=conflicted)
    assert done.returncode == 1 and "a.ipynb" in done.stdout.decode()


def test_resolve_takes_several_paths(conflicted: Path) -> None:
    done = run_nbcollab("resolve", "--ours", "a.ipynb", "sub/b.ipynb", cwd=conflicted)
    assert done.returncode == 0, done.stderr
    assert run_nbcollab("conflicts", "a.ipynb", "sub/b.ipynb", cwd=conflicted).returncode == 0


def test_nothing_in_conflict_says_so(git_repo: Path) -> None:
    done = run_nbcollab("conflicts", cwd=git_repo)
    assert done.returncode == 0
    assert "no notebook" in done.stderr.decode()


def test_outside_a_repository_is_a_usage_error(tmp_path: Path) -> None:
    done = run_nbcollab("resolve", "--ours", cwd=tmp_path)
    assert done.returncode == 2
    assert "not in a git repository" in done.stderr.decode()


def test_a_file_name_with_a_terminal_escape_is_quoted(conflicted: Path) -> None:
    nasty = conflicted / "\x1b[2Jx.ipynb"
    nasty.write_bytes((conflicted / "a.ipynb").read_bytes())
    git(conflicted, "add", nasty.name)
    done = run_nbcollab("conflicts", cwd=conflicted)
    assert done.returncode == 1
    assert b"\x1b" not in done.stdout + done.stderr
    assert "\u241b[2Jx.ipynb".encode() in done.stdout
