"""`conflicts` and `resolve` act on what the merge recorded, never on text that looks like markers.

Marker-like lines inside a conflict (a setext heading's ``=======``), marker-like content without a
record (a git tutorial), ``--cell`` naming an id and an index, and the execution count of outputs
resolved to one side.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import (
    code_cell,
    git,
    make_notebook,
    markdown_cell,
    run_nbcollab,
    stream_output,
    write_notebook,
)
from typer.testing import CliRunner

from nbcollab.cli.app import app
from nbcollab.merge.conflicts import find_conflicts
from nbcollab.merge.notebook import merge_notebooks
from nbcollab.merge.resolve import Resolution, resolve_conflicts
from nbcollab.merge.values import MergeLabels
from nbcollab.notebook.codec import serialize_notebook
from nbcollab.options import MergeOptions, OutputStrategy

LABELS = MergeLabels(ours="main", theirs="feature")
HEADINGS = {
    "base": "Result\n------\nold text\n",
    "ours": "Results\n=======\nour text\n",
    "theirs": "Summary\n=======\ntheir text\n",
}
TUTORIAL = (
    "When both branches change a line, git writes:\n\n"
    "<<<<<<< HEAD\nprint('ours')\n=======\nprint('theirs')\n>>>>>>> feature\n"
)


def _headings(**sources: str) -> list[dict[str, Any]]:
    return [
        make_notebook(markdown_cell(sources.get(name, text), cell_id="m"))
        for name, text in HEADINGS.items()
    ]


# --- a hunk whose lines look like a separator -------------------------------------------------


@pytest.mark.parametrize("choice", list(Resolution))
def test_a_setext_heading_inside_a_conflict_resolves_to_exactly_one_side(
    choice: Resolution,
) -> None:
    merged = merge_notebooks(*_headings(), labels=LABELS).notebook
    assert [f.kind for f in find_conflicts(merged)] == ["source"]
    outcome = resolve_conflicts(merged, choice)
    assert (outcome.resolved, outcome.failed) == (1, [])
    expected = {
        Resolution.UNION: HEADINGS["ours"] + HEADINGS["theirs"],
        Resolution.UNION_THEIRS_FIRST: HEADINGS["theirs"] + HEADINGS["ours"],
    }.get(choice) or HEADINGS[choice.value]
    assert outcome.notebook["cells"][0]["source"] == expected
    assert find_conflicts(outcome.notebook) == []


@pytest.mark.slow
def test_merge_then_resolve_commands_give_each_side(tmp_path: Path) -> None:
    paths = [
        str(write_notebook(tmp_path / f"{name}.ipynb", nb))
        for name, nb in zip(HEADINGS, _headings())
    ]
    for side in ("ours", "theirs", "base"):
        out = tmp_path / f"merged-{side}.ipynb"
        assert run_nbcollab("merge", *paths, "-o", str(out), "--no-sign").returncode == 1
        done = run_nbcollab("resolve", str(out), f"--{side}")
        assert done.returncode == 0, done.stderr
        cell = json.loads(out.read_text(encoding="utf-8"))["cells"][0]
        assert "".join(cell["source"]) == HEADINGS[side]


def test_a_hunk_is_found_after_edits_by_hand_above_it_and_not_in_a_copy_of_it() -> None:
    versions = [make_notebook(code_cell(f"x = {k}\n\n\n\ny = {k}", cell_id="c")) for k in range(3)]
    merged = merge_notebooks(*versions, labels=LABELS).notebook
    source = merged["cells"][0]["source"]
    assert source.count("<<<<<<< main") == 2
    _first, second = source.split("\n\n\n\n")
    # the first hunk resolved by hand; a copy of the second pasted above it, as an example
    edited = f"x = 'by hand'\n{second}\n\n\n\n{second}"
    merged["cells"][0]["source"] = edited
    outcome = resolve_conflicts(merged, Resolution.THEIRS)
    assert outcome.notebook["cells"][0]["source"] == f"x = 'by hand'\n{second}\n\n\n\ny = 2"
    # --base needs every hunk: a region's base cannot be split
    assert resolve_conflicts(merged, Resolution.BASE).failed


def test_a_copy_of_a_marked_hunk_below_it_is_never_resolved_in_its_place(tmp_path: Path) -> None:
    # The first hunk resolved by hand; the second hunk's marked lines pasted again after it,
    # where nothing in the record tells the copy from the hunk: resolving must not replace the
    # copy and leave the hunk marked with its record cleared (a commit would then take the
    # markers); it refuses, says why, and leaves the file as it was.
    versions = [
        make_notebook(code_cell(f"k0\n{a}\nk1\n{b}\nk2", cell_id="c"))
        for a, b in (("a", "b"), ("O1", "O2"), ("T1", "T2"))
    ]
    merged = merge_notebooks(*versions, labels=LABELS).notebook
    source = merged["cells"][0]["source"]
    second = source[source.index("k1\n") + 3 : source.index("k2")]
    merged["cells"][0]["source"] = f"k0\nmine\nk1\n{second}k2\n{second}"
    for choice in Resolution:
        outcome = resolve_conflicts(merged, choice)
        assert outcome.resolved == 0 and outcome.failed, choice
        assert outcome.notebook["cells"][0]["source"] == merged["cells"][0]["source"]
        assert [f.kind for f in find_conflicts(outcome.notebook)] == ["source"]
    path = write_notebook(tmp_path / "nb.ipynb", merged)
    before = path.read_bytes()
    done = run_nbcollab("resolve", "--theirs", str(path))
    assert done.returncode == 1
    assert b"hunk 2 of 2 are in the cell more than once" in done.stdout + done.stderr
    assert path.read_bytes() == before
    assert run_nbcollab("conflicts", str(path)).returncode == 1


def test_conflicts_count_the_hunks_left_once_one_is_resolved_by_hand() -> None:
    versions = [
        make_notebook(code_cell(f"k0\n{a}\nk1\n{b}\nk2", cell_id="c"))
        for a, b in (("a", "b"), ("O1", "O2"), ("T1", "T2"))
    ]
    merged = merge_notebooks(*versions, labels=LABELS).notebook
    (found,) = find_conflicts(merged)
    assert found.message.endswith("both sides changed the same lines (2 hunks)")
    source = merged["cells"][0]["source"]
    merged["cells"][0]["source"] = "k0\nmine\n" + source[source.index("k1\n") :]
    (found,) = find_conflicts(merged)
    assert found.message.endswith("both sides changed the same lines (1 of 2 hunks left)")


# --- marker-like content without a record -------------------------------------------------------


def _tutorial_notebook(*more: dict[str, Any]) -> dict[str, Any]:
    return make_notebook(markdown_cell(TUTORIAL, cell_id="tutorial"), *more)


def test_marker_like_content_is_no_conflict(tmp_path: Path) -> None:
    path = write_notebook(
        tmp_path / "git-tutorial.ipynb",
        _tutorial_notebook(code_cell("<<<<<<< nbcollab: not a note\n", cell_id="c")),
    )
    before = path.read_bytes()
    assert find_conflicts(json.loads(before)) == []
    done = CliRunner().invoke(app, ["conflicts", str(path)])
    assert (done.exit_code, done.output) == (0, "")
    resolved = CliRunner().invoke(app, ["resolve", str(path), "--theirs"])
    assert resolved.exit_code == 0 and path.read_bytes() == before


@pytest.mark.parametrize("choice", list(Resolution))
@pytest.mark.parametrize("owner_of", ["tutorial", "code"])
def test_resolving_a_conflict_elsewhere_leaves_marker_like_content_alone(
    choice: Resolution, owner_of: str
) -> None:
    versions = [_tutorial_notebook(code_cell(f"x = {k}", cell_id="code")) for k in range(3)]
    at = 0 if owner_of == "tutorial" else 1  # a metadata conflict: a note above the cell's text
    for version, owner in zip(versions[1:], ("ann", "bob")):
        version["cells"][at]["metadata"]["owner"] = owner
    merged = merge_notebooks(*versions, labels=LABELS).notebook
    assert sorted(f.kind for f in find_conflicts(merged)) == ["metadata", "source"]
    outcome = resolve_conflicts(merged, choice)
    assert (outcome.resolved, outcome.failed) == (2, [])
    assert outcome.notebook["cells"][0]["source"] == TUTORIAL


@pytest.mark.git
@pytest.mark.slow
def test_the_pre_commit_hook_lets_a_git_tutorial_through(
    git_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil
    import sys

    from helpers import PROJECT_ROOT

    shutil.copy(
        PROJECT_ROOT / "nbcollab" / "git" / "hooks" / "pre-commit", git_repo / ".git" / "hooks"
    )
    monkeypatch.setenv("NBCOLLAB", f"{sys.executable} -m nbcollab")
    from nbcollab.clean.strip import clean_notebook

    write_notebook(git_repo / "tutorial.ipynb", clean_notebook(_tutorial_notebook()))
    git(git_repo, "add", "tutorial.ipynb")
    done = git(git_repo, "commit", "-qm", "tutorial", check=False)
    assert done.returncode == 0, done.stdout + done.stderr


# --- --cell: one meaning per argument -----------------------------------------------------------


def _two_conflicted_cells(tmp_path: Path, ids: tuple[str, str]) -> Path:
    versions = [
        make_notebook(code_cell(f"a = {k}", cell_id=ids[0]), code_cell(f"b = {k}", cell_id=ids[1]))
        for k in range(3)
    ]
    path = tmp_path / "nb.ipynb"
    path.write_text(serialize_notebook(merge_notebooks(*versions, labels=LABELS).notebook))
    return path


def _sources(path: Path) -> list[str]:
    return ["".join(c["source"]) for c in json.loads(path.read_text())["cells"]]


def test_a_number_is_a_position_and_id_names_an_id_made_of_digits(tmp_path: Path) -> None:
    path = _two_conflicted_cells(tmp_path, ("2", "other"))  # the first cell's id is "2"
    by_number = CliRunner().invoke(app, ["resolve", str(path), "--cell", "2", "--theirs"])
    assert by_number.exit_code == 1 and "--cell 2 is cell 2 (id other)" in by_number.output
    assert _sources(path)[1] == "b = 2" and "<<<<<<<" in _sources(path)[0]
    by_id = CliRunner().invoke(app, ["resolve", str(path), "--cell", "id:2", "--ours"])
    assert by_id.exit_code == 0 and "--cell id:2 is cell 1 (id 2)" in by_id.output
    assert _sources(path) == ["a = 1", "b = 2"]


@pytest.mark.parametrize(
    ("ids", "wanted", "index"),
    [
        (("1", "other"), "other", 1),
        (("zero", "other"), "2", 1),
        (("zero", "other"), "-2", 0),
        (("zero", "other"), "index:1", 1),  # the older 0-based spelling
        (("zero", "1"), "id:1", 1),
    ],
)
def test_cell_says_which_cell_it_took(
    tmp_path: Path, ids: tuple[str, str], wanted: str, index: int
) -> None:
    path = _two_conflicted_cells(tmp_path, ids)
    done = CliRunner().invoke(app, ["resolve", str(path), "--cell", wanted, "--theirs"])
    assert done.exit_code == 1, done.output
    assert f"--cell {wanted} is cell {index + 1} (id {ids[index]})" in done.output
    assert [s.startswith("<<<<<<<") for s in _sources(path)] == [index != 0, index != 1]


def test_cell_naming_several_cells_is_refused(tmp_path: Path) -> None:
    path = _two_conflicted_cells(tmp_path, ("zero", "other"))
    before = path.read_bytes()
    done = CliRunner().invoke(app, ["resolve", str(path), "--cell", "1..2", "--theirs"])
    assert done.exit_code == 2
    assert "--cell 1..2 names 2 cells (cell 1 (id zero), cell 2 (id other)): give one" in (
        done.output
    )
    assert path.read_bytes() == before


# --- outputs and execution count from the same side --------------------------------------------


@pytest.mark.parametrize(
    ("choice", "count", "text"),
    [
        (Resolution.OURS, 2, "2\n"),
        (Resolution.THEIRS, 3, "3\n"),
        (Resolution.BASE, 1, "1\n"),
        (Resolution.UNION, 2, "2\n"),
    ],
)
def test_outputs_resolve_with_their_own_execution_count(
    choice: Resolution, count: int, text: str
) -> None:
    # a printed separator in the outputs is an output like any other
    versions = [
        make_notebook(
            code_cell(
                "print(v)",
                cell_id="c",
                count=k,
                outputs=[stream_output(f"{k}\n"), stream_output("=======\n")],
            )
        )
        for k in (1, 2, 3)
    ]
    merged = merge_notebooks(
        *versions, options=MergeOptions(outputs=OutputStrategy.CONFLICT), labels=LABELS
    ).notebook
    assert [f.kind for f in find_conflicts(merged)] == ["outputs"]
    cell = resolve_conflicts(merged, choice).notebook["cells"][0]
    assert cell["execution_count"] == count
    texts = [out["text"] for out in cell["outputs"]]
    assert texts[:2] == [text, "=======\n"]


@pytest.mark.slow
def test_resolve_theirs_command_takes_their_count(tmp_path: Path) -> None:
    paths = [
        str(
            write_notebook(
                tmp_path / f"{k}.ipynb",
                make_notebook(
                    code_cell("print(v)", cell_id="c", count=k, outputs=[stream_output(f"{k}\n")])
                ),
            )
        )
        for k in (1, 2, 3)
    ]
    out = tmp_path / "merged.ipynb"
    merged = run_nbcollab("merge", *paths, "-o", str(out), "--no-sign", "--outputs", "conflict")
    assert merged.returncode == 1
    assert run_nbcollab("resolve", str(out), "--theirs").returncode == 0
    cell = json.loads(out.read_text())["cells"][0]
    assert (cell["execution_count"], cell["outputs"][0]["text"]) == (3, ["3\n"])


# --- records written by older versions ---------------------------------------------------------


def test_an_older_source_record_is_listed_and_refused_not_guessed(tmp_path: Path) -> None:
    merged = merge_notebooks(*_headings(), labels=LABELS).notebook
    entry = merged["metadata"]["nbcollab"]["conflicts"][0]
    del merged["metadata"]["nbcollab"]["record_version"]  # records before versions
    merged["metadata"]["nbcollab"]["conflicts"][0] = {
        "kind": "source",
        "cell": entry["cell"],
        "index": 0,
        "marker_size": 7,
        "hunks": [HEADINGS["base"]],
    }
    path = tmp_path / "old.ipynb"
    path.write_text(serialize_notebook(merged))
    before = path.read_bytes()
    listed = CliRunner().invoke(app, ["conflicts", str(path)])
    assert listed.exit_code == 1 and "source conflict recorded by an older" in listed.output
    done = CliRunner().invoke(app, ["resolve", str(path), "--ours"])
    assert done.exit_code == 1
    assert "older nbcollab" in done.output and "by hand" in done.output
    assert path.read_bytes() == before


def test_an_older_metadata_record_still_resolves() -> None:
    versions = [make_notebook(code_cell("x", cell_id="c")) for _ in range(3)]
    versions[1]["cells"][0]["metadata"]["owner"] = "ann"
    versions[2]["cells"][0]["metadata"]["owner"] = "bob"
    merged = merge_notebooks(*versions, labels=LABELS).notebook
    (entry,) = merged["metadata"]["nbcollab"]["conflicts"]
    del merged["metadata"]["nbcollab"]["record_version"]  # records before versions
    del entry["note"]  # older records had no note: the note is found by its prefix
    cell = resolve_conflicts(merged, Resolution.THEIRS).notebook["cells"][0]
    assert (cell["source"], cell["metadata"]["owner"]) == ("x", "bob")


def test_record_text_reaches_the_terminal_escaped(tmp_path: Path) -> None:
    versions = [make_notebook(code_cell(f"x = {k}", cell_id="c")) for k in range(3)]
    merged = merge_notebooks(*versions, labels=LABELS).notebook
    merged["metadata"]["nbcollab"]["conflicts"][0]["cell"] = "\x1b[2Jevil\nline"
    merged["metadata"]["nbcollab"]["conflicts"].append(
        {"kind": "outputs", "cell": "c", "sections": [-1, 0, 0], "counts": [1, 2, 3]}
    )
    path = tmp_path / "nb.ipynb"
    path.write_text(serialize_notebook(merged))
    done = CliRunner().invoke(app, ["conflicts", str(path)])
    assert done.exit_code == 2 and "sections must not be negative" in done.output
    merged["metadata"]["nbcollab"]["conflicts"].pop()
    path.write_text(serialize_notebook(merged))
    done = CliRunner().invoke(app, ["conflicts", str(path)])
    assert done.exit_code == 1
    assert "\x1b" not in done.output and "\u241b[2Jevil\u240aline" in done.output


def test_text_written_into_the_merge_note_cell_is_kept() -> None:
    versions = [make_notebook(code_cell("x", cell_id="c")) for _ in range(3)]
    versions[1]["metadata"]["kernelspec"]["name"] = "k1"
    # Another language (two kernels of one language merge without a conflict).
    versions[2]["metadata"]["kernelspec"] = {"name": "k2", "language": "R", "display_name": "R"}
    merged = merge_notebooks(*versions, labels=LABELS).notebook
    note = merged["cells"][0]
    assert note["id"] == "nbcollab-merge-note"
    untouched = resolve_conflicts(merged, Resolution.THEIRS).notebook
    assert [c["id"] for c in untouched["cells"]] == ["c"]
    note["source"] += "Decided: k2, the cluster kernel.\n"
    outcome = resolve_conflicts(merged, Resolution.THEIRS)
    assert outcome.notebook["metadata"]["kernelspec"]["name"] == "k2"
    assert outcome.notebook["cells"][0]["source"] == "Decided: k2, the cluster kernel.\n"
