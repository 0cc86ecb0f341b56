"""The plain pre-commit hook and the pre-commit framework's hook list, with real commits."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import (
    PROJECT_ROOT,
    code_cell,
    git,
    make_notebook,
    run_nbcollab,
    stream_output,
    write_notebook,
)

from nbcollab.clean.strip import clean_notebook

pytestmark = pytest.mark.git
HOOK = PROJECT_ROOT / "nbcollab" / "git" / "hooks" / "pre-commit"
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
    assert (
        result.returncode != 0 and "broken.ipynb:2: holds git's conflict markers" in result.stderr
    )


@needs_conflicts
def test_hook_lets_clean_notebooks_and_other_files_through(hooked_repo: Path) -> None:
    write_notebook(
        hooked_repo / "base.ipynb", clean_notebook(make_notebook(code_cell("2 + 2", cell_id="a")))
    )
    (hooked_repo / "notes.txt").write_text("hello\n")
    git(hooked_repo, "add", ".")
    assert commit(hooked_repo).returncode == 0


def conflicted() -> dict:
    """A notebook the merge left conflicted: markers in the cell and the merge's record."""
    from nbcollab.merge.notebook import merge_notebooks

    def side(source: str) -> dict:
        return clean_notebook(make_notebook(code_cell(source, cell_id="a")))

    return merge_notebooks(side("a = 0\n"), side("a = 1\n"), side("a = 2\n")).notebook


def resolved() -> dict:
    return clean_notebook(make_notebook(code_cell("a = 1\n", cell_id="a")))


@needs_conflicts
@pytest.mark.slow
def test_hook_judges_the_staged_conflicts_not_the_working_file(hooked_repo: Path) -> None:
    (hooked_repo / "sub dir").mkdir()
    path = write_notebook(hooked_repo / "sub dir" / "-nb é.ipynb", conflicted())
    git(hooked_repo, "add", ".")
    write_notebook(path, resolved())  # fixed, but not added again: the markers are staged
    result = commit(hooked_repo)
    assert result.returncode != 0, result.stdout
    output = result.stdout + result.stderr  # git shows a hook's output on stderr
    assert "sub dir/-nb é.ipynb: cell 1 (id a): both sides changed the same lines" in output
    assert git(hooked_repo, "rev-list", "--count", "HEAD").stdout == "1\n"
    git(hooked_repo, "add", ".")
    write_notebook(path, conflicted())  # now only the working file holds markers
    assert commit(hooked_repo).returncode == 0


@needs_conflicts
@pytest.mark.parametrize(
    "name", ["e\x1b[2Kx.ipynb", 'quote"back\\slash.ipynb', " lead and trail .ipynb", "tab\t.ipynb"]
)
def test_hook_judges_notebooks_whatever_their_names(hooked_repo: Path, name: str) -> None:
    """git quotes such names unless asked for them NUL-separated: the hook must see them all."""
    write_notebook(hooked_repo / name, conflicted())
    git(hooked_repo, "add", "--", name)
    result = commit(hooked_repo)
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "both sides changed the same lines" in output, output
    assert "not staged" not in output and "\x1b" not in output
    write_notebook(hooked_repo / name, resolved())
    git(hooked_repo, "add", "--", name)
    assert commit(hooked_repo).returncode == 0
    git(hooked_repo, "mv", "--", name, f"moved {name}")  # a rename: its new name is judged
    write_notebook(hooked_repo / f"moved {name}", conflicted())
    git(hooked_repo, "add", "--", f"moved {name}")
    assert commit(hooked_repo).returncode != 0


@needs_conflicts
@pytest.mark.slow
def test_hook_passes_a_staged_symlink_to_a_notebook(hooked_repo: Path) -> None:
    (hooked_repo / "link.ipynb").symlink_to("base.ipynb")
    git(hooked_repo, "add", "link.ipynb")
    result = commit(hooked_repo)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hook_with_nothing_staged_for_notebooks_runs_nothing(
    hooked_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NBCOLLAB", "false")  # any call to nbcollab would fail the commit
    (hooked_repo / "notes.txt").write_text("hello\n")
    git(hooked_repo, "add", "notes.txt")
    assert commit(hooked_repo).returncode == 0


def stand_in(bindir: Path, name: str, body: str) -> None:
    (bindir / name).write_text(f"#!/bin/sh\n{body}\n")
    (bindir / name).chmod(0o755)


@pytest.mark.slow
@pytest.mark.parametrize("found_as", ["nbcollab", "launcher", "python3"])
def test_hook_finds_nbcollab_without_the_override(
    hooked_repo: Path, tmp_path: Path, found_as: str
) -> None:
    # The interpreter running the tests need not be on PATH (a venv that is not activated):
    # put a stand-in for `nbcollab` or `python3` there that runs it, or rely on the launcher.
    bindir = tmp_path / "bin"
    bindir.mkdir()
    if found_as == "nbcollab":
        stand_in(bindir, "nbcollab", f'exec "{sys.executable}" -m nbcollab "$@"')
    elif found_as == "python3":
        stand_in(bindir, "python3", f'exec "{sys.executable}" "$@"')
    else:  # a python3 without nbcollab: the launcher must be preferred
        stand_in(bindir, "python3", "exit 1")
        assert run_nbcollab("install", "--no-diff", "--no-merge", cwd=hooked_repo).returncode == 0
    git_dir = os.path.dirname(shutil.which("git") or "/usr/bin/git")
    path = os.pathsep.join([str(bindir), git_dir, "/usr/bin", "/bin"])
    if found_as != "nbcollab" and shutil.which("nbcollab", path=path):
        pytest.skip("an nbcollab on the system PATH would be found first")
    env = {k: v for k, v in os.environ.items() if k != "NBCOLLAB"} | {"PATH": path}
    write_notebook(hooked_repo / "nb.ipynb", dirty())
    # Staged as it is (not through the filter), so that there is something to refuse.
    blob = git(hooked_repo, "hash-object", "-w", "--no-filters", "nb.ipynb").stdout.strip()
    git(hooked_repo, "update-index", "--add", "--cacheinfo", f"100644,{blob},nb.ipynb")
    result = subprocess.run(
        [str(HOOK)], cwd=hooked_repo, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 1, result.stderr
    assert "would clean nb.ipynb (staged)" in result.stdout


def test_hook_override_may_name_nbcollab_itself(
    hooked_repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    stand_in(bindir, "nbcollab", f'exec "{sys.executable}" -m nbcollab "$@"')
    monkeypatch.setenv("PATH", os.pathsep.join([str(bindir), os.environ["PATH"]]))
    monkeypatch.setenv("NBCOLLAB", "nbcollab")
    write_notebook(hooked_repo / "nb.ipynb", dirty())
    git(hooked_repo, "add", "nb.ipynb")
    result = commit(hooked_repo)
    assert result.returncode == 1 and "would clean nb.ipynb (staged)" in result.stderr


# -- the pre-commit framework's hooks -----------------------------------------------------------


def framework_hooks() -> dict[str, dict]:
    hooks = yaml.safe_load((PROJECT_ROOT / ".pre-commit-hooks.yaml").read_text())
    return {hook["id"]: hook for hook in hooks}


def test_framework_hooks_are_declared_for_notebooks() -> None:
    hooks = framework_hooks()
    assert set(hooks) == {
        "nbcollab-clean",
        "nbcollab-clean-check",
        "nbcollab-conflicts",
        "nbcollab-export-check",
        "nbcollab-lint",
    }
    # export-check also runs when only a module changed (tests/test_export_git.py checks it).
    for hook in (h for h in hooks.values() if h["id"] != "nbcollab-export-check"):
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
