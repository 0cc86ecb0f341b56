"""Two people, two clones of one repository, `nbcollab install` in each, real `git pull`s.

What a team meets every day: both rewrite the same cell of a notebook without cell ids, one
deletes a notebook the other edited, and the conflict markers name the branch pulled from.
Nothing either person wrote may be doubled or dropped without a word.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import code_cell, git, make_notebook, markdown_cell, run_nbcollab, write_notebook

pytestmark = [pytest.mark.git, pytest.mark.slow]


def _clone(origin: Path, name: str) -> Path:
    clone = origin.parent / name
    git(origin.parent, "clone", "-q", str(origin), name)
    git(clone, "config", "user.name", name)
    git(clone, "config", "user.email", f"{name}@example.com")
    git(clone, "config", "pull.rebase", "false")
    done = run_nbcollab("install", cwd=clone)
    assert done.returncode == 0, done.stderr
    return clone


@pytest.fixture
def team(tmp_path: Path) -> tuple[Path, Path]:
    """Ann's and Bob's clones of a repository holding ``report.ipynb`` (nbformat 4.4, no ids)."""
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    ann = _clone(origin, "ann")
    write_notebook(ann / "report.ipynb", _report("# Results"))
    git(ann, "add", ".")
    git(ann, "commit", "-qm", "report")
    git(ann, "push", "-q", "origin", "main")
    return ann, _clone(origin, "bob")


def _report(results: str, *, minor: int = 4) -> dict[str, Any]:
    return make_notebook(
        markdown_cell("# Sales report"),
        code_cell("import pandas as pd\nframe = pd.read_csv('sales.csv')"),
        code_cell(results),
        code_cell("frame.plot()"),
        minor=minor,
    )


def _commit(clone: Path, message: str, *, push: bool = False) -> None:
    git(clone, "add", "-A")
    git(clone, "commit", "-qm", message)
    if push:
        git(clone, "push", "-q", "origin", "main")


def _sources(path: Path) -> list[str]:
    return ["".join(cell["source"]) for cell in json.loads(path.read_text())["cells"]]


def test_both_rewriting_a_cell_without_ids_is_a_conflict_never_two_cells(
    team: tuple[Path, Path],
) -> None:
    ann, bob = team
    write_notebook(ann / "report.ipynb", _report("# Results (v2)\nUpdated numbers."))
    _commit(ann, "results v2", push=True)
    write_notebook(bob / "report.ipynb", _report("# Final results\nSee below."))
    _commit(bob, "final results")
    pulled = git(bob, "pull", "origin", "main", check=False)
    assert pulled.returncode == 1, pulled.stdout + pulled.stderr
    assert "cells merged cleanly" in pulled.stderr and "both sides changed" in pulled.stderr
    # one cell with both versions between markers, labelled with the branch pulled
    sources = _sources(bob / "report.ipynb")
    assert len(sources) == 4
    assert sources[2] == (
        "<<<<<<< main\n# Final results\nSee below.\n=======\n"
        "# Results (v2)\nUpdated numbers.\n>>>>>>> origin/main"
    )
    listed = run_nbcollab("conflicts", cwd=bob)
    assert listed.returncode == 1 and b"report.ipynb: cell 3" in listed.stdout
    done = run_nbcollab("resolve", "--theirs", "report.ipynb", cwd=bob)
    assert done.returncode == 0, done.stderr
    assert _sources(bob / "report.ipynb")[2] == "# Results (v2)\nUpdated numbers."
    # git still holds it as unmerged until it is staged: both commands say how
    stage_it = b"git still holds it as unmerged: stage it with: git add report.ipynb"
    assert stage_it in done.stderr
    listed = run_nbcollab("conflicts", cwd=bob)
    assert listed.returncode == 0 and listed.stdout == b"" and stage_it in listed.stderr
    _commit(bob, "merge")
    assert "nbcollab" not in json.loads(git(bob, "show", "HEAD:report.ipynb").stdout)["metadata"]


def test_the_theirs_label_after_a_pull_is_the_remote_branch(team: tuple[Path, Path]) -> None:
    ann, bob = team
    write_notebook(ann / "report.ipynb", _report("total = 1"))
    _commit(ann, "ann", push=True)
    write_notebook(bob / "report.ipynb", _report("total = 2"))
    _commit(bob, "bob")
    git(bob, "pull", "origin", "main", check=False)
    record = json.loads((bob / "report.ipynb").read_text())["metadata"]["nbcollab"]
    assert record["conflicts"][0]["markers"] == [
        "<<<<<<< main\n",
        "=======\n",
        ">>>>>>> origin/main\n",
    ]


def test_a_pull_from_a_url_names_the_branch_and_where_it_came_from(
    team: tuple[Path, Path], tmp_path: Path
) -> None:
    ann, bob = team
    write_notebook(ann / "report.ipynb", _report("total = 1"))
    _commit(ann, "ann")  # not pushed: bob pulls straight from ann's clone
    write_notebook(bob / "report.ipynb", _report("total = 2"))
    _commit(bob, "bob")
    git(bob, "pull", str(ann), "main", check=False)
    record = json.loads((bob / "report.ipynb").read_text())["metadata"]["nbcollab"]
    assert record["conflicts"][0]["markers"][2] == f">>>>>>> main of {ann}\n"


def _deleted_and_edited(team: tuple[Path, Path], who_deletes: str) -> tuple[Path, str]:
    """One deletes report.ipynb, the other edits it; Bob pulls. Bob's clone, and who deleted
    it as Bob's merge sees it."""
    ann, bob = team
    deleter, editor = (ann, bob) if who_deletes == "ann" else (bob, ann)
    (deleter / "report.ipynb").unlink()
    write_notebook(editor / "report.ipynb", _report("# Results (v2)"))
    _commit(ann, "ann", push=True)
    _commit(bob, "bob")
    assert git(bob, "pull", "origin", "main", check=False).returncode == 1
    deleted_by = "theirs" if who_deletes == "ann" else "ours"
    status = git(bob, "status", "--porcelain").stdout
    assert status.startswith("UD" if deleted_by == "theirs" else "DU"), status
    return bob, deleted_by


