"""A notebook whose JSON repeats a key is read as Jupyter reads it: the last value, one warning.

Real notebooks hold such files (a cell with ``"cell_type"`` twice, from a hand edit or an old
tool); Jupyter opens them, so every command accepts them, says once which key and which file,
and a merge goes on.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
from helpers import DRIVER, code_cell, git, make_notebook, run_nbcollab, write_notebook
from typer.testing import CliRunner

from nbcollab.clean.strip import clean_bytes
from nbcollab.cli.app import app
from nbcollab.notebook.codec import DuplicateKeyWarning, parse_notebook, parse_notebook_repeats

# A cell with "cell_type" twice, as found in a committed notebook of a public repository.
TWICE = (
    b'{"cells": [{"cell_type": "markdown", "cell_type": "code", "execution_count": null, '
    b'"metadata": {}, "outputs": [], "source": ["x = 1\\n", "y = 2"]}], '
    b'"metadata": {}, "nbformat": 4, "nbformat_minor": 4}'
)


def test_the_last_value_wins_with_one_warning_naming_the_key_and_the_file() -> None:
    with pytest.warns(DuplicateKeyWarning) as caught:
        nb = parse_notebook(TWICE, path="nb.ipynb")
    assert nb["cells"][0]["cell_type"] == "code"  # as json.loads (and so Jupyter) reads it
    assert nb == json.loads(TWICE) | {
        "cells": [{**json.loads(TWICE)["cells"][0], "source": "x = 1\ny = 2"}]
    }
    (warning,) = caught
    assert str(warning.message).startswith("nb.ipynb: ") and "'cell_type'" in str(warning.message)


def test_every_repeated_key_is_named_once() -> None:
    data = TWICE.replace(
        b'"metadata": {}, "nbformat"', b'"metadata": {}, "nbformat": 3, "nbformat"'
    )
    with pytest.warns(DuplicateKeyWarning) as caught:
        nb, repeated = parse_notebook_repeats(data, path="nb.ipynb")
    assert repeated == ["cell_type", "nbformat"] and nb["nbformat"] == 4
    assert len(caught) == 1 and "'cell_type', 'nbformat'" in str(caught[0].message)


def test_a_file_without_repeats_warns_nothing() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert parse_notebook_repeats(TWICE.replace(b'"cell_type": "markdown", ', b""))[1] == []


def test_clean_rewrites_it_as_jupyter_would_save_it() -> None:
    with pytest.warns(DuplicateKeyWarning):
        cleaned = clean_bytes(TWICE, path="nb.ipynb")
    assert cleaned is not None and cleaned.count(b'"cell_type"') == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert clean_bytes(cleaned, path="nb.ipynb") is None


def _files(tmp_path: Path) -> tuple[Path, Path]:
    path = tmp_path / "twice.ipynb"
    path.write_bytes(TWICE)
    good = write_notebook(
        tmp_path / "good.ipynb", make_notebook(code_cell("x = 1\ny = 2"), minor=4, metadata={})
    )
    return path, good


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["show", "{p}"], 0),
        (["clean", "--check", "{p}"], 1),
        (["diff", "{p}", "{g}"], 0),
        (["merge", "{g}", "{p}", "{g}"], 0),
        (["merge", "{p}", "{p}", "{p}"], 0),
        (["conflicts", "{p}"], 0),
        (["resolve", "--ours", "{p}"], 0),
        (["trust", "check", "{p}"], 0),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else str(value),
)
def test_every_command_accepts_it_and_says_so_once(
    tmp_path: Path, args: list[str], code: int
) -> None:
    path, good = _files(tmp_path)
    argv = [a.format(p=path, g=good) for a in args]
    done = CliRunner().invoke(app, argv)
    assert done.exit_code == code, done.output
    warned = [line for line in done.output.splitlines() if line.startswith("nbcollab: warning:")]
    assert len(warned) == 1 and str(path) in warned[0] and "'cell_type'" in warned[0], done.output


@pytest.mark.slow
def test_the_command_line_says_it_in_one_line(tmp_path: Path) -> None:
    path, good = _files(tmp_path)
    done = run_nbcollab("merge", str(good), str(path), str(good), "-o", str(tmp_path / "out.ipynb"))
    assert done.returncode == 0, done.stderr
    lines = done.stderr.decode().splitlines()
    assert [line for line in lines if "warning" in line] == [
        f"nbcollab: warning: {path}: a key repeated in one JSON object ('cell_type'): read as "
        "Jupyter reads it, the last value; saving the notebook (or 'nbcollab clean') drops the "
        "other"
    ]
    assert json.loads((tmp_path / "out.ipynb").read_text())["cells"][0]["cell_type"] == "code"


@pytest.mark.git
@pytest.mark.slow
def test_git_merges_a_notebook_with_a_repeated_key(git_repo: Path) -> None:
    # Only the merge driver: committed as they are, the versions keep their repeated key.
    git(git_repo, "config", "merge.nbcollab.driver", DRIVER)
    (git_repo / ".gitattributes").write_text("*.ipynb merge=nbcollab\n")
    nb = git_repo / "nb.ipynb"
    base = TWICE.replace(b'"y = 2"', b'"a\\n", "b\\n", "c\\n", "y = 2"')
    nb.write_bytes(base)
    git(git_repo, "add", ".")
    git(git_repo, "commit", "-qm", "base")
    git(git_repo, "switch", "-qc", "feature")
    nb.write_bytes(base.replace(b'"y = 2"', b'"y = 3"'))
    git(git_repo, "commit", "-qam", "theirs")
    git(git_repo, "switch", "-q", "main")
    nb.write_bytes(base.replace(b'"x = 1\\n"', b'"x = 0\\n"'))
    git(git_repo, "commit", "-qam", "ours")
    done = git(git_repo, "merge", "feature", check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "'cell_type'" in done.stderr and "line merge" not in done.stderr
    # All three versions repeat it: one warning names the three.
    said = [line for line in done.stderr.splitlines() if "repeated" in line]
    assert said == [
        "nbcollab: warning: nb.ipynb (base, ours, theirs): a key repeated in one JSON object "
        "('cell_type'): read as Jupyter reads it, the last value; saving the notebook (or "
        "'nbcollab clean') drops the other"
    ]
    merged = json.loads(nb.read_text())
    assert "".join(merged["cells"][0]["source"]) == "x = 0\na\nb\nc\ny = 3"
