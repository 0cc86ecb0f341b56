"""Where each cell's outputs and execution count are in a notebook's text, to copy them as bytes.

Jupyter, nbformat and nbcollab write a v4 notebook as ``json.dumps(indent=1, sort_keys=True)``,
other editors with another indent: one key or item a line, each level ``u`` spaces deeper. So
the cells list opens on a line ``"cells": [`` indented by ``u``, each cell on a line ``{``
indented by ``2u``, each of a cell's keys on a line indented by exactly ``3u``, and nothing
deeper is indented that little. JSON strings cannot hold a raw newline, so these line starts
are found by searching the bytes, without parsing: an outputs list is from ``[`` to the first
line ``]`` indented by ``3u`` after it.

Restoring with these spans copies a recorded cell's outputs into a blob's text instead of
encoding them again as JSON, which is most of what a checkout would otherwise cost. A text laid
out any other way (on one line) has no spans (``None``) and is restored through the parsed
notebook instead. The caller checks the result either way (see ``output_cache.restore``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass

# The first key of the notebook, on its own line: how deep one level is indented.
_FIRST_KEY = re.compile(rb'(?:\xef\xbb\xbf)?[ \t\r\n]*\{\r?\n( {1,16})"')


@dataclass(frozen=True)
class _Layout:
    """The line starts of a layout whose levels are ``unit`` spaces deep."""

    cells: bytes
    cells_end: bytes
    cell: re.Pattern[bytes]
    outputs: bytes
    outputs_end: bytes
    count: re.Pattern[bytes]
    code: bytes


@functools.lru_cache(maxsize=16)
def _layout(unit: int) -> _Layout:
    one, two, three = (b"\n" + b" " * (unit * depth) for depth in (1, 2, 3))
    return _Layout(
        cells=one + b'"cells": [',
        cells_end=one + b"]",
        cell=re.compile(re.escape(two + b"{")),
        outputs=three + b'"outputs": ',
        outputs_end=three + b"]",
        count=re.compile(re.escape(three) + rb'"execution_count": (null|-?[0-9]+)'),
        code=three + b'"cell_type": "code"',
    )


@dataclass(frozen=True)
class CellSpans:
    """Where one cell's outputs list and execution count are (byte ranges), when it has them."""

    code: bool
    outputs: tuple[int, int] | None
    count: tuple[int, int] | None


class CellTable:
    """The cells of a text laid out as above: how many, and each one's spans when asked."""

    def __init__(self, text: bytes, layout: _Layout, starts: list[int], end: int) -> None:
        self._text = text
        self._layout = layout
        self._bounds = list(zip(starts, [*starts[1:], end], strict=False))

    def __len__(self) -> int:
        return len(self._bounds)

    def __getitem__(self, index: int) -> CellSpans:
        return _spans(self._text, self._layout, *self._bounds[index])


def cell_spans(text: bytes) -> CellTable | None:
    """The cells of ``text``, in order; None when it is not laid out as above."""
    first = _FIRST_KEY.match(text)
    if first is None:
        return None
    layout = _layout(len(first.group(1)))
    start = text.find(layout.cells)
    if start < 0:
        return None
    start += len(layout.cells)
    if text.startswith(b"]", start):
        return CellTable(text, layout, [], start)  # "cells": []
    end = text.find(layout.cells_end, start)
    if end < 0:
        return None
    starts = [m.start() for m in layout.cell.finditer(text, start, end)]
    if not starts or starts[0] != start + text.startswith(b"\r", start):
        return None  # the first line of the list must be a cell (after a CR, in CRLF text)
    return CellTable(text, layout, starts, end)


def _spans(text: bytes, layout: _Layout, start: int, end: int) -> CellSpans:
    outputs = None
    at = text.find(layout.outputs, start, end)
    if at >= 0:
        value = at + len(layout.outputs)
        if text.startswith(b"[]", value):
            outputs = (value, value + 2)
        elif text.startswith((b"[\n", b"[\r\n"), value):
            close = text.find(layout.outputs_end, value, end)
            outputs = (value, close + len(layout.outputs_end)) if close >= 0 else None
    match = layout.count.search(text, start, end)
    count = match.span(1) if match else None
    return CellSpans(text.find(layout.code, start, end) >= 0, outputs, count)


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
