"""The execution engine without kernels: cache keys, shards, inputs, the cache store, judging a
run against the stored outputs, and the Markdown summary."""

from __future__ import annotations

import copy
import os
from pathlib import Path

import pytest
from helpers import code_cell, make_notebook, markdown_cell, stream_output, write_notebook
from hypothesis import given, settings
from hypothesis import strategies as st

from nbcollab.config.load import parse_config
from nbcollab.errors import ConfigError
from nbcollab.execute.compare import OutputComparer
from nbcollab.execute.inputs import InputHasher
from nbcollab.execute.judge import judge_run, map_traceback
from nbcollab.execute.key import KeyParts, run_key
from nbcollab.execute.markdown import markdown_text, render_markdown
from nbcollab.execute.options import ExecuteOptions
from nbcollab.execute.plan import in_shard, parse_shard
from nbcollab.execute.result import NotebookRun, Outcome, Problem, ProblemKind, Summary
from nbcollab.execute.runner import Failure, RawRun
from nbcollab.execute.store import CachedRun, RunStore
from nbcollab.options import NormalizeOptions, Replacement

PARTS = KeyParts(kernel="python3", environment="py3.11", folder="nbs", inputs={"uv.lock": "aa"})


def notebook() -> dict:
    return make_notebook(
        markdown_cell("# Title", cell_id="m"),
        code_cell("x = 1\nprint(x)", count=1, cell_id="a", outputs=[stream_output("1\n")]),
        code_cell("print(x + 1)", count=2, cell_id="b", outputs=[stream_output("2\n")]),
    )


def edited(change: str) -> dict:
    nb = notebook()
    cells = nb["cells"]
    if change == "outputs":
        cells[2]["outputs"] = [stream_output("3\n")]
    elif change == "counts":
        cells[1]["execution_count"], cells[2]["execution_count"] = 7, 9
    elif change == "markdown":
        cells[0]["source"] = "# Another title"
    elif change == "metadata":
        cells[1]["metadata"] = {"collapsed": True, "tags": ["keep"]}
        nb["metadata"]["language_info"]["version"] = "3.12.0"
    elif change == "crlf":  # the same code, saved on Windows
        cells[1]["source"] = cells[1]["source"].replace("\n", "\r\n")
    elif change == "code":
        cells[2]["source"] = "print(x + 2)"
    elif change == "tag":
        cells[2]["metadata"] = {"tags": ["raises-exception"]}
    elif change == "order":
        cells[1], cells[2] = cells[2], cells[1]
    return nb


@pytest.mark.parametrize("change", ["outputs", "counts", "markdown", "metadata", "crlf"])
def test_key_ignores_what_does_not_decide_a_run(change: str) -> None:
    assert run_key(edited(change), PARTS) == run_key(notebook(), PARTS)


@pytest.mark.parametrize("change", ["code", "tag", "order"])
def test_key_changes_with_what_decides_a_run(change: str) -> None:
    assert run_key(edited(change), PARTS) != run_key(notebook(), PARTS)


@pytest.mark.parametrize(
    "other",
    [
        KeyParts("ir", "py3.11", "nbs", {"uv.lock": "aa"}),
        KeyParts("python3", "py3.12", "nbs", {"uv.lock": "aa"}),
        KeyParts("python3", "py3.11", "other", {"uv.lock": "aa"}),
        KeyParts("python3", "py3.11", "nbs", {"uv.lock": "bb"}),
        KeyParts("python3", "py3.11", "nbs", {"uv.lock": "aa", "data/x.csv": "cc"}),
    ],
)
def test_key_changes_with_kernel_environment_folder_and_inputs(other: KeyParts) -> None:
    assert run_key(notebook(), other) != run_key(notebook(), PARTS)


def test_key_does_not_run_two_cells_together() -> None:
    joined = make_notebook(code_cell("a = 1\nb = 2"))
    split = make_notebook(code_cell("a = 1"), code_cell("b = 2"))
    assert run_key(joined, PARTS) != run_key(split, PARTS)


names = st.lists(
    st.text(alphabet="abcdefgh/._-", min_size=1, max_size=12), unique=True, max_size=40
)


@settings(max_examples=50)
@given(names, names, st.integers(1, 6))
def test_shards_split_every_notebook_once_and_adding_one_moves_no_other(
    before: list[str], added: list[str], count: int
) -> None:
    def shard_of(name: str) -> list[int]:
        return [k for k in range(1, count + 1) if in_shard(name, (k, count))]

    assignment = {name: shard_of(name) for name in before}
    assert all(len(shards) == 1 for shards in assignment.values())
    for name in before + added:  # more notebooks: the earlier ones stay where they were
        if name in assignment:
            assert shard_of(name) == assignment[name]


@pytest.mark.parametrize("text", ["0/3", "4/3", "1", "a/b", "1/0", "-1/2", ""])
def test_bad_shards_are_refused(text: str) -> None:
    with pytest.raises(ConfigError, match="K/N"):
        parse_shard(text)


