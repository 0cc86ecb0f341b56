"""The plain pre-commit hook and the pre-commit framework's hook list, with real commits."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import (
    PROJECT_ROOT,
    code_cell,
    git,
    make_notebook,
    run_nbcollab,
    stream_output,
    write_notebook,
)

from nbcollab.clean import clean_notebook

pytestmark = pytest.mark.git
HOOK = PROJECT_ROOT / "git-hooks" / "pre-commit"
NBCOLLAB = f"{sys.executable} -m nbcollab"


def has_conflicts_command() -> bool:
    return run_nbcollab("conflicts", "--help").returncode == 0


needs_conflicts = pytest.mark.skipif(
    not has_conflicts_command(), reason="the `nbcollab conflicts` command is not available"
)


def dirty() -> dict:
    return make_notebook(code_cell("1 + 1", count=1, cell_id="a", outputs=[stream_output("2\n")]))


@pytest.fixture
def hooked_repo(git_repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_notebook(git_repo / "base.ipynb", clean_notebook(dirty()))
    git(git_repo, "add", "base.ipynb")
    git(git_repo, "commit", "-qm", "base")
    shutil.copy(HOOK, git_repo / ".git" / "hooks" / "pre-commit")
    monkeypatch.setenv("NBCOLLAB", NBCOLLAB)
    return git_repo


def commit(repo: Path) -> subprocess.CompletedProcess[str]:
    return git(repo, "commit", "-qm", "change", check=False)


def index_listing(repo: Path) -> str:
    return git(repo, "ls-files", "-s").stdout


@needs_conflicts
def test_hook_refuses_a_notebook_with_outputs_and_changes_nothing(hooked_repo: Path) -> None:
    (hooked_repo / "sub dir").mkdir()
    path = write_notebook(hooked_repo / "sub dir" / "nb.ipynb", dirty())
    git(hooked_repo, "add", ".")
    before, content = index_listing(hooked_repo), path.read_bytes()
    result = commit(hooked_repo)
    assert result.returncode != 0
    assert "would clean sub dir/nb.ipynb (staged)" in result.stdout + result.stderr
    assert index_listing(hooked_repo) == before and path.read_bytes() == content
    assert git(hooked_repo, "rev-list", "--count", "HEAD").stdout == "1\n"


@needs_conflicts
def test_hook_judges_the_staged_blob_that_the_filter_cleaned(hooked_repo: Path) -> None:
    assert run_nbcollab("install", "--no-diff", "--no-merge", cwd=hooked_repo).returncode == 0
    path = write_notebook(hooked_repo / "nb.ipynb", dirty())
    git(hooked_repo, "add", "nb.ipynb", ".gitattributes")
    result = commit(hooked_repo)
    assert result.returncode == 0, result.stderr
    assert b'"outputs": []' not in path.read_bytes()  # the working file keeps its outputs


@needs_conflicts
def test_hook_refuses_an_invalid_notebook_naming_it(hooked_repo: Path) -> None:
    (hooked_repo / "broken.ipynb").write_text('{"cells": [\n<<<<<<< HEAD\n')
    git(hooked_repo, "add", "broken.ipynb")
    result = commit(hooked_repo)
    assert result.returncode != 0 and "broken.ipynb:2:1: not valid JSON" in result.stderr


@needs_conflicts
def test_hook_lets_clean_notebooks_and_other_files_through(hooked_repo: Path) -> None:
    write_notebook(
        hooked_repo / "base.ipynb", clean_notebook(make_notebook(code_cell("2 + 2", cell_id="a")))
    )
    (hooked_repo / "notes.txt").write_text("hello\n")
    git(hooked_repo, "add", ".")
    assert commit(hooked_repo).returncode == 0


def test_hook_with_nothing_staged_for_notebooks_runs_nothing(
    hooked_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NBCOLLAB", "false")  # any call to nbcollab would fail the commit
    (hooked_repo / "notes.txt").write_text("hello\n")
    git(hooked_repo, "add", "notes.txt")
    assert commit(hooked_repo).returncode == 0


def test_hook_finds_nbcollab_without_the_override(hooked_repo: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NBCOLLAB"}
    write_notebook(hooked_repo / "nb.ipynb", dirty())
    git(hooked_repo, "add", "nb.ipynb")
    result = subprocess.run(
        [str(HOOK)], cwd=hooked_repo, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert "would clean nb.ipynb (staged)" in result.stdout


# -- the pre-commit framework's hooks -----------------------------------------------------------


def framework_hooks() -> dict[str, dict]:
    hooks = yaml.safe_load((PROJECT_ROOT / ".pre-commit-hooks.yaml").read_text())
    return {hook["id"]: hook for hook in hooks}


def test_framework_hooks_are_declared_for_notebooks() -> None:
    hooks = framework_hooks()
    assert set(hooks) == {
        "nbcollab-clean", "nbcollab-clean-check", "nbcollab-conflicts", "nbcollab-lint"}
    for hook in hooks.values():
        assert hook["types"] == ["jupyter"] and hook["language"] == "python"
        assert "git add" not in hook["entry"]
    assert hooks["nbcollab-conflicts"]["entry"] == "nbcollab conflicts"


def run_entry(hook_id: str, repo: Path, *files: str) -> subprocess.CompletedProcess[str]:
    """Run a hook's entry as pre-commit does: the entry's words, then the staged file names."""
    words = framework_hooks()[hook_id]["entry"].split()
    assert words[0] == "nbcollab"
    return subprocess.run(
        [sys.executable, "-m", *words, *files],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )


def test_clean_check_hook_judges_staged_blobs(git_repo: Path) -> None:
    path = write_notebook(git_repo / "nb.ipynb", dirty())
    git(git_repo, "add", "nb.ipynb")
    write_notebook(path, clean_notebook(dirty()))  # the working file is clean, the blob is not
    result = run_entry("nbcollab-clean-check", git_repo, "nb.ipynb")
    assert result.returncode == 1 and "would clean nb.ipynb (staged)" in result.stdout
    git(git_repo, "add", "nb.ipynb")
    assert run_entry("nbcollab-clean-check", git_repo, "nb.ipynb").returncode == 0


def test_clean_hook_fixes_files_but_stages_nothing(git_repo: Path) -> None:
    path = write_notebook(git_repo / "nb.ipynb", dirty())
    git(git_repo, "add", "nb.ipynb")
    before = index_listing(git_repo)
    result = run_entry("nbcollab-clean", git_repo, "nb.ipynb")
    assert result.returncode == 0 and "cleaned nb.ipynb" in result.stdout
    assert b'"outputs": []' in path.read_bytes()
    assert index_listing(git_repo) == before
