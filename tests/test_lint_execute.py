"""nbcollab lint --execute with a real ipykernel: clean, raising, stale and too-slow notebooks."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from helpers import code_cell, make_notebook, stream_output, write_notebook
from typer.testing import CliRunner

from nbcollab.cli.app import app
from nbcollab.errors import NbcollabError
from nbcollab.execute.compare import OutputComparer
from nbcollab.execute.key import normalized_code
from nbcollab.execute.result import Executed
from nbcollab.lint.execute import write_run

runner = CliRunner()
COMPARER = OutputComparer()
first_difference = COMPARER.first_difference
normalise_text = COMPARER.normalise_text
HAS_KERNEL = all(importlib.util.find_spec(m) for m in ("nbclient", "ipykernel"))
needs_kernel = pytest.mark.skipif(not HAS_KERNEL, reason="nbclient or ipykernel is not installed")


def lint(*args: str) -> tuple[int, str, str]:
    # Every run is bounded: 20 s a cell, 90 s a notebook.
    result = runner.invoke(
        app, ["lint", "--execute", "--cell-timeout", "20", "--timeout", "90", *args]
    )
    return result.exit_code, result.stdout, result.stderr


def result(count: int, text: str) -> dict:
    return {
        "output_type": "execute_result",
        "execution_count": count,
        "metadata": {},
        "data": {"text/plain": text},
    }


@pytest.mark.slow
@needs_kernel
def test_clean_notebook_runs_in_its_own_folder(tmp_path: Path) -> None:
    (tmp_path / "data.txt").write_text("hello")
    path = write_notebook(
        tmp_path / "nb.ipynb",
        make_notebook(
            code_cell(
                "x = open('data.txt').read()\nprint(x)",
                count=1,
                cell_id="a",
                outputs=[stream_output("hello\n")],
            ),
            code_cell(
                "object()", count=2, cell_id="b", outputs=[result(2, "<object at 0x7f00deadbeef>")]
            ),
            code_cell(
                "import datetime\nprint(datetime.datetime.now())",
                count=3,
                cell_id="c",
                outputs=[stream_output("2020-01-02 03:04:05.678901\n")],
            ),
        ),
    )
    before = path.read_bytes()
    assert lint(str(path)) == (0, "", "")
    assert path.read_bytes() == before


@pytest.mark.slow
@needs_kernel
def test_raising_cell_is_reported_with_its_line_and_the_run_stops(tmp_path: Path) -> None:
    path = write_notebook(
        tmp_path / "nb.ipynb",
        make_notebook(
            code_cell("a = 1", count=1, cell_id="a"),
            code_cell("b = 2\nprint(a + c)", count=2, cell_id="b"),
            code_cell("print(3)", count=3, cell_id="c", outputs=[stream_output("9\n")]),
        ),
    )
    code, out, _ = lint(str(path), "--select", "X")
    assert code == 1
    (line,) = out.splitlines()[:-1]
    assert "X401 error: raises NameError: name 'c' is not defined at `print(a + c)`" in line
    assert "[cell 2 (id b), line 2, count 2]" in line
    assert "X402" not in out  # cells after the error did not run: nothing to compare


@pytest.mark.slow
@needs_kernel
def test_an_exit_with_no_line_in_its_traceback_quotes_no_line(tmp_path: Path) -> None:
    path = write_notebook(
        tmp_path / "nb.ipynb",
        make_notebook(code_cell("import sys\nx = 1\nsys.exit('bye')", count=1, cell_id="a")),
    )
    code, out, _ = lint(str(path), "--select", "X")
    assert code == 1
    (line,) = out.splitlines()[:-1]
    assert "X401 error: raises SystemExit: bye; Restart & Run All stops here" in line
    assert "import sys" not in line  # IPython gives no line for it: none is claimed


@pytest.mark.slow
@needs_kernel
def test_stale_output_is_reported_and_write_saves_the_rerun(tmp_path: Path) -> None:
    path = write_notebook(
        tmp_path / "nb.ipynb",
        make_notebook(
            code_cell("print(40 + 2)", count=1, cell_id="a", outputs=[stream_output("41\n")])
        ),
    )
    code, out, _ = lint(str(path), "--select", "X")
    assert (
        code == 1
        and "X402 error: output not reproduced: stored 'stdout: 41', re-run 'stdout: 42'" in out
    )
    lint(str(path), "--write")
    assert '"42\\n"' in path.read_text()
    broken = write_notebook(
        tmp_path / "broken.ipynb",
        make_notebook(
            code_cell("print(40 + 2)", count=1, cell_id="a", outputs=[stream_output("41\n")]),
            code_cell("1 / 0", count=2, cell_id="b"),
        ),
    )
    before = broken.read_bytes()
    assert lint(str(broken), "--write")[0] == 1
    assert broken.read_bytes() == before  # a run that stopped half-way is not saved
    assert lint(str(path), "--select", "X")[0] == 0


@pytest.mark.slow
@needs_kernel
def test_timeouts(tmp_path: Path) -> None:
    path = write_notebook(
        tmp_path / "nb.ipynb",
        make_notebook(
            code_cell("import time", count=1, cell_id="a"),
            code_cell("time.sleep(60)", count=2, cell_id="b"),
        ),
    )
    done = runner.invoke(app, ["lint", "--execute", "--cell-timeout", "3", str(path)])
    assert done.exit_code == 1
    assert "X403 error: the cell ran past the per-cell timeout of 3 s [cell 2 (id b)" in done.stdout
    done = runner.invoke(app, ["lint", "--execute", "--timeout", "4", str(path)])
    assert "X403 error: the notebook ran past its total timeout of 4 s here [cell 2" in done.stdout


@pytest.mark.slow
@needs_kernel
def test_a_kernel_that_dies_is_a_finding_at_its_cell(tmp_path: Path) -> None:
    path = write_notebook(
        tmp_path / "nb.ipynb",
        make_notebook(
            code_cell("a = 1", count=1, cell_id="a"),
            code_cell("import os\nos._exit(1)", count=2, cell_id="b"),
            code_cell("raise ValueError()", count=3, cell_id="c"),
        ),
    )
    code, out, _ = lint(str(path), "--select", "X")
    assert code == 1
    assert "X401 error: the kernel died while running this cell" in out and "[cell 2 (id b)" in out


@pytest.mark.slow
@needs_kernel
def test_unknown_kernel_is_an_error_naming_the_file(tmp_path: Path) -> None:
    path = write_notebook(tmp_path / "nb.ipynb", make_notebook(code_cell("1", count=1)))
    other = write_notebook(
        tmp_path / "other.ipynb",
        make_notebook(code_cell("print(x)", count=1), code_cell("x = 1", count=2)),
    )
    code, out, err = lint(str(path), str(other), "--kernel", "no-such-kernel")
    assert code == 2 and f"{path}: kernel 'no-such-kernel' is not installed" in err
    assert "other.ipynb" in out and "D201" in out  # its static findings are still reported


NORMALISE_CASES = [
    ("<Foo at 0x7f3a1c2b4e60>", "<Foo at 0x7f00aa11bb22>"),
    ("run at 2024-05-01 10:11:12.123", "run at 2023-01-01T00:00:00Z"),
    ("CPU times: user 1 s\nWall time: 2.1 s\n3", "CPU times: user 9 s\nWall time: 0.1 s\n3"),
    ("100%|██████████| 10/10 [00:01<00:00, 9.9it/s]\ndone", "done"),
    ("50%\rdone", "done"),
]


@pytest.mark.parametrize("stored,fresh", NORMALISE_CASES)
def test_volatile_text_is_normalised(stored: str, fresh: str) -> None:
    assert normalise_text(stored) == normalise_text(fresh)


def test_images_compare_by_presence_and_real_changes_show() -> None:
    png = {"output_type": "display_data", "metadata": {}, "data": {"image/png": "AAAA"}}
    other_png = {"output_type": "display_data", "metadata": {}, "data": {"image/png": "BBBB"}}
    assert first_difference([png], [other_png]) is None
    assert first_difference([png], []) == "stored 'image', re-run has nothing"
    assert first_difference([stream_output("total: 5\n")], [stream_output("total: 6\n")])
    html = {"output_type": "execute_result", "metadata": {}, "data": {"text/html": "<b>"}}
    plain = {"output_type": "execute_result", "metadata": {}, "data": {"text/plain": "0"}}
    assert first_difference([html], [plain]) == "stored 'result: <text/html>', re-run 'result: 0'"


@pytest.mark.parametrize("saved", ["print('NEW code')", "print('old code')\n# a comment"])
def test_write_refuses_outputs_of_code_changed_while_it_ran(tmp_path: Path, saved: str) -> None:
    ran = make_notebook(code_cell("print('old code')", count=None, cell_id="a"))
    executed = Executed([[stream_output("old code\n")]], [1], {}, normalized_code(ran))
    # Saved from Jupyter while the run was under way: as many code cells, other code.
    path = write_notebook(
        tmp_path / "nb.ipynb", make_notebook(code_cell(saved, count=None, cell_id="a"))
    )
    before = path.read_bytes()
    with pytest.raises(NbcollabError, match="its code changed while it ran; not written"):
        write_run(path, executed)
    assert path.read_bytes() == before


def test_write_saves_a_run_of_the_code_as_it_is(tmp_path: Path) -> None:
    nb = make_notebook(code_cell("print('old code')", count=None, cell_id="a"))
    path = write_notebook(tmp_path / "nb.ipynb", nb)
    executed = Executed([[stream_output("old code\n")]], [1], {}, normalized_code(nb))
    assert write_run(path, executed)
    assert '"old code\\n"' in path.read_text()


@pytest.mark.parametrize(
    "stored,fresh,said",
    [
        ([], [result(1, "1")], "stored nothing, re-run 'result: 1'"),
        ([stream_output("ok\n")], [stream_output("ok\n"), result(1, "1")], "stored nothing more"),
        (
            [stream_output("ok\n"), result(1, "1")],
            [stream_output("ok\n")],
            "re-run has nothing more",
        ),
        ([result(1, "1")], [], "stored 'result: 1', re-run has nothing"),
    ],
)
def test_an_output_missing_at_the_end_is_said_for_what_it_is(
    stored: list, fresh: list, said: str
) -> None:
    difference = first_difference(stored, fresh)
    assert difference is not None and said in difference
    assert difference.endswith("nothing") == said.endswith("nothing")
