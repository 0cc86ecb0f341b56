"""Shared fixtures: an isolated HOME and git config for every test, temp repos, the corpus."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CORPUS = PROJECT_ROOT.parent / "shared" / "corpus"
CORPUS_NOTEBOOKS = CORPUS / "notebooks"
CORPUS_MERGES = CORPUS / "merges"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own HOME, git config and Jupyter dirs; the user's are never touched."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(home / "jupyter-data"))
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(home / "jupyter-config"))
    # Subprocesses (`python -m nbcollab`, the drivers git runs) must run this checkout's code,
    # whatever copy of nbcollab is installed.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])))
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_AUTHOR_DATE", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    for key, value in {
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.com",
    }.items():
        monkeypatch.setenv(key, value)
    (home / ".gitconfig").write_text("[init]\n\tdefaultBranch = main\n")
    return home


def git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run real git in ``repo``; text output captured."""
    return subprocess.run(
        ["git", *args], cwd=repo, check=check, capture_output=True, text=True
    )


@pytest.fixture
def git_repo(tmp_path: Path) -> Path:
    """An empty git repository in a temp folder."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    return repo


def run_nbcollab(
    *args: str, cwd: Path | None = None, input: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run the CLI as a real subprocess (``python -m nbcollab``)."""
    return subprocess.run(
        [sys.executable, "-m", "nbcollab", *args],
        cwd=cwd, input=input, capture_output=True, check=False,
    )


def run_driver_in_child(
    args: list[str], heavy: tuple[str, ...] = ("nbformat", "nbdime", "jsonschema")
) -> tuple[str, subprocess.CompletedProcess[str]]:
    """Run the git merge driver in a fresh interpreter: ``"<exit code> <heavy modules loaded>"``."""
    script = (
        "import sys\n"
        "from nbcollab.git.merge_driver import run_git_merge\n"
        f"code = run_git_merge({args!r})\n"
        f"heavy = sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r})\n"
        "print(code, heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=False)
    return done.stdout.strip(), done


def make_notebook(*cells: dict[str, Any], minor: int = 5, metadata: dict | None = None) -> dict:
    """A v4 notebook dict (in-memory form) with the given cells."""
    return {
        "cells": list(cells),
        "metadata": metadata if metadata is not None else {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python", "version": "3.11.7"},
        },
        "nbformat": 4,
        "nbformat_minor": minor,
    }


def code_cell(source: str, *, outputs: list | None = None, count: int | None = None,
              cell_id: str | None = None, **metadata: Any) -> dict[str, Any]:
    """A v4 code cell."""
    cell: dict[str, Any] = {
        "cell_type": "code",
        "execution_count": count,
        "metadata": dict(metadata),
        "outputs": outputs or [],
        "source": source,
    }
    if cell_id is not None:
        cell["id"] = cell_id
    return cell


def markdown_cell(source: str, *, cell_id: str | None = None) -> dict[str, Any]:
    """A v4 markdown cell."""
    cell: dict[str, Any] = {"cell_type": "markdown", "metadata": {}, "source": source}
    if cell_id is not None:
        cell["id"] = cell_id
    return cell


def write_notebook(path: Path, nb: dict) -> Path:
    """Write ``nb`` as Jupyter would."""
    from nbcollab.notebook.codec import serialize_notebook

    path.write_text(serialize_notebook(nb), encoding="utf-8")
    return path


def stream_output(text: str) -> dict[str, Any]:
    return {"name": "stdout", "output_type": "stream", "text": text}


def corpus_notebooks() -> list[Path]:
    """Every notebook of the corpus, or a skip when the corpus is absent."""
    if not CORPUS_NOTEBOOKS.is_dir():
        return []
    return sorted(CORPUS_NOTEBOOKS.glob("*.ipynb"))


requires_corpus = pytest.mark.skipif(
    not CORPUS_NOTEBOOKS.is_dir(), reason=f"corpus not found at {CORPUS} (it lives beside the project)"
)


def copy_to(tmp: Path, source: Path) -> Path:
    """A writable copy of a (read-only) corpus file."""
    target = tmp / source.name
    shutil.copyfile(source, target)
    os.chmod(target, 0o644)
    return target


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


_SLOW_MARKERS = ("git", "corpus")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that run git, read the corpus or build a repository are ``slow`` too.

    So ``pytest -m "not slow"`` is a fast tier without every such test repeating the marker.
    """
    for item in items:
        uses_repo = "git_repo" in getattr(item, "fixturenames", ())
        if uses_repo or any(item.get_closest_marker(name) for name in _SLOW_MARKERS):
            item.add_marker(pytest.mark.slow)
