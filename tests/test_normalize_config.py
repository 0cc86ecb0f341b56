"""``[tool.nbcollab.normalize]`` means the same to every command that normalizes outputs:
``clean --normalize``, ``diff --normalize-outputs``, the merge's output comparison and
``lint --execute``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import code_cell, make_notebook, stream_output, write_notebook
from hypothesis import given, settings
from hypothesis import strategies as st
from test_sanitize_file import NBVAL_FILES
from typer.testing import CliRunner

from nbcollab.cli.app import app
from nbcollab.config.load import load_config
from nbcollab.execute.compare import OutputComparer
from nbcollab.merge.notebook import merge_notebooks
from nbcollab.options import MergeOptions, NormalizeOptions, Replacement


def test_a_sanitize_file_from_nbvals_suite_in_the_config(tmp_path: Path) -> None:
    (tmp_path / "sanitize.cfg").write_text(NBVAL_FILES["tests/sanitize_defaults.cfg"])
    (tmp_path / "pyproject.toml").write_text(
        '[tool.nbcollab.normalize]\nsanitize-file = "sanitize.cfg"\n'
    )
    normalize = load_config(tmp_path).normalize
    assert [r.replace for r in normalize.replace][:2] == ["DATESTAMP", "DATESTAMP"]
    config = load_config(tmp_path)
    # Every section that normalizes outputs carries the same rules.
    assert {
        config.clean.normalize_options,
        config.diff.normalize_options,
        config.merge.normalize_options,
    } == {normalize}


# Two runs of one notebook: what differs is only what the project's own rules replace.
PYPROJECT = (
    "[tool.nbcollab.clean]\nnormalize = true\n"
    "[tool.nbcollab.normalize]\n"
    'sanitize-file = "sanitize.cfg"\n'
    "replace = [{ regex = 'run-[0-9a-f]{6}', replace = 'run-ID' }]\n"
)
SANITIZE = "[Dates]\nregex: \\d{4}-\\d\\d-\\d\\d\nreplace: DATE\n"


def two_runs(day: str, run_id: str) -> dict[str, Any]:
    return make_notebook(
        code_cell(
            "report()",
            outputs=[stream_output(f"report of {day}, {run_id}\n")],
            count=1,
            cell_id="a",
        )
    )


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "sanitize.cfg").write_text(SANITIZE)
    write_notebook(tmp_path / "a.ipynb", two_runs("2024-05-01", "run-abc123"))
    write_notebook(tmp_path / "b.ipynb", two_runs("2025-01-31", "run-ffee00"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_files_that_clean_to_the_same_bytes_do_not_differ(project: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["diff", "a.ipynb", "b.ipynb"]).exit_code == 1
    assert runner.invoke(app, ["diff", "--normalize-outputs", "a.ipynb", "b.ipynb"]).exit_code == 0
    assert runner.invoke(app, ["clean", "a.ipynb", "b.ipynb"]).exit_code == 0
    assert (project / "a.ipynb").read_bytes() == (project / "b.ipynb").read_bytes()


def test_a_pair_is_compared_by_the_project_of_its_second_file(project: Path) -> None:
    other = project / "other"
    other.mkdir()
    (other / "pyproject.toml").write_text("[tool.nbcollab.diff]\nignore-outputs = true\n")
    write_notebook(other / "b.ipynb", two_runs("2025-01-31", "run-ffee00"))
    # The new side's folder decides, as git's diff driver decides by the notebook's path.
    assert CliRunner().invoke(app, ["diff", "a.ipynb", "other/b.ipynb"]).exit_code == 0
    assert CliRunner().invoke(app, ["diff", "other/b.ipynb", "a.ipynb"]).exit_code == 1


TEXTS = st.sampled_from(["2024-05-01", "1999-12-31", "run-abc123", "run-000000", "x", "42", " "])


@settings(max_examples=60, deadline=None)
@given(old=st.lists(TEXTS, min_size=1, max_size=6), new=st.lists(TEXTS, min_size=1, max_size=6))
def test_diff_says_equal_exactly_when_clean_normalize_gives_equal_outputs(
    old: list[str], new: list[str]
) -> None:
    from nbcollab.clean.normalize import normalize_in_place
    from nbcollab.options import DiffFormat, DiffOptions
    from nbcollab.render.diffs import NotebookSides, render_diffs

    options = NormalizeOptions(
        replace=(
            Replacement(regex=r"\d{4}-\d\d-\d\d", replace="DATE"),
            Replacement(regex="run-[0-9a-f]{6}", replace="run-ID"),
        )
    )
    a, b = (two_runs(" ".join(words), "") for words in (old, new))
    cleaned_a, cleaned_b = json.loads(json.dumps(a)), json.loads(json.dumps(b))
    normalize_in_place(cleaned_a, options=options)
    normalize_in_place(cleaned_b, options=options)
    compared = DiffOptions(normalize_outputs=True, normalize_options=options)
    pair = NotebookSides("a", "b", a, b, "b", options=compared)
    _, different = render_diffs([pair], fmt=DiffFormat.TEXT)
    assert different == (cleaned_a != cleaned_b)


def test_the_merge_compares_outputs_by_the_projects_rules() -> None:
    base = two_runs("2024-05-01", "run-abc123")
    ours = two_runs("2024-06-01", "run-abc123")  # re-run only: the date changed
    theirs = two_runs("2024-07-01", "run-abc123")
    theirs["cells"][0]["source"] = "report(full=True)"
    plain = merge_notebooks(base, ours, theirs, options=MergeOptions())
    rules = NormalizeOptions(replace=(Replacement(regex=r"\d{4}-\d\d-\d\d", replace="DATE"),))
    normalized = merge_notebooks(base, ours, theirs, options=MergeOptions(normalize_options=rules))
    # Without the rule both sides changed the output differently: neither is kept.
    assert plain.notebook["cells"][0]["outputs"] == []
    # With it, the outputs are the same once normalized: one is kept, and nothing conflicts.
    assert normalized.clean
    assert normalized.notebook["cells"][0]["outputs"] == ours["cells"][0]["outputs"]


def test_runs_are_compared_by_the_projects_rules(project: Path) -> None:
    from nbcollab.cli.execution import RequestsByFolder

    request = RequestsByFolder()(project / "a.ipynb")  # lint --execute, execute, pytest --nbcollab
    stored, fresh = (
        [stream_output(f"report of {day}, {run}\n")]
        for day, run in (("2024-05-01", "run-abc123"), ("2025-01-31", "run-ffee00"))
    )
    assert OutputComparer().first_difference(stored, fresh) is not None
    assert OutputComparer(request.normalize).first_difference(stored, fresh) is None
