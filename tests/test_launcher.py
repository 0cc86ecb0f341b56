"""The filter launcher: checkouts keep working when the Python that installed nbcollab is gone."""

from __future__ import annotations

import ast
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import code_cell, git, make_notebook, stream_output, write_notebook
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner
from venv_helpers import install_from_venv

from nbcollab.cli.app import app
from nbcollab.git.filter import read_content, read_text_list, write_content, write_text_list
from nbcollab.git.filter_fallback import serve_stand_in, shown
from nbcollab.git.launcher import launcher_script, recorded_python
from nbcollab.safe_text import terminal_safe

runner = CliRunner()
PROBLEM = "nbcollab cannot run: /gone/python is gone or has no nbcollab"


def git_requests(*requests: tuple[str, str, bytes]) -> io.BytesIO:
    """What git sends: the handshake, then each (command, path, content)."""
    stream = io.BytesIO()
    write_text_list(stream, "git-filter-client", "version=2")
    write_text_list(stream, "capability=clean", "capability=smudge", "capability=delay")
    for command, path, content in requests:
        write_text_list(stream, f"command={command}", f"pathname={path}")
        write_content(stream, content)
    stream.seek(0)
    return stream


def answers(out: bytes, count: int) -> list[tuple[list[str], bytes | None]]:
    """The stand-in's replies: (status list, content or None when refused)."""
    stream = io.BytesIO(out)
    assert read_text_list(stream) == ["git-filter-server", "version=2"]
    assert read_text_list(stream) == ["capability=clean", "capability=smudge"]
    replies = []
    for _ in range(count):
        status = read_text_list(stream)
        content = None
        if status == ["status=success"]:
            content = read_content(stream)
            assert read_text_list(stream) == []
        replies.append((status, content))
    assert stream.read() == b""
    return replies


