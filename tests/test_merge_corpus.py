"""Replay every real merge of the corpus (both sides modified or both added) through `nbcollab merge`.

For each case: no crash, a valid notebook, and no source line that either side introduced missing
from the result (inside conflict markers if need be). Inputs that are not notebooks must give the
one-line error (exit 2), and the git driver must fall back to git's line merge for them.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import nbformat
import pytest
from helpers import CORPUS_MERGES
from typer.testing import CliRunner

from nbcollab.cli.app import app
from nbcollab.git.merge_driver import run_git_merge
from nbcollab.merge.conflicts import find_conflicts, read_record

pytestmark = pytest.mark.corpus


def _cases() -> list[Path]:
    if not CORPUS_MERGES.is_dir():
        return []
    return [
        case
        for case in sorted(CORPUS_MERGES.iterdir())
        if (case / "case.json").is_file()
        and json.loads((case / "case.json").read_text())["change_kind"] in ("M/M", "A/A")
    ]


CASES = _cases()


def source_lines(nb: dict[str, Any]) -> set[str]:
    """Every line of every cell's text (v3 code cells keep it in ``input``)."""
    if nb.get("nbformat") == 3:
        cells = [cell for ws in nb.get("worksheets", []) for cell in ws["cells"]]
    else:
        cells = nb["cells"]
    lines: set[str] = set()
    for cell in cells:
        key = "input" if nb.get("nbformat") == 3 and cell.get("cell_type") == "code" else "source"
        text = cell.get(key, "")
        text = "".join(text) if isinstance(text, list) else text
        lines.update(line.rstrip("\r\n") for line in text.splitlines())
    return lines


def _load(path: Path) -> dict[str, Any] | None:
    data = path.read_bytes()
    return json.loads(data) if data.strip() else None


@pytest.mark.skipif(not CASES, reason=f"merge corpus not found at {CORPUS_MERGES}")
@pytest.mark.parametrize("case", CASES, ids=[case.name[:40] for case in CASES])
def test_replay_corpus_merge(case: Path, tmp_path: Path) -> None:
    out = tmp_path / "merged.ipynb"
    files = [str(case / f"{name}.ipynb") for name in ("base", "p1", "p2")]
    done = CliRunner().invoke(app, ["merge", *files, "-o", str(out), "--no-sign"])
    if done.exit_code == 2:  # an input is not a notebook: a clear message, nothing written
        assert "nbcollab: error:" in done.output and not out.exists()
        _assert_driver_falls_back(case, tmp_path)
        return
    assert done.exit_code in (0, 1), done.output
    assert done.exception is None or isinstance(done.exception, SystemExit), done.exception
    nbformat.validate(nbformat.read(out, as_version=nbformat.NO_CONVERT))
    result = json.loads(out.read_text(encoding="utf-8"))
    # every recorded conflict is visible in the file, and a conflict exit has a record
    recorded = read_record(result)
    assert len([f for f in find_conflicts(result) if f.kind != "markers"]) == len(recorded)
    assert bool(recorded) == (done.exit_code == 1)
    merged = source_lines(result)
    base = _load(case / "base.ipynb")
    introduced = set()
    for side in ("p1", "p2"):
        introduced |= source_lines(_load(case / f"{side}.ipynb") or {"cells": []})
    lost = introduced - (source_lines(base) if base else set()) - merged
    assert not lost, f"lines lost: {sorted(lost)[:5]}"


def _assert_driver_falls_back(case: Path, tmp_path: Path) -> None:
    copies = []
    for name in ("base", "p1", "p2"):
        copies.append(str(shutil.copyfile(case / f"{name}.ipynb", tmp_path / name)))
    code = run_git_merge([*copies, "7", "nb.ipynb"])
    assert code in (0, 1)


@pytest.mark.skipif(not CASES, reason=f"merge corpus not found at {CORPUS_MERGES}")
@pytest.mark.parametrize("case", CASES, ids=[case.name[:40] for case in CASES])
def test_resolve_every_corpus_conflict_to_each_side(case: Path) -> None:
    from nbcollab.errors import InvalidNotebook
    from nbcollab.merge.notebook import merge_notebooks
    from nbcollab.merge.resolve import Resolution, resolve_conflicts
    from nbcollab.notebook.codec import parse_notebook, serialize_notebook

    try:
        sides = [
            parse_notebook((case / f"{name}.ipynb").read_bytes(), path=name)
            if (case / f"{name}.ipynb").read_bytes().strip()
            else None
            for name in ("base", "p1", "p2")
        ]
    except InvalidNotebook:
        pytest.skip("an input is not a notebook")
    merged = merge_notebooks(sides[0], sides[1], sides[2]).notebook  # type: ignore[arg-type]
    recorded = read_record(merged)
    for choice in Resolution:
        outcome = resolve_conflicts(merged, choice)
        assert outcome.failed == [] and outcome.resolved == len(recorded)
        assert find_conflicts(outcome.notebook) == []
        nbformat.validate(
            nbformat.reads(serialize_notebook(outcome.notebook), as_version=nbformat.NO_CONVERT)
        )
