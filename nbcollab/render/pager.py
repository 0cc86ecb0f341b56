"""Page long terminal output as git does: through ``$GIT_PAGER``, else ``$PAGER``, else ``less``.

Only when standard output is a terminal and the text is longer than the screen; ``cat`` or an
empty value means no pager. ``less`` gets ``LESS=FRX`` (quit when it fits, keep colours, leave
the text on screen) unless the user set ``LESS``, as git does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping


def pager_command(env: Mapping[str, str]) -> str | None:
    """The pager to run, or None for none (``cat``, empty, or no ``less`` installed)."""
    for name in ("GIT_PAGER", "PAGER"):
        if name in env:
            command = env[name].strip()
            return None if command in ("", "cat") else command
    return "less" if shutil.which("less") else None


def should_page(text: str, *, is_tty: bool, screen_lines: int) -> bool:
    """Whether ``text`` needs a pager: a terminal, and more lines than fit on it."""
    return is_tty and text.count("\n") >= max(1, screen_lines - 1)


def pager_environment(env: Mapping[str, str]) -> dict[str, str]:
    """The pager's environment: the user's, plus git's defaults for ``less`` and ``lv``."""
    out = dict(env)
    out.setdefault("LESS", "FRX")
    out.setdefault("LV", "-c")
    return out


def write_paged(text: str, *, enabled: bool = True) -> None:
    """Write ``text`` to standard output, through the pager when that is what git would do."""
    data = text.encode("utf-8", "replace")
    command = pager_command(os.environ) if enabled else None
    is_tty = sys.stdout.isatty()
    if command is None or not should_page(
        text, is_tty=is_tty, screen_lines=shutil.get_terminal_size().lines
    ):
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    _run_pager(command, data)


def _run_pager(command: str, data: bytes) -> None:
    # Through the shell, as git runs it: PAGER may hold options ("less -S") or a pipeline.
    sys.stdout.flush()
    proc = subprocess.Popen(  # noqa: S602 - the user's own PAGER, run as git runs it
        command, shell=True, stdin=subprocess.PIPE, env=pager_environment(os.environ)
    )
    try:
        if proc.stdin is not None:  # always, with stdin=PIPE
            proc.stdin.write(data)
            proc.stdin.close()
    except BrokenPipeError:
        pass  # the reader quit the pager before the end: nothing left to show
    while True:
        try:
            proc.wait()
            return
        except KeyboardInterrupt:
            continue  # Ctrl-C belongs to the pager (less uses it); wait until the reader quits
