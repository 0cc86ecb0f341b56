"""A progress line on stderr for long work, only when stderr is a terminal.

A folder of hundreds of notebooks takes seconds; a silent terminal looks hung. A log, a pipe or
CI gets nothing, so their output stays the same as before.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

# Below this many items the work is quick: no line at all.
MIN_ITEMS = 20
_EVERY_SECONDS = 0.1


class Progress:
    """``step()`` once per item; ``clear()`` before printing anything else; ``done()`` at the end."""

    def __init__(self, total: int, label: str, *, stream: TextIO | None = None) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._total = total
        self._label = label
        self._count = 0
        self._shown_at = 0.0
        self._visible = False
        self._on = total >= MIN_ITEMS and _is_terminal(self._stream)

    def step(self) -> None:
        self._count += 1
        if not self._on:
            return
        now = time.monotonic()
        if now - self._shown_at < _EVERY_SECONDS and self._count < self._total:
            return
        self._shown_at = now
        self._stream.write(f"\r\x1b[K{self._label} {self._count}/{self._total}")
        self._stream.flush()
        self._visible = True

    def clear(self) -> None:
        if self._visible:
            self._stream.write("\r\x1b[K")
            self._stream.flush()
            self._visible = False

    done = clear


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream
        return False
