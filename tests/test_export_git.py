"""End to end with real git: a merged notebook's module is re-exported, never left conflicted."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from helpers import PROJECT_ROOT, code_cell, git, make_notebook, run_nbcollab, write_notebook

pytestmark = [pytest.mark.git, pytest.mark.slow]
NBCOLLAB = f"{sys.executable} -m nbcollab"
MODULE = "src/pkg/core.py"


def notebook(first: str, second: str) -> dict:
    return make_notebook(
        code_cell(f"#| export\n{first}", cell_id="first"),
        code_cell("print('scratch work')", cell_id="scratch"),
        code_cell(f"#| export\n{second}", cell_id="second"),
    )


def commit_notebook(repo: Path, nb: dict, message: str) -> None:
    (repo / "nbs").mkdir(exist_ok=True)
    write_notebook(repo / "nbs" / "core.ipynb", nb)
    assert run_nbcollab("export", cwd=repo).returncode == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)


@pytest.fixture
def repo(git_repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    assert run_nbcollab("install", cwd=git_repo).returncode == 0
    (git_repo / "pyproject.toml").write_text(
        f'[tool.nbcollab.export]\nmodules = {{ "nbs/core.ipynb" = "{MODULE}" }}\n'
    )
    shutil.copy(
        PROJECT_ROOT / "nbcollab" / "git" / "hooks" / "post-merge",
        git_repo / ".git" / "hooks" / "post-merge",
    )
    monkeypatch.setenv("NBCOLLAB", NBCOLLAB)
    commit_notebook(git_repo, notebook("def f():\n    return 1", "def g():\n    return 2"), "base")
    return git_repo


def diverge(repo: Path, theirs: dict, ours: dict) -> None:
    git(repo, "checkout", "-qb", "feature")
    commit_notebook(repo, theirs, "feature")
    git(repo, "checkout", "-q", "main")
    commit_notebook(repo, ours, "main")


# Each side adds a public function to a different cell: the notebook merges cleanly cell by cell,
# but both sides changed the module's ``__all__`` line, a textual conflict in the module.
THEIRS = notebook("def f():\n    return 1\ndef f2():\n    return 3", "def g():\n    return 2")
OURS = notebook("def f():\n    return 1", "def g():\n    return 2\ndef g2():\n    return 4")


def test_without_the_union_attribute_the_module_would_conflict(repo: Path) -> None:
    (repo / ".git" / "hooks" / "post-merge").unlink()
    diverge(repo, THEIRS, OURS)
    done = git(repo, "merge", "-q", "feature", "-m", "merge", check=False)
    assert done.returncode == 1
    assert git(repo, "diff", "--name-only", "--diff-filter=U").stdout.split() == [MODULE]


def test_merged_notebook_module_is_re_exported_into_the_merge_commit(repo: Path) -> None:
    with (repo / ".gitattributes").open("a") as handle:
        handle.write(f"{MODULE} merge=union\n")
    git(repo, "commit", "-qam", "generated modules merge as union, then are re-exported")
    diverge(repo, THEIRS, OURS)
    done = git(repo, "merge", "-q", "feature", "-m", "merge", check=False)
    assert done.returncode == 0, done.stderr
    assert "re-exported into the merge commit" in done.stderr
    assert git(repo, "status", "--porcelain").stdout == ""
    assert len(git(repo, "rev-list", "--parents", "-n1", "HEAD").stdout.split()) == 3
    assert git(repo, "log", "-1", "--format=%s|%an").stdout.strip() == "merge|Test"
    committed = git(repo, "show", f"HEAD:{MODULE}").stdout
    assert "<<<<<<<" not in committed and "=======" not in committed
    assert '__all__ = ["f", "f2", "g", "g2"]' in committed
    assert run_nbcollab("export", "--check", cwd=repo).returncode == 0
    compile(committed, MODULE, "exec")


def test_conflicted_notebook_leaves_the_module_unconflicted_until_re_exported(repo: Path) -> None:
    with (repo / ".gitattributes").open("a") as handle:
        handle.write(f"{MODULE} merge=union\n")
    git(repo, "commit", "-qam", "union")
    diverge(
        repo,
        notebook("def f():\n    return 10", "def g():\n    return 2"),
        notebook("def f():\n    return 20", "def g():\n    return 2"),
    )
    done = git(repo, "merge", "-q", "feature", "-m", "merge", check=False)
    assert done.returncode == 1
    assert git(repo, "diff", "--name-only", "--diff-filter=U").stdout.split() == ["nbs/core.ipynb"]
    assert "<<<<<<<" not in (repo / MODULE).read_text()
    assert run_nbcollab("resolve", "nbs/core.ipynb", "--theirs", cwd=repo).returncode == 0
    assert run_nbcollab("export", "--check", cwd=repo).returncode == 1  # stale until re-exported
    assert run_nbcollab("export", cwd=repo).stdout.decode().split() == [MODULE]
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "merge")
    assert "return 10" in git(repo, "show", f"HEAD:{MODULE}").stdout


def test_export_check_hook_refuses_a_stale_module(repo: Path) -> None:
    shutil.copy(
        PROJECT_ROOT / "nbcollab" / "git" / "hooks" / "export-check",
        repo / ".git" / "hooks" / "pre-commit",
    )
    write_notebook(repo / "nbs" / "core.ipynb", notebook("def f():\n    return 5", "G = 1"))
    git(repo, "add", "nbs/core.ipynb")
    done = git(repo, "commit", "-qm", "stale", check=False)
    assert done.returncode == 1 and "run `nbcollab export`" in done.stderr
    assert f"{MODULE}: stale" in done.stderr  # git shows a hook's output on stderr
    run_nbcollab("export", cwd=repo)
    git(repo, "add", "-A")
    assert git(repo, "commit", "-qm", "fresh", check=False).returncode == 0


def test_pre_commit_framework_hook_checks_the_mapped_modules() -> None:
    import yaml

    hooks = yaml.safe_load((PROJECT_ROOT / ".pre-commit-hooks.yaml").read_text())
    hook = next(h for h in hooks if h["id"] == "nbcollab-export-check")
    assert hook["entry"] == "nbcollab export --check" and hook["pass_filenames"] is False
    assert hook["language"] == "python" and "ipynb" in hook["files"] and "py" in hook["files"]
