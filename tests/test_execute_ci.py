"""``nbcollab execute`` and ``pytest --nbcollab`` as CI runs them: the cache folder the recipes
persist, the folders a walk skips, the paths reports name, and options checked before anything
runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import code_cell, git, make_notebook, write_notebook
from test_execute_cli import nbcollab, small_notebook
from test_lint_execute import needs_kernel
from typer.testing import CliRunner

from nbcollab.cli.app import app
from nbcollab.cli.execution import say_if_uncached
from nbcollab.config.load import parse_config
from nbcollab.errors import ConfigError
from nbcollab.execute.store import CachedRun, RunStore

runner = CliRunner()


def pytest_nbcollab(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--nbcollab", "-p", "no:cacheprovider", "-q", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def planted(path: Path, marker: Path) -> Path:
    """A notebook that leaves ``marker`` behind when it runs."""
    code = f"open({str(marker)!r}, 'w').write('ran')"
    return write_notebook(path, make_notebook(code_cell(code, count=None, cell_id="a")))


@pytest.mark.slow
@needs_kernel
def test_the_cache_folders_own_files_are_never_run(git_repo: Path, tmp_path: Path) -> None:
    (git_repo / ".gitignore").write_text(".nbcollab-cache/\n")
    small_notebook(git_repo / "a.ipynb", 1)
    marker = tmp_path / "ran"
    (git_repo / ".nbcollab-cache" / "entries" / "zz").mkdir(parents=True)
    planted(git_repo / ".nbcollab-cache" / "entries" / "zz" / "evil.ipynb", marker)
    for _ in range(2):
        done = nbcollab("execute", "--cache-dir", ".nbcollab-cache", cwd=git_repo)
        assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "1 notebook: 0 executed, 1 cached, 0 failed"
    tested = pytest_nbcollab("--nbcollab-cache-dir", ".nbcollab-cache", cwd=git_repo)
    assert tested.returncode == 0 and "1 passed" in tested.stdout, tested.stdout
    assert not marker.exists()


@pytest.mark.parametrize("command", ["execute", "pytest"])
def test_a_cache_folder_git_tracks_is_refused(git_repo: Path, command: str) -> None:
    write_notebook(git_repo / "a.ipynb", make_notebook(code_cell("1 / 0", count=None)))
    cache = git_repo / "ci-cache" / "entries"
    cache.mkdir(parents=True)
    (cache / "forged.ipynb").write_text("{}")
    git(git_repo, "add", "-A")
    if command == "execute":
        done = nbcollab("execute", "--cache-dir", "ci-cache", cwd=git_repo)
        assert done.returncode == 2
    else:
        done = pytest_nbcollab("--nbcollab-cache-dir", "ci-cache", cwd=git_repo)
        assert done.returncode == pytest.ExitCode.USAGE_ERROR
    (line,) = [line for line in done.stderr.splitlines() if "ci-cache" in line]
    assert "ci-cache: git tracks files in it" in line and "outside the checkout" in line


def test_a_cache_dir_that_cannot_be_a_folder_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "notadir").write_text("")
    nb = write_notebook(tmp_path / "a.ipynb", make_notebook(code_cell("1", count=None)))
    for cache in (tmp_path / "notadir", tmp_path / "notadir" / "below"):
        done = runner.invoke(app, ["execute", "--cache-dir", str(cache), str(nb)])
        assert done.exit_code == 2
        assert f"--cache-dir {cache}: " in done.stderr and "name a folder" in done.stderr


@pytest.mark.slow
@needs_kernel
def test_execute_and_pytest_leave_installed_packages_out(git_repo: Path, tmp_path: Path) -> None:
    small_notebook(git_repo / "analysis.ipynb", 1)
    marker = tmp_path / "ran"
    (git_repo / "env").mkdir()
    (git_repo / "env" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    for folder in ("env/share", "lib/site-packages/pkg", "node_modules/pkg", ".tox/py", ".nox/a"):
        (git_repo / folder).mkdir(parents=True)
        planted(git_repo / folder / "shipped.ipynb", marker)
    done = nbcollab("execute", "--no-compare", cwd=git_repo)
    assert done.stdout.splitlines()[-1] == "1 notebook: 1 executed, 0 cached, 0 failed"
    assert nbcollab("lint", ".", cwd=git_repo).returncode == 0
    assert nbcollab("execute", "--shard", "1/1", cwd=git_repo).stdout.startswith("1 notebook:")
    tested = pytest_nbcollab(cwd=git_repo)
    assert tested.returncode == 0 and "1 passed" in tested.stdout, tested.stdout
    assert not marker.exists()


def _named_file(fmt: str, out: str) -> str:
    if fmt == "github":
        return out.split("file=", 1)[1].split(",", 1)[0]
    location = json.loads(out)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
    return location["artifactLocation"]["uri"]


@pytest.mark.parametrize("fmt", ["github", "sarif"])
@pytest.mark.parametrize("given", ["nb.ipynb", ".", "../nbs/nb.ipynb"])
def test_lint_names_files_from_the_repository_top_in_a_sub_folder(
    git_repo: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, given: str
) -> None:
    (git_repo / "nbs").mkdir()
    write_notebook(
        git_repo / "nbs" / "nb.ipynb",
        make_notebook(code_cell("print(x)", count=1), code_cell("x = 1", count=2)),
    )
    monkeypatch.chdir(git_repo / "nbs")
    done = runner.invoke(app, ["lint", "--format", fmt, given])
    assert _named_file(fmt, done.stdout) == "nbs/nb.ipynb"


@pytest.mark.slow
@needs_kernel
def test_execute_names_files_from_the_repository_top_in_a_sub_folder(git_repo: Path) -> None:
    (git_repo / "nbs").mkdir()
    write_notebook(git_repo / "nbs" / "raise.ipynb", make_notebook(code_cell("1 / 0", count=1)))
    github = nbcollab("execute", "--format", "github", cwd=git_repo / "nbs")
    assert _named_file("github", github.stdout) == "nbs/raise.ipynb"
    sarif = nbcollab("execute", "--format", "sarif", cwd=git_repo / "nbs")
    assert _named_file("sarif", sarif.stdout) == "nbs/raise.ipynb"


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "0", "-1"])
@pytest.mark.parametrize("option", ["--cell-timeout", "--timeout"])
@pytest.mark.parametrize("command", [["execute"], ["lint", "--execute"]])
def test_a_limit_that_is_not_seconds_is_refused_up_front(
    tmp_path: Path, command: list[str], option: str, value: str
) -> None:
    nb = write_notebook(tmp_path / "a.ipynb", make_notebook(code_cell("1", count=None)))
    done = runner.invoke(app, [*command, f"{option}={value}", str(nb)])
    assert done.exit_code == 2
    assert f"{option.lstrip('-')} must be a number of seconds more than 0" in done.stderr
    assert "notebook:" not in done.stdout + done.stderr  # nothing ran


@pytest.mark.parametrize("name", ["cell-timeout", "timeout"])
@pytest.mark.parametrize("value", ["inf", "nan"])
def test_a_configured_limit_that_is_not_seconds_is_refused(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=f"{name} must be a number of seconds more than 0"):
        parse_config({"execute": {name: float(value)}})


def test_an_unwritable_summary_is_refused_before_anything_runs(tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "a.ipynb", make_notebook(code_cell("1 / 0", count=None)))
    for option, target in [
        ("--summary", tmp_path / "missing" / "summary.md"),
        ("--summary", tmp_path),
        ("--output", tmp_path / "missing" / "report.sarif"),
    ]:
        done = runner.invoke(app, ["execute", option, str(target), str(nb)])
        assert done.exit_code == 2
        (line,) = done.stderr.splitlines()
        assert line.startswith(f"nbcollab: error: {option} {target}: ")


@pytest.mark.parametrize(
    "seconds,slowest,cell_timeout,timeout,within",
    [
        (5.0, 1.0, 60, 600, True),
        (5.0, 1.0, 60, 4, False),  # the notebook took longer than now allowed
        (5.0, 1.0, 0.5, 600, False),  # a cell took longer than now allowed
        (5.0, 1.0, 60, None, True),
        (5.0, None, 4, 600, False),  # not recorded: the whole run bounds every cell
        (5.0, None, 5, 600, True),
    ],
)
def test_a_cached_run_vouches_only_within_the_limits_now(
    seconds: float, slowest: float | None, cell_timeout: float, timeout: float | None, within: bool
) -> None:
    run = CachedRun([[]], [1], {}, seconds, slowest)
    assert run.within(cell_timeout, timeout) is within


def test_the_slowest_cell_is_kept_in_the_cache(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    store.write("ab" * 32, CachedRun([[]], [1], {}, 5.0, 1.25))
    store.write("cd" * 32, CachedRun([[]], [1], {}, 5.0, None))
    assert store.read("ab" * 32, 1) == CachedRun([[]], [1], {}, 5.0, 1.25)
    assert store.read("cd" * 32, 1) == CachedRun([[]], [1], {}, 5.0, None)


def sleepy_notebook(path: Path, cells: int, seconds: float) -> Path:
    sleeps = [code_cell(f"time.sleep({seconds})", count=None) for _ in range(cells)]
    return write_notebook(path, make_notebook(code_cell("import time", count=None), *sleeps))


@pytest.mark.slow
@needs_kernel
def test_the_notebooks_timeout_stops_a_run_of_short_cells(tmp_path: Path) -> None:
    sleepy_notebook(tmp_path / "slow.ipynb", 8, 0.5)
    done = nbcollab("execute", "--timeout", "2", "slow.ipynb", cwd=tmp_path)
    assert done.returncode == 1
    assert "X403 error: the notebook ran past its total timeout of 2 s here" in done.stdout


@pytest.mark.slow
@needs_kernel
def test_a_cached_run_slower_than_the_limits_now_runs_again(git_repo: Path) -> None:
    sleepy_notebook(git_repo / "slow.ipynb", 1, 1.5)
    first = nbcollab("execute", "slow.ipynb", cwd=git_repo)
    assert first.stdout.splitlines()[-1] == "1 notebook: 1 executed, 0 cached, 0 failed"
    for limit in (["--cell-timeout", "1"], ["--timeout", "1"]):
        again = nbcollab("execute", *limit, "slow.ipynb", cwd=git_repo)
        assert again.stdout.splitlines()[-1] == "1 notebook: 1 executed, 0 cached, 1 failed"
        assert "X403" in again.stdout
    cached = nbcollab("execute", "slow.ipynb", cwd=git_repo)
    assert cached.stdout.splitlines()[-1] == "1 notebook: 0 executed, 1 cached, 0 failed"


@pytest.mark.parametrize("case", ["empty folder", "all excluded", "only the cache"])
def test_finding_no_notebook_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "docs").mkdir()
    (tmp_path / "nbs").mkdir()
    write_notebook(tmp_path / "nbs" / "a.ipynb", make_notebook(code_cell("1 / 0", count=None)))
    args = {
        "empty folder": ["docs"],
        "all excluded": [],
        "only the cache": ["--cache-dir", "nbs", "nbs"],
    }[case]
    if case == "all excluded":
        (tmp_path / "pyproject.toml").write_text('[tool.nbcollab.execute]\nexclude = ["*"]\n')
    done = runner.invoke(app, ["execute", *args])
    assert done.exit_code == 2
    assert "nbcollab: error: no notebook to run in " in done.stderr


def test_a_cache_that_cannot_be_written_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "file").write_text("")
    for root in (tmp_path / "file" / "below", Path("/proc/nbcollab-cache")):
        store = RunStore(root)
        assert not store.unwritable
        assert not store.write("ab" * 32, CachedRun([[]], [1], {}, 1.0))
        assert store.unwritable
    say_if_uncached(store)
    assert "could not write to the cache in /proc/nbcollab-cache" in capsys.readouterr().err
