"""`git diff` through the external driver compares what `nbcollab diff` compares."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import code_cell, git, make_notebook, run_nbcollab, write_notebook


def notebook(tag: str) -> dict:
    return make_notebook(code_cell("print(1)", cell_id="a", metadata={"tags": [tag]}))


@pytest.mark.git
@pytest.mark.parametrize("broken", [False, True])
def test_git_diff_reads_the_diff_section_of_the_config(git_repo: Path, broken: bool) -> None:
    table = "[tool.nbcollab.diff]\nignore-metadata = true\n"
    (git_repo / "pyproject.toml").write_text(table + ("oops = 1\n" if broken else ""))
    assert run_nbcollab("install", "--no-filter", "--external-diff", cwd=git_repo).returncode == 0
    path = write_notebook(git_repo / "nb.ipynb", notebook("draft"))
    git(git_repo, "add", ".")
    git(git_repo, "commit", "-qm", "one")
    path.write_text(json.dumps(notebook("final")))
    shown = git(git_repo, "diff")
    if broken:  # a config nbcollab cannot use: defaults and one warning, never a failed diff
        assert "final" in shown.stdout
        assert (
            shown.stderr.count("nbcollab git-diff:") == 1 and "using the defaults" in shown.stderr
        )
    else:
        assert "final" not in shown.stdout  # only metadata changed, and metadata is ignored
        path.write_text(json.dumps(make_notebook(code_cell("print(2)", cell_id="a"))))
        assert "+print(2)" in git(git_repo, "diff").stdout
