"""Which files `clean` (and every command that takes folders) touches: never outside the folder
given, never a FIFO or device, never more than a bounded read."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import code_cell, make_notebook, stream_output, write_notebook
from typer.testing import CliRunner

from nbcollab.cli.app import app
from nbcollab.cli.clean import expand_notebook_paths


def _dirty(path: Path) -> Path:
    nb = make_notebook(code_cell("x", outputs=[stream_output("secret\n")], count=1, cell_id="a"))
    return write_notebook(path, nb)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """tree/ with its own notebook, and links to a notebook and a folder outside it."""
    outside = tmp_path / "outside"
    outside.mkdir()
    _dirty(outside / "secret.ipynb")
    root = tmp_path / "tree"
    (root / "sub").mkdir(parents=True)
    _dirty(root / "own.ipynb")
    (root / "link.ipynb").symlink_to(outside / "secret.ipynb")
    (root / "sub" / "linked-folder").symlink_to(outside, target_is_directory=True)
    (root / "inner.ipynb").symlink_to("own.ipynb")  # inside the tree: fine
    (root / "loop.ipynb").symlink_to("loop.ipynb")
    (root / "gone.ipynb").symlink_to("nowhere.ipynb")
    (root / "sub" / "self").symlink_to(".", target_is_directory=True)
    return root


def test_a_folder_walk_never_leaves_the_folder(tree: Path, capsys: pytest.CaptureFixture) -> None:
    found = expand_notebook_paths([tree])
    assert found == [tree / "inner.ipynb", tree / "own.ipynb"]
    err = capsys.readouterr().err
    assert f"skipped {tree / 'link.ipynb'}: a symbolic link to a file outside {tree}" in err
    assert f"skipped {tree / 'sub' / 'linked-folder'}: a symbolic link to a folder outside" in err
    assert f"skipped {tree / 'loop.ipynb'}: a broken symbolic link (or a loop of links)" in err
    assert f"skipped {tree / 'gone.ipynb'}: a broken symbolic link" in err
    assert err.count("\n") == 4


def test_clean_of_a_folder_leaves_a_notebook_linked_from_outside_alone(tree: Path) -> None:
    secret = tree.parent / "outside" / "secret.ipynb"
    before = secret.read_bytes()
    result = CliRunner().invoke(app, ["clean", str(tree)])
    assert result.exit_code == 0, result.output
    assert secret.read_bytes() == before
    assert "secret" not in (tree / "own.ipynb").read_text()
    assert "skipped" in result.output and "link.ipynb" in result.output
    # Named explicitly, a link is followed: the user asked for that file.
    assert CliRunner().invoke(app, ["clean", str(tree / "link.ipynb")]).exit_code == 0
    assert secret.read_bytes() != before


@pytest.mark.slow
@pytest.mark.parametrize(
    "args", [["clean", "--check"], ["conflicts"], ["trust", "check"]], ids=lambda a: a[0]
)
def test_a_fifo_in_a_folder_is_skipped_without_blocking(tmp_path: Path, args: list[str]) -> None:
    _dirty(tmp_path / "nb.ipynb")
    os.mkfifo(tmp_path / "x.ipynb")
    done = subprocess.run(
        [sys.executable, "-m", "nbcollab", *args, "."],
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert b"skipped x.ipynb: not a regular file" in done.stderr or (
        b"skipped ./x.ipynb: not a regular file" in done.stderr
    ), done.stderr
    assert b"Traceback" not in done.stderr and done.returncode in (0, 1)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["fifo", "/dev/zero"])
def test_a_fifo_or_device_named_explicitly_is_an_error(tmp_path: Path, name: str) -> None:
    path = tmp_path / "x.ipynb"
    if name == "fifo":
        os.mkfifo(path)
    else:
        if not Path(name).exists():
            pytest.skip("no /dev/zero here")
        path = Path(name)
    done = subprocess.run(
        [sys.executable, "-m", "nbcollab", "clean", str(path)],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert (
        done.stderr.decode()
        == f"nbcollab: error: {path}: not a regular file (a FIFO, device or socket)\n"
    )


def test_stdin_is_read_up_to_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    from nbcollab import files as notebook_io

    monkeypatch.setattr(notebook_io, "MAX_NOTEBOOK_BYTES", 100)
    result = CliRunner().invoke(app, ["clean", "--stdin"], input=b" " * 101)
    assert result.exit_code == 2
    assert "<stdin>: larger than 100 bytes" in result.output
