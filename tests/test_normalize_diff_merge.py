"""The normalizer behind diff --normalize-outputs and the merge's output handling."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from nbcollab.cli.app import app
from nbcollab.merge.notebook import merge_notebooks
from nbcollab.options import MergeOptions, OutputStrategy


def run(outputs: list[Any], count: int = 1, source: str = "x = Foo()\nx") -> dict[str, Any]:
    return {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": count,
                "id": "a1",
                "metadata": {},
                "outputs": outputs,
                "source": source,
            }
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def repr_output(address: str, count: int = 1) -> dict[str, Any]:
    return {
        "data": {"text/plain": f"<Foo at {address}>"},
        "execution_count": count,
        "metadata": {},
        "output_type": "execute_result",
    }


FIRST = run([repr_output("0x7f3b2c1d0e80")])
SECOND = run([repr_output("0x7f00aa11bb22")])
REAL = run([{"name": "stdout", "output_type": "stream", "text": "42\n"}])


def write(tmp_path: Path, name: str, nb: dict[str, Any]) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(nb))
    return str(path)


def test_diff_normalize_outputs_hides_only_volatile_changes(tmp_path: Path) -> None:
    a, b, c = (
        write(tmp_path, n, nb)
        for n, nb in (("a.ipynb", FIRST), ("b.ipynb", SECOND), ("c.ipynb", REAL))
    )
    runner = CliRunner()
    assert runner.invoke(app, ["diff", a, b]).exit_code == 1
    same = runner.invoke(app, ["diff", "--normalize-outputs", a, b])
    assert same.exit_code == 0, same.output
    json_same = runner.invoke(app, ["diff", "--normalize-outputs", "--format", "json", a, b])
    assert json.loads(json_same.output) == []  # one notion of equal, in JSON too
    assert runner.invoke(app, ["diff", "--normalize-outputs", a, c]).exit_code == 1


def test_diff_normalize_outputs_from_the_config(tmp_path: Path, monkeypatch: Any) -> None:
    a, b = write(tmp_path, "a.ipynb", FIRST), write(tmp_path, "b.ipynb", SECOND)
    (tmp_path / "pyproject.toml").write_text("[tool.nbcollab.diff]\nnormalize-outputs = true\n")
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(app, ["diff", a, b]).exit_code == 0


def test_outputs_equal_after_normalizing_are_no_conflict() -> None:
    base = run([], None)
    result = merge_notebooks(
        base, FIRST, SECOND, options=MergeOptions(outputs=OutputStrategy.CONFLICT)
    )
    assert not result.conflicts
    assert result.notebook["cells"][0]["outputs"] == FIRST["cells"][0]["outputs"]


def test_outputs_that_really_differ_still_conflict() -> None:
    base = run([], None)
    result = merge_notebooks(
        base, FIRST, REAL, options=MergeOptions(outputs=OutputStrategy.CONFLICT)
    )
    assert result.conflicts


def test_a_side_that_only_reran_takes_the_other_sides_real_change() -> None:
    base = copy.deepcopy(FIRST)
    result = merge_notebooks(
        base, SECOND, REAL, options=MergeOptions(outputs=OutputStrategy.CONFLICT)
    )
    assert not result.conflicts
    assert result.notebook["cells"][0]["outputs"] == REAL["cells"][0]["outputs"]
