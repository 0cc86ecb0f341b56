"""Many notebooks on several processes: results in order, and every command's output, exit code
and files the same whatever ``-j`` is; Ctrl-C leaves every file whole."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import (
    CORPUS_NOTEBOOKS,
    code_cell,
    git,
    html_output,
    make_notebook,
    markdown_cell,
    requires_corpus,
    run_nbcollab,
    stream_output,
    write_notebook,
)

from nbcollab.workers import map_in_order


def _square(n: int) -> int:
    return n * n


def _fail_at_five(n: int) -> int:
    if n == 5:
        raise ValueError("five")
    return n


@pytest.mark.parametrize("jobs", [1, 2, 3])
@pytest.mark.parametrize("count", [0, 1, 2, 7, 100])
def test_results_come_back_in_the_items_order(jobs: int, count: int) -> None:
    assert list(map_in_order(_square, list(range(count)), jobs=jobs)) == [
        n * n for n in range(count)
    ]


@pytest.mark.parametrize("jobs", [1, 2])
def test_an_exception_comes_back_at_its_item(jobs: int) -> None:
    got: list[int] = []
    with pytest.raises(ValueError, match="five"):
        for value in map_in_order(_fail_at_five, list(range(40)), jobs=jobs):
            got.append(value)
    assert got == [0, 1, 2, 3, 4]


def _folder(tmp_path: Path) -> Path:
    """Notebooks of every kind a folder holds: dirty, clean, broken, not UTF-8, odd names, a
    key repeated."""
    root = tmp_path / "repo"
    for k in range(30):
        cells = [markdown_cell(f"# part {k}"), code_cell(f"x = {k}\nprint(x)", count=k + 1)]
        if k % 3 == 0:
            cells[1]["outputs"] = [stream_output(f"{k}\n"), html_output("<b>hi</b>")]
        if k % 4 == 0:
            cells.append(code_cell("y = undefined_name + 1", count=1))
        (root / f"sub{k % 4}").mkdir(parents=True, exist_ok=True)
        path = write_notebook(root / f"sub{k % 4}" / f"nb{k:02d}.ipynb", make_notebook(*cells))
        if k % 5 == 1:  # read with a warning, which a worker's stderr would say out of order
            text = path.read_text(encoding="utf-8")
            path.write_text(text.replace('"nbformat": 4', '"nbformat": 3, "nbformat": 4'))
    (root / "sub1" / "broken.ipynb").write_text('{"cells": [', encoding="utf-8")
    (root / "sub2" / "latin.ipynb").write_bytes(b'{"cells": "\xe9"}')
    (root / "sub3" / "esc\x1b[31m.ipynb").write_text(
        json.dumps(make_notebook(code_cell("z = 1", count=3))), encoding="utf-8"
    )
    (root / "empty").mkdir()
    return root


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


COMMANDS = [
    ["clean", "--check"],
    ["clean"],
    ["lint"],
    ["lint", "--format", "json"],
    ["trust", "check"],
    ["export", "--outdir", "modules"],
]


@pytest.mark.slow
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c))
def test_every_command_says_and_writes_the_same_on_one_or_many_processes(
    tmp_path: Path, command: list[str]
) -> None:
    outcomes = []
    for jobs in ("1", "2", "3"):
        root = _folder(tmp_path / jobs)
        done = run_nbcollab(*command, "-j", jobs, ".", cwd=root)
        outcomes.append((done.returncode, done.stdout, done.stderr, _snapshot(root)))
    assert outcomes[0][0] in (0, 1, 2) and b"Traceback" not in outcomes[0][2]
    assert outcomes[1] == outcomes[0]
    assert outcomes[2] == outcomes[0]


@pytest.mark.slow
@requires_corpus
def test_ctrl_c_exits_130_and_leaves_every_file_whole(tmp_path: Path) -> None:
    sources = sorted(p for p in CORPUS_NOTEBOOKS.glob("*.ipynb") if p.stat().st_size < 300_000)
    root = tmp_path / "repo"
    root.mkdir()
    before = {}
    for k in range(600):
        source = sources[k % len(sources)]
        target = root / f"{k:03d}-{source.name[-30:]}"
        shutil.copyfile(source, target)
        before[target.name] = target.read_bytes()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    child = subprocess.Popen(
        [sys.executable, "-m", "nbcollab", "clean", "-j", "2", "."],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,  # the signal goes to its group, as a terminal sends Ctrl-C
    )
    assert child.stdout is not None
    assert child.stdout.readline().startswith(b"cleaned ")
    os.killpg(child.pid, signal.SIGINT)
    _, stderr = child.communicate(timeout=120)
    assert child.returncode == 130, stderr
    assert stderr.decode().strip().endswith("nbcollab: interrupted")
    assert sorted(p.name for p in root.iterdir()) == sorted(before)  # no temporary file left
    for path in root.iterdir():
        data = path.read_bytes()
        if data != before[path.name]:
            json.loads(data)  # whole: the cleaned notebook, never half of one


def test_the_review_page_is_the_same_on_one_or_many_processes(git_repo: Path) -> None:
    for k in range(12):
        cells = [markdown_cell(f"# {k}", cell_id="t"), code_cell(f"x = {k}", cell_id="c")]
        write_notebook(git_repo / f"nb{k:02d}.ipynb", make_notebook(*cells))
    git(git_repo, "add", ".")
    git(git_repo, "commit", "-qm", "first")
    for k in range(0, 12, 2):
        cells = [markdown_cell(f"# {k}", cell_id="t"), code_cell(f"x = {k + 1}", cell_id="c")]
        write_notebook(git_repo / f"nb{k:02d}.ipynb", make_notebook(*cells))
    (git_repo / "nb11.ipynb").unlink()
    git(git_repo, "commit", "-qam", "second")
    pages = []
    for jobs in ("1", "2", "3"):
        done = run_nbcollab(
            "diff", "HEAD~", "HEAD", "--format", "html", "-j", jobs, "-o", "p.html", cwd=git_repo
        )
        assert done.returncode == 1 and done.stderr == b""
        pages.append((git_repo / "p.html").read_bytes())
    assert pages[1] == pages[0] and pages[2] == pages[0]
    assert pages[0].count(b'<article class="notebook"') == 7


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_file_clean_cannot_write_is_named_and_the_others_are_cleaned(
    tmp_path: Path, jobs: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from typer.testing import CliRunner

    import nbcollab.files
    from nbcollab.cli.app import app

    dirty = make_notebook(code_cell("x = 1", count=4, outputs=[stream_output("1\n")]))
    for name in ("a", "b", "c"):
        (tmp_path / name).mkdir()
        write_notebook(tmp_path / name / "nb.ipynb", dirty)
    replace = nbcollab.files._replace

    def refuse_b(target: str, data: bytes, mode: int) -> None:  # as a read-only folder does
        if Path(target).parent.name == "b":  # (the workers fork: they see this stand-in)
            raise PermissionError(errno.EACCES, "Permission denied")
        replace(target, data, mode)

    monkeypatch.setattr(nbcollab.files, "_replace", refuse_b)
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(app, ["clean", "-j", jobs, "."])
    assert done.exit_code == 2
    assert done.stdout == "cleaned a/nb.ipynb\ncleaned c/nb.ipynb\n"
    assert done.stderr == "nbcollab: error: b/nb.ipynb: cannot write (Permission denied)\n"
