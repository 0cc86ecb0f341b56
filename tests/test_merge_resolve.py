"""Finding and resolving what a merge left: stale records, long markers, bad --cell, many files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import code_cell, make_notebook, run_nbcollab, stream_output, write_notebook
from typer.testing import CliRunner

from nbcollab.cli.app import app
from nbcollab.merge.conflicts import find_conflicts, strip_record
from nbcollab.merge.notebook import merge_notebooks
from nbcollab.merge.resolve import Resolution, resolve_conflicts
from nbcollab.merge.values import MergeLabels
from nbcollab.notebook.codec import serialize_notebook
from nbcollab.options import MergeOptions, OutputStrategy

LABELS = MergeLabels(ours="main", theirs="feature")


def _merged(marker_size: int = 7, **options: Any) -> dict[str, Any]:
    """Cell "one" conflicts in its source and outputs; cell "two" merges cleanly."""

    def version(text: str, out: str) -> dict[str, Any]:
        return make_notebook(
            code_cell(text, cell_id="one", outputs=[stream_output(out)]),
            code_cell("keep", cell_id="two"),
        )

    labels = MergeLabels(ours="main", theirs="feature", marker_size=marker_size)
    return merge_notebooks(
        version("v = 1", "1\n"),
        version("v = 2", "2\n"),
        version("v = 3", "3\n"),
        options=MergeOptions(**options),
        labels=labels,
    ).notebook


def _write(path: Path, nb: dict[str, Any]) -> Path:
    path.write_text(serialize_notebook(nb), encoding="utf-8")
    return path


def _resolved_by_hand(nb: dict[str, Any]) -> dict[str, Any]:
    nb["cells"][0]["source"] = "v = 5"
    return nb


# --- a record left after the markers were resolved by hand -------------------------------------


def test_a_record_without_markers_is_found_as_stale() -> None:
    (finding,) = find_conflicts(_resolved_by_hand(_merged()))
    assert (finding.index, finding.cell_id, finding.kind) == (0, "one", "stale-record")
    assert "still recorded" in finding.message


def test_resolve_without_a_side_clears_only_stale_records() -> None:
    outcome = resolve_conflicts(_resolved_by_hand(_merged()), None)
    assert (outcome.resolved, outcome.cleared) == (0, 1)
    assert "nbcollab" not in outcome.notebook["metadata"]
    assert outcome.notebook["cells"][0]["source"] == "v = 5"
    still = resolve_conflicts(_merged(), None)  # marked conflicts need a side: left as they are
    assert (still.resolved, still.cleared) == (0, 0)
    assert still.notebook == _merged()


def test_resolving_one_cell_also_clears_stale_records_elsewhere() -> None:
    versions = [
        make_notebook(code_cell(f"a{k}", cell_id="a"), code_cell(f"b{k}", cell_id="b"))
        for k in range(3)
    ]
    nb = merge_notebooks(*versions, labels=LABELS).notebook
    nb["cells"][0]["source"] = "a by hand"
    outcome = resolve_conflicts(nb, Resolution.THEIRS, cell=1)
    assert (outcome.resolved, outcome.cleared) == (1, 1)
    assert [c["source"] for c in outcome.notebook["cells"]] == ["a by hand", "b2"]
    assert "nbcollab" not in outcome.notebook["metadata"]


def test_a_side_resolves_every_recorded_conflict_of_a_cell() -> None:
    """Resolving a cell's source must not make its metadata conflict look resolved already."""
    versions = [make_notebook(code_cell(f"x = {k}", cell_id="a")) for k in range(3)]
    versions[1]["cells"][0]["metadata"]["owner"] = "ann"
    versions[2]["cells"][0]["metadata"]["owner"] = "bob"
    nb = merge_notebooks(*versions, labels=LABELS).notebook
    assert sorted(f.kind for f in find_conflicts(nb)) == ["metadata", "source"]
    outcome = resolve_conflicts(nb, Resolution.THEIRS)
    (cell,) = outcome.notebook["cells"]
    assert (cell["source"], cell["metadata"]["owner"]) == ("x = 2", "bob")
    assert (outcome.resolved, outcome.cleared) == (2, 0)


