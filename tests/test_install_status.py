"""install_status: collect_status against real git config, attributes files and launchers."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import git

from nbcollab.git import install as installer
from nbcollab.git import status as install_status
from nbcollab.git.config import Repository, find_repository
from nbcollab.git.launcher import launcher_path, write_launcher
from nbcollab.git.status import StatusReport, collect_status

pytestmark = [pytest.mark.git, pytest.mark.slow]
CMD = f"{shlex.quote(sys.executable)} -m nbcollab"


def status(repo: Repository | None) -> StatusReport:
    return collect_status(repo, installer.make_context())


def install(repo: Repository, *, launcher: bool = True, **kw: object) -> None:
    ctx = installer.make_context(launcher=launcher_path("local", repo) if launcher else None)
    installer.install("local", repo, ctx, **kw)  # type: ignore[arg-type]


@pytest.fixture
def repo(git_repo: Path) -> Repository:
    return find_repository(git_repo)


@pytest.fixture
def installed(repo: Repository) -> Repository:
    install(repo)
    return repo


# A repository without notebooks: the last line, about the work tree's notebooks.
TRUST_LINE = "trust: every notebook with rich output is trusted by your Jupyter"


def problems_with(report: StatusReport, text: str) -> list[str]:
    return [p for p in report.problems if text in p]


def drivers(report: StatusReport) -> list[str]:
    """The lines about drivers (not the hooks)."""
    return [line for line in report.lines if not line.startswith("hook")]


def test_nothing_installed(repo: Repository) -> None:
    report = status(repo)
    assert report.lines[-2].startswith("hooks: no pre-commit hook (`nbcollab install --hooks`")
    assert report.lines[-1].startswith("hook scripts: ")
    assert (report.installed, drivers(report)) == (
        False,
        [
            "filter: not installed",
            "diff: not installed",
            "merge: not installed",
            "mergetool: not installed",
            TRUST_LINE,
        ],
    )
    assert report.problems == ["nbcollab is not installed here (run `nbcollab install`)"]


def test_nothing_installed_outside_a_repository() -> None:
    report = status(None)
    assert not report.installed and report.problems[-1].startswith("nbcollab is not installed")


def test_a_healthy_install_has_no_problem(installed: Repository) -> None:
    report = status(installed)
    assert report.installed and report.problems == []
    where = str(installed.root / ".gitattributes")
    assert drivers(report) == [
        f"{name}: config in local; {where}" for name in ("filter", "diff", "merge")
    ] + ["mergetool: config in local", TRUST_LINE]


def test_a_global_install_is_seen_from_a_repository_and_outside(repo: Repository) -> None:
    ctx = installer.make_context(launcher=launcher_path("global", None))
    installer.install("global", None, ctx)
    for where in (repo, None):
        report = status(where)
        assert report.installed and report.problems == [], report.problems
        assert all("config in global" in line for line in drivers(report)[:4])
        assert drivers(report)[4:] == ([TRUST_LINE] if where else [])


def test_only_some_drivers_installed(repo: Repository) -> None:
    install(repo, attributes=("diff",))
    report = status(repo)
    assert report.problems == []
    assert report.lines[0] == "filter: not installed" and report.lines[2] == "merge: not installed"


def test_a_stale_textconv_is_a_problem(installed: Repository) -> None:
    git(installed.root, "config", "diff.nbcollab.textconv", f"{CMD} textconv --format-version 0")
    (problem,) = status(installed).problems
    assert problem.startswith(f"diff.nbcollab.textconv = {CMD} textconv --format-version 0\n")
    assert "stale: run `nbcollab install` to update it" in problem


def test_a_different_but_working_value_is_only_a_note(installed: Repository) -> None:
    git(installed.root, "config", "merge.nbcollab.driver", f"{CMD} git-merge %O %A %B")
    report = status(installed)
    assert report.problems == []
    assert any(line.startswith("  note: merge.nbcollab.driver = ") for line in report.lines)


def test_a_missing_key_is_a_problem(installed: Repository) -> None:
    git(installed.root, "config", "--unset", "filter.nbcollab.required")
    assert status(installed).problems == [
        "filter.nbcollab.required is not set (run `nbcollab install`)"
    ]


@pytest.mark.parametrize(
    "value, reason",
    [
        (
            "/no/such/python -m nbcollab filter-clean %f",
            "/no/such/python does not exist or is not executable",
        ),
        ("nbcollab-not-on-path -m nbcollab filter-clean %f", "nbcollab-not-on-path is not on PATH"),
        ('python3 "-m nbcollab filter-clean %f', "not valid shell syntax"),
        ("cat %f", "it does not run nbcollab"),
        (f"{shlex.quote(sys.executable)} -c pass nbcollab filter-clean %f", "--version failed"),
    ],
)
def test_a_command_that_cannot_run_is_a_problem(
    installed: Repository, value: str, reason: str
) -> None:
    git(installed.root, "config", "filter.nbcollab.clean", value)
    (problem,) = status(installed).problems
    assert problem.startswith(f"filter.nbcollab.clean = {value}\n    cannot run: ")
    assert reason in problem


def test_each_command_is_probed_once(
    installed: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[list[str]] = []
    real_run = subprocess.run

    def counting_run(args: list[str], **kw: object) -> subprocess.CompletedProcess:
        calls.append(list(args))
        return real_run(args, **kw)  # type: ignore[call-overload]

    monkeypatch.setattr(install_status.subprocess, "run", counting_run)
    assert status(installed).problems == []
    # clean, textconv, driver and the launcher's own Python all run this interpreter's nbcollab
    # (git's own version, asked once to choose the drivers' settings, is no command to probe).
    probes = [args for args in calls if args[-1:] == ["--version"] and args[0] != "git"]
    assert probes == [[sys.executable, "-m", "nbcollab", "--version"]]


def test_a_missing_launcher_is_a_problem(installed: Repository) -> None:
    launcher = launcher_path("local", installed)
    launcher.unlink()
    (problem,) = status(installed).problems
    assert f"cannot run: {launcher} is missing" in problem


def test_a_launcher_nbcollab_did_not_write_is_a_problem(installed: Repository) -> None:
    launcher = launcher_path("local", installed)
    launcher.write_text("#!/bin/sh\necho hi\n")
    (problem,) = status(installed).problems
    assert f"{launcher} is not nbcollab's launcher" in problem


def test_a_launcher_whose_python_is_gone_is_a_problem(
    installed: Repository, tmp_path: Path
) -> None:
    write_launcher(launcher_path("local", installed), str(tmp_path / "gone" / "python"))
    (problem,) = status(installed).problems
    assert "the launcher's Python cannot run nbcollab" in problem
    assert "checkouts still work" in problem


def test_a_process_without_launcher_is_a_note(repo: Repository) -> None:
    install(repo, launcher=False)
    report = status(repo)
    assert report.problems == []
    assert any("filter.nbcollab.process runs nbcollab directly" in line for line in report.lines)


def test_attributes_without_config(repo: Repository) -> None:
    (repo.root / ".gitattributes").write_text("*.ipynb filter=nbcollab diff=nbcollab\n")
    report = status(repo)
    assert report.installed
    assert [p.split(" so ")[0] for p in report.problems] == [
        "filter: *.ipynb uses filter=nbcollab but filter.nbcollab is not configured,",
        "diff: *.ipynb uses diff=nbcollab but diff.nbcollab is not configured,",
    ]


def test_config_without_attributes(installed: Repository) -> None:
    (installed.root / ".gitattributes").write_text("*.txt text\n")
    report = status(installed)
    assert len(problems_with(report, "configured, but no attributes line sends *.ipynb")) == 3
    assert all("an attributes line nbcollab did not write" in line for line in report.lines[:3])


def test_attributes_written_by_hand_still_count(installed: Repository) -> None:
    # git routes notebooks to nbcollab: that is what matters, whoever wrote the line.
    (installed.root / ".gitattributes").write_text(
        "*.ipynb   merge=nbcollab filter=nbcollab diff=nbcollab -text\n"
    )
    report = status(installed)
    assert report.problems == []
    assert report.lines[0] == "filter: config in local; an attributes line nbcollab did not write"


def test_an_attributes_path_that_is_a_folder_is_not_an_error(repo: Repository) -> None:
    (repo.common_dir / "info" / "attributes").mkdir(parents=True)
    install(repo)
    assert status(repo).problems == []
