"""The mergetool with real git: `git mergetool --tool nbcollab`, stages, resume, the guard."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import (
    code_cell,
    git,
    jupyter_sign,
    jupyter_trusts,
    make_notebook,
    run_nbcollab,
    write_notebook,
)
from helpers import html_output as html
from mergetool_helpers import (
    argv_recorder,
    choose_all,
    conflicted_repo,
    git_mergetool,
    install_mergetool,
    notebook,
    recorded_argv,
    running,
    state,
    two_conflicted_notebooks,
)

from nbcollab.files import read_notebook_file
from nbcollab.merge.conflicts import read_record

pytestmark = [pytest.mark.git, pytest.mark.slow]
NBCOLLAB = [sys.executable, "-m", "nbcollab"]


def test_install_writes_and_uninstall_removes_the_mergetool(git_repo: Path) -> None:
    assert run_nbcollab("install", cwd=git_repo).returncode == 0
    assert "mergetool" in git(git_repo, "config", "mergetool.nbcollab.cmd").stdout
    assert git(git_repo, "config", "mergetool.nbcollab.trustExitCode").stdout.strip() == "true"
    status = run_nbcollab("status", cwd=git_repo)
    assert b"mergetool: config in local" in status.stdout, status.stdout
    assert run_nbcollab("install", "--no-merge", cwd=git_repo).returncode == 0
    assert git(git_repo, "config", "mergetool.nbcollab.cmd", check=False).returncode == 1
    run_nbcollab("install", cwd=git_repo)
    assert run_nbcollab("uninstall", cwd=git_repo).returncode == 0
    assert git(git_repo, "config", "--get-regexp", "mergetool", check=False).stdout == ""


def test_git_mergetool_resolves_a_driver_merge_then_commit_works(git_repo: Path) -> None:
    path = conflicted_repo(git_repo, base=notebook("a = 0", "c = 0", "0\n"))
    assert read_record(read_notebook_file(path)[1])
    with running(git_mergetool(git_repo), git_repo) as tool:
        assert state(tool)["counter"] == "2 of 2 conflicts left"
        choose_all(tool, "theirs")
        assert tool.call("api/save", {})[0] == 200
        code, output = tool.finish()
    assert code == 0, output
    _, saved = read_notebook_file(path)
    assert [c["source"] for c in saved["cells"]][1::2] == ["a = 2", "c = 2"]
    assert "nbcollab" not in saved["metadata"]
    assert run_nbcollab("conflicts", str(path)).returncode == 0
    assert git(git_repo, "diff", "--name-only", "--diff-filter=U").stdout == ""  # git added it
    git(git_repo, "commit", "-qm", "merged")


def test_partial_save_exits_1_and_the_next_run_resumes(git_repo: Path) -> None:
    path = conflicted_repo(git_repo, base=notebook("a = 0", "c = 0", "0\n"))
    with running(NBCOLLAB + ["mergetool", "nb.ipynb"], git_repo) as tool:
        first = state(tool)["conflicts"][0]
        tool.call(
            "api/action",
            {"action": "choose", "file": 0, "number": first["number"], "choice": "ours"},
        )
        assert tool.call("api/save", {})[1]["left"] == 1
        code, output = tool.finish()
    assert code == 1, output
    assert len(read_record(read_notebook_file(path)[1])) == 1
    assert run_nbcollab("conflicts", "nb.ipynb", cwd=git_repo).returncode == 1
    with running(NBCOLLAB + ["mergetool"], git_repo) as tool:  # no path: every unmerged notebook
        assert state(tool)["counter"] == "1 of 1 conflict left"
        choose_all(tool, "union")
        tool.call("api/save", {})
        code, output = tool.finish()
    assert code == 0, output
    assert read_notebook_file(path)[1]["cells"][3]["source"] == "c = 1\nc = 2"


def test_line_marker_file_is_merged_again_from_the_stages(git_repo: Path) -> None:
    install_mergetool(git_repo)
    path = conflicted_repo(git_repo, driver=False, base=notebook("a = 0", "c = 0", "0\n"))
    with pytest.raises(ValueError):
        json.loads(path.read_text())  # git's line merge: not JSON any more
    with running(git_mergetool(git_repo), git_repo) as tool:
        kinds = sorted(c["kind"] for c in state(tool)["conflicts"])
        assert kinds == ["source", "source"]
        choose_all(tool, "ours")
        tool.call("api/save", {})
        code, output = tool.finish()
    assert code == 0, output
    _, saved = read_notebook_file(path)
    assert saved["cells"][1]["source"] == "a = 1"
    git(git_repo, "commit", "-qm", "merged")


def test_add_add_has_no_base(git_repo: Path) -> None:
    install_mergetool(git_repo)
    ours = make_notebook(code_cell("x = 1", cell_id="a"))
    theirs = make_notebook(code_cell("x = 2", cell_id="a"))
    path = conflicted_repo(git_repo, driver=False, ours=ours, theirs=theirs)
    with running(git_mergetool(git_repo), git_repo) as tool:
        conflicts = state(tool)["conflicts"]
        assert [c["kind"] for c in conflicts] == ["source"]
        choose_all(tool, "union-theirs-first")
        tool.call("api/save", {})
        code, output = tool.finish()
    assert code == 0, output
    assert read_notebook_file(path)[1]["cells"][0]["source"] == "x = 2\nx = 1"


def test_delete_modify_can_delete_the_notebook(git_repo: Path) -> None:
    path = git_repo / "nb.ipynb"
    write_notebook(path, make_notebook(code_cell("x = 1")))
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-qm", "base")
    git(git_repo, "checkout", "-qb", "feature")
    git(git_repo, "rm", "-q", "nb.ipynb")
    git(git_repo, "commit", "-qm", "deleted")
    git(git_repo, "checkout", "-q", "main")
    write_notebook(path, make_notebook(code_cell("x = 2")))
    git(git_repo, "commit", "-qam", "edited")
    assert git(git_repo, "merge", "feature", check=False).returncode != 0
    with running(NBCOLLAB + ["mergetool", "nb.ipynb"], git_repo) as tool:
        assert state(tool)["counter"] == "1 of 1 conflict left"
        assert tool.call("api/action", {"action": "file", "file": 0, "keep": False})[0] == 200
        tool.call("api/save", {})
        code, output = tool.finish()
    assert code == 0, output
    assert not path.exists()
    git(git_repo, "rm", "-q", "--cached", "nb.ipynb")
    git(git_repo, "commit", "-qm", "merged")


def test_quit_changes_nothing(git_repo: Path) -> None:
    path = conflicted_repo(git_repo, base=notebook("a = 0", "c = 0", "0\n"))
    before = path.read_bytes()
    with running(NBCOLLAB + ["mergetool", "nb.ipynb"], git_repo) as tool:
        choose_all(tool, "ours")
        tool.call("api/quit", {})
        code, _ = tool.finish()
    assert code == 1 and path.read_bytes() == before


def test_requests_without_the_token_or_from_another_host_are_refused(git_repo: Path) -> None:
    conflicted_repo(git_repo, base=notebook("a = 0", "c = 0", "0\n"))
    with running(NBCOLLAB + ["mergetool", "nb.ipynb"], git_repo) as tool:
        token = tool.url.rstrip("/").rsplit("/", 1)[1]
        root = tool.url[: -len(token) - 1]
        other = "y" if token[0] == "x" else "x"  # one character off, whatever the token
        for url in (
            root,
            root + "api/state",
            root + other + token[1:] + "/api/state",
            root + token[:-1] + "/",
        ):
            assert _status(url) == 403, url
        assert tool.call("api/state", headers={"Host": "evil.example:80"})[0] == 403
        assert (
            tool.call("api/action", {"action": "undo"}, headers={"Origin": "http://evil.example"})[
                0
            ]
            == 403
        )
        code, _ = tool.call("api/action", None)  # a GET on an action: nothing happens
        assert code == 404
        assert state(tool)["counter"] == "2 of 2 conflicts left"
        tool.call("api/quit", {})
        tool.finish()


def _status(url: str) -> int:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=30) as reply:
            return reply.status
    except urllib.error.HTTPError as err:
        return err.code


def _trusted_conflict(repo: Path, theirs_output: dict, *, trust_theirs: bool) -> Path:
    """Both branches edit cell a's source; theirs also changes cell b's output. Ours is trusted."""
    install = run_nbcollab("install", "--no-filter", cwd=repo)  # outputs are committed here
    assert install.returncode == 0, install.stderr
    path = repo / "nb.ipynb"
    cells = [
        code_cell("show('a')", cell_id="a", count=1, outputs=[html("<b>a0</b>")]),
        code_cell("show('b')", cell_id="b", count=2, outputs=[html("<i>b0</i>")]),
    ]
    write_notebook(path, make_notebook(*cells))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    for branch, source, output in (
        ("feature", "show('a', 2)", theirs_output),
        ("main", "show('a', 1)", None),
    ):
        git(repo, "checkout", "-q", *(["-b"] if branch == "feature" else []), branch)
        nb = read_notebook_file(path)[1]
        nb["cells"][0]["source"] = source
        if output is not None:
            nb["cells"][1]["outputs"] = [output]
        write_notebook(path, nb)
        if branch == "main" or trust_theirs:  # Jupyter signs what its user ran and saved
            jupyter_sign(path)
        git(repo, "commit", "-qam", branch)
    assert git(repo, "merge", "feature", check=False).returncode == 1
    return path


@pytest.mark.parametrize("script", [False, True])
def test_save_signs_only_when_the_trust_policy_allows(git_repo: Path, script: bool) -> None:
    output = html("<script>alert(1)</script>" if script else "<i>b2</i>")
    path = _trusted_conflict(git_repo, output, trust_theirs=not script)
    with running(NBCOLLAB + ["mergetool", "nb.ipynb"], git_repo) as tool:
        choose_all(tool, "theirs")
        tool.call("api/save", {})
        code, output_text = tool.finish()
    assert code == 0, output_text
    signed = not script
    assert ("signed: every rich output came from a trusted input" in output_text) is signed
    assert jupyter_trusts(path) is signed


def test_unreadable_input_is_refused_before_serving(tmp_path: Path) -> None:
    import os

    nb = make_notebook(code_cell("x = 1"))
    nb["metadata"]["nbcollab"] = {"conflicts": [{"kind": "source", "hunks": 3}]}
    bad = write_notebook(tmp_path / "bad.ipynb", nb)
    fifo = tmp_path / "fifo.ipynb"
    os.mkfifo(fifo)
    for path, message in (
        (bad, b"metadata.nbcollab.conflicts[0]"),
        (fifo, b"not a regular file"),
        (tmp_path, b"not a regular file"),
        (tmp_path / "absent.ipynb", b"absent.ipynb"),
    ):
        done = run_nbcollab("mergetool", "--no-browser", str(path), cwd=tmp_path)
        assert done.returncode == 2, (path, done.stderr)
        assert message in done.stderr


def test_a_busy_port_is_an_error(tmp_path: Path) -> None:
    import socket

    from test_mergetool import _merged

    path = write_notebook(tmp_path / "nb.ipynb", _merged())
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = run_nbcollab("mergetool", "--no-browser", "--port", str(port), str(path))
    assert done.returncode == 2 and b"cannot listen" in done.stderr


def test_bad_requests_change_nothing(git_repo: Path) -> None:
    path = conflicted_repo(git_repo, base=notebook("a = 0", "c = 0", "0\n"))
    before = path.read_bytes()
    with running(NBCOLLAB + ["mergetool", "nb.ipynb"], git_repo) as tool:
        assert (
            tool.call("api/action", {"action": "x"}, headers={"Content-Type": "text/plain"})[0]
            == 400
        )
        for body in (
            {"action": "choose", "file": 0, "number": "1; rm", "choice": "ours"},
            {"action": "choose", "file": 9, "number": 0, "choice": "ours"},
            {"action": "choose", "file": 0, "number": 0, "choice": "nonsense"},
            {"action": "edit", "file": 0, "cell": 0, "text": 5},
            {"action": "undo"},
            {"action": "explode"},
            {},
        ):
            code, reply = tool.call("api/action", body)
            assert code == 409 and reply["error"], body
        assert state(tool)["counter"] == "2 of 2 conflicts left"
        tool.call("api/quit", {})
        tool.finish()
    assert path.read_bytes() == before


def test_file_names_reach_the_terminal_without_escapes(tmp_path: Path) -> None:
    from test_mergetool import _merged

    name = "evil\x1b[2J.ipynb"
    path = write_notebook(tmp_path / name, _merged())
    with running(NBCOLLAB + ["mergetool", str(path)], tmp_path) as tool:
        choose_all(tool, "ours")
        tool.call("api/save", {})
        code, output = tool.finish()
    assert code == 0 and "\x1b" not in output and "evil\u241b[2J.ipynb" in output


def test_a_notebook_linked_from_outside_the_repository_is_resolved_through_the_link(
    git_repo: Path, tmp_path: Path
) -> None:
    from test_mergetool import _merged

    target = write_notebook(tmp_path / "outside.ipynb", _merged())
    (git_repo / "link.ipynb").symlink_to(target)
    with running(NBCOLLAB + ["mergetool", "link.ipynb"], git_repo) as tool:
        assert state(tool)["counter"] == "3 of 3 conflicts left"
        choose_all(tool, "ours")
        tool.call("api/save", {})
        code, output = tool.finish()
    assert code == 0, output
    assert (git_repo / "link.ipynb").is_symlink()
    assert "nbcollab" not in read_notebook_file(target)[1]["metadata"]


def test_interrupt_exits_130_and_writes_nothing(git_repo: Path) -> None:
    import signal

    path = conflicted_repo(git_repo, base=notebook("a = 0", "c = 0", "0\n"))
    before = path.read_bytes()
    with running(NBCOLLAB + ["mergetool", "nb.ipynb"], git_repo) as tool:
        choose_all(tool, "theirs")
        tool.process.send_signal(signal.SIGINT)
        code, output = tool.finish()
    assert code == 130, output
    assert path.read_bytes() == before


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP"])
def test_a_termination_signal_removes_the_browsers_private_folder_and_writes_nothing(
    git_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, signame: str
) -> None:
    import signal
    import time

    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    path = conflicted_repo(git_repo, base=notebook("a = 0", "c = 0", "0\n"))
    before = path.read_bytes()
    recorder, log = argv_recorder(tmp_path)
    with running(NBCOLLAB + ["mergetool", "nb.ipynb"], git_repo, browser=recorder) as tool:
        for _ in range(600):
            if recorded_argv(log):
                break
            time.sleep(0.05)
        assert [p.name[:19] for p in temp.iterdir()] == ["nbcollab-mergetool-"]
        choose_all(tool, "theirs")
        tool.process.send_signal(getattr(signal, signame))
        code, output = tool.finish()
    assert code == -getattr(signal, signame), output  # the signal still ends the process
    assert "Traceback" not in output
    assert list(temp.iterdir()) == []
    assert path.read_bytes() == before


def _run_with_browser(
    command: list[str], cwd: Path, browser: Path
) -> subprocess.CompletedProcess[str]:
    """Run to the end (a page left waiting fails the test by timing out)."""
    env = {**os.environ, "BROWSER": str(browser), "NBCOLLAB_MERGETOOL_BROWSER": "1"}
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_a_notebook_with_nothing_left_is_said_and_opens_no_page(
    git_repo: Path, tmp_path: Path
) -> None:
    path = conflicted_repo(git_repo, base=notebook("a = 0", "c = 0", "0\n"))
    assert run_nbcollab("resolve", "--theirs", "nb.ipynb", cwd=git_repo).returncode == 0
    resolved = path.read_bytes()
    browser, log = argv_recorder(tmp_path)
    done = _run_with_browser(NBCOLLAB + ["mergetool", "nb.ipynb"], git_repo, browser)
    assert done.returncode == 0, done
    assert "nb.ipynb: no conflict left" in done.stdout
    assert "git add nb.ipynb" in done.stdout  # what to do next
    assert "http://" not in done.stdout + done.stderr and recorded_argv(log) == []
    assert path.read_bytes() == resolved  # nothing to write: nothing written
    done = _run_with_browser(git_mergetool(git_repo), git_repo, browser)
    assert done.returncode == 0, done
    assert git(git_repo, "diff", "--name-only", "--diff-filter=U").stdout == ""  # git added it
    assert recorded_argv(log) == []
    git(git_repo, "commit", "-qm", "merged")


def test_only_the_notebooks_with_conflicts_left_are_opened(git_repo: Path) -> None:
    two_conflicted_notebooks(git_repo)
    assert run_nbcollab("resolve", "--ours", "a.ipynb", cwd=git_repo).returncode == 0
    with running(NBCOLLAB + ["mergetool"], git_repo) as tool:
        current = state(tool)
        assert "<h1>b.ipynb" in current["html"] and "a.ipynb" not in current["html"]
        assert {c["file"] for c in current["conflicts"]} == {0}
        choose_all(tool, "theirs")
        assert tool.call("api/save", {})[0] == 200
        code, output = tool.finish()
    assert code == 0, output
    assert "a.ipynb: no conflict left" in output
    assert "b.ipynb: resolved; stage it with: git add b.ipynb" in output


def test_a_line_marker_notebook_that_merges_cleanly_is_written_without_a_page(
    git_repo: Path, tmp_path: Path
) -> None:
    install_mergetool(git_repo)
    base = make_notebook(code_cell("x = 0", cell_id="a"))
    ours = make_notebook(code_cell("x = 0", cell_id="a"), code_cell("ours = 1", cell_id="o"))
    theirs = make_notebook(code_cell("x = 0", cell_id="a"), code_cell("theirs = 1", cell_id="t"))
    path = conflicted_repo(git_repo, driver=False, base=base, ours=ours, theirs=theirs)
    with pytest.raises(ValueError):
        json.loads(path.read_text())  # git's line merge left its markers
    browser, log = argv_recorder(tmp_path)
    done = _run_with_browser(git_mergetool(git_repo), git_repo, browser)
    assert done.returncode == 0, done
    assert "nb.ipynb: merged again from git's stages: no conflict" in done.stdout
    assert recorded_argv(log) == []
    _, saved = read_notebook_file(path)
    assert [c["source"] for c in saved["cells"]] == ["x = 0", "ours = 1", "theirs = 1"]
    git(git_repo, "commit", "-qm", "merged")


def test_paths_are_shown_relative_to_the_current_folder(git_repo: Path) -> None:
    (git_repo / "sub").mkdir()
    conflicted_repo(git_repo, name="sub/nb.ipynb", base=notebook("a = 0", "c = 0", "0\n"))
    for cwd, shown in ((git_repo / "sub", "nb.ipynb"), (git_repo, "sub/nb.ipynb")):
        with running(NBCOLLAB + ["mergetool"], cwd) as tool:
            html = state(tool)["html"]
            assert f"<h1>{shown}</h1>" in html and str(git_repo) not in html
            if cwd == git_repo:
                choose_all(tool, "ours")
                tool.call("api/save", {})
            else:
                tool.call("api/quit", {})
            code, output = tool.finish()
        assert str(git_repo) not in output.replace(tool.url, "")
    assert code == 0 and f"{shown}: saved" in output