@pytest.mark.parametrize("who_deletes", ["ann", "bob"])
def test_a_notebook_deleted_on_one_side_and_edited_on_the_other(
    team: tuple[Path, Path], who_deletes: str
) -> None:
    bob, deleted_by = _deleted_and_edited(team, who_deletes)
    listed = run_nbcollab("conflicts", cwd=bob)
    assert listed.returncode == 1
    assert f"report.ipynb: deleted by {deleted_by}, modified by" in listed.stdout.decode()
    named = run_nbcollab("conflicts", "report.ipynb", cwd=bob)
    assert named.returncode == 1 and named.stdout == listed.stdout
    untouched = run_nbcollab("resolve", "report.ipynb", cwd=bob)
    assert untouched.returncode == 1 and (bob / "report.ipynb").exists()
    keeper = "ours" if deleted_by == "theirs" else "theirs"
    kept = run_nbcollab("resolve", f"--{keeper}", "report.ipynb", cwd=bob)
    assert kept.returncode == 0, kept.stderr
    assert git(bob, "ls-files", "-u").stdout == ""  # staged: no longer unmerged
    assert git(bob, "ls-files", "report.ipynb").stdout == "report.ipynb\n"
    assert _sources(bob / "report.ipynb")[2] == "# Results (v2)"
    assert run_nbcollab("conflicts", cwd=bob).returncode == 0


@pytest.mark.parametrize("who_deletes", ["ann", "bob"])
def test_resolving_modify_delete_to_the_deleting_side_deletes_and_stages(
    team: tuple[Path, Path], who_deletes: str
) -> None:
    bob, deleted_by = _deleted_and_edited(team, who_deletes)
    done = run_nbcollab("resolve", f"--{deleted_by}", cwd=bob)
    assert done.returncode == 0, done.stderr
    assert b"deleted" in done.stderr and not (bob / "report.ipynb").exists()
    assert "report.ipynb" not in git(bob, "ls-files").stdout
    assert git(bob, "status", "--porcelain").stdout.strip() in ("", "D  report.ipynb")
    git(bob, "commit", "-qm", "merge")
    assert run_nbcollab("conflicts", cwd=bob).returncode == 0


def test_modify_delete_resolved_to_the_base_restores_the_ancestor(team: tuple[Path, Path]) -> None:
    ann, bob = team
    (ann / "report.ipynb").unlink()
    _commit(ann, "ann", push=True)
    write_notebook(bob / "report.ipynb", _report("# Results (v2)"))
    _commit(bob, "bob")
    git(bob, "pull", "origin", "main", check=False)
    assert run_nbcollab("resolve", "--cell", "2", "--base", "report.ipynb", cwd=bob).returncode == 2
    done = run_nbcollab("resolve", "--base", "report.ipynb", cwd=bob)
    assert done.returncode == 0, done.stderr
    assert _sources(bob / "report.ipynb")[2] == "# Results"
    assert git(bob, "diff", "--cached", "--stat", "HEAD~1", "--", "report.ipynb").stdout == ""