@pytest.mark.parametrize(
    "table,message",
    [
        ({"execute": {"inputs": ["/etc/passwd"]}}, "relative"),
        ({"execute": {"inputs": ["../secrets/*"]}}, "leave the project"),
        ({"execute": {"inputs": ["data/../../x"]}}, "leave the project"),
        ({"execute": {"cell-timeout": 0}}, "more than 0"),
        ({"execute": {"no-such-key": 1}}, "unknown key"),
    ],
)
def test_committed_execute_config_is_checked(table: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(table)


def test_inputs_are_lockfiles_up_to_the_root_and_declared_globs(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "sub" / "nbs").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "uv.lock").write_text("a")
    (root / "sub" / "requirements-dev.txt").write_text("b")
    (root / "sub" / "nbs" / "notes.txt").write_text("not an input")
    (root / "data" / "x.csv").write_text("1,2")
    (tmp_path / "poetry.lock").write_text("above the root: not this project's")
    outside = tmp_path / "secret.csv"
    outside.write_text("outside")
    (root / "data" / "link.csv").symlink_to(outside)
    os.mkfifo(root / "data" / "fifo.csv")
    hasher = InputHasher(root)
    options = ExecuteOptions(inputs=("data/*.csv",))
    found = hasher.inputs_for(root / "sub" / "nbs" / "a.ipynb", options, root)
    assert sorted(found) == ["data/x.csv", "sub/requirements-dev.txt", "uv.lock"]
    without = ExecuteOptions(lockfiles=False)
    assert hasher.inputs_for(root / "sub" / "nbs" / "a.ipynb", without, root) == {}


def run_of(outputs: list[list], failure: Failure | None = None) -> RawRun:
    return RawRun(outputs, [i + 1 for i in range(len(outputs))], {}, failure, 1.0)


def judge(nb: dict, run: RawRun, options: NormalizeOptions = NormalizeOptions()) -> list[Problem]:
    return judge_run(nb, run, comparer=OutputComparer(options), cell_timeout=60, timeout=600)


def test_a_run_is_judged_against_the_notebook_as_it_is_now() -> None:
    run = run_of([[stream_output("1\n")], [stream_output("2\n")]])
    assert judge(notebook(), run) == []
    (problem,) = judge(edited("outputs"), run)  # an output edited by hand: the cached run says so
    assert problem.kind is ProblemKind.NOT_REPRODUCED and (problem.cell, problem.cell_id) == (
        3,
        "b",
    )
    assert problem.stored == ("stdout: 3",) and problem.rerun == ("stdout: 2",)


def test_cells_nbclient_does_not_run_are_not_compared() -> None:
    nb = make_notebook(
        code_cell("", outputs=[stream_output("left over\n")]),
        code_cell("f()", outputs=[stream_output("edited\n")], tags=["skip-execution"]),
    )
    assert judge(nb, run_of([[stream_output("old\n")], [stream_output("old\n")]])) == []


def test_the_folders_normalize_replacements_apply() -> None:
    nb = make_notebook(code_cell("f()", outputs=[stream_output("run 17 of job ab12\n")]))
    run = run_of([[stream_output("run 17 of job cd34\n")]])
    assert judge(nb, run)
    rule = Replacement(regex=r"job \w+", replace="job <id>")
    assert judge(nb, run, NormalizeOptions(replace=(rule,))) == []


def test_a_failure_names_its_cell_and_maps_the_traceback() -> None:
    nb = make_notebook(
        code_cell("def f():\n    return 1 / 0", cell_id="a"),
        markdown_cell("text"),
        code_cell("y = 2\nf()", cell_id="b", outputs=[stream_output("old\n")]),
        code_cell("print(3)", cell_id="c", outputs=[stream_output("9\n")]),
    )
    traceback = (
        "ZeroDivisionError   Traceback (most recent call last)\n"
        "Cell In[2], line 2\n----> 2 f()\n"
        "Cell In[1], line 2, in f()\n----> 2     return 1 / 0\n"
        "ZeroDivisionError: division by zero"
    )
    failure = Failure("raises", 2, "ZeroDivisionError", "division by zero", traceback)
    (problem,) = judge(nb, run_of([[], [], []], failure))
    assert (problem.cell, problem.cell_id, problem.line) == (3, "b", 2)
    assert problem.message.startswith("raises ZeroDivisionError: division by zero at `f()`")
    assert "cell 3 (id b), line 2" in problem.traceback
    assert "cell 1 (id a), line 2, in f()" in problem.traceback


def test_unknown_counts_are_left_in_the_traceback() -> None:
    assert map_traceback("Cell In[9], line 1", {1: 0}, [{"id": "a"}]) == "Cell In[9], line 1"


