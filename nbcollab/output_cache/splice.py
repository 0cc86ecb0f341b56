"""Where each cell's outputs and execution count are in a notebook's text, to copy them as bytes.

Jupyter, nbformat and nbcollab write a v4 notebook as ``json.dumps(indent=1, sort_keys=True)``:
the cells list opens on a line ``\\n "cells": [``, each cell on a line ``\\n  {``, each of a
cell's keys on a line indented by exactly three spaces, and nothing deeper is indented that
little. JSON strings cannot hold a raw newline, so these line starts are found by searching the
bytes, without parsing: an outputs list is from ``[`` to the first ``\\n   ]`` after it.

Restoring with these spans copies a recorded cell's outputs into a blob's text instead of
encoding them again as JSON, which is most of what a checkout would otherwise cost. A text laid
out any other way has no spans (``None``) and is restored through the parsed notebook instead.
The caller checks the result either way (see ``output_cache.restore``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_CELLS = b'\n "cells": ['
_CELLS_END = b"\n ]"
_CELL = b"\n  {"
_CELL_LINE = re.compile(re.escape(_CELL))
_OUTPUTS = b'\n   "outputs": '
_OUTPUTS_END = b"\n   ]"
_COUNT = re.compile(rb'\n   "execution_count": (null|-?[0-9]+)')
_CODE = b'\n   "cell_type": "code"'


@dataclass(frozen=True)
class CellSpans:
    """Where one cell's outputs list and execution count are (byte ranges), when it has them."""

    code: bool
    outputs: tuple[int, int] | None
    count: tuple[int, int] | None


class CellTable:
    """The cells of a text laid out as above: how many, and each one's spans when asked."""

    def __init__(self, text: bytes, starts: list[int], end: int) -> None:
        self._text = text
        self._bounds = list(zip(starts, [*starts[1:], end], strict=False))

    def __len__(self) -> int:
        return len(self._bounds)

    def __getitem__(self, index: int) -> CellSpans:
        return _spans(self._text, *self._bounds[index])


def cell_spans(text: bytes) -> CellTable | None:
    """The cells of ``text``, in order; None when it is not laid out as above."""
    start = text.find(_CELLS)
    if start < 0:
        return None
    start += len(_CELLS)
    if text.startswith(b"]", start):
        return CellTable(text, [], start)  # "cells": []
    end = text.find(_CELLS_END, start)
    if end < 0:
        return None
    if text.find(_CELL, start, end) != start:
        return None  # the first line of the list must be a cell
    return CellTable(text, [m.start() for m in _CELL_LINE.finditer(text, start, end)], end)


def _spans(text: bytes, start: int, end: int) -> CellSpans:
    outputs = None
    at = text.find(_OUTPUTS, start, end)
    if at >= 0:
        value = at + len(_OUTPUTS)
        if text.startswith(b"[]", value):
            outputs = (value, value + 2)
        elif text.startswith(b"[\n", value):
            close = text.find(_OUTPUTS_END, value, end)
            outputs = (value, close + len(_OUTPUTS_END)) if close >= 0 else None
    match = _COUNT.search(text, start, end)
    count = match.span(1) if match else None
    return CellSpans(text.find(_CODE, start, end) >= 0, outputs, count)


def splice(text: bytes, spans: CellTable, fills: Mapping[int, tuple[bytes, bytes]]) -> bytes:
    """``text`` with cell ``i``'s outputs list and execution count replaced by ``fills[i]``
    (the outputs as JSON text, the count as a JSON number; an empty count keeps the cell's)."""
    edits: list[tuple[tuple[int, int], bytes]] = []
    for index, (outputs, count) in fills.items():
        cell = spans[index]
        if cell.outputs is None:
            raise ValueError(f"cell {index} has no outputs list to fill")
        edits.append((cell.outputs, outputs))
        if count and cell.count is not None:
            edits.append((cell.count, count))
    parts = []
    done = 0
    for (start, end), value in sorted(edits):
        parts += [text[done:start], value]
        done = end
    parts.append(text[done:])
    return b"".join(parts)
