"""Helpers for the mergetool tests: conflicted repositories, and the tool run as git runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from helpers import code_cell, git, make_notebook, markdown_cell, stream_output, write_notebook


def notebook(first: str, second: str, out: str = "1\n") -> dict[str, Any]:
    return make_notebook(
        markdown_cell("# Analysis", cell_id="title"),
        code_cell(first, cell_id="one", outputs=[stream_output(out)]),
        code_cell("keep = True", cell_id="mid"),
        code_cell(second, cell_id="two"),
    )


def conflicted_repo(
    repo: Path,
    *,
    driver: bool = True,
    name: str = "nb.ipynb",
    ours: dict[str, Any] | None = None,
    theirs: dict[str, Any] | None = None,
    base: dict[str, Any] | None = None,
) -> Path:
    """``git merge feature`` left ``name`` conflicted (by nbcollab's driver, or as text)."""
    if driver:
        subprocess.run(
            [sys.executable, "-m", "nbcollab", "install"], cwd=repo, check=True, capture_output=True
        )
    path = repo / name
    git(repo, "commit", "-q", "--allow-empty", "-m", "root")
    if base is not None:
        write_notebook(path, base)
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", "base")
    git(repo, "checkout", "-qb", "feature")
    write_notebook(path, theirs or notebook("a = 2", "c = 2", "2\n"))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "theirs")
    git(repo, "checkout", "-q", "main")
    write_notebook(path, ours or notebook("a = 1", "c = 1", "1\n"))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "ours")
    done = git(repo, "merge", "feature", check=False)
    assert done.returncode != 0, done.stdout
    return path


def install_mergetool(repo: Path) -> None:
    """The mergetool config alone (for repositories merged without nbcollab's driver)."""
    subprocess.run(
        [sys.executable, "-m", "nbcollab", "install", "--no-filter", "--no-diff"],
        cwd=repo,
        check=True,
        capture_output=True,
    )
    (repo / ".gitattributes").unlink(missing_ok=True)  # git merges as text: line markers
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "no attributes", check=False)


class Tool:
    """A running mergetool process and its URL."""

    def __init__(self, process: subprocess.Popen[str], url: str, said: str = "") -> None:
        self.process, self.url, self.said = process, url, said

    def call(
        self,
        route: str,
        body: dict[str, Any] | None = None,
        *,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + route,
            data=data,
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:
                return reply.status, _decode(reply.read())
        except urllib.error.HTTPError as err:
            return err.code, _decode(err.read())

    def finish(self) -> tuple[int, str]:
        out, err = self.process.communicate(timeout=60)
        return self.process.returncode, self.said + out + err


def _decode(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return data.decode("utf-8", "replace")


@contextmanager
def running(command: list[str], cwd: Path, *, browser: Path | None = None) -> Iterator[Tool]:
    """Start ``command`` (it prints the URL), yield the tool, and always stop it.

    Without ``browser`` no browser is started; with it, ``$BROWSER`` is that program.
    """
    env = {**os.environ, "NBCOLLAB_MERGETOOL_BROWSER": "0"}
    if browser is not None:
        env.update(BROWSER=str(browser), NBCOLLAB_MERGETOOL_BROWSER="1")
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url, said = _read_url(process)
        yield Tool(process, url, said)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=30)


def _read_url(process: subprocess.Popen[str]) -> tuple[str, str]:
    """The URL the tool printed, and everything it printed up to it."""
    assert process.stdout is not None
    seen = []
    for line in process.stdout:
        seen.append(line)
        if "open http://" in line:
            return line.split("open ", 1)[1].strip(), "".join(seen)
    raise AssertionError(
        "the mergetool printed no URL: "
        + "".join(seen)
        + (process.stderr.read() if process.stderr else "")
    )


def choose_all(tool: Tool, choice: str) -> None:
    """Resolve every conflict the page shows to ``choice`` (ours where it is not offered)."""
    while True:
        current = state(tool)
        if not current["conflicts"]:
            return
        first = current["conflicts"][0]
        code, reply = tool.call(
            "api/action",
            {
                "action": "choose",
                "file": first["file"],
                "number": first["number"],
                "choice": choice if choice in first["choices"] else "ours",
            },
        )
        assert code == 200, reply


def argv_recorder(folder: Path) -> tuple[Path, Path]:
    """A ``$BROWSER`` that only records its arguments (one JSON list per run) and opens nothing."""
    log = folder / "browser-argv.jsonl"
    script = folder / "record-browser"
    script.write_text(
        f"#!{sys.executable}\nimport json, sys\n"
        f"with open({str(log)!r}, 'a') as out:\n    out.write(json.dumps(sys.argv) + '\\n')\n"
    )
    script.chmod(0o755)
    return script, log


def recorded_argv(log: Path) -> list[list[str]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]


def two_conflicted_notebooks(repo: Path) -> tuple[Path, Path]:
    """One merge that leaves ``a.ipynb`` and ``b.ipynb`` conflicted by nbcollab's driver."""
    subprocess.run(
        [sys.executable, "-m", "nbcollab", "install"], cwd=repo, check=True, capture_output=True
    )
    paths = repo / "a.ipynb", repo / "b.ipynb"
    for branch, value in (("main", "0"), ("feature", "2"), ("main", "1")):
        if branch == "feature":
            git(repo, "checkout", "-qb", "feature")
        elif value == "1":
            git(repo, "checkout", "-q", "main")
        for path in paths:
            write_notebook(path, notebook(f"a = {value}", f"c = {value}", f"{value}\n"))
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", f"{branch} {value}")
    assert git(repo, "merge", "feature", check=False).returncode != 0
    return paths


def git_mergetool(repo: Path, *paths: str) -> list[str]:
    return ["git", "mergetool", "--tool", "nbcollab", "--no-prompt", *paths]


def state(tool: Tool) -> dict[str, Any]:
    code, value = tool.call("api/state")
    assert code == 200, value
    return value
