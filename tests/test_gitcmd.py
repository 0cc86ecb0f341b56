"""Running git has one home, ``nbcollab.gitcmd``: one timeout policy, git's errors mapped to
``GitError`` and ``NotARepository`` there, and no other module starting git itself."""

from __future__ import annotations

import ast
import os
import stat
from pathlib import Path

import pytest

from nbcollab import gitcmd
from nbcollab.errors import GitError, NotARepository

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [ROOT / "nbcollab", ROOT / "jupyterlab-nbcollab" / "jupyterlab_nbcollab"]
# The filter's stand-in runs when nbcollab itself may be gone: it keeps its own subprocess.
STAND_INS = {ROOT / "nbcollab" / "gitcmd.py", ROOT / "nbcollab" / "git" / "filter_fallback.py"}
GITPYTHON_HOME = ROOT / "nbcollab" / "git" / "revisions.py"


def _python_files() -> list[Path]:
    return [path for folder in SOURCES if folder.is_dir() for path in folder.rglob("*.py")]


def _starts_git(node: ast.AST) -> bool:
    """A list or tuple whose first item is the string "git": an argv for a git process."""
    if isinstance(node, ast.BinOp):
        return _starts_git(node.left)
    return (
        isinstance(node, (ast.List, ast.Tuple))
        and bool(node.elts)
        and isinstance(node.elts[0], ast.Constant)
        and node.elts[0].value == "git"
    )


def test_no_module_but_the_one_home_starts_git() -> None:
    found = []
    for path in _python_files():
        if path in STAND_INS:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found += [f"{path.relative_to(ROOT)}:{n.lineno}" for n in ast.walk(tree) if _starts_git(n)]
    assert found == []


def test_gitpython_only_where_an_object_model_of_revisions_is_used() -> None:
    found = []
    for path in _python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and node.level == 0
                else []
            )
            if any(name == "git" or name.startswith("git.") for name in names):
                found.append(path)
    assert set(found) <= {GITPYTHON_HOME}


def _fake_git(folder: Path, script: str) -> None:
    """A ``git`` on PATH that runs ``script`` (sh), to see what the one home does with it."""
    folder.mkdir(exist_ok=True)
    fake = folder / "git"
    fake.write_text(f"#!/bin/sh\n{script}\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)


def test_outside_a_repository_is_not_a_repository(tmp_path: Path) -> None:
    with pytest.raises(NotARepository, match="not inside a git repository"):
        gitcmd.run_git(["rev-parse", "--show-toplevel"], tmp_path)


def test_a_failure_says_the_line_of_git_s_complaint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_git(tmp_path / "bin", 'echo "To somewhere" >&2; echo "error: it broke" >&2; exit 1')
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(GitError, match=r"^git status failed: error: it broke$"):
        gitcmd.run_git(["status"], tmp_path)
    assert gitcmd.try_git(["status"], tmp_path).returncode == 1
    assert gitcmd.git_output(["status"], tmp_path) is None


def test_no_git_on_path_says_to_install_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    for call in (gitcmd.run_git, gitcmd.try_git):
        with pytest.raises(GitError, match="is it installed and on PATH"):
            call(["status"], tmp_path)
    with pytest.raises(GitError, match="is it installed and on PATH"):
        gitcmd.start_git(["cat-file", "--batch"], tmp_path)
    assert gitcmd.git_output(["status"], tmp_path) is None


def test_a_local_command_that_hangs_is_stopped_a_remote_one_is_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_git(tmp_path / "bin", "sleep 1; echo done")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(gitcmd, "TIMEOUT", 0.1)
    with pytest.raises(GitError, match=r"git status took more than 0.1 seconds and was stopped"):
        gitcmd.run_git(["status"], tmp_path, timeout=gitcmd.TIMEOUT)
    with pytest.raises(GitError, match="took more than"):
        gitcmd.wait_git(gitcmd.start_git(["config", "--get", "x"], tmp_path))
    # Talking to a remote takes what the network takes: only the user stops it, whatever
    # options of git's own come first.
    assert gitcmd.run_git(["fetch", "origin"], tmp_path, timeout=0.1) == b"done\n"
    assert gitcmd.run_git(["-c", "a.b=1", "push"], tmp_path, timeout=0.1) == b"done\n"
    assert gitcmd.run_git(["-C", str(tmp_path), "fetch"], tmp_path, timeout=0.1) == b"done\n"
    with pytest.raises(GitError, match=r"git status took more than"):
        gitcmd.run_git(["-c", "fetch.x=1", "status"], tmp_path, timeout=0.1)
