"""git keeps working when a pulled pyproject.toml cannot be read: real git, the filter installed.

A colleague without nbcollab commits a TOML typo in another tool's table. git status, diff,
switch, add and stash must not exit 128 on notebooks nobody touched, nor show them modified.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from helpers import code_cell, git, make_notebook, run_nbcollab, stream_output, write_notebook

pytestmark = pytest.mark.git

CONFIG = '[tool.nbcollab.clean]\nextra-keys = ["metadata.foo"]\n'
TYPO = "[tool.black]\nline-length = 100 100\n"


def notebook(source: str) -> dict:
    nb = make_notebook(
        code_cell(source, cell_id="a", count=1, outputs=[stream_output("out\n")]),
        code_cell("y = 2", cell_id="b"),
    )
    nb["metadata"]["foo"] = "stripped by the repository's config, not by the defaults"
    return nb


def run(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return git(repo, *args, check=False)


@pytest.fixture
def repo(git_repo: Path) -> Path:
    """Notebooks committed under a config other than the defaults; branch ``typo`` then edits
    one of them and breaks pyproject.toml; main is checked out."""
    assert run_nbcollab("install", cwd=git_repo).returncode == 0
    (git_repo / "pyproject.toml").write_text(CONFIG)
    write_notebook(git_repo / "nb.ipynb", notebook("x = 1"))
    write_notebook(git_repo / "same.ipynb", notebook("z = 1"))
    git(git_repo, "add", ".")
    git(git_repo, "commit", "-qm", "base")
    git(git_repo, "switch", "-qc", "typo")
    write_notebook(git_repo / "nb.ipynb", notebook("x = 2"))
    git(git_repo, "commit", "-qam", "edit")
    (git_repo / "pyproject.toml").write_text(CONFIG + TYPO)
    git(git_repo, "commit", "-qam", "a typo in another tool's table")
    git(git_repo, "switch", "-q", "main")
    return git_repo


def test_status_diff_switch_add_and_stash_keep_working(repo: Path) -> None:
    for args in (["switch", "-q", "typo"], ["status", "--porcelain"], ["diff", "--exit-code"]):
        done = run(repo, *args)
        assert done.returncode == 0, (args, done.stderr)
        assert done.stdout == "", (args, done.stdout)  # nothing shows as modified
        assert done.stderr.count("nbcollab: warning") <= 1, (args, done.stderr)
    # The notebook git wrote got its outputs back, and still reads as unchanged.
    assert json.loads((repo / "nb.ipynb").read_text())["cells"][0]["outputs"]
    for args in (["switch", "-q", "main"], ["switch", "-q", "typo"], ["status", "--porcelain"]):
        done = run(repo, *args)
        assert done.returncode == 0 and done.stdout == "", (args, done.stdout, done.stderr)

    write_notebook(repo / "nb.ipynb", notebook("x = 3"))  # a real change: cleaned, with a warning
    added = run(repo, "add", "nb.ipynb")
    assert added.returncode == 0, added.stderr
    assert added.stderr.count("nbcollab: warning") == 1
    assert "pyproject.toml" in added.stderr and "default options" in added.stderr
    stored = json.loads(git(repo, "cat-file", "blob", ":nb.ipynb").stdout)
    assert "".join(stored["cells"][0]["source"]) == "x = 3" and not stored["cells"][0]["outputs"]
    for args in (["stash", "-q"], ["stash", "pop", "-q"]):
        done = run(repo, *args)
        assert done.returncode == 0, (args, done.stderr)
    assert "".join(json.loads((repo / "nb.ipynb").read_text())["cells"][0]["source"]) == "x = 3"


def test_the_one_file_filter_answers_a_staged_file_too(repo: Path) -> None:
    """git < 2.11 and clients without the process protocol run filter-clean, one file a call."""
    git(repo, "switch", "-q", "typo")
    stored = (repo / "nb.ipynb").read_bytes()  # with its outputs: stored as it is, by hand
    blob = git(repo, "hash-object", "-w", "--no-filters", "nb.ipynb").stdout.strip()
    git(repo, "update-index", "--cacheinfo", f"100644,{blob},nb.ipynb")
    done = run_nbcollab("filter-clean", "nb.ipynb", cwd=repo, input=stored)
    assert done.returncode == 0, done.stderr
    assert done.stdout == stored  # what git holds, not a clean with the defaults
    changed = run_nbcollab(
        "filter-clean", "nb.ipynb", cwd=repo, input=stored.replace(b"x = 2", b"x = 4")
    )
    assert changed.returncode == 0 and b'"outputs": []' in changed.stdout
    assert b"default options" in changed.stderr
