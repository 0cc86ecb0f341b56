"""A FIFO or a device given to diff, textconv or git-diff is reported, never read (it would block
or never end), and git's entry points keep their contract: exit 0 with a note."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import code_cell, make_notebook, write_notebook
from typer.testing import CliRunner

from nbcollab.cli.app import app
from nbcollab.git.diff_driver import run_external_diff

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")


@pytest.fixture
def fifo_and_good(tmp_path: Path) -> tuple[Path, Path]:
    fifo = tmp_path / "x.ipynb"
    os.mkfifo(fifo)
    good = write_notebook(tmp_path / "good.ipynb", make_notebook(code_cell("print(1)")))
    return fifo, good


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "nbcollab", *args],
        cwd=cwd,
        capture_output=True,
        timeout=60,
        check=False,
    )


@pytest.mark.slow
def test_textconv_of_a_fifo_notes_it_and_exits_0(fifo_and_good: tuple[Path, Path]) -> None:
    fifo, _ = fifo_and_good
    done = _run("textconv", str(fifo), cwd=fifo.parent)
    assert done.returncode == 0 and done.stdout == b""
    assert (
        done.stderr.decode()
        == f"nbcollab textconv: {fifo}: not a regular file (a FIFO, device or socket)\n"
    )


@pytest.mark.slow
def test_git_diff_of_a_fifo_names_it_and_exits_0(fifo_and_good: tuple[Path, Path]) -> None:
    fifo, good = fifo_and_good
    done = _run(
        "git-diff",
        "x.ipynb",
        str(good),
        "0" * 40,
        "100644",
        str(fifo),
        "0" * 40,
        "100644",
        cwd=fifo.parent,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().endswith(
        f"cannot read {fifo}: not a regular file (a FIFO, device or socket)\n"
    )


def test_the_external_diff_of_a_device_is_not_read_forever(tmp_path: Path) -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero here")
    good = write_notebook(tmp_path / "good.ipynb", make_notebook(code_cell("x")))
    text = run_external_diff(
        ["nb.ipynb", str(good), "0" * 40, "100644", "/dev/zero", "0" * 40, "100644"]
    )
    assert text.endswith("cannot read /dev/zero: not a regular file (a FIFO, device or socket)\n")


@pytest.mark.parametrize("order", ["fifo-first", "fifo-second"])
def test_diff_reports_a_fifo_as_not_a_regular_file(
    fifo_and_good: tuple[Path, Path], order: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fifo, _good = fifo_and_good
    monkeypatch.chdir(fifo.parent)  # not a git repository: the old message said so
    args = ["x.ipynb", "good.ipynb"] if order == "fifo-first" else ["good.ipynb", "x.ipynb"]
    result = CliRunner().invoke(app, ["diff", *args])
    assert result.exit_code == 2
    assert result.output.strip().endswith("x.ipynb: not a regular file"), result.output


@pytest.mark.slow
def test_diff_of_a_fifo_as_a_subprocess(fifo_and_good: tuple[Path, Path]) -> None:
    fifo, _ = fifo_and_good
    done = _run("diff", "x.ipynb", "good.ipynb", cwd=fifo.parent)
    assert done.returncode == 2
    assert done.stderr.decode() == "nbcollab: error: x.ipynb: not a regular file\n"


def test_two_regular_files_still_diff(
    fifo_and_good: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, good = fifo_and_good
    other = write_notebook(good.parent / "other.ipynb", make_notebook(code_cell("print(2)")))
    monkeypatch.chdir(good.parent)
    result = CliRunner().invoke(app, ["diff", "--format", "json", good.name, other.name])
    assert result.exit_code == 1 and isinstance(json.loads(result.output), list)


# --- /dev/null: the side that does not exist, as git and nbdime name it ------------------------


def test_diff_with_dev_null_shows_a_notebook_added_or_deleted(tmp_path: Path) -> None:
    good = write_notebook(tmp_path / "new.ipynb", make_notebook(code_cell("print(1)")))
    added = CliRunner().invoke(app, ["diff", os.devnull, str(good)])
    assert added.exit_code == 1, added.output
    assert "cell 1 (code): added" in added.output and "+print(1)" in added.output
    deleted = CliRunner().invoke(app, ["diff", str(good), os.devnull])
    assert deleted.exit_code == 1 and "cell 1 (code): removed" in deleted.output
    assert CliRunner().invoke(app, ["diff", os.devnull, os.devnull]).exit_code == 0
    as_json = CliRunner().invoke(app, ["diff", "--format", "json", os.devnull, str(good)])
    assert as_json.exit_code == 1 and json.loads(as_json.stdout)


def test_merge_with_dev_null_as_base_merges_a_notebook_added_on_both_sides(tmp_path: Path) -> None:
    ours = write_notebook(tmp_path / "ours.ipynb", make_notebook(code_cell("a = 1", cell_id="a")))
    theirs = write_notebook(
        tmp_path / "theirs.ipynb",
        make_notebook(code_cell("a = 1", cell_id="a"), code_cell("b = 2", cell_id="b")),
    )
    out = tmp_path / "out.ipynb"
    done = CliRunner().invoke(app, ["merge", os.devnull, str(ours), str(theirs), "-o", str(out)])
    assert done.exit_code == 0, done.output
    assert ["".join(c["source"]) for c in json.loads(out.read_text())["cells"]] == [
        "a = 1",
        "b = 2",
    ]


@pytest.mark.parametrize("side", [1, 2])
def test_merge_with_dev_null_as_ours_or_theirs_says_only_the_base_can_be(
    tmp_path: Path, side: int
) -> None:
    good = write_notebook(tmp_path / "good.ipynb", make_notebook(code_cell("a = 1")))
    args = [str(good)] * 3
    args[side] = os.devnull
    done = CliRunner().invoke(app, ["merge", *args, "-o", str(tmp_path / "out.ipynb")])
    assert done.exit_code == 2 and "only BASE can be" in done.output
    assert not (tmp_path / "out.ipynb").exists()


def test_other_devices_and_fifos_stay_refused_as_a_side(
    fifo_and_good: tuple[Path, Path], tmp_path: Path
) -> None:
    fifo, good = fifo_and_good
    for odd in (str(fifo), "/dev/zero"):
        for args in (["diff", odd, str(good)], ["merge", odd, str(good), str(good)]):
            done = CliRunner().invoke(app, args)
            assert done.exit_code == 2 and "not a regular file" in done.output, (args, done.output)