@pytest.mark.slow
def test_conflicts_command_fails_on_a_stale_record_until_resolve_clears_it(tmp_path: Path) -> None:
    path = _write(tmp_path / "nb.ipynb", _resolved_by_hand(_merged()))
    done = run_nbcollab("conflicts", str(path))
    assert done.returncode == 1
    assert b"still recorded" in done.stdout
    assert f"run 'nbcollab resolve {path}'".encode() in done.stderr
    cleared = run_nbcollab("resolve", str(path))
    assert cleared.returncode == 0, cleared.stderr
    assert b"cleared 1" in cleared.stderr
    nb = json.loads(path.read_text())
    assert "nbcollab" not in nb["metadata"] and nb["cells"][0]["source"] == ["v = 5"]
    assert run_nbcollab("conflicts", str(path)).returncode == 0


def test_resolve_without_a_side_leaves_marked_conflicts(tmp_path: Path) -> None:
    path = _write(tmp_path / "nb.ipynb", _merged())
    before = path.read_bytes()
    done = CliRunner().invoke(app, ["resolve", str(path)])
    assert done.exit_code == 1
    assert "--ours, --theirs, --union, --union-theirs-first or --base" in done.output
    assert path.read_bytes() == before
    assert CliRunner().invoke(app, ["resolve", str(path), "--ours", "--base"]).exit_code == 2


@pytest.mark.parametrize(
    ("flag", "side", "said"),
    [
        ("--union", "ours", "; 2 of them hold one value only, and got ours"),
        ("--union-theirs-first", "theirs", "; 2 of them hold one value only, and got theirs"),
        ("--theirs", "theirs", ""),
    ],
)
def test_a_union_says_which_side_a_conflict_of_one_value_got(
    tmp_path: Path, flag: str, side: str, said: str
) -> None:
    def version(text: str, color: str, kernel: str) -> dict[str, Any]:
        nb = make_notebook(code_cell(text, cell_id="one", color=color))
        nb["metadata"]["kernelspec"] = {"name": kernel, "display_name": kernel, "language": kernel}
        return nb

    merged = merge_notebooks(
        version("v = 1", "red", "python3"),
        version("v = 2", "green", "julia"),
        version("v = 3", "blue", "ir"),
        labels=LABELS,
    ).notebook
    path = _write(tmp_path / "nb.ipynb", merged)
    done = run_nbcollab("resolve", flag, str(path))
    assert done.returncode == 0, done.stderr
    assert f"nb.ipynb: resolved 3 conflict(s) to {flag[2:]}{said}\n".encode() in done.stderr
    nb = json.loads(path.read_text())
    cell = next(c for c in nb["cells"] if c.get("id") == "one")
    assert cell["metadata"]["color"] == {"ours": "green", "theirs": "blue"}[side]
    assert nb["metadata"]["kernelspec"]["name"] == {"ours": "julia", "theirs": "ir"}[side]


# --- markers longer than 7 characters ------------------------------------------------------------


@pytest.mark.parametrize("size", [8, 10, 32])
def test_long_markers_are_resolved_from_the_record_and_are_content_without_it(size: int) -> None:
    nb = _merged(size, outputs=OutputStrategy.CONFLICT)
    assert "<" * size + " main" in nb["cells"][0]["source"]
    assert [(f.index, f.kind) for f in find_conflicts(nb)] == [(0, "source"), (0, "outputs")]
    outcome = resolve_conflicts(nb, Resolution.THEIRS)
    cell = outcome.notebook["cells"][0]
    assert (outcome.resolved, outcome.failed) == (2, [])
    assert cell["source"] == "v = 3"
    assert [out["text"] for out in cell["outputs"]] == ["3\n"]
    assert find_conflicts(outcome.notebook) == []
    bare = strip_record(nb)  # as a tool that drops metadata would: the marks are text now
    assert find_conflicts(bare) == []
    assert resolve_conflicts(bare, Resolution.THEIRS).notebook == bare


