"""Deeply nested notebooks: every nesting ``notebook.check`` admits (up to its limit) diffs in
every format, through every place a value can nest (notebook and cell metadata, outputs and
their metadata, attachments), and one level more is refused as bad input, never a RecursionError."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from nbcollab.cli.app import app
from nbcollab.errors import InvalidNotebook
from nbcollab.git.diff_driver import run_external_diff
from nbcollab.notebook.codec import parse_notebook


def _nested(depth: int, leaf: Any, *, as_list: bool) -> Any:
    value = leaf
    for _ in range(depth):
        value = [value] if as_list else {"k": value}
    return value


def _cell(place: str, deep: Any) -> dict[str, Any]:
    cell: dict[str, Any] = {
        "cell_type": "code",
        "id": "c",
        "metadata": {},
        "source": "x",
        "outputs": [],
        "execution_count": None,
    }
    if place == "cell-metadata":
        cell["metadata"] = {"deep": deep}
    elif place == "output-data":
        cell["outputs"] = [
            {
                "output_type": "execute_result",
                "execution_count": 1,
                "metadata": {},
                "data": {"application/json": deep},
            }
        ]
    elif place == "output-metadata":
        cell["outputs"] = [
            {"output_type": "display_data", "metadata": {"deep": deep}, "data": {"text/plain": "x"}}
        ]
    elif place == "attachment":
        return {
            "cell_type": "markdown",
            "id": "c",
            "metadata": {},
            "source": "x",
            "attachments": {"a.png": {"image/png": deep}},
        }
    return cell


def _notebook(place: str, depth: int, leaf: Any, *, as_list: bool) -> bytes:
    deep = _nested(depth, leaf, as_list=as_list)
    metadata = {"deep": deep} if place == "notebook-metadata" else {}
    nb = {"cells": [_cell(place, deep)], "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(nb).encode()


def _deepest(make: Callable[[int], bytes]) -> int:
    """The deepest nesting the check admits at this place: at the limit by construction."""
    depth = 1
    while True:
        try:
            parse_notebook(make(depth + 1), path="x.ipynb")
        except InvalidNotebook:
            return depth
        depth += 1


PLACES = ["notebook-metadata", "cell-metadata", "output-data", "output-metadata", "attachment"]


@pytest.fixture(
    params=[(p, lst) for p in PLACES for lst in (False, True)],
    ids=lambda p: f"{p[0]}-{'list' if p[1] else 'dict'}",
)
def at_the_limit(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, Path, Path]:
    place, as_list = request.param
    depth = _deepest(lambda d: _notebook(place, d, 1, as_list=as_list))
    assert depth >= 90  # the limit is 100 from the top of the notebook
    old = tmp_path / "old.ipynb"
    old.write_bytes(_notebook(place, depth, 1, as_list=as_list))
    new = tmp_path / "new.ipynb"
    new.write_bytes(_notebook(place, depth, 2, as_list=as_list))
    deeper = tmp_path / "deeper.ipynb"
    deeper.write_bytes(_notebook(place, depth + 1, 2, as_list=as_list))
    return old, new, deeper


@pytest.mark.parametrize("fmt", ["json", "text", "html"])
@pytest.mark.parametrize("flag", [None, "--ignore-ids", "--normalize-outputs", "--word-diff"])
def test_the_deepest_admitted_notebook_diffs(
    at_the_limit: tuple[Path, Path, Path], fmt: str, flag: str | None
) -> None:
    old, new, _ = at_the_limit
    args = ["diff", "--format", fmt, *([flag] if flag else []), str(old), str(new)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output  # they differ, deep inside
    if fmt == "json":
        assert json.loads(result.output)


def test_one_level_more_is_bad_input(at_the_limit: tuple[Path, Path, Path]) -> None:
    old, _, deeper = at_the_limit
    result = CliRunner().invoke(app, ["diff", "--format", "json", str(old), str(deeper)])
    assert result.exit_code == 2 and "RecursionError" not in result.output
    assert "nested" in result.output, result.output


def test_the_git_diff_driver_at_the_limit(at_the_limit: tuple[Path, Path, Path]) -> None:
    old, new, _ = at_the_limit
    text = run_external_diff(
        ["x.ipynb", str(old), "0" * 40, "100644", str(new), "0" * 40, "100644"]
    )
    assert "could not diff it" not in text and "not a notebook" not in text
