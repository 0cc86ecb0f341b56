"""End to end: a real `git merge` through the nbcollab merge driver re-signs only trusted results.

The user's Jupyter has trusted both branches' notebooks (as it does when they ran and saved them);
after the merge the working-tree file must open trusted in a fresh notary on the same data dir.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import (
    DRIVER,
    code_cell,
    git,
    jupyter_sign,
    jupyter_trusts,
    make_notebook,
    markdown_cell,
    write_notebook,
)


def html(text: str) -> dict[str, Any]:
    return {
        "data": {"text/html": text, "text/plain": "<HTML>"},
        "metadata": {},
        "output_type": "display_data",
    }


def picture(name: str) -> dict[str, Any]:
    """A plot: rich output, but no active content (Jupyter shows images untrusted too)."""
    return {
        "data": {"image/png": f"iVBOR{name}", "text/plain": f"<Figure {name}>"},
        "metadata": {},
        "output_type": "display_data",
    }


@pytest.fixture
def repo(git_repo: Path) -> Path:
    """A repo with the driver installed and a notebook committed on main."""
    git(
        git_repo,
        "config",
        "merge.nbcollab.driver",
        DRIVER,
    )
    (git_repo / ".gitattributes").write_text("*.ipynb merge=nbcollab\n")
    write_notebook(
        git_repo / "nb.ipynb",
        make_notebook(
            markdown_cell("# Report", cell_id="intro"),
            code_cell("show('a')", cell_id="a", count=1, outputs=[html("<b>a0</b>")]),
            code_cell("show('b')", cell_id="b", count=2, outputs=[html("<i>b0</i>")]),
        ),
    )
    git(git_repo, "add", ".")
    git(git_repo, "commit", "-qm", "base")
    return git_repo


def commit_change(repo: Path, branch: str, cell: int, source: str, output: dict) -> None:
    git(repo, "checkout", "-q", branch)
    path = repo / "nb.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    nb["cells"][cell].update(source=source, outputs=[output])
    path.write_text(json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    git(repo, "commit", "-qam", f"change cell {cell} on {branch}")


def test_git_merge_of_two_trusted_branches_leaves_a_trusted_notebook(repo: Path) -> None:
    git(repo, "branch", "theirs")
    commit_change(repo, "theirs", 2, "show('b', 2)", html("<i>b2</i>"))
    jupyter_sign(repo / "nb.ipynb")  # they ran it in Jupyter, which signed it on save
    commit_change(repo, "main", 1, "show('a', 1)", picture("a1"))
    jupyter_sign(repo / "nb.ipynb")

    merged = git(repo, "merge", "-q", "--no-edit", "theirs", check=False)

    assert merged.returncode == 0, merged.stderr
    text = (repo / "nb.ipynb").read_text(encoding="utf-8")
    assert "a1" in text and "b2" in text
    assert "signed: every rich output came from a trusted input" in merged.stderr + merged.stdout
    assert jupyter_trusts(repo / "nb.ipynb")


def test_git_merge_with_an_untrusted_script_output_is_not_signed(repo: Path) -> None:
    git(repo, "branch", "theirs")
    commit_change(repo, "theirs", 2, "show('b', 2)", html("<script>alert(1)</script>"))
    commit_change(repo, "main", 1, "show('a', 1)", html("<b>a1</b>"))
    jupyter_sign(repo / "nb.ipynb")  # only the user's own branch is trusted

    merged = git(repo, "merge", "-q", "--no-edit", "theirs", check=False)

    assert merged.returncode == 0, merged.stderr
    assert "alert(1)" in (repo / "nb.ipynb").read_text(encoding="utf-8")
    assert "not signed: cell 3 (id b) has output not found in any trusted input" in (
        merged.stderr + merged.stdout
    )
    assert not jupyter_trusts(repo / "nb.ipynb")