def test_the_stand_in_smudges_byte_for_byte_and_refuses_to_clean(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # not a repository: nothing is staged
    big = bytes(range(256)) * 600  # several packets, every byte value
    out, err = io.BytesIO(), io.StringIO()
    code = serve_stand_in(
        git_requests(
            ("smudge", "a.ipynb", big), ("clean", "dir/b.ipynb", b"{}"), ("smudge", "c.ipynb", b"")
        ),
        out,
        err,
        PROBLEM,
    )
    assert code == 0
    assert answers(out.getvalue(), 3) == [
        (["status=success"], big),
        (["status=error"], None),
        (["status=success"], b""),
    ]
    assert f"dir/b.ipynb: {PROBLEM}; the notebook was not added" in err.getvalue()
    assert "run `nbcollab install` again" in err.getvalue()


@pytest.mark.git
@pytest.mark.slow
def test_the_stand_in_passes_a_clean_of_exactly_the_staged_bytes(
    git_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """git status re-reads a freshly checked-out notebook: that must not fail."""
    (git_repo / "sub dir").mkdir()
    (git_repo / "sub dir" / "nb.ipynb").write_bytes(b'{"cells": []}\n')
    git(git_repo, "add", ".")
    monkeypatch.chdir(git_repo)
    out = io.BytesIO()
    serve_stand_in(
        git_requests(
            ("clean", "sub dir/nb.ipynb", b'{"cells": []}\n'),
            ("clean", "sub dir/nb.ipynb", b'{"cells": [1]}\n'),
            ("clean", "sub dir/*.ipynb", b'{"cells": []}\n'),
        ),
        out,
        io.StringIO(),
        PROBLEM,
    )
    assert [status for status, _ in answers(out.getvalue(), 3)] == [
        ["status=success"],
        ["status=error"],
        ["status=error"],
    ]


@given(st.text(st.characters(exclude_categories=())))
def test_the_stand_in_shows_a_name_as_every_command_does(text: str) -> None:
    """The launcher cannot import nbcollab: its copy of the one rendering must agree."""
    assert shown(text) == terminal_safe(text, one_line=True)


@pytest.mark.git
@pytest.mark.slow
def test_a_fifo_in_the_cache_does_not_block_the_answer(git_repo: Path) -> None:
    (git_repo / "nb.ipynb").write_bytes(b"{}\n")
    git(git_repo, "add", "nb.ipynb")
    packs = git_repo / ".git" / "nbcollab" / "output-cache" / "packs"
    packs.mkdir(parents=True)
    os.mkfifo(packs / "x.idx")
    script = (
        "from nbcollab.git.filter_fallback import StagedBlobs\n"
        "print(StagedBlobs().blob_for('nb.ipynb', b'{\"a\": 1}\\n'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=git_repo, capture_output=True, text=True, timeout=60
    )
    assert done.stdout == "None\n", done.stderr


def test_the_fallback_imports_nothing_from_nbcollab_and_reads_as_python_3_6() -> None:
    source = (Path(__file__).parent.parent / "nbcollab" / "git" / "filter_fallback.py").read_text()
    tree = ast.parse(source, feature_version=(3, 6))
    top = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    assert all(isinstance(node, ast.Import) for node in top)  # no `from __future__ ...` either
    assert {alias.name for node in top for alias in node.names} <= set(sys.stdlib_module_names)


def test_the_launcher_is_valid_sh_and_records_its_python(tmp_path: Path) -> None:
    path = tmp_path / "nbcollab"
    path.write_text(launcher_script("/opt/my env/bin/python"))
    assert subprocess.run(["sh", "-n", str(path)], check=False).returncode == 0
    assert recorded_python(path) == "/opt/my env/bin/python"
    (tmp_path / "other").write_text("#!/bin/sh\npython=/x\n")
    assert recorded_python(tmp_path / "other") is None


@pytest.mark.slow
@pytest.mark.parametrize("dd", ["gnu", "posix"])
def test_the_sh_stand_in_speaks_the_protocol(tmp_path: Path, dd: str) -> None:
    """With no Python at all: byte-for-byte smudge over several packets, and a refused clean."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in ("sh", "mktemp", "cat", "rm", "git"):
        (bindir / tool).symlink_to(shutil.which(tool) or tool)
    real_dd = shutil.which("dd")
    # A dd without GNU's iflag=fullblock must still read every packet exactly.
    refuse = 'case "$*" in *iflag=*) exit 1 ;; esac\n' if dd == "posix" else ""
    (bindir / "dd").write_text(f'#!/bin/sh\n{refuse}exec "{real_dd}" "$@"\n')
    (bindir / "dd").chmod(0o755)
    launcher = tmp_path / "nbcollab"
    launcher.write_text(launcher_script("/gone/python"))
    content = bytes(range(256)) * 300  # two packets, every byte value
    done = subprocess.run(
        [str(bindir / "sh"), str(launcher), "filter-process"],
        input=git_requests(
            ("smudge", "a b.ipynb", content),
            ("clean", "a b.ipynb", b"{}"),
            ("smudge", "c.ipynb", b"{}"),
        ).getvalue(),
        capture_output=True,
        env={"PATH": str(bindir)},
        cwd=tmp_path,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert answers(done.stdout, 3) == [
        (["status=success"], content),
        (["status=error"], None),
        (["status=success"], b"{}"),
    ]
    assert b"a b.ipynb: nbcollab cannot run: no Python 3.6 found" in done.stderr


# -- end to end: install from a virtualenv, delete it, use git -----------------------------------


def notebook_with_outputs(source: str) -> dict:
    return make_notebook(code_cell(source, count=1, cell_id="a", outputs=[stream_output("1\n")]))


def path_without_python(tmp_path: Path, fallback: str) -> str:
    """A PATH with git and the basic tools, and a Python without nbcollab or none at all."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in ("git", "sh", "dd", "mktemp", "cat", "rm", "sha256sum", "cut", "grep", "wc"):
        found = shutil.which(tool)
        assert found, f"{tool} is needed on PATH"
        (bindir / tool).symlink_to(found)
    if fallback == "python3":
        bare = tmp_path / "bare"  # a venv without nbcollab, whatever the system Python has
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
        (bindir / "python3").write_text(f'#!/bin/sh\nexec "{bare}/bin/python" "$@"\n')
        (bindir / "python3").chmod(0o755)
    return str(bindir)


def run_git(repo: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=False
    )


@pytest.fixture
def orphaned_repo(tmp_path: Path) -> Path:
    """A repository whose filter was installed from a virtualenv that has since been deleted."""
    _, repo = install_from_venv(tmp_path)
    nb = write_notebook(repo / "nb.ipynb", notebook_with_outputs("1"))
    (repo / "notes.txt").write_text("notes\n")
    # As after a save and a pause: git's index then trusts the file's size and time.
    os.utime(nb, (nb.stat().st_mtime - 10,) * 2)
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    git(repo, "branch", "other")
    shutil.rmtree(tmp_path / "my env")
    return repo


@pytest.mark.git
@pytest.mark.slow
@pytest.mark.parametrize("fallback", ["python3", "sh"])
def test_checkouts_work_and_add_refuses_once_the_virtualenv_is_gone(
    orphaned_repo: Path, tmp_path: Path, fallback: str
) -> None:
    repo = orphaned_repo
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PATH"] = path_without_python(tmp_path, fallback)
    committed = git(repo, "cat-file", "blob", "HEAD:nb.ipynb").stdout
    nb = repo / "nb.ipynb"

    nb.unlink()
    for args in (
        ["checkout", "--", "nb.ipynb"],
        ["status", "--short"],
        ["switch", "-q", "other"],
        ["switch", "-q", "main"],
    ):
        done = run_git(repo, env, *args)
        assert done.returncode == 0, (args, done.stderr)
        assert nb.read_text() == committed, args

    (repo / "notes.txt").write_text("changed\n")
    for args in (["stash", "-q"], ["stash", "pop", "-q"]):
        done = run_git(repo, env, *args)
        assert done.returncode == 0, (args, done.stderr)
    assert (repo / "notes.txt").read_text() == "changed\n" and nb.read_text() == committed

    write_notebook(nb, notebook_with_outputs("2"))
    added = run_git(repo, env, "add", "nb.ipynb")
    assert added.returncode != 0
    assert "nb.ipynb: nbcollab cannot run" in added.stderr
    assert "run `nbcollab install` again" in added.stderr
    assert git(repo, "cat-file", "blob", ":nb.ipynb").stdout == committed
    done = run_git(repo, env, "restore", "nb.ipynb")
    assert done.returncode == 0, done.stderr
    assert nb.read_text() == committed


@pytest.mark.git
@pytest.mark.slow
@pytest.mark.parametrize("fallback", ["python3", "sh"])
def test_switching_back_and_forth_once_restored_outputs_met_a_deleted_virtualenv(
    tmp_path: Path, fallback: str
) -> None:
    """git re-cleans the notebooks a checkout just wrote (racy git): those whose outputs the
    cache restored must be answered with their staged blob, not refused."""
    _, repo = install_from_venv(tmp_path)
    nb = repo / "nb.ipynb"
    big = "x" * 200_000  # over several packets
    write_notebook(nb, notebook_with_outputs(f"print(1)  # {big}"))
    write_notebook(repo / "same.ipynb", notebook_with_outputs("print(0)"))
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    git(repo, "switch", "-qc", "other")
    write_notebook(nb, notebook_with_outputs(f"print(2)  # {big}"))
    git(repo, "commit", "-qam", "other")
    git(repo, "switch", "-q", "main")  # the cache restores nb.ipynb's outputs
    assert json.loads(nb.read_text())["cells"][0]["outputs"]
    shutil.rmtree(tmp_path / "my env")  # at once: the index is not settled yet
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PATH"] = path_without_python(tmp_path, fallback)
    for args in [
        ["switch", "-q", "other"],
        ["status", "--porcelain"],
        ["switch", "-q", "main"],
    ] * 2:
        done = run_git(repo, env, *args)
        assert done.returncode == 0, (args, done.stderr)
        assert done.stdout == "", (args, done.stdout)
    assert "".join(json.loads(nb.read_text())["cells"][0]["source"]).startswith("print(1)")
    write_notebook(nb, notebook_with_outputs("print(3)"))  # a real change is still refused
    added = run_git(repo, env, "add", "nb.ipynb")
    assert added.returncode != 0 and "nb.ipynb: nbcollab cannot run" in added.stderr


@pytest.mark.git
@pytest.mark.slow
def test_status_warns_that_the_launchers_python_is_gone(
    orphaned_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(orphaned_repo)
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 1
    assert "the launcher's Python cannot run nbcollab" in result.output
    assert "my env/bin/python does not exist" in result.output
    assert "checkouts still work" in result.output
    result = runner.invoke(app, ["install", "--no-diff", "--no-merge"])  # from a working Python
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["status"]).exit_code == 0


# -- install, uninstall, status and the launcher ------------------------------------------------


def config_value(repo: Path, key: str, scope: str = "--local") -> str:
    return git(repo, "config", scope, "--get", key, check=False).stdout.strip()


def invoke(repo: Path, *args: str, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    monkeypatch.chdir(repo)
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


@pytest.mark.git
def test_the_launcher_goes_with_the_filter(git_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    launcher = git_repo / ".git" / "nbcollab" / "nbcollab"
    invoke(git_repo, "install", monkeypatch=monkeypatch)
    assert recorded_python(launcher) == sys.executable
    code, output = invoke(git_repo, "install", "--no-filter", monkeypatch=monkeypatch)
    assert code == 0 and f"removed the filter launcher {launcher}" in output
    assert not launcher.parent.exists()
    invoke(git_repo, "install", monkeypatch=monkeypatch)
    invoke(git_repo, "uninstall", monkeypatch=monkeypatch)
    assert not launcher.parent.exists() and config_value(git_repo, "filter.nbcollab.process") == ""


@pytest.mark.git
def test_an_explicit_command_is_run_as_given(
    git_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    invoke(git_repo, "install", "--command", "nbcollab", monkeypatch=monkeypatch)
    assert config_value(git_repo, "filter.nbcollab.process") == "nbcollab filter-process"
    assert not (git_repo / ".git" / "nbcollab").exists()


@pytest.mark.git
def test_status_reports_a_missing_launcher_and_an_old_direct_command(
    git_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    invoke(git_repo, "install", "--no-diff", "--no-merge", monkeypatch=monkeypatch)
    (git_repo / ".git" / "nbcollab" / "nbcollab").unlink()
    code, output = invoke(git_repo, "status", monkeypatch=monkeypatch)
    assert code == 1 and "is missing, so git fails every checkout of a notebook" in output
    direct = f"'{sys.executable}' -m nbcollab filter-process"
    git(git_repo, "config", "filter.nbcollab.process", direct)
    code, output = invoke(git_repo, "status", monkeypatch=monkeypatch)
    assert code == 0 and "runs nbcollab directly" in output
    code, output = invoke(git_repo, "install", "--no-diff", "--no-merge", monkeypatch=monkeypatch)
    assert "set filter.nbcollab.process = sh " in output and "wrote the filter launcher" in output


@pytest.mark.git
@pytest.mark.slow
def test_a_global_install_cleans_through_the_users_launcher(
    git_repo: Path, isolated_home: Path
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "nbcollab", "install", "--global"],
        cwd=git_repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert recorded_python(isolated_home / ".config" / "nbcollab" / "nbcollab") == sys.executable
    write_notebook(git_repo / "nb.ipynb", notebook_with_outputs("1"))
    git(git_repo, "add", "nb.ipynb")
    staged = json.loads(git(git_repo, "cat-file", "blob", ":nb.ipynb").stdout)
    assert staged["cells"][0]["outputs"] == []