@pytest.mark.parametrize(
    "kind,message",
    [
        ("timeout", "the cell ran past the per-cell timeout of 60 s"),
        ("notebook-timeout", "the notebook ran past its total timeout of 600 s here"),
        ("died", "the kernel died while running this cell"),
    ],
)
def test_failures_without_a_traceback(kind: str, message: str) -> None:
    (problem,) = judge(notebook(), run_of([[stream_output("1\n")], []], Failure(kind, 2)))
    assert problem.cell == 3 and problem.message.startswith(message)


def cached() -> CachedRun:
    return CachedRun([[stream_output("1\n")], []], [1, None], {"name": "python"}, 1.5)


KEY = "ab" + "0" * 62


def test_store_round_trip_and_wrong_entries_are_misses(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "cache")
    assert store.read(KEY, 2) is None
    assert store.write(KEY, cached())
    assert store.read(KEY, 2) == cached()
    assert store.read(KEY, 3) is None  # the notebook has another number of code cells
    entry = tmp_path / "cache" / "entries" / "ab" / f"{KEY}.ipynb"
    other = "ab" + "1" * 62
    (entry.parent / f"{other}.ipynb").write_bytes(entry.read_bytes())  # filed under another key
    assert store.read(other, 2) is None
    for damaged in (b"", b"{", entry.read_bytes()[:-40], b"[]", b'{"nbformat": 4}', b"\xff" * 9):
        entry.write_bytes(damaged)
        assert store.read(KEY, 2) is None


def test_store_never_writes_through_a_planted_link(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("mine")
    store = RunStore(tmp_path / "cache")
    folder = tmp_path / "cache" / "entries" / "ab"
    folder.mkdir(parents=True)
    (folder / f"{KEY}.ipynb").symlink_to(victim)
    assert store.write(KEY, cached())
    assert victim.read_text() == "mine"
    assert store.read(KEY, 2) == cached()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "cache" / "entries" / "cd").symlink_to(elsewhere)
    assert not store.write("cd" + "0" * 62, cached())
    assert list(elsewhere.iterdir()) == []


def test_eviction_keeps_the_most_recently_used(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "cache")
    keys = [f"{i:02x}" + "0" * 62 for i in range(4)]
    for age, key in enumerate(keys):
        store.write(key, cached())
        path = tmp_path / "cache" / "entries" / key[:2] / f"{key}.ipynb"
        os.utime(path, (1000 + age, 1000 + age))
    assert store.read(keys[0], 2) is not None  # used now: the newest
    size = path.stat().st_size
    assert store.evict(2 * size) == 2
    assert [store.read(key, 2) is not None for key in keys] == [True, False, False, True]


def test_the_markdown_summary_escapes_notebook_text() -> None:
    runs = [
        NotebookRun("a|b.ipynb", Outcome.EXECUTED, seconds=2.0),
        NotebookRun(
            "<img src=x>.ipynb",
            Outcome.CACHED,
            [Problem(ProblemKind.NOT_REPRODUCED, 2, "stored '[x](http://e)' \x1b[2K", "id*")],
            seconds=5.0,  # how long its cached run took: not a run made now
        ),
    ]
    text = render_markdown(runs)
    assert "**2 notebooks: 1 executed, 1 cached, 1 failed**" in text
    assert "<img" not in text and "](http" not in text and "\x1b" not in text
    assert "| a\\|b.ipynb" not in text  # only failing notebooks have rows
    assert "Slowest runs: a\\|b.ipynb 2.0 s" in text  # only runs made now
    assert markdown_text("a|b") == "a\\|b"


def test_summary_line() -> None:
    runs = [NotebookRun("a", Outcome.CACHED), NotebookRun("b", Outcome.ERROR, error="x")]
    assert Summary.of(runs).line() == "2 notebooks: 0 executed, 1 cached, 1 failed"


def test_a_cached_entry_is_plain_data_in_a_notebook(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    run = copy.deepcopy(cached())
    run.outputs[0].append(
        {"output_type": "display_data", "data": {"text/html": "<script>"}, "metadata": {}}
    )
    store.write(KEY, run)
    assert store.read(KEY, 2) == run
    write_notebook(tmp_path / "x.ipynb", make_notebook())  # the helpers still work beside it


def test_files_that_are_not_notebooks_are_errors_naming_them(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from nbcollab.cli.app import app

    (tmp_path / "bad.ipynb").write_bytes(b"\x1b]52;c;bm90\x07 not json")
    os.mkfifo(tmp_path / "fifo.ipynb")
    done = CliRunner().invoke(app, ["execute", "--cache-dir", str(tmp_path / "c"), str(tmp_path)])
    assert done.exit_code == 2
    assert done.stdout.splitlines()[-1] == "1 notebook: 0 executed, 0 cached, 1 failed"
    assert "bad.ipynb:1: not a notebook but text" in done.stderr
    # A FIFO in a folder is skipped by the walk every command makes, and said.
    assert "skipped " in done.stderr and "fifo.ipynb: not a regular file" in done.stderr
    assert "\x1b" not in done.stdout + done.stderr
    assert not (tmp_path / "c").exists()  # nothing ran, nothing cached
