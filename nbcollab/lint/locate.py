"""Where a cell's source line sits in the .ipynb file, for annotations that point at the file.

A JSON string cannot hold a raw newline, so each element of a cell's ``source`` list sits on one
line of the file. ``SourceLocator`` walks the file's JSON structure once (skipping outputs and
metadata with the C decoder), records the file line of every source element, and maps a line of
the cell's source to the file line of the element holding its start. For a source stored as one
string (allowed by nbformat) every source line maps to that string's file line.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Callable, Generator

# typeshed leaves out scanstring, which json.decoder defines outside its __all__.
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import TypeVar

_DECODER = json.JSONDecoder()
_WHITESPACE = " \t\n\r"
_Item = TypeVar("_Item")


class SourceLocator:
    """``file_line(cell, line)``: the .ipynb line of 1-based ``line`` of 1-based ``cell``."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._newlines: list[int] | None = None
        self._cells: list[list[tuple[int, str]]] | None = None  # per cell: (offset, element)

    def file_line(self, cell: int, line: int) -> int:
        """The file line, or 0 when the file is not laid out as expected."""
        return self.position(cell, line, 1)[0]

    def position(self, cell: int, line: int, column: int) -> tuple[int, int]:
        """(line, column) in the file of 1-based ``line``/``column`` of the cell; (0, 0) when
        the file is not laid out as expected."""
        cells = self._source_elements()
        if not 1 <= cell <= len(cells) or not cells[cell - 1]:
            return 0, 0
        elements = cells[cell - 1]
        k, start = _element_offset(elements, line)
        index = start + max(column, 1) - 1
        # A line may run on into the next elements (nbformat also splits at \f, \v, \x1c...).
        while index >= len(elements[k][1]) and k + 1 < len(elements):
            index -= len(elements[k][1])
            k += 1
        offset = elements[k][0]
        raw = _raw_index(self._text, offset + 1, index)
        file_line = self._line_of(offset)
        line_start = self._newlines[file_line - 2] + 1 if file_line > 1 and self._newlines else 0
        return file_line, raw - line_start + 1

    def _line_of(self, offset: int) -> int:
        if self._newlines is None:
            self._newlines = [m.start() for m in re.finditer("\n", self._text)]
        return bisect_right(self._newlines, offset) + 1

    def _source_elements(self) -> list[list[tuple[int, str]]]:
        if self._cells is None:
            try:
                self._cells = _scan_notebook(self._text)
            except (ValueError, IndexError, RecursionError):
                self._cells = []
        return self._cells


def _element_offset(elements: list[tuple[int, str]], line: int) -> tuple[int, int]:
    """(the source element where 1-based ``line`` starts, the line's index in its value)."""
    seen = 0  # newlines in the elements before this one
    for k, (_, value) in enumerate(elements):
        newlines = value.count("\n")
        if line <= 1:
            return k, 0
        if seen + newlines < line - 1:
            seen += newlines
            continue
        at = -1
        for _ in range(line - 1 - seen):
            at = value.index("\n", at + 1)
        if at == len(value) - 1 and k + 1 < len(elements):
            return k + 1, 0
        return k, at + 1
    return len(elements) - 1, len(elements[-1][1])


_ESCAPE = re.compile(  # a surrogate pair, another \uXXXX, or a one-character escape
    r"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|\\u[0-9a-fA-F]{4}|\\."
)


def _raw_index(text: str, start: int, chars: int) -> int:
    """The offset in ``text`` after ``chars`` decoded characters of the JSON string at ``start``."""
    pos = start
    for _ in range(chars):
        if pos >= len(text) or text[pos] == '"':
            break
        match = _ESCAPE.match(text, pos) if text[pos] == "\\" else None
        pos = match.end() if match else pos + 1
    return pos


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _WHITESPACE:
        pos += 1
    return pos


def _members(text: str, pos: int) -> Generator[tuple[str, int], int, int]:
    """(key, value offset) of each member of the object at ``pos``; the caller must consume
    each value and send back the offset after it."""
    pos = _skip_ws(text, pos)
    if text[pos] != "{":
        raise ValueError("not an object")
    pos = _skip_ws(text, pos + 1)
    if text[pos] == "}":
        return pos + 1
    while True:
        key, pos = scanstring(text, _skip_ws(text, pos) + 1)
        pos = _skip_ws(text, pos)
        if text[pos] != ":":
            raise ValueError("no colon")
        pos = yield key, _skip_ws(text, pos + 1)
        pos = _skip_ws(text, pos)
        if text[pos] == "}":
            return pos + 1
        if text[pos] != ",":
            raise ValueError("no comma")
        pos += 1


def _items(text: str, pos: int) -> Generator[int, int, int]:
    """Offsets of the items of the array at ``pos``, same protocol as ``_members``."""
    pos = _skip_ws(text, pos)
    if text[pos] != "[":
        raise ValueError("not an array")
    pos = _skip_ws(text, pos + 1)
    if text[pos] == "]":
        return pos + 1
    while True:
        pos = yield _skip_ws(text, pos)
        pos = _skip_ws(text, pos)
        if text[pos] == "]":
            return pos + 1
        if text[pos] != ",":
            raise ValueError("no comma")
        pos += 1


def _walk(generator: Generator[_Item, int, int], handle: Callable[[_Item], int]) -> int:
    """Drive a ``_members``/``_items`` generator: ``handle(item)`` returns the offset after it."""
    try:
        item = next(generator)
        while True:
            item = generator.send(handle(item))
    except StopIteration as stop:
        return stop.value


def _skip(text: str, pos: int) -> int:
    return _DECODER.raw_decode(text, pos)[1]


def _scan_notebook(text: str) -> list[list[tuple[int, str]]]:
    cells: list[list[tuple[int, str]]] = []
    start = 1 if text.startswith("\ufeff") else 0

    def top(member: tuple[str, int]) -> int:
        key, pos = member
        if key == "cells":
            found: list[list[tuple[int, str]]] = []
            end = _walk(_items(text, pos), lambda p: _cell(text, p, found))
            cells[:] = found  # the last "cells" key wins, as in json.loads
            return end
        if key == "worksheets":
            found = []
            end = _walk(_items(text, pos), lambda p: _worksheet(text, p, found))
            cells[:] = found
            return end
        return _skip(text, pos)

    _walk(_members(text, start), top)
    return cells


def _worksheet(text: str, pos: int, found: list[list[tuple[int, str]]]) -> int:
    def member(item: tuple[str, int]) -> int:
        key, at = item
        if key == "cells":
            return _walk(_items(text, at), lambda p: _cell(text, p, found))
        return _skip(text, at)

    return _walk(_members(text, pos), member)


def _cell(text: str, pos: int, found: list[list[tuple[int, str]]]) -> int:
    elements: list[tuple[int, str]] = []
    keys: set[str] = set()

    def member(item: tuple[str, int]) -> int:
        key, at = item
        # cell_source reads "source" before "input" (v3 code cells have only "input").
        if key not in ("source", "input") or (key == "input" and "source" in keys):
            return _skip(text, at)
        keys.add(key)
        elements.clear()
        if text[at] == '"':
            value, end = scanstring(text, at + 1)
            elements.append((at, value))
            return end
        return _walk(_items(text, at), lambda p: _element(text, p, elements))

    end = _walk(_members(text, pos), member)
    found.append(list(elements))
    return end


def _element(text: str, pos: int, elements: list[tuple[int, str]]) -> int:
    if text[pos] != '"':
        return _skip(text, pos)
    value, end = scanstring(text, pos + 1)
    elements.append((pos, value))
    return end
