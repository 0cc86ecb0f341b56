"""A progress line on stderr for long work when stderr is a terminal; nothing otherwise."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import code_cell, make_notebook, write_notebook

from nbcollab.cli.progress import MIN_ITEMS, Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_sees_the_count_and_the_line_is_cleared_at_the_end() -> None:
    stream = Terminal()
    progress = Progress(MIN_ITEMS, "cleaning", stream=stream)
    for _ in range(MIN_ITEMS):
        progress.step()
    progress.done()
    text = stream.getvalue()
    assert f"cleaning {MIN_ITEMS}/{MIN_ITEMS}" in text
    assert text.endswith("\r\x1b[K")


@pytest.mark.parametrize(("stream", "total"), [(io.StringIO(), 500), (Terminal(), MIN_ITEMS - 1)])
def test_silent_when_not_a_terminal_or_quick(stream: io.StringIO, total: int) -> None:
    progress = Progress(total, "cleaning", stream=stream)
    for _ in range(total):
        progress.step()
    progress.done()
    assert stream.getvalue() == ""


def _folder(tmp_path: Path) -> Path:
    for n in range(MIN_ITEMS + 5):
        write_notebook(
            tmp_path / f"n{n:03}.ipynb",
            make_notebook(code_cell("x", cell_id="a", count=1), metadata={}),
        )
    return tmp_path


@pytest.mark.slow
@pytest.mark.parametrize("command", [["clean", "--check"], ["lint"]])
def test_a_folder_on_a_terminal_shows_progress_and_a_pipe_does_not(
    tmp_path: Path, command: list[str]
) -> None:
    pty = pytest.importorskip("pty")
    folder = _folder(tmp_path)
    args = [sys.executable, "-m", "nbcollab", *command, str(folder)]
    piped = subprocess.run(args, capture_output=True, check=False)
    assert b"/" + str(MIN_ITEMS + 5).encode() not in piped.stderr
    master, slave = pty.openpty()
    with os.fdopen(master, "rb", buffering=0) as reader:
        done = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=slave, check=False)
        os.close(slave)
        seen = b""
        try:
            while chunk := reader.read(4096):
                seen += chunk
        except OSError:  # the pty is closed once the child is gone
            pass
    assert done.returncode in (0, 1)
    assert f"{MIN_ITEMS + 5}/{MIN_ITEMS + 5}".encode() in seen
