"""``nbcollab execute`` and ``pytest --nbcollab`` with real kernels, in real repositories.

Kernels take about a second to start here, so each test runs a few small notebooks. Processes
left behind are counted by a marker in their environment, which every kernel and every process
a cell starts inherits.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from helpers import code_cell, git, make_notebook, stream_output, write_notebook
from test_lint_execute import needs_kernel

pytestmark = [pytest.mark.slow, needs_kernel]


def with_marker() -> tuple[str, dict[str, str]]:
    mark = uuid.uuid4().hex
    return mark, {**os.environ, "NBCOLLAB_TEST_MARK": mark}


def marked_processes(mark: str) -> list[str]:
    """The command lines of live processes that carry ``mark`` in their environment."""
    found = []
    needle = f"NBCOLLAB_TEST_MARK={mark}".encode()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes()
            status = Path(f"/proc/{pid}/stat").read_text()
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0") and status.split(") ")[-1][:1] != "Z":
            found.append(cmdline.replace(b"\0", b" ").decode(errors="replace"))
    return found


def gone(mark: str, seconds: float = 10) -> list[str]:
    """The marked processes still alive after waiting up to ``seconds`` for them to end."""
    deadline = time.monotonic() + seconds
    while (left := marked_processes(mark)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def nbcollab(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nbcollab", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def small_notebook(path: Path, value: int) -> Path:
    return write_notebook(
        path,
        make_notebook(
            code_cell(f"x = {value}", count=1, cell_id="a"),
            code_cell(
                "print(x * 2)", count=2, cell_id="b", outputs=[stream_output(f"{value * 2}\n")]
            ),
        ),
    )


def summary(done: subprocess.CompletedProcess[str]) -> str:
    return done.stdout.splitlines()[-1]


def test_a_repository_runs_only_what_changed(git_repo: Path) -> None:
    (git_repo / "nbs").mkdir()
    for value in range(4):
        small_notebook(git_repo / "nbs" / f"n{value}.ipynb", value)
    (git_repo / "uv.lock").write_text("version = 1\n")
    first = nbcollab("execute", "-j", "2", cwd=git_repo)
    assert (first.returncode, summary(first)) == (0, "4 notebooks: 4 executed, 0 cached, 0 failed")
    assert (git_repo / ".git" / "nbcollab" / "execute-cache" / "entries").is_dir()
    again = nbcollab("execute", cwd=git_repo)
    assert summary(again) == "4 notebooks: 0 executed, 4 cached, 0 failed"

    small_notebook(git_repo / "nbs" / "n1.ipynb", 10)  # new code
    stale = git_repo / "nbs" / "n2.ipynb"
    nb = json.loads(stale.read_text())
    nb["cells"][1]["outputs"][0]["text"] = ["5\n"]  # an output that the code no longer gives
    stale.write_text(json.dumps(nb, indent=1))
    edited = nbcollab("execute", "--format", "text", cwd=git_repo)
    assert edited.returncode == 1
    assert summary(edited) == "4 notebooks: 1 executed, 3 cached, 1 failed"
    assert "nbs/n2.ipynb" in edited.stdout
    assert (
        "X402 error: output not reproduced: stored 'stdout: 5', re-run 'stdout: 4'" in edited.stdout
    )

    step_summary = git_repo.parent / "summary.md"
    github = nbcollab("execute", "--format", "github", "--summary", str(step_summary), cwd=git_repo)
    assert "::error file=nbs/n2.ipynb,line=" in github.stdout
    assert github.stderr.strip().endswith("4 notebooks: 0 executed, 4 cached, 1 failed")
    assert "| nbs/n2.ipynb | 2 \\(id b\\), line 1 |" in step_summary.read_text()
    sarif = json.loads(nbcollab("execute", "--format", "sarif", cwd=git_repo).stdout)
    (result,) = sarif["runs"][0]["results"]
    assert result["ruleId"] == "X402" and result["properties"]["cellId"] == "b"
    code_line = next(
        n for n, text in enumerate(stale.read_text().splitlines(), 1) if "print(x * 2)" in text
    )
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == code_line

    linted = nbcollab("lint", "--execute", "--select", "X", "nbs/n2.ipynb", cwd=git_repo)
    assert (
        linted.returncode == 1 and "X402 error: output not reproduced" in linted.stdout
    )  # from the cache

    (git_repo / "uv.lock").write_text("version = 2\n")
    relocked = nbcollab("execute", "--no-compare", "-j", "2", cwd=git_repo)
    assert summary(relocked) == "4 notebooks: 4 executed, 0 cached, 0 failed"
    shards = [nbcollab("execute", "--shard", f"{k}/2", cwd=git_repo) for k in (1, 2)]
    counts = [int(summary(done).split()[0]) for done in shards]
    assert sum(counts) == 4 and all("0 executed" in summary(done) for done in shards)


def test_pytest_runs_each_notebook_as_an_item_with_xdist_and_lf(git_repo: Path) -> None:
    for value in range(3):
        small_notebook(git_repo / f"n{value}.ipynb", value)
    stale = git_repo / "n1.ipynb"
    stale.write_text(stale.read_text().replace('"2\\n"', '"3\\n"'))

    def pytest_run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pytest", "--nbcollab", "-p", "no:nbval", *args],
            cwd=git_repo,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    first = pytest_run("-n", "2", "-rA")
    assert first.returncode == 1, first.stdout
    assert "2 passed" in first.stdout and "1 failed" in first.stdout
    assert (
        "PASSED n0.ipynb::notebook" in first.stdout and "FAILED n1.ipynb::notebook" in first.stdout
    )
    report = first.stdout
    assert "cell 2 (id b), line 1 [n1.ipynb:" in report and "X402 output not reproduced" in report
    assert "stored output (normalized):\n      stdout: 3" in report
    assert "re-run output (normalized):\n      stdout: 2" in report
    last_failed = pytest_run("--lf", "-rA")
    assert "1 failed" in last_failed.stdout and "rerun previous 1 failure" in last_failed.stdout
    assert "PASSED" not in last_failed.stdout
    assert "FAILED n1.ipynb::notebook" in last_failed.stdout
    stale.write_text(stale.read_text().replace('"3\\n"', '"2\\n"'))
    fixed = pytest_run("--lf", "--junitxml", "junit.xml")
    assert fixed.returncode == 0, fixed.stdout
    assert 'name="notebook"' in (git_repo / "junit.xml").read_text()


def hanging_notebook(path: Path, last: str = "import time\ntime.sleep(120)") -> Path:
    return write_notebook(
        path,
        make_notebook(
            code_cell("import subprocess\nchild = subprocess.Popen(['sleep', '300'])", cell_id="a"),
            code_cell(last, cell_id="b"),
        ),
    )


def test_a_timeout_names_the_cell_and_leaves_no_process(tmp_path: Path) -> None:
    hanging_notebook(tmp_path / "slow.ipynb")
    write_notebook(
        tmp_path / "dies.ipynb",
        make_notebook(
            code_cell("import subprocess\nchild = subprocess.Popen(['sleep', '300'])", cell_id="a"),
            code_cell("import os\nos._exit(1)", cell_id="b"),
        ),
    )
    mark, env = with_marker()
    done = nbcollab("execute", "--cell-timeout", "3", "-j", "2", cwd=tmp_path, env=env)
    assert done.returncode == 1, done.stderr
    assert "slow.ipynb:" in done.stdout
    assert (
        "X403 error: the cell ran past the per-cell timeout of 3 s [cell 2 (id b), line 1]"
        in done.stdout
    )
    assert "X401 error: the kernel died while running this cell" in done.stdout
    assert gone(mark) == []


@pytest.mark.parametrize(
    "command,signum",
    [
        # One engine: the command and lint --execute stop the same way.
        (["execute"], signal.SIGTERM),
        (["lint", "--execute"], signal.SIGINT),
        (["lint", "--execute"], signal.SIGTERM),
    ],
)
def test_an_interrupted_run_says_so_and_leaves_no_process(
    tmp_path: Path, command: list[str], signum: int
) -> None:
    hanging_notebook(tmp_path / "slow.ipynb")
    mark, env = with_marker()
    runner = subprocess.Popen(
        [sys.executable, "-m", "nbcollab", *command, "slow.ipynb"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not any(p.startswith("sleep 300") for p in marked_processes(mark)):
            assert time.monotonic() < deadline and runner.poll() is None, runner.communicate()
            time.sleep(0.2)
        runner.send_signal(signum)
        _, err = runner.communicate(timeout=60)
    finally:
        if runner.poll() is None:
            runner.kill()
    assert runner.returncode == 130, err
    assert err.strip().splitlines()[-1] == "nbcollab: interrupted"
    assert "internal error" not in err and "Traceback" not in err
    assert gone(mark) == []


def test_two_runners_at_once_share_the_cache(git_repo: Path) -> None:
    for value in range(2):
        small_notebook(git_repo / f"n{value}.ipynb", value)
    git(git_repo, "add", ".")
    runners = [
        subprocess.Popen(
            [sys.executable, "-m", "nbcollab", "execute", "-j", "1"],
            cwd=git_repo,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for runner in runners:
        out, err = runner.communicate(timeout=300)
        assert runner.returncode == 0, err
        assert out.splitlines()[-1].endswith("0 failed")
    after = nbcollab("execute", cwd=git_repo)
    assert summary(after) == "2 notebooks: 0 executed, 2 cached, 0 failed"


def test_without_the_flag_the_plugin_imports_nothing_and_collects_nothing(tmp_path: Path) -> None:
    small_notebook(tmp_path / "n.ipynb", 1)
    probe = (
        "import sys, nbcollab.cli.pytest_plugin\n"
        "heavy = ('nbclient', 'nbformat', 'jupyter_client', 'typer', 'pydantic', 'git', "
        "'nbcollab.execute', 'nbcollab.lint')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:nbval", "n.ipynb"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 4 and "not found" in done.stdout + done.stderr  # not a test file
    listed = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbcollab", "--collect-only", "-q"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "n.ipynb::notebook" in listed.stdout
