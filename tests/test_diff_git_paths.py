"""Odd file names in real git: quoted as git quotes them, never splitting or escaping a header."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from helpers import code_cell, git, make_notebook, run_nbcollab, write_notebook

from nbcollab.git.textconv import TEXTCONV_FORMAT_VERSION

pytestmark = [pytest.mark.git, pytest.mark.slow]

NAMES = {
    "newline": ("a\nb.ipynb", '"a/a\\nb.ipynb"', '"b/a\\nb.ipynb"'),
    "escape": ("x\x1b[2Ky.ipynb", '"a/x\\033[2Ky.ipynb"', '"b/x\\033[2Ky.ipynb"'),
    "quote": ('say "hi".ipynb', '"a/say \\"hi\\".ipynb"', '"b/say \\"hi\\".ipynb"'),
    "plain": ("plain name.ipynb", "a/plain name.ipynb", "b/plain name.ipynb"),
}


@pytest.fixture(params=sorted(NAMES), ids=sorted(NAMES))
def repo(request: pytest.FixtureRequest, git_repo: Path) -> tuple[Path, tuple[str, str, str]]:
    name = NAMES[request.param]
    git(
        git_repo,
        "config",
        "diff.nbcollab.textconv",
        f"{sys.executable} -m nbcollab textconv --format-version {TEXTCONV_FORMAT_VERSION}",
    )
    git(git_repo, "config", "diff.nbcollab.command", f"{sys.executable} -m nbcollab git-diff")
    (git_repo / ".gitattributes").write_text("*.ipynb diff=nbcollab\n")
    write_notebook(git_repo / name[0], make_notebook(code_cell("x = 1\n", cell_id="c")))
    git(git_repo, "add", ".")
    git(git_repo, "commit", "-qm", "first")
    write_notebook(git_repo / name[0], make_notebook(code_cell("x = 2\n", cell_id="c")))
    return git_repo, name


def test_nbcollab_diff_quotes_the_path(repo: tuple[Path, tuple[str, str, str]]) -> None:
    root, (_, old, new) = repo
    done = run_nbcollab("diff", "--color", "never", cwd=root)
    assert done.returncode == 1, done.stderr
    out = done.stdout.decode()
    assert out.startswith(f"--- {old} (index)\n+++ {new} (working tree)\n")
    assert "\x1b" not in out


def test_external_driver_quotes_the_path(repo: tuple[Path, tuple[str, str, str]]) -> None:
    root, (_, old, new) = repo
    out = git(root, "diff").stdout
    assert out.startswith(f"diff --nbcollab {old} {new}\n--- {old}\n+++ {new}\n"), out
    assert "-x = 1\n+x = 2\n" in out and "\x1b" not in out