@pytest.mark.slow
def test_long_marker_commands(tmp_path: Path) -> None:
    def write(name: str, text: str) -> str:
        return str(write_notebook(tmp_path / name, make_notebook(code_cell(text, cell_id="c"))))

    out = tmp_path / "out.ipynb"
    merged = run_nbcollab(
        "merge",
        write("b.ipynb", "x"),
        write("l.ipynb", "y"),
        write("r.ipynb", "z"),
        "-o",
        str(out),
        "--no-sign",
        "--marker-size",
        "10",
    )
    assert merged.returncode == 1
    assert run_nbcollab("conflicts", str(out)).returncode == 1
    done = run_nbcollab("resolve", str(out), "--theirs")
    assert done.returncode == 0 and b"resolved 1 conflict(s)" in done.stderr
    assert json.loads(out.read_text())["cells"][0]["source"] == ["z"]


# --- --cell that names no cell ------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("wanted", ["zzz", "7", "-9", "0"])
def test_resolve_an_unknown_cell_is_an_error(tmp_path: Path, wanted: str) -> None:
    path = _write(tmp_path / "nb.ipynb", _merged())
    before = path.read_bytes()
    done = run_nbcollab("resolve", str(path), "--cell", wanted, "--theirs")
    assert done.returncode == 2
    assert f"--cell {wanted}: ".encode() in done.stderr
    assert b"resolved 0" not in done.stderr
    assert path.read_bytes() == before


# --- the merge summary ------------------------------------------------------------------------


@pytest.mark.parametrize(("cells", "expected"), [(0, "0 of 0"), (2, "2 of 2")])
def test_summary_counts_only_real_cells(cells: int, expected: str) -> None:
    versions = [
        make_notebook(*(code_cell(str(k), cell_id=f"c{k}") for k in range(cells))) for _ in range(3)
    ]
    versions[1]["metadata"]["kernelspec"]["name"] = "k1"
    # Another language (two kernels of one language merge without a conflict).
    versions[2]["metadata"]["kernelspec"] = {"name": "k2", "language": "R", "display_name": "R"}
    result = merge_notebooks(*versions, labels=LABELS)
    assert len(result.notebook["cells"]) == cells + 1  # the note cell
    assert result.summary()[0] == f"{expected} cells merged cleanly"


# --- conflicts over many files ------------------------------------------------------------------


@pytest.mark.slow
def test_conflicts_reports_unreadable_files_and_goes_on(tmp_path: Path) -> None:
    (tmp_path / "a_broken.ipynb").write_text("{")
    (tmp_path / "b_empty.ipynb").write_text("")
    _write(tmp_path / "c_conflicted.ipynb", _merged())
    write_notebook(tmp_path / "d_clean.ipynb", make_notebook(code_cell("x")))
    done = run_nbcollab("conflicts", str(tmp_path))
    assert done.returncode == 2
    assert b"a_broken.ipynb" in done.stderr and b"b_empty.ipynb" in done.stderr
    assert b"c_conflicted.ipynb: cell 1 (id one)" in done.stdout
    (tmp_path / "a_broken.ipynb").unlink()
    (tmp_path / "b_empty.ipynb").unlink()
    assert run_nbcollab("conflicts", str(tmp_path)).returncode == 1
    missing = run_nbcollab("conflicts", str(tmp_path / "gone.ipynb"), str(tmp_path))
    assert missing.returncode == 2 and b"c_conflicted.ipynb: cell 1" in missing.stdout


# --- a malformed record is bad input, never an internal error -----------------------------------


