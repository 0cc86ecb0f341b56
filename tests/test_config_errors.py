"""A pyproject.toml nbcollab cannot use: one loader, one message, every command.

The loader names the file, the place and the fix for every kind of mistake; every command gives
exactly that line and exits 2 with every file untouched; git's entry points give it as one
warning and go on with the defaults.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import code_cell, git, make_notebook, stream_output, write_notebook
from typer.testing import CliRunner

from nbcollab.cli.app import app
from nbcollab.config.load import read_config
from nbcollab.errors import ConfigError

# Each bad pyproject.toml, and what the loader says about it after "<path>: ".
BAD: dict[str, tuple[bytes, str]] = {
    "tool-not-a-table": (
        b'tool = "x"\n',
        "[tool] is a string, not a table (each tool's settings go in [tool.NAME])",
    ),
    "nbcollab-not-a-table": (
        b"[tool]\nnbcollab = [1]\n",
        "[tool.nbcollab] is an array, not a table "
        "(settings go in sections such as [tool.nbcollab.clean])",
    ),
    "section-not-a-table": (
        b'[tool.nbcollab]\nclean = "x"\n',
        "[tool.nbcollab] clean: 'x' is not a table",
    ),
    "other-tool-typo": (
        b"[tool.black]\nline-length = 100 100\n",
        "not valid TOML: Expected newline or end of document after a statement "
        "(at line 2, column 19)",
    ),
    "not-utf8": (
        b"[project]\nname = 'x'\n# caf\xe9\n[tool.nbcollab.clean]\nkeep-outputs = true\n",
        "line 3: byte 0xe9 is not UTF-8 (save the file as UTF-8)",
    ),
    "nested-5000-deep": (
        b"x = " + b"[" * 5000 + b"]" * 5000 + b"\n",
        "arrays or tables nested too deeply to read",
    ),
    "integer-5000-digits": (
        b"[tool.nbcollab.cache]\nmax-size = " + b"9" * 5000 + b"\n",
        "line 2: a number too long to read",
    ),
    "wrong-type": (
        b'[tool.nbcollab.clean]\nkeep-outputs = "maybe"\n',
        "[tool.nbcollab.clean] keep-outputs: 'maybe' is not true or false",
    ),
    "wrong-shape": (
        b'[tool.nbcollab.clean]\nextra-keys = "metadata.x"\n',
        "[tool.nbcollab.clean] extra-keys: 'metadata.x' is not a list",
    ),
    "unknown-key": (
        b"[tool.nbcollab.merge]\noutputz = 1\n",
        "[tool.nbcollab.merge] outputz: unknown key (did you mean outputs?)",
    ),
    "bad-value": (
        b'[tool.nbcollab.clean]\nextra-keys = ["nope"]\n',
        "[tool.nbcollab.clean]: key 'nope': use cell.metadata.NAME or metadata.NAME",
    ),
    "escape-in-key": (
        b'[tool.nbcollab.merge]\n"\\u001b]52;c;eA==\\u0007" = 1\n',
        "[tool.nbcollab.merge] \u241b]52;c;eA==\u2407: unknown key (known: outputs, sign)",
    ),
    "sanitize-file-missing": (
        b'[tool.nbcollab.normalize]\nsanitize-file = "nope.cfg"\n',
        "[tool.nbcollab.normalize] sanitize-file 'nope.cfg': cannot read "
        "(No such file or directory)",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_the_loader_names_the_file_the_place_and_the_fix(name: str, tmp_path: Path) -> None:
    data, expected = BAD[name]
    (tmp_path / "pyproject.toml").write_bytes(data)
    with pytest.raises(ConfigError) as caught:
        read_config(tmp_path / "pyproject.toml")
    assert str(caught.value) == f"{tmp_path / 'pyproject.toml'}: {expected}"


def test_a_bad_sanitize_file_is_named_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.nbcollab.normalize]\nsanitize-file = "s.cfg"\n')
    (tmp_path / "s.cfg").write_text("[dates]\nregex: x\n")
    with pytest.raises(ConfigError) as caught:
        read_config(tmp_path / "pyproject.toml")
    assert str(caught.value) == (
        f"{tmp_path / 'pyproject.toml'}: [tool.nbcollab.normalize] sanitize-file 's.cfg': "
        "line 2: its 'replace: ' line must come right after it "
        "(each rule is a line 'regex: PATTERN' followed by a line 'replace: TEXT')"
    )


@dataclass(frozen=True)
class Command:
    """One way to run nbcollab on the project, and what it must do with a broken config."""

    argv: tuple[str, ...]
    expect: str = "error"  # error: exit 2 and the line; warning: the defaults and the line once
    stdin: str | None = None  # a file of the project to feed on stdin
    repo: bool = False  # needs the project to be a git repository (run as a real process)


COMMANDS = {
    "clean": Command(("clean", "nb.ipynb")),
    "clean --check": Command(("clean", "--check", "nb.ipynb")),
    "clean a folder": Command(("clean", ".")),
    "clean --stdin": Command(("clean", "--stdin"), stdin="nb.ipynb"),
    "lint": Command(("lint", "nb.ipynb")),
    "lint --execute": Command(("lint", "--execute", "nb.ipynb")),
    "export": Command(("export", "nb.ipynb")),
    "export --check": Command(("export", "--check", "nb.ipynb")),
    "merge": Command(("merge", "base.ipynb", "nb.ipynb", "theirs.ipynb", "-o", "out.ipynb")),
    "diff": Command(("diff", "base.ipynb", "nb.ipynb")),
    "diff --normalize-outputs": Command(("diff", "--normalize-outputs", "base.ipynb", "nb.ipynb")),
    "show": Command(("show", "--no-pager", "nb.ipynb")),
    "conflicts": Command(("conflicts", "nb.ipynb")),
    "resolve": Command(("resolve", "--ours", "nb.ipynb")),
    "trust check": Command(("trust", "check", "nb.ipynb")),
    "trust sign": Command(("trust", "sign", "nb.ipynb")),
    "textconv": Command(("textconv", "nb.ipynb"), expect="warning"),
    "git-diff": Command(
        ("git-diff", "nb.ipynb", "base.ipynb", "0" * 40, "100644", "nb.ipynb", "1" * 40, "100644"),
        expect="warning",
    ),
    "git-merge": Command(
        ("git-merge", "base.ipynb", "ours.ipynb", "theirs.ipynb", "7", "nb.ipynb"),
        expect="warning",
    ),
    "diff (git)": Command(("diff",), repo=True),
    "clean --check --staged": Command(("clean", "--check", "--staged"), repo=True),
    "mergetool": Command(("mergetool", "--no-browser", "nb.ipynb"), repo=True),
    "cache status": Command(("cache", "status"), repo=True),
    "status": Command(("status",), repo=True),
    "filter (git add)": Command(("filter-process",), expect="filter", repo=True),
}


def notebook(x: int, *, output: str = "") -> dict:
    return make_notebook(
        code_cell(f"x = {x}\n", outputs=[stream_output(output)] if output else [], cell_id="c1")
    )


def make_project(
    folder: Path, pyproject: bytes, *, repo: bool, filter: bool = False
) -> dict[str, bytes]:
    """Notebooks for every command, the broken pyproject.toml; the bytes of every file."""
    if repo:
        git(folder, "init", "-q")
    write_notebook(folder / "base.ipynb", notebook(1))
    write_notebook(folder / "theirs.ipynb", notebook(1))
    if repo:
        git(folder, "add", ".")
        git(folder, "commit", "-qm", "base")
    write_notebook(folder / "nb.ipynb", notebook(2, output="ours\n"))
    write_notebook(folder / "ours.ipynb", notebook(2, output="ours\n"))
    (folder / "pyproject.toml").write_bytes(pyproject)
    if repo:
        git(folder, "add", "nb.ipynb")  # before any filter is configured: stored as it is
        if filter:  # only where the filter is what is tested: the others run git without it
            install_filter(folder)
        write_notebook(folder / "nb.ipynb", notebook(3, output="ours\n"))
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def install_filter(repo: Path) -> None:
    command = f"{sys.executable} -m nbcollab filter-process"
    git(repo, "config", "filter.nbcollab.process", command)
    git(repo, "config", "filter.nbcollab.required", "true")
    (repo / ".git" / "info" / "attributes").write_text("*.ipynb filter=nbcollab\n")


def run(command: Command, folder: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    """Exit code and stderr: in this process through the typer app, or as a real process."""
    stdin = (folder / command.stdin).read_bytes() if command.stdin else None
    if command.expect == "filter":
        done = git(folder, "add", "nb.ipynb", check=False)
        return done.returncode, done.stderr
    if command.repo:
        done = subprocess.run(
            [sys.executable, "-m", "nbcollab", *command.argv],
            cwd=folder,
            input=stdin,
            capture_output=True,
            timeout=120,  # the mergetool would otherwise serve until someone quits
            check=False,
        )
        return done.returncode, done.stderr.decode()
    monkeypatch.chdir(folder)  # git runs its entry points at the top of the working tree
    result = CliRunner().invoke(app, list(command.argv), input=stdin)
    return result.exit_code, result.stderr


@pytest.fixture(scope="module")
def projects() -> dict[tuple[str, bool, bool], tuple[Path, dict[str, bytes]]]:
    """Repositories built once per bad file (and filter or not): what runs there writes nothing."""
    return {}


def _marks(bad: str, command: str) -> list[pytest.MarkDecorator]:
    # The fast tier runs every command on one bad file; the slow tier every pair.
    return [pytest.mark.slow] if COMMANDS[command].repo or bad != "wrong-type" else []


@pytest.mark.parametrize(
    "bad, command",
    [
        pytest.param(bad, name, id=f"{name}-{bad}", marks=_marks(bad, name))
        for name in COMMANDS
        for bad in sorted(BAD)
    ],
)
def test_every_command_gives_the_loaders_one_line(
    bad: str,
    command: str,
    tmp_path_factory: pytest.TempPathFactory,
    projects: dict[tuple[str, bool, bool], tuple[Path, dict[str, bytes]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    chosen = COMMANDS[command]
    key = (bad, chosen.repo, chosen.expect == "filter")
    if key not in projects or not chosen.repo:
        folder = tmp_path_factory.mktemp("project")
        projects[key] = folder, make_project(folder, BAD[bad][0], repo=key[1], filter=key[2])
    folder, before = projects[key]
    line = f"{folder / 'pyproject.toml'}: {BAD[bad][1]}"
    code, err = run(chosen, folder, monkeypatch)
    assert "Traceback" not in err and "internal error" not in err and "\x1b" not in err, err
    if chosen.expect == "error":
        assert (code, err) == (2, f"nbcollab: error: {line}\n")
        after = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
        assert after == before  # nothing written, nothing created
    elif chosen.expect == "warning":
        assert code == 0, err
        said = [text for text in err.splitlines() if line in text]
        assert len(said) == 1 and said[0].split(line, 1)[1].startswith("; using the default"), err
    else:  # the filter: what it does then is the filter's own rule; the reason is the loader's
        assert [text for text in err.splitlines() if line in text], err


def test_git_merge_with_a_broken_config_merges_by_the_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(tmp_path, BAD["wrong-type"][0], repo=False)
    code, _ = run(COMMANDS["git-merge"], tmp_path, monkeypatch)
    merged = json.loads((tmp_path / "ours.ipynb").read_text())
    assert code == 0 and "".join(merged["cells"][0]["source"]) == "x = 2\n"
