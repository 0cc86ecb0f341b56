"""clean over every real notebook of the corpus: cleaned, idempotent, still valid, or refused."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import copy_to, corpus_notebooks, requires_corpus

from nbcollab.clean.strip import clean_bytes, clean_file, clean_notebook
from nbcollab.errors import InvalidNotebook
from nbcollab.notebook.codec import parse_notebook

pytestmark = [requires_corpus, pytest.mark.corpus]
NOTEBOOKS = corpus_notebooks()


def schema_valid(raw: dict) -> bool:
    """nbformat's verdict, without letting it repair anything."""
    from nbformat.validator import isvalid

    try:
        return isvalid(copy.deepcopy(raw))
    except AssertionError:  # nbformat would have had to change the notebook
        return False


def readable(path: Path) -> bool:
    try:
        parse_notebook(path.read_bytes(), path=str(path))
    except InvalidNotebook:
        return False
    return True


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem[-60:])
def test_corpus_notebook_is_cleaned_idempotently_and_stays_valid(path: Path) -> None:
    data = path.read_bytes()
    try:
        once = clean_bytes(data, path=str(path))
    except InvalidNotebook as exc:
        assert str(exc).startswith(str(path))  # refused with a message naming the file
        return
    cleaned = data if once is None else once
    with_notebook = clean_file(data, path=str(path))
    assert with_notebook is None if once is None else with_notebook.data == once
    if with_notebook is not None:  # what the output cache indexes instead of parsing the blob
        assert json.loads(with_notebook.data) == with_notebook.notebook
    parsed = parse_notebook(data)
    assert (once is None) == (clean_notebook(parsed) == parsed)  # change tracking is exact
    assert clean_bytes(cleaned, path=str(path)) is None, "a second clean changed the file"
    raw, result = json.loads(data), json.loads(cleaned)
    assert result["nbformat"] == raw["nbformat"]  # v3 stays v3
    if schema_valid(raw):
        assert schema_valid(result)
    if result["nbformat"] == 4 and "keep_output" not in result["metadata"]:
        for cell in result["cells"]:
            if cell["cell_type"] == "code" and not {"tags", "keep_output"} & set(cell["metadata"]):
                assert cell["outputs"] == [] and cell["execution_count"] is None


def test_the_corpus_covers_what_the_tests_claim() -> None:
    """Guard against a corpus that silently stops exercising v3, invalid JSON or id repair."""
    majors, unreadable = [], 0
    for path in NOTEBOOKS:
        try:
            majors.append(parse_notebook(path.read_bytes())["nbformat"])
        except InvalidNotebook:
            unreadable += 1
    assert majors.count(3) >= 1 and majors.count(4) >= 150 and unreadable >= 3


def test_invalid_files_exit_2_untouched_and_the_rest_are_cleaned(tmp_path: Path) -> None:
    copies = [copy_to(tmp_path, path) for path in NOTEBOOKS]
    bad = [path for path in copies if not readable(path)]
    before = {path: path.read_bytes() for path in bad}
    done = subprocess.run(
        [sys.executable, "-m", "nbcollab", "clean", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    for path in bad:
        assert path.read_bytes() == before[path]
        assert f"nbcollab: error: {path}" in done.stderr
    assert done.stderr.count("nbcollab: error:") == len(bad)
    again = subprocess.run(
        [
            sys.executable,
            "-m",
            "nbcollab",
            "clean",
            "--check",
            *(str(p) for p in copies if p not in before),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert again.returncode == 0 and again.stdout == ""
    shutil.rmtree(tmp_path)
