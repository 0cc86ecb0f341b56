"""A pyproject.toml nbcollab cannot use never stops git: textconv, git-diff and git-merge fall
back to the defaults with one warning; ``nbcollab diff`` fails with one line, no traceback."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from helpers import code_cell, git, make_notebook, run_nbcollab, stream_output, write_notebook
from typer.testing import CliRunner

from nbcollab.cli.app import app
from nbcollab.git.entry import run_git_diff, run_textconv
from nbcollab.git.merge_driver import run_git_merge

BROKEN = {
    "tool-is-a-string": b'tool = "x"\n',
    "nbcollab-is-a-string": b'[tool]\nnbcollab = "x"\n',
    "clean-is-a-string": b'[tool.nbcollab]\nclean = "x"\n',
    "not-utf8": b"# caf\xe9\n[tool.nbcollab.clean]\nkeep-outputs = true\n",
    "deeply-nested": b"x = " + b"[" * 50_000 + b"]" * 50_000 + b"\n",
    "not-toml": b"[tool.nbcollab\n",
    "wrong-type": b'[tool.nbcollab.clean]\nkeep-outputs = "maybe"\n',
    "unknown-key": b"[tool.nbcollab.merge]\noutputz = 1\n",
    "negative": b"[tool.nbcollab.clean]\nmax-output-bytes = -1\n",
    "bad-key-path": b'[tool.nbcollab.clean]\nextra-keys = ["nope"]\n',
    "escape-in-key": b'[tool.nbcollab.clean]\n"\\u001b]52;c;eA==\\u0007" = 1\n',
}


def notebook(x: int, *, output: str = "") -> dict:
    return make_notebook(
        code_cell(f"x = {x}\n", outputs=[stream_output(output)] if output else [], cell_id="c1")
    )


@pytest.fixture(params=sorted(BROKEN), ids=sorted(BROKEN))
def broken(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_bytes(BROKEN[request.param])
    monkeypatch.chdir(tmp_path)  # git runs its drivers at the top of the working tree
    return tmp_path


def one_warning(err: str, entry: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"nbcollab {entry}: ") and "default" in lines[0], err
    assert "pyproject.toml: " in lines[0], err
    assert "\x1b" not in err and "Traceback" not in err
    return lines[0]


def test_textconv_uses_the_defaults(
    broken: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    write_notebook(broken / "nb.ipynb", notebook(1, output="hidden\n"))
    assert run_textconv(["nb.ipynb", "--format-version", "2"]) == 0
    out, err = capsysbinary.readouterr()
    assert b"=== code cell id c1 [] ===\nx = 1\n" in out and b"hidden" not in out
    one_warning(err.decode(), "textconv")


def test_git_diff_driver_uses_the_defaults(
    broken: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    old = write_notebook(broken / "old.ipynb", notebook(1))
    new = write_notebook(broken / "nb.ipynb", notebook(2, output="hidden\n"))
    args = ["nb.ipynb", str(old), "0" * 40, "100644", str(new), "1" * 40, "100644"]
    assert run_git_diff(args) == 0
    out, err = capsysbinary.readouterr()
    assert b"-x = 1\n+x = 2\n" in out and b"hidden" not in out
    one_warning(err.decode(), "git-diff")


def test_merge_driver_merges_with_the_defaults(
    broken: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = make_notebook(code_cell("a = 1\n", cell_id="a"), code_cell("b = 1\n", cell_id="b"))
    ours = make_notebook(code_cell("a = 2\n", cell_id="a"), code_cell("b = 1\n", cell_id="b"))
    theirs = make_notebook(code_cell("a = 1\n", cell_id="a"), code_cell("b = 2\n", cell_id="b"))
    paths = [
        write_notebook(broken / f"{name}.ipynb", nb)
        for name, nb in (("base", base), ("ours", ours), ("theirs", theirs))
    ]
    assert run_git_merge([*map(str, paths), "7", "nb.ipynb"]) == 0
    merged = json.loads(paths[1].read_text())
    assert ["".join(c["source"]) for c in merged["cells"]] == ["a = 2\n", "b = 2\n"]
    err = capsys.readouterr().err
    assert "falling back" not in err and "Traceback" not in err and "\x1b" not in err
    warnings = [line for line in err.splitlines() if "default" in line]
    assert len(warnings) == 1, err  # a file with any mistake is not used at all


def test_nbcollab_diff_fails_in_one_line(broken: Path) -> None:
    write_notebook(broken / "a.ipynb", notebook(1))
    write_notebook(broken / "b.ipynb", notebook(2))
    result = CliRunner().invoke(app, ["diff", "a.ipynb", "b.ipynb"])
    assert result.exit_code == 2, result.output
    assert "pyproject.toml" in result.output and "\x1b" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.slow
def test_git_log_p_survives_a_broken_pyproject(git_repo: Path) -> None:
    command = f"{sys.executable} -m nbcollab textconv --format-version 2"
    git(git_repo, "config", "diff.nbcollab.textconv", command)
    (git_repo / ".gitattributes").write_text("*.ipynb diff=nbcollab\n")
    write_notebook(git_repo / "nb.ipynb", notebook(1))
    git(git_repo, "add", ".")
    git(git_repo, "commit", "-qm", "first")
    write_notebook(git_repo / "nb.ipynb", notebook(2))
    (git_repo / "pyproject.toml").write_bytes(BROKEN["tool-is-a-string"])
    git(git_repo, "add", ".")
    git(git_repo, "commit", "-qm", "second")
    log = git(git_repo, "log", "-p")
    assert log.returncode == 0 and "-x = 1\n+x = 2\n" in log.stdout
    assert "Traceback" not in log.stderr and "[tool] is a string, not a table" in log.stderr
    shown = run_nbcollab("diff", "HEAD~1", cwd=git_repo)
    assert shown.returncode == 2 and shown.stderr.decode().count("\n") == 1
