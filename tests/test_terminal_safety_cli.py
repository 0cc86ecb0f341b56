"""Every command, run as a subprocess, prints file names and notebook text terminal-safe.

One table: each command is given a notebook whose file name and sources hold terminal escapes
(an OSC 52 clipboard write, an erase-line, a C1 CSI, a bidi override), and a broken file with an
escape in its name, and nothing it prints may hold a control character of its own. The name must
still be shown, in the one rendering (``terminal_safe``: ESC as a visible picture).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import code_cell, git, make_notebook, run_nbcollab, stream_output, write_notebook

from nbcollab.safe_text import quote_path, terminal_safe

pytestmark = pytest.mark.slow

OSC52 = "\x1b]52;c;aGk=\x07"
ERASE = "\x1b[2K"
C1_CSI = "\x9b31m"
BIDI = "\u202e"
NAME = f"e{OSC52}v{ERASE}i{C1_CSI}l{BIDI}.ipynb"
BROKEN = f"b{ERASE}roken.ipynb"
SOURCE = f"#| export\ndef f():\n    return '{OSC52}{ERASE}{C1_CSI}{BIDI}'\n"
# Anything a terminal acts on: C0 but tab and newline, DEL, C1, bidi overrides and isolates.
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def notebook(source: str, *, output: str = "") -> dict:
    outputs = [stream_output(output)] if output else []
    return make_notebook(
        code_cell(source, cell_id="a", count=1 if output else None, outputs=outputs),
    )


@pytest.fixture
def files(tmp_path: Path) -> Path:
    """A folder with the hostile notebook (outputs included), a changed copy, and a broken file."""
    write_notebook(tmp_path / NAME, notebook(SOURCE, output=f"out{ERASE}\n"))
    write_notebook(tmp_path / f"other{ERASE}.ipynb", notebook(SOURCE + "x = 1\n"))
    (tmp_path / BROKEN).write_text('{"cells": [\n<<<<<<< HEAD\n')
    return tmp_path


def conflicted(folder: Path) -> str:
    """A merged notebook holding a conflict, under the hostile name."""
    for side, text in (("base", "x = 0\n"), ("ours", f"x = 1{ERASE}\n"), ("theirs", "x = 2\n")):
        write_notebook(folder / f"{side}.ipynb", notebook(text))
    run_nbcollab(
        "merge", "base.ipynb", "ours.ipynb", "theirs.ipynb", "-o", NAME, "--ours-label", f"b{OSC52}",
        cwd=folder,
    )  # fmt: skip
    return NAME


def stale_module(folder: Path) -> str:
    """The hostile notebook exported, then its module changed."""
    run_nbcollab("export", NAME, "-o", f"m{ERASE}.py", cwd=folder)
    module = folder / f"m{ERASE}.py"
    module.write_text(module.read_text() + f"# {OSC52}\n")
    return NAME


# (what runs, the arguments, the exit codes it may give); each callable prepares the folder.
COMMANDS: list[tuple[str, Callable[[Path], list[str]], tuple[int, ...]]] = [
    ("clean", lambda d: ["clean", NAME], (0,)),
    ("clean --check", lambda d: ["clean", "--check", NAME], (1,)),
    ("clean broken", lambda d: ["clean", "--check", BROKEN], (2,)),
    ("trust check", lambda d: ["trust", "check", NAME, BROKEN], (2,)),
    ("trust sign", lambda d: ["trust", "sign", NAME, BROKEN], (2,)),
    ("export", lambda d: ["export", NAME, "-o", f"m{ERASE}.py"], (0,)),
    ("export broken", lambda d: ["export", BROKEN], (2,)),
    (
        "export --check",
        lambda d: ["export", "--check", stale_module(d), "-o", f"m{ERASE}.py"],
        (1,),
    ),
    ("show", lambda d: ["show", "--no-pager", NAME], (0,)),
    ("show broken", lambda d: ["show", "--no-pager", BROKEN], (2,)),
    ("diff", lambda d: ["diff", NAME, f"other{ERASE}.ipynb"], (1,)),
    ("diff broken", lambda d: ["diff", NAME, BROKEN], (2,)),
    ("lint broken", lambda d: ["lint", NAME, BROKEN], (2,)),
    ("conflicts", lambda d: ["conflicts", conflicted(d)], (1,)),
    ("resolve", lambda d: ["resolve", "--ours", conflicted(d)], (0,)),
    ("resolve --cell", lambda d: ["resolve", "--cell", f"x{ERASE}", "--ours", conflicted(d)], (2,)),
    ("merge broken", lambda d: ["merge", BROKEN, NAME, NAME], (2,)),
]


@pytest.mark.parametrize(("_name", "args", "codes"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_every_command_prints_names_and_sources_safely(
    files: Path, _name: str, args: Callable[[Path], list[str]], codes: tuple[int, ...]
) -> None:
    done = run_nbcollab(*args(files), cwd=files)
    out = (done.stdout + done.stderr).decode("utf-8")
    assert done.returncode in codes, out
    assert UNSAFE.findall(out) == [], out
    if _name not in ("export", "resolve"):  # which say nothing of the notebook when all is well
        name = BROKEN if "broken" in _name else NAME
        # Shown in the one rendering, or, in a diff's header, quoted as git quotes it.
        assert terminal_safe(name, one_line=True) in out or quote_path(name) in out, out


def test_the_merge_labels_and_names_are_safe_too(files: Path) -> None:
    done = run_nbcollab(
        "merge", NAME, NAME, f"other{ERASE}.ipynb", "-o", f"out{OSC52}.ipynb", "--theirs-label", OSC52,
        cwd=files,
    )  # fmt: skip
    out = (done.stdout + done.stderr).decode("utf-8")
    assert done.returncode in (0, 1) and UNSAFE.findall(out) == [], out


@pytest.mark.git
def test_set_up_commands_print_a_repository_path_safely(tmp_path: Path) -> None:
    repo = tmp_path / f"r{ERASE}{OSC52}po"
    repo.mkdir()
    git(repo, "init", "-q")
    write_notebook(repo / NAME, notebook("x = 1\n", output="1\n"))
    for args, codes in (
        (["install"], (0,)),
        (["status"], (0,)),
        (["cache", "status"], (0,)),
        (["uninstall", "--keep-output-cache"], (0,)),
        (["status"], (1,)),
    ):
        done = run_nbcollab(*args, cwd=repo)
        out = (done.stdout + done.stderr).decode("utf-8")
        assert done.returncode in codes, (args, out)
        assert UNSAFE.findall(out) == [], (args, out)
        assert "\u241b" in out or args == ["status"], (args, out)


@pytest.mark.git
def test_the_filter_warns_safely_about_a_file_it_cannot_clean(tmp_path: Path) -> None:
    """git's own message names the file raw; nbcollab's never does."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    assert run_nbcollab("install", cwd=repo).returncode == 0
    (repo / BROKEN).write_text("not json")
    done = git(repo, "add", BROKEN, check=False)
    assert done.returncode == 0, done.stderr
    ours = [line for line in done.stderr.splitlines() if line.startswith("nbcollab")]
    assert ours and all(UNSAFE.findall(line) == [] for line in ours), done.stderr
    assert "b\u241b[2Kroken.ipynb" in ours[0]
