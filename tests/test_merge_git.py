"""End to end: real `git merge` with the nbcollab merge driver configured in a temp repository."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from helpers import (
    DRIVER,
    code_cell,
    git,
    make_notebook,
    markdown_cell,
    run_driver_in_child,
    run_nbcollab,
    write_notebook,
)

from nbcollab.git.merge_driver import parse_driver_args, run_git_merge
from nbcollab.notebook.codec import serialize_notebook

pytestmark = pytest.mark.git


def _notebook(*sources: str) -> dict[str, Any]:
    return make_notebook(
        markdown_cell("# Analysis", cell_id="title"),
        *(code_cell(text, cell_id=f"cell{n}") for n, text in enumerate(sources)),
    )


@pytest.fixture
def repo(git_repo: Path) -> Path:
    git(git_repo, "config", "merge.nbcollab.name", "nbcollab notebook merge")
    git(git_repo, "config", "merge.nbcollab.driver", DRIVER)
    (git_repo / ".gitattributes").write_text("*.ipynb merge=nbcollab\n")
    write_notebook(git_repo / "nb.ipynb", _notebook("x = 1\ny = 2", "print(x)"))
    git(git_repo, "add", ".")
    git(git_repo, "commit", "-qm", "base")
    return git_repo


def _branches(repo: Path, ours: dict[str, Any] | bytes, theirs: dict[str, Any] | bytes) -> None:
    """Commit ``theirs`` on branch feature and ``ours`` on main."""
    for branch, content in (("feature", theirs), ("main", ours)):
        git(repo, "checkout", "-q", *(["-b"] if branch == "feature" else []), branch)
        path = repo / "nb.ipynb"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            write_notebook(path, content)
        git(repo, "add", "nb.ipynb")
        git(repo, "commit", "-qm", f"edit on {branch}")


def _validate(path: Path) -> dict[str, Any]:
    nbformat.validate(nbformat.read(path, as_version=nbformat.NO_CONVERT))
    return json.loads(path.read_text(encoding="utf-8"))


def _sources(nb: dict[str, Any]) -> list[str]:
    return ["".join(cell["source"]) for cell in nb["cells"]]


def test_different_cells_edited_merge_cleanly(repo: Path) -> None:
    _branches(repo, _notebook("x = 10\ny = 2", "print(x)"), _notebook("x = 1\ny = 2", "print(y)"))
    done = git(repo, "merge", "--no-edit", "feature", check=False)
    assert done.returncode == 0, done.stderr
    merged = _validate(repo / "nb.ipynb")
    assert _sources(merged) == ["# Analysis", "x = 10\ny = 2", "print(y)"]
    assert "2 of 3 cells merged cleanly" not in done.stderr  # a clean merge reports all cells
    assert git(repo, "status", "--porcelain").stdout == ""


def test_same_line_conflicts_then_resolves(repo: Path) -> None:
    _branches(repo, _notebook("x = 10\ny = 2", "print(x)"), _notebook("x = 11\ny = 2", "print(x)"))
    done = git(repo, "merge", "--no-edit", "feature", check=False)
    assert done.returncode == 1
    assert "both sides changed the same lines" in done.stderr + done.stdout
    assert git(repo, "status", "--porcelain").stdout.startswith("UU nb.ipynb")
    merged = _validate(repo / "nb.ipynb")
    assert _sources(merged)[1] == "<<<<<<< main\nx = 10\n=======\nx = 11\n>>>>>>> feature\ny = 2"
    assert merged["metadata"]["nbcollab"]["conflicts"][0]["cell"] == "cell0"

    assert run_nbcollab("conflicts", "nb.ipynb", cwd=repo).returncode == 1
    assert run_nbcollab("resolve", "nb.ipynb", "--ours", cwd=repo).returncode == 0
    assert run_nbcollab("conflicts", "nb.ipynb", cwd=repo).returncode == 0
    resolved = _validate(repo / "nb.ipynb")
    assert _sources(resolved)[1] == "x = 10\ny = 2"
    assert "nbcollab" not in resolved["metadata"]
    git(repo, "add", "nb.ipynb")
    git(repo, "commit", "-qm", "merge feature")
    assert git(repo, "status", "--porcelain").stdout == ""


def test_broken_json_falls_back_to_line_merge(repo: Path) -> None:
    broken = serialize_notebook(_notebook("x = 1\ny = 2", "print(x)")).replace('"cells": [', "[", 1)
    _branches(repo, _notebook("x = 1\ny = 2", "print(x)", "new = 1"), broken.encode())
    done = git(repo, "merge", "--no-edit", "feature", check=False)
    assert "falling back to git's line merge" in done.stderr
    text = (repo / "nb.ipynb").read_text()
    # git's own line merge ran: either merged or marked, never an unexplained failure
    assert done.returncode == 0 or "<<<<<<< ours" in text


def test_added_on_both_branches(git_repo: Path) -> None:
    repo = git_repo
    git(repo, "config", "merge.nbcollab.driver", DRIVER)
    (repo / ".gitattributes").write_text("*.ipynb merge=nbcollab\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "attributes")
    _branches(repo, _notebook("a = 1", "b = 2"), _notebook("a = 1", "c = 3"))
    done = git(repo, "merge", "--no-edit", "feature", check=False)
    merged = _validate(repo / "nb.ipynb")
    assert "a = 1" in _sources(merged)
    assert any("b = 2" in s for s in _sources(merged))
    assert any("c = 3" in s for s in _sources(merged))
    assert done.returncode in (0, 1)


def test_nbcollab_install_wires_the_driver(git_repo: Path) -> None:
    installed = run_nbcollab("install", cwd=git_repo)
    assert installed.returncode == 0, installed.stderr
    driver = git(git_repo, "config", "merge.nbcollab.driver").stdout
    assert "git-merge %O %A %B %L %P" in driver


def _driver_files(tmp_path: Path, base: bytes, ours: bytes, theirs: bytes) -> list[str]:
    paths = []
    for name, data in (("base", base), ("ours", ours), ("theirs", theirs)):
        (tmp_path / name).write_bytes(data)
        paths.append(str(tmp_path / name))
    return paths


def _bytes(nb: dict[str, Any]) -> bytes:
    return serialize_notebook(nb).encode()


def test_driver_labels_from_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # not a repository: no branch name for ours
    monkeypatch.setenv("GITHEAD_0123456789abcdef0123456789abcdef01234567", "topic/x")
    files = _driver_files(
        tmp_path, _bytes(_notebook("v = 1")), _bytes(_notebook("v = 2")), _bytes(_notebook("v = 3"))
    )
    code = run_git_merge([*files, "9", "nb.ipynb", "%S", "%X", "%Y"])
    assert code == 1
    text = _sources(json.loads(Path(files[1]).read_text()))[1]
    assert text == "<<<<<<<<< ours\nv = 2\n=========\nv = 3\n>>>>>>>>> topic/x"
    assert "merged nb.ipynb: CONFLICTS" in capsys.readouterr().err


def test_driver_labels_from_git_244(tmp_path: Path) -> None:
    files = _driver_files(tmp_path, b"", _bytes(_notebook("v = 2")), _bytes(_notebook("v = 3")))
    assert run_git_merge([*files, "7", "nb.ipynb", "base", "mine", "yours"]) == 1
    assert "<<<<<<< mine\n" in "".join(json.loads(Path(files[1]).read_text())["cells"][1]["source"])


def test_driver_never_dies_and_leaves_ours_alone(tmp_path: Path) -> None:
    ours = tmp_path / "ours"
    ours.write_bytes(b"not json\n")
    before = ours.read_bytes()
    code = run_git_merge([str(tmp_path / "missing"), str(ours), str(tmp_path / "gone"), "7", "p"])
    assert code == 1
    assert ours.read_bytes() == before
    assert run_git_merge([]) == 1


def test_driver_handles_a_conflicted_virtual_base(tmp_path: Path) -> None:
    """Criss-cross merges pass a base that is itself a conflicted merge result."""
    files = _driver_files(
        tmp_path, _bytes(_notebook("v = 1")), _bytes(_notebook("v = 2")), _bytes(_notebook("v = 3"))
    )
    assert run_git_merge([*files, "7", "nb.ipynb"]) == 1
    conflicted = Path(files[1]).read_bytes()
    files = _driver_files(
        tmp_path, conflicted, _bytes(_notebook("v = 4")), _bytes(_notebook("v = 4", "w = 0"))
    )
    assert run_git_merge([*files, "7", "nb.ipynb"]) == 0
    merged = json.loads(Path(files[1]).read_text())
    assert _sources(merged) == ["# Analysis", "v = 4", "w = 0"]
    assert "nbcollab" not in merged["metadata"]


def test_driver_as_a_subprocess_is_quiet_on_clean(tmp_path: Path) -> None:
    files = _driver_files(
        tmp_path,
        _bytes(_notebook("a", "b")),
        _bytes(_notebook("A", "b")),
        _bytes(_notebook("a", "B")),
    )
    done = subprocess.run(
        [sys.executable, "-m", "nbcollab", "git-merge", *files, "7", "x.ipynb"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "merged x.ipynb: clean" in done.stderr


@pytest.mark.parametrize(
    ("argv", "size", "labels"),
    [
        (["o", "a", "b"], 7, (None, None, None)),
        (["o", "a", "b", "12", "p", "%S", "%X", "%Y"], 12, (None, None, None)),
        (["o", "a", "b", "x", "p", "B", "O", "T"], 7, ("B", "O", "T")),
    ],
)
def test_parse_driver_args(argv: list[str], size: int, labels: tuple) -> None:
    args = parse_driver_args(argv)
    assert args is not None
    assert args.marker_size == size
    assert (args.base_label, args.ours_label, args.theirs_label) == labels


def test_driver_does_not_import_nbformat_or_nbdime(tmp_path: Path) -> None:
    files = _driver_files(
        tmp_path,
        _bytes(_notebook("a", "b")),
        _bytes(_notebook("A", "b")),
        _bytes(_notebook("a", "B")),
    )
    outcome, done = run_driver_in_child([*files, "7", "x.ipynb"])
    assert outcome == "0 []", done.stderr


def test_criss_cross_merge_with_a_conflicted_virtual_base(repo: Path) -> None:
    _branches(repo, _notebook("x = 2", "print(x)"), _notebook("x = 3", "print(x)"))
    git(repo, "branch", "main-tip", "main")
    git(repo, "branch", "feature-tip", "feature")
    for branch, other in (("main", "feature-tip"), ("feature", "main-tip")):
        git(repo, "checkout", "-q", branch)  # each side merges the other, keeping its own line
        assert git(repo, "merge", "--no-edit", other, check=False).returncode == 1
        assert run_nbcollab("resolve", "nb.ipynb", "--ours", cwd=repo).returncode == 0
        git(repo, "add", "nb.ipynb")
        git(repo, "commit", "-qm", f"merge {other}")
    git(repo, "checkout", "-q", "main")
    done = git(repo, "merge", "--no-edit", "feature", check=False)
    assert done.returncode == 1
    merged = _validate(repo / "nb.ipynb")
    text = _sources(merged)[1]
    assert "x = 2" in text and "x = 3" in text
    assert run_nbcollab("conflicts", "nb.ipynb", cwd=repo).returncode == 1


@pytest.mark.slow
@pytest.mark.parametrize("side", ["ours", "theirs"])
def test_git_merge_then_resolve_gives_a_heading_side_exactly(git_repo: Path, side: str) -> None:
    """A setext heading's ``=======`` inside a conflict is content, through git and resolve."""
    sources = {
        "base": "Result\n------\nold text\n",
        "ours": "Results\n=======\nour text\n",
        "theirs": "Summary\n=======\ntheir text\n",
    }

    def version(name: str) -> dict[str, Any]:
        return make_notebook(
            markdown_cell(sources[name], cell_id="m"), markdown_cell(TUTORIAL, cell_id="tutorial")
        )

    git(git_repo, "config", "merge.nbcollab.driver", DRIVER)
    (git_repo / ".gitattributes").write_text("*.ipynb merge=nbcollab\n")
    write_notebook(git_repo / "nb.ipynb", version("base"))
    git(git_repo, "add", ".")
    git(git_repo, "commit", "-qm", "base")
    _branches(git_repo, version("ours"), version("theirs"))
    assert git(git_repo, "merge", "--no-edit", "feature", check=False).returncode == 1
    path = git_repo / "nb.ipynb"
    listed = run_nbcollab("conflicts", str(path))
    assert listed.returncode == 1 and listed.stdout.count(b"\n") == 1  # not the tutorial cell
    assert run_nbcollab("resolve", str(path), f"--{side}").returncode == 0
    assert _sources(_validate(path)) == [sources[side], TUTORIAL]
    assert run_nbcollab("conflicts", str(path)).returncode == 0


TUTORIAL = "git marks a conflict so:\n<<<<<<< HEAD\nmine\n=======\nyours\n>>>>>>> branch\n"
