"""Conflict markers, the conflict record, `nbcollab conflicts` and `nbcollab resolve`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
import pytest
from helpers import (
    code_cell,
    make_notebook,
    markdown_cell,
    run_nbcollab,
    stream_output,
    write_notebook,
)
from typer.testing import CliRunner

from nbcollab.cli.app import app
from nbcollab.merge.conflicts import find_conflicts
from nbcollab.merge.markers import find_hunks, find_line_block
from nbcollab.merge.notebook import merge_notebooks
from nbcollab.merge.record import SourceConflict, SourceHunk
from nbcollab.merge.resolve import Resolution, resolve_conflicts, resolved_text
from nbcollab.merge.values import MergeLabels
from nbcollab.notebook.codec import serialize_notebook
from nbcollab.options import MergeOptions, OutputStrategy

LABELS = MergeLabels(ours="main", theirs="feature")
CONFLICTED = "a\n<<<<<<< main\nb1\n=======\nb2\n>>>>>>> feature\nc"
MARKERS = ("<<<<<<< main\n", "=======\n", ">>>>>>> feature\n")


def _entry(text: str, *hunks: SourceHunk) -> SourceConflict:
    return SourceConflict(markers=MARKERS, hunks=list(hunks), length=len(text))


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        (Resolution.OURS, "a\nb1\nc"),
        (Resolution.THEIRS, "a\nb2\nc"),
        (Resolution.UNION, "a\nb1\nb2\nc"),
        (Resolution.UNION_THEIRS_FIRST, "a\nb2\nb1\nc"),
        (Resolution.BASE, "a\nb\nc"),
    ],
)
def test_resolve_hunks_from_the_record(choice: Resolution, expected: str) -> None:
    entry = _entry(CONFLICTED, SourceHunk(base="b\n", ours="b1\n", theirs="b2\n", at=2))
    assert resolved_text(CONFLICTED, entry, choice) == expected


def test_a_hunk_is_found_as_written_never_by_its_marker_lines() -> None:
    # ours holds a separator-like line: read as syntax it would end ours early
    hunk = SourceHunk(base="x\n", ours="=======\n>>>>>>> feature\n", theirs="y\n", at=0)
    text = "<<<<<<< main\n=======\n>>>>>>> feature\n=======\ny\n>>>>>>> feature\n"
    entry = _entry(text, hunk)
    assert find_hunks(text, MARKERS, [hunk], len(text)) == [0]
    assert resolved_text(text, entry, Resolution.OURS) == hunk.ours
    assert resolved_text(text, entry, Resolution.THEIRS) == "y\n"
    # the same block not at the start of a line is not the hunk
    assert find_hunks("x" + text, MARKERS, [hunk], len(text)) == [None]
    assert find_line_block("ab\ncd", "cd") == 3 and find_line_block("abcd", "cd") is None


def _conflicted_notebook(**options: Any) -> dict[str, Any]:
    def version(text: str, out: str) -> dict[str, Any]:
        return make_notebook(
            code_cell(text, cell_id="one", outputs=[stream_output(out)]),
            code_cell("keep", cell_id="two"),
        )

    return merge_notebooks(
        version("v = 1", "1\n"),
        version("v = 2", "2\n"),
        version("v = 3", "3\n"),
        options=MergeOptions(**options),
        labels=LABELS,
    ).notebook


def _valid(nb: dict[str, Any]) -> None:
    nbformat.validate(nbformat.reads(serialize_notebook(nb), as_version=nbformat.NO_CONVERT))


@pytest.mark.parametrize(
    ("choice", "source", "outputs"),
    [
        (Resolution.OURS, "v = 2", ["2\n"]),
        (Resolution.THEIRS, "v = 3", ["3\n"]),
        (Resolution.BASE, "v = 1", ["1\n"]),
        (Resolution.UNION, "v = 2\nv = 3", ["2\n", "3\n"]),
    ],
)
def test_resolve_source_and_outputs(choice: Resolution, source: str, outputs: list[str]) -> None:
    nb = _conflicted_notebook(outputs=OutputStrategy.CONFLICT)
    assert [f.kind for f in find_conflicts(nb)] == ["source", "outputs"]
    outcome = resolve_conflicts(nb, choice)
    cell = outcome.notebook["cells"][0]
    assert (outcome.resolved, outcome.failed) == (2, [])
    assert cell["source"] == source
    assert [out["text"] for out in cell["outputs"]] == outputs
    assert "nbcollab" not in outcome.notebook["metadata"]
    assert find_conflicts(outcome.notebook) == []
    _valid(outcome.notebook)


def test_resolve_one_cell_keeps_the_rest_recorded() -> None:
    nb = _conflicted_notebook()
    assert resolve_conflicts(nb, Resolution.OURS, cell=1).resolved == 0
    outcome = resolve_conflicts(nb, Resolution.OURS, cell=0)
    assert outcome.resolved == 1 and find_conflicts(outcome.notebook) == []


def test_markers_resolved_by_hand_leave_only_the_stale_record() -> None:
    nb = _conflicted_notebook()
    nb["cells"][0]["source"] = "v = 5"
    assert [f.kind for f in find_conflicts(nb)] == ["stale-record"]
    outcome = resolve_conflicts(nb, Resolution.OURS)
    assert (outcome.resolved, outcome.cleared) == (0, 1)
    assert "nbcollab" not in outcome.notebook["metadata"]
    assert outcome.notebook["cells"][0]["source"] == "v = 5"
    assert find_conflicts(outcome.notebook) == []


def test_marker_like_content_without_a_record_is_no_conflict() -> None:
    nb = make_notebook(code_cell(CONFLICTED), code_cell("fine"))
    assert find_conflicts(nb) == []
    outcome = resolve_conflicts(nb, Resolution.THEIRS)
    assert outcome.resolved == 0 and outcome.notebook == nb


def _delete_edit(deleting_side: str) -> dict[str, Any]:
    base = make_notebook(code_cell("a", cell_id="a"), code_cell("b", cell_id="b"))
    edited = make_notebook(code_cell("a", cell_id="a"), code_cell("B", cell_id="b"))
    deleted = make_notebook(code_cell("a", cell_id="a"))
    sides = (deleted, edited) if deleting_side == "ours" else (edited, deleted)
    return merge_notebooks(base, *sides, labels=LABELS).notebook


@pytest.mark.parametrize(
    ("deleting", "choice", "expected"),
    [
        ("ours", Resolution.OURS, ["a"]),
        ("ours", Resolution.THEIRS, ["a", "B"]),
        ("ours", Resolution.BASE, ["a", "b"]),
        ("theirs", Resolution.THEIRS, ["a"]),
        ("theirs", Resolution.OURS, ["a", "B"]),
        ("theirs", Resolution.UNION, ["a", "B"]),
    ],
)
def test_resolve_delete_edit(deleting: str, choice: Resolution, expected: list[str]) -> None:
    outcome = resolve_conflicts(_delete_edit(deleting), choice)
    assert [c["source"] for c in outcome.notebook["cells"]] == expected
    assert find_conflicts(outcome.notebook) == []


@pytest.mark.parametrize(
    ("choice", "owner"),
    [
        (Resolution.OURS, "ann"),
        (Resolution.THEIRS, "bob"),
        (Resolution.BASE, None),
    ],
)
def test_resolve_metadata(choice: Resolution, owner: str | None) -> None:
    versions = [make_notebook(code_cell("a", cell_id="a")) for _ in range(3)]
    versions[1]["cells"][0]["metadata"]["owner"] = "ann"
    versions[2]["cells"][0]["metadata"]["owner"] = "bob"
    versions[1]["metadata"]["kernelspec"]["name"] = "k1"
    # Another language: two kernels of one language would be no conflict.
    versions[2]["metadata"]["kernelspec"] = {"name": "k2", "language": "R", "display_name": "R"}
    nb = merge_notebooks(*versions, labels=LABELS).notebook
    assert [f.kind for f in find_conflicts(nb)] == ["notebook-metadata", "metadata"]
    outcome = resolve_conflicts(nb, choice)
    (cell,) = outcome.notebook["cells"]
    assert (cell["source"], cell["metadata"].get("owner")) == ("a", owner)
    assert (
        outcome.notebook["metadata"]["kernelspec"]["name"]
        == {Resolution.OURS: "k1", Resolution.THEIRS: "k2", Resolution.BASE: "python3"}[choice]
    )
    _valid(outcome.notebook)


# --- the commands ------------------------------------------------------------------------------


@pytest.fixture
def conflicted_file(tmp_path: Path) -> Path:
    path = tmp_path / "merged.ipynb"
    path.write_text(serialize_notebook(_conflicted_notebook()), encoding="utf-8")
    return path


def test_conflicts_command(conflicted_file: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    done = runner.invoke(app, ["conflicts", str(conflicted_file)])
    assert done.exit_code == 1
    assert "cell 1 (id one): both sides changed the same lines" in done.output
    clean = write_notebook(tmp_path / "clean.ipynb", make_notebook(code_cell("x")))
    assert runner.invoke(app, ["conflicts", str(clean)]).exit_code == 0


@pytest.mark.slow
def test_conflicts_in_a_file_git_merged_as_text(tmp_path: Path) -> None:
    raw = tmp_path / "raw.ipynb"
    raw.write_text('{\n<<<<<<< ours\n "a": 1\n=======\n "a": 2\n>>>>>>> theirs\n}\n')
    done = run_nbcollab("conflicts", str(raw))
    assert done.returncode == 1
    assert b"line 2: conflict marker in the raw file" in done.stdout
    (tmp_path / "junk.ipynb").write_text("{")
    assert run_nbcollab("conflicts", str(tmp_path / "junk.ipynb")).returncode == 2


def test_resolve_command(conflicted_file: Path) -> None:
    runner = CliRunner()
    assert (
        runner.invoke(app, ["resolve", str(conflicted_file), "--ours", "--theirs"]).exit_code == 2
    )
    done = runner.invoke(app, ["resolve", str(conflicted_file), "--theirs"])
    assert done.exit_code == 0, done.output
    nb = json.loads(conflicted_file.read_text())
    assert "".join(nb["cells"][0]["source"]) == "v = 3"
    before = conflicted_file.read_bytes()
    assert runner.invoke(app, ["resolve", str(conflicted_file), "--ours"]).exit_code == 0
    assert conflicted_file.read_bytes() == before  # nothing left: not rewritten


@pytest.mark.slow
def test_merge_command_exit_codes(tmp_path: Path) -> None:
    def write(name: str, text: str) -> str:
        return str(write_notebook(tmp_path / name, make_notebook(code_cell(text, cell_id="c"))))

    base, local, remote = write("b.ipynb", "x"), write("l.ipynb", "y"), write("r.ipynb", "z")
    out = tmp_path / "out.ipynb"
    done = run_nbcollab("merge", base, local, remote, "-o", str(out), "--no-sign")
    assert done.returncode == 1
    assert b"0 of 1 cells merged cleanly" in done.stderr
    nbformat.validate(nbformat.read(out, as_version=nbformat.NO_CONVERT))
    same = run_nbcollab("merge", base, local, base, "-o", str(out), "--no-sign")
    assert same.returncode == 0
    empty = tmp_path / "empty.ipynb"
    empty.write_bytes(b"")
    assert run_nbcollab("merge", str(empty), local, local, "-o", str(out)).returncode == 0
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{")
    out.unlink()
    failed = run_nbcollab("merge", base, str(bad), remote, "-o", str(out))
    assert failed.returncode == 2 and not out.exists()
    assert b"bad.ipynb:1:2: not valid JSON" in failed.stderr
    wrong = run_nbcollab("merge", base, local, remote, "-o", str(out), "--outputs", "nope")
    assert wrong.returncode == 2


def test_cell_type_conflict_resolves_to_a_valid_cell() -> None:
    base = make_notebook(code_cell("x", cell_id="a"))
    local = make_notebook({"cell_type": "markdown", "id": "a", "metadata": {}, "source": "x"})
    remote = make_notebook({"cell_type": "raw", "id": "a", "metadata": {}, "source": "x"})
    nb = merge_notebooks(base, local, remote, labels=LABELS).notebook
    assert nb["cells"][0]["cell_type"] == "markdown"
    assert [f.kind for f in find_conflicts(nb)] == ["cell-type"]
    for choice, expected in ((Resolution.THEIRS, "raw"), (Resolution.BASE, "code")):
        resolved = resolve_conflicts(nb, choice).notebook
        assert resolved["cells"][0]["cell_type"] == expected
        assert resolved["cells"][0]["source"] == "x"
        _valid(resolved)


@pytest.mark.parametrize("deleting", ["ours", "theirs"])
@pytest.mark.parametrize(
    "text",
    [
        "Title\n=======\n\nbody text, edited",
        "<<<<<<< a\n=======\n>>>>>>> b\nkept\n",
        "|||||||\n=======\n",
    ],
)
def test_resolve_delete_edit_keeps_a_body_that_looks_like_markers(deleting: str, text: str) -> None:
    base = make_notebook(
        markdown_cell("Title\n=======\n\nbody text", cell_id="m"), markdown_cell("end", cell_id="e")
    )
    edited = make_notebook(markdown_cell(text, cell_id="m"), markdown_cell("end", cell_id="e"))
    deleted = make_notebook(markdown_cell("end", cell_id="e"))
    sides = (deleted, edited) if deleting == "ours" else (edited, deleted)
    merged = merge_notebooks(base, *sides, labels=LABELS).notebook
    keep = Resolution.THEIRS if deleting == "ours" else Resolution.OURS
    outcome = resolve_conflicts(merged, keep)
    assert outcome.resolved == 1 and not outcome.failed
    assert [c["source"] for c in outcome.notebook["cells"]] == [text, "end"]
    dropped = resolve_conflicts(merged, Resolution(deleting)).notebook
    assert [c["source"] for c in dropped["cells"]] == ["end"]
