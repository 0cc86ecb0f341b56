"""``nbcollab diff`` during a conflicted merge shows the unmerged notebook once, in real git."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import (
    DRIVER,
    code_cell,
    git,
    make_notebook,
    markdown_cell,
    run_nbcollab,
    write_notebook,
)

pytestmark = [pytest.mark.git, pytest.mark.slow]


def notebook(x: int) -> dict:
    return make_notebook(
        markdown_cell("# Title", cell_id="m1"),
        code_cell(f"x = {x}\n", cell_id="c1"),
        code_cell("untouched = True\n", cell_id="c2"),
    )


@pytest.fixture(params=["nbcollab-driver", "git-line-merge"])
def conflicted(request: pytest.FixtureRequest, git_repo: Path) -> tuple[Path, str]:
    """A repository in the middle of a merge that left nb.ipynb conflicted."""
    if request.param == "nbcollab-driver":
        git(git_repo, "config", "merge.nbcollab.driver", DRIVER)
        (git_repo / ".gitattributes").write_text("*.ipynb merge=nbcollab\n")
    write_notebook(git_repo / "nb.ipynb", notebook(1))
    write_notebook(git_repo / "other.ipynb", notebook(1))
    git(git_repo, "add", ".")
    git(git_repo, "commit", "-qm", "base")
    git(git_repo, "checkout", "-qb", "theirs")
    write_notebook(git_repo / "nb.ipynb", notebook(2))
    git(git_repo, "commit", "-qam", "theirs")
    git(git_repo, "checkout", "-q", "main")
    write_notebook(git_repo / "nb.ipynb", notebook(3))
    git(git_repo, "commit", "-qam", "ours")
    assert git(git_repo, "merge", "theirs", check=False).returncode != 0
    stages = git(git_repo, "ls-files", "-u").stdout
    assert stages.count("nb.ipynb") == 3, stages
    return git_repo, request.param


def test_diff_shows_the_unmerged_notebook_once(conflicted: tuple[Path, str]) -> None:
    repo, how = conflicted
    done = run_nbcollab("diff", "--color", "never", cwd=repo)
    out = done.stdout.decode()
    assert done.returncode == 1, done.stderr
    assert out.count("* Unmerged path nb.ipynb") == 1
    assert out.count("--- a/nb.ipynb (ours)\n") == 1
    assert ": added" not in out and "untouched" not in out  # not the whole notebook as new
    assert "other.ipynb" not in out
    if how == "nbcollab-driver":  # the merged notebook with its conflict, against ours
        assert "+++ b/nb.ipynb (working tree)\n" in out
        assert "+<<<<<<<" in out and "+x = 2" in out and "+>>>>>>>" in out
    else:  # git's markers are in the JSON: no notebook, so ours against theirs
        assert "+++ b/nb.ipynb (theirs)\n" in out and "the working tree is not a notebook" in out
        assert "-x = 3\n+x = 2\n" in out


def test_json_diff_lists_the_unmerged_notebook_once(conflicted: tuple[Path, str]) -> None:
    repo, _ = conflicted
    done = run_nbcollab("diff", "--format", "json", cwd=repo)
    assert done.returncode == 1, done.stderr
    diffs = json.loads(done.stdout)
    assert list(diffs) == ["nb.ipynb"] and diffs["nb.ipynb"] != []
    assert "untouched" not in done.stdout.decode()  # no cell added wholesale


def test_cached_diff_names_the_unmerged_notebook(conflicted: tuple[Path, str]) -> None:
    repo, _ = conflicted
    done = run_nbcollab("diff", "--cached", cwd=repo)
    assert done.returncode == 1, done.stderr
    assert done.stdout.decode() == "* Unmerged path nb.ipynb\n"


def test_diff_against_head_during_the_merge(conflicted: tuple[Path, str]) -> None:
    repo, _ = conflicted
    done = run_nbcollab("diff", "HEAD", "--color", "never", cwd=repo)
    out = done.stdout.decode()
    assert done.returncode == 1, done.stderr
    assert out.count("--- a/nb.ipynb (HEAD)\n") == 1 and "+x = 2" in out and ": added" not in out
