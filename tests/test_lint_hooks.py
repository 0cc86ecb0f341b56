"""The lint hooks with real commits: nbcollab/git/hooks/pre-commit-lint and the framework's nbcollab-lint."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import PROJECT_ROOT, code_cell, git, make_notebook, write_notebook

pytestmark = [pytest.mark.git, pytest.mark.slow]
HOOK = PROJECT_ROOT / "nbcollab" / "git" / "hooks" / "pre-commit-lint"


def hidden_state() -> dict:
    return make_notebook(
        code_cell("print(x)", count=1, cell_id="a"), code_cell("x = 1", count=2, cell_id="b")
    )


def in_order() -> dict:
    return make_notebook(
        code_cell("x = 1", count=1, cell_id="b"), code_cell("print(x)", count=2, cell_id="a")
    )


@pytest.fixture
def hooked_repo(git_repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(HOOK, git_repo / ".git" / "hooks" / "pre-commit")
    monkeypatch.setenv("NBCOLLAB", f"{sys.executable} -m nbcollab")
    return git_repo


def test_hook_refuses_hidden_state_and_accepts_the_fix(hooked_repo: Path) -> None:
    (hooked_repo / "sub dir").mkdir()
    path = write_notebook(hooked_repo / "sub dir" / "nb.ipynb", hidden_state())
    git(hooked_repo, "add", ".")
    refused = git(hooked_repo, "commit", "-qm", "nb", check=False)
    assert refused.returncode != 0
    said = refused.stdout + refused.stderr  # git sends a hook's stdout to stderr
    assert "sub dir/nb.ipynb:" in said and "D201" in said and "commit refused" in said
    write_notebook(path, in_order())
    git(hooked_repo, "add", ".")
    done = git(hooked_repo, "commit", "-qm", "nb", check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_hook_lets_skipped_counts_through_unless_told_otherwise(hooked_repo: Path) -> None:
    skipped = make_notebook(
        code_cell("x = 1", count=1, cell_id="a"), code_cell("print(x)", count=4, cell_id="b")
    )
    write_notebook(hooked_repo / "nb.ipynb", skipped)
    git(hooked_repo, "add", ".")
    done = git(hooked_repo, "commit", "-qm", "nb", check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    (hooked_repo / "pyproject.toml").write_text('[tool.nbcollab.lint]\nfail-on = "note"\n')
    again = make_notebook(
        code_cell("x = 2", count=1, cell_id="a"), code_cell("print(x)", count=4, cell_id="b")
    )
    write_notebook(hooked_repo / "nb.ipynb", again)
    git(hooked_repo, "add", ".")
    refused = git(hooked_repo, "commit", "-qm", "strict", check=False)
    said = refused.stdout + refused.stderr
    assert refused.returncode != 0 and "C103 note" in said and "C101" not in said


def test_hook_lints_a_notebook_whose_name_git_would_quote(hooked_repo: Path) -> None:
    write_notebook(hooked_repo / "e\x1b[2Kx.ipynb", hidden_state())
    git(hooked_repo, "add", ".")
    refused = git(hooked_repo, "commit", "-qm", "nb", check=False)
    said = refused.stdout + refused.stderr
    assert refused.returncode != 0 and "D201" in said and "\x1b" not in said, said


def test_hook_ignores_other_files_and_deleted_notebooks(hooked_repo: Path) -> None:
    (hooked_repo / "a.txt").write_text("x")
    git(hooked_repo, "add", "a.txt")
    assert git(hooked_repo, "commit", "-qm", "txt", check=False).returncode == 0


def test_framework_entry_lints_the_files_it_is_given(git_repo: Path) -> None:
    hooks = {
        h["id"]: h for h in yaml.safe_load((PROJECT_ROOT / ".pre-commit-hooks.yaml").read_text())
    }
    words = hooks["nbcollab-lint"]["entry"].split()
    assert hooks["nbcollab-lint"]["types"] == ["jupyter"] and words[0] == "nbcollab"
    write_notebook(git_repo / "bad.ipynb", hidden_state())
    write_notebook(git_repo / "good.ipynb", in_order())
    run = [sys.executable, "-m", *words]
    done = subprocess.run(
        [*run, "bad.ipynb", "good.ipynb"], cwd=git_repo, capture_output=True, text=True, check=False
    )
    assert done.returncode == 1 and "bad.ipynb" in done.stdout and "good.ipynb" not in done.stdout
    assert subprocess.run([*run, "good.ipynb"], cwd=git_repo, check=False).returncode == 0
