"""Long output on a terminal goes through the pager, as git does; never when piped."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import code_cell, git, make_notebook, write_notebook

from nbcollab.render.pager import pager_command, pager_environment, should_page


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"GIT_PAGER": "most", "PAGER": "more"}, "most"),
        ({"PAGER": "less -S"}, "less -S"),
        ({"GIT_PAGER": "cat", "PAGER": "more"}, None),
        ({"GIT_PAGER": "", "PAGER": "more"}, None),
        ({"PAGER": " cat "}, None),
    ],
)
def test_pager_command(env: dict[str, str], expected: str | None) -> None:
    assert pager_command(env) == expected


def test_default_pager_is_less_when_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shutil.which", lambda name: "/usr/bin/less" if name == "less" else None)
    assert pager_command({}) == "less"
    monkeypatch.setattr("shutil.which", lambda name: None)
    assert pager_command({}) is None


@pytest.mark.parametrize(
    ("lines", "tty", "screen", "expected"),
    [
        (100, True, 40, True),
        (10, True, 40, False),
        (39, True, 40, True),
        (100, False, 40, False),
    ],
)
def test_should_page(lines: int, tty: bool, screen: int, expected: bool) -> None:
    assert should_page("x\n" * lines, is_tty=tty, screen_lines=screen) is expected


def test_less_gets_gits_defaults_unless_the_user_set_them() -> None:
    assert pager_environment({})["LESS"] == "FRX"
    assert pager_environment({"LESS": "-S"})["LESS"] == "-S"


def run_on_terminal(args: list[str], cwd: Path, **env: str) -> tuple[int, str]:
    """Run ``nbcollab`` with standard output on a pseudo-terminal: (exit code, what it showed)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "nbcollab", *args],
        cwd=cwd,
        stdout=slave,
        stderr=subprocess.PIPE,
        env={**os.environ, "LINES": "20", "COLUMNS": "80", **env},
    )
    os.close(slave)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    assert proc.wait(timeout=60) in (0, 1), proc.stderr.read() if proc.stderr else ""
    return proc.returncode, shown.decode("utf-8", "replace")


def long_notebook(path: Path, n: int = 40) -> Path:
    return write_notebook(
        path, make_notebook(*(code_cell(f"x{k} = {k}", cell_id=f"c{k}") for k in range(n)))
    )


@pytest.mark.slow
def test_show_pages_long_output_on_a_terminal(tmp_path: Path) -> None:
    nb = long_notebook(tmp_path / "nb.ipynb")
    paged = tmp_path / "paged.txt"
    code, shown = run_on_terminal(
        ["show", str(nb), "--color", "never"], tmp_path, PAGER=f"cat > '{paged}'"
    )
    assert code == 0 and "x39 = 39" in paged.read_text(encoding="utf-8")
    assert "x39" not in shown  # the pager had it, not the terminal
    paged.unlink()
    code, shown = run_on_terminal(
        ["show", str(nb), "--no-pager", "--color", "never"], tmp_path, PAGER=f"cat > '{paged}'"
    )
    assert "x39" in shown and not paged.exists()


@pytest.mark.slow
def test_short_output_and_pipes_are_not_paged(tmp_path: Path) -> None:
    nb = long_notebook(tmp_path / "nb.ipynb", n=2)
    paged = tmp_path / "paged.txt"
    _code, shown = run_on_terminal(
        ["show", str(nb), "--color", "never"], tmp_path, PAGER=f"cat > '{paged}'"
    )
    assert "x1 = 1" in shown and not paged.exists()
    big = long_notebook(tmp_path / "big.ipynb")
    done = subprocess.run(
        [sys.executable, "-m", "nbcollab", "show", str(big)],
        capture_output=True,
        env={**os.environ, "PAGER": f"cat > '{paged}'", "LINES": "20"},
    )
    assert b"x39 = 39" in done.stdout and not paged.exists()


@pytest.mark.slow
def test_a_pager_that_quits_early_is_no_error(tmp_path: Path) -> None:
    nb = long_notebook(tmp_path / "nb.ipynb", n=3000)
    code, _ = run_on_terminal(
        ["show", str(nb), "--color", "never"], tmp_path, PAGER="head -c 10 >/dev/null"
    )
    assert code == 0


@pytest.mark.slow
@pytest.mark.git
def test_long_diff_text_goes_through_the_pager(git_repo: Path) -> None:
    nb = long_notebook(git_repo / "a.ipynb")
    git(git_repo, "add", ".")
    git(git_repo, "commit", "-qm", "one")
    body = make_notebook(*(code_cell(f"y{k} = {k}", cell_id=f"c{k}") for k in range(40)))
    write_notebook(nb, body)
    paged = git_repo.parent / "paged.txt"
    code, shown = run_on_terminal(
        ["diff", "--color", "never"], git_repo, GIT_PAGER=f"cat > '{paged}'"
    )
    assert code == 1 and "+y39 = 39" in paged.read_text(encoding="utf-8") and "y39" not in shown
    code, shown = run_on_terminal(["diff", "--color", "never"], git_repo, GIT_PAGER="cat")
    assert code == 1 and "+y39 = 39" in shown
