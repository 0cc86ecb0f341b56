"""clean --normalize, [tool.nbcollab.normalize] and the git filter keeping normalized outputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import git
from typer.testing import CliRunner

from nbcollab.clean.strip import clean_bytes
from nbcollab.cli.app import app
from nbcollab.options import CleanOptions


def notebook(text: str, count: int = 3) -> dict[str, Any]:
    return {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": count,
                "id": "c1",
                "metadata": {"ExecuteTime": {"end_time": "2024-01-01"}},
                "outputs": [
                    {"name": "stdout", "output_type": "stream", "text": text},
                    {"name": "stdout", "output_type": "stream", "text": "done\n"},
                ],
                "source": "run()",
            }
        ],
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


RUN = notebook("10%\r100%\nWall time: 1.5 s\n")


def test_normalize_keeps_outputs_and_counts_and_settles_them() -> None:
    data = json.dumps(RUN).encode()
    cleaned = json.loads(clean_bytes(data, path="nb.ipynb", options=CleanOptions(normalize=True)))
    cell = cleaned["cells"][0]
    assert cell["execution_count"] == 3
    assert cell["metadata"] == {}
    assert cell["outputs"] == [
        {
            "name": "stdout",
            "output_type": "stream",
            "text": ["100%\n", "Wall time: <duration>\n", "done\n"],
        }
    ]
    again = clean_bytes(
        json.dumps(cleaned).encode(), path="nb.ipynb", options=CleanOptions(normalize=True)
    )
    assert again is None or json.loads(again) == cleaned


def test_clean_normalize_command_and_check(tmp_path: Path) -> None:
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(RUN))
    runner = CliRunner()
    assert runner.invoke(app, ["clean", "--normalize", "--check", str(path)]).exit_code == 1
    assert runner.invoke(app, ["clean", "--normalize", str(path)]).exit_code == 0
    assert "<duration>" in path.read_text()
    assert runner.invoke(app, ["clean", "--normalize", "--check", str(path)]).exit_code == 0


def test_rules_and_nbval_sanitize_file_from_the_config(tmp_path: Path, monkeypatch: Any) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.nbcollab.clean]\nnormalize = true\n"
        '[tool.nbcollab.normalize]\nrules = []\nsanitize-file = "sanitize.cfg"\n'
        "replace = [{ regex = 'done', replace = 'DONE' }]\n"
    )
    (tmp_path / "sanitize.cfg").write_text("[percent]\nregex: \\d+%\nreplace: N%\n")
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(RUN))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["clean", str(path)])
    assert result.exit_code == 0, result.output
    text = "".join(json.loads(path.read_text())["cells"][0]["outputs"][0]["text"])
    assert text == "N%\nWall time: 1.5 s\nDONE\n"  # the duration rule is off, the user's ran


@pytest.mark.parametrize(
    "table",
    [
        '[tool.nbcollab.normalize]\nrules = ["adress"]\n',
        "[tool.nbcollab.normalize]\nreplace = [{ regex = '(', replace = 'x' }]\n",
        '[tool.nbcollab.normalize]\nsanitize-file = "missing.cfg"\n',
        "[tool.nbcollab.normalize]\nrenumbr = true\n",
    ],
)
def test_a_bad_normalize_table_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: Any, table: str
) -> None:
    (tmp_path / "pyproject.toml").write_text(table)
    (tmp_path / "nb.ipynb").write_text(json.dumps(RUN))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["clean", "--normalize", "nb.ipynb"])
    assert result.exit_code == 2
    assert "pyproject.toml" in result.output and len(result.output.strip().splitlines()) == 1


@pytest.mark.git
def test_the_filter_commits_normalized_outputs(git_repo: Path) -> None:
    from helpers import run_nbcollab

    (git_repo / "pyproject.toml").write_text("[tool.nbcollab.clean]\nnormalize = true\n")
    assert run_nbcollab("install", cwd=git_repo).returncode == 0
    path = git_repo / "nb.ipynb"
    path.write_text(json.dumps(RUN))
    git(git_repo, "add", ".")
    stored = json.loads(git(git_repo, "show", ":nb.ipynb").stdout)
    assert (
        "".join(stored["cells"][0]["outputs"][0]["text"]) == "100%\nWall time: <duration>\ndone\n"
    )
    git(git_repo, "commit", "-qm", "first run")
    # A re-run that changed only the timing is no change at all.
    path.write_text(json.dumps(notebook("10%\r50%\r100%\nWall time: 2.7 s\n")))
    assert git(git_repo, "diff", "--quiet", check=False).returncode == 0
    assert git(git_repo, "status", "--porcelain").stdout.strip() in ("", "M nb.ipynb")
    git(git_repo, "add", ".")
    assert git(git_repo, "diff", "--cached", "--quiet", check=False).returncode == 0