SOURCE = {
    "kind": "source",
    "cell": "one",
    "markers": ["<<<<<<< a\n", "=======\n", ">>>>>>> b\n"],
    "hunks": [{"base": "", "ours": "", "theirs": "x", "at": 0}],
    "length": 20,
}


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({"kind": "metadata", "cell": "one", "values": [{"path": [1]}]}, "values"),
        ({"kind": "metadata", "cell": "one", "values": [{}]}, "values"),
        ({"kind": "metadata", "cell": "one", "values": "xx"}, "values"),
        ({**SOURCE, "hunks": [1, None]}, "hunks"),
        ({**SOURCE, "around": [["a"]]}, "around"),
        ({"kind": "delete-edit", "cell": "one", "deleted_by": "ours", "base": ["x"]}, "base"),
        ({"kind": "delete-edit", "cell": "one", "deleted_by": "nobody"}, "deleted_by"),
        ({**SOURCE, "hunks": [{"ours": "x\n"}]}, "hunks.0"),
        ({**SOURCE, "hunks": [{"base": "", "ours": "", "theirs": "x", "at": -1}]}, "offsets"),
        ({**SOURCE, "length": None}, "length"),
        ({"kind": "outputs", "cell": "one", "sections": [1, 2]}, "sections"),
        ({"kind": "sauce", "cell": "one"}, "kind"),
        ({**SOURCE, "mystery": 1}, "mystery"),
        ({**SOURCE, "marker_size": 0}, "marker_size"),
        ({**SOURCE, "index": -3}, "index"),
        ({**SOURCE, "markers": ["", "", ""]}, "markers"),
        ({"kind": "metadata", "cell": "one", "values": [], "note": ""}, "note"),
        (
            {"kind": "delete-edit", "cell": "one", "deleted_by": "ours", "wrapper": ["", ""]},
            "wrapper",
        ),
        ("not an object", "object"),
    ],
)
def test_a_malformed_record_is_a_one_line_error(tmp_path: Path, entry: Any, problem: str) -> None:
    nb = _merged()
    nb["metadata"]["nbcollab"]["conflicts"].append(entry)
    path = _write(tmp_path / "nb.ipynb", nb)
    before = path.read_bytes()
    for command in (
        ["conflicts", str(path)],
        ["resolve", str(path), "--ours"],
        ["resolve", str(path), "--base"],
    ):
        done = CliRunner().invoke(app, command)
        assert done.exit_code == 2, (command, done.output)
        assert isinstance(done.exception, SystemExit)
        assert "internal error" not in done.output and len(done.output.splitlines()) == 1
        assert "nb.ipynb" in done.output and "conflicts[1]" in done.output
        assert problem in done.output
        assert path.read_bytes() == before


# --- --base gives back the base of a conflict region split into several hunks ------------------


@pytest.mark.parametrize(
    ("base", "ours", "theirs"),
    [
        ("x = 0\nm = 0\ny = 0\n", "x = 1\nm = 2\ny = 1\n", "x = 2\nm = 2\ny = 2\n"),
        ("a\nx = 0\nm = 0\nb", "a\nx = 1\nm = 2\nb", "a\nx = 2\nm = 2\nb"),  # agreed lines last
        ("m = 0\nx = 0\nz", "m = 2\nx = 1\nz", "m = 2\nx = 2\nz"),  # agreed lines first
        ("x = 0\nm = 0", "x = 1\nm = 2", "x = 2\nm = 2"),  # ... at the end, without a newline
    ],
)
def test_resolve_base_of_a_split_region_gives_the_base(base: str, ours: str, theirs: str) -> None:
    def version(text: str) -> dict[str, Any]:
        return make_notebook(code_cell(text, cell_id="c"))

    merged = merge_notebooks(version(base), version(ours), version(theirs), labels=LABELS).notebook
    assert [f.kind for f in find_conflicts(merged)] == ["source"]
    outcome = resolve_conflicts(merged, Resolution.BASE)
    assert not outcome.failed and outcome.notebook["cells"][0]["source"] == base
    assert resolve_conflicts(merged, Resolution.OURS).notebook["cells"][0]["source"] == ours
    assert resolve_conflicts(merged, Resolution.THEIRS).notebook["cells"][0]["source"] == theirs


def test_resolve_base_of_a_split_region_edited_by_hand_is_refused() -> None:
    def version(text: str) -> dict[str, Any]:
        return make_notebook(code_cell(text, cell_id="c"))

    merged = merge_notebooks(
        version("x = 0\nm = 0\ny = 0\n"),
        version("x = 1\nm = 2\ny = 1\n"),
        version("x = 2\nm = 2\ny = 2\n"),
        labels=LABELS,
    ).notebook
    source = merged["cells"][0]["source"]
    assert "\nm = 2\n" in source  # the agreed line splits the region in two hunks
    merged["cells"][0]["source"] = source.replace("\nm = 2\n", "\nm = 3\n")
    outcome = resolve_conflicts(merged, Resolution.BASE)
    assert outcome.failed and outcome.notebook["cells"][0]["source"] == merged["cells"][0]["source"]
