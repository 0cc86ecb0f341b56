"""Render a ``NotebookDiff`` as git-like terminal text, optionally coloured and word-level.

Every string from the notebooks (sources, outputs, metadata keys and values, cell ids, the names
given for the two sides) is made terminal-safe (``safe_text``) before colour codes are added
around it, so the only escape sequences in the text are the colours painted here.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from nbcollab.diff.compute import (
    CellDiff,
    NotebookDiff,
    OutputChange,
    ValueChange,
    source_of,
)
from nbcollab.notebook.absent import ABSENT
from nbcollab.notebook.bundle import V3_MIMES
from nbcollab.notebook.cells import cell_number, output_name
from nbcollab.render.output_text import describe_output, output_text
from nbcollab.safe_text import terminal_safe

_RED, _GREEN, _CYAN, _BOLD, _DIM, _REVERSE, _RESET = (
    "\033[31m",
    "\033[32m",
    "\033[36m",
    "\033[1m",
    "\033[2m",
    "\033[7m",
    "\033[0m",
)
_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")
# The keys of an output that ``output_text`` already shows (nbformat 3: mime types at the top).
_IN_TEXT = frozenset({"data", "text", *V3_MIMES})


@dataclass(frozen=True)
class TextStyle:
    """How the text is drawn: colours, word-level changes, context lines per hunk."""

    color: bool = False
    word_diff: bool = False
    context: int = 3


def render_text(
    diff: NotebookDiff, *, old_name: str, new_name: str, style: TextStyle = TextStyle()
) -> str:
    """The whole diff as text (empty string when the notebooks are equal)."""
    if diff.equal:
        return ""
    paint = _Painter(style)
    old_name, new_name = (terminal_safe(name, one_line=True) for name in (old_name, new_name))
    lines = [paint(f"--- {old_name}", _BOLD), paint(f"+++ {new_name}", _BOLD)]
    if diff.metadata:
        lines.append(paint("## notebook", _CYAN))
        lines.extend(_value_lines(diff.metadata, paint))
    unchanged = 0
    for cell in diff.cells:
        if not cell.changed:
            unchanged += 1
            continue
        if unchanged:
            lines.append(paint(f"   ... {unchanged} unchanged cell{'s' * (unchanged > 1)}", _DIM))
            unchanged = 0
        lines.extend(_cell_lines(cell, paint))
    if unchanged:
        lines.append(paint(f"   ... {unchanged} unchanged cell{'s' * (unchanged > 1)}", _DIM))
    return "\n".join(lines) + "\n"


class _Painter:
    def __init__(self, style: TextStyle) -> None:
        self.style = style

    def __call__(self, text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if self.style.color and text else text


def cell_title(cell: CellDiff) -> str:
    """'cell 3 (code, id abc): modified, moved from 7' - the header of one changed cell (numbered
    from 1: the new notebook's number, a removed cell's number in the old one)."""
    body = cell.new if cell.new is not None else (cell.old or {})
    index = cell.new_index if cell.new_index is not None else cell.old_index
    where = terminal_safe(str(body.get("cell_type", "?")), one_line=True)
    cell_id = body.get("id")
    if isinstance(cell_id, str):
        where += f", id {terminal_safe(cell_id, one_line=True)}"
    states: list[str] = [] if cell.status == "unchanged" else [cell.status]
    if cell.moved:
        states.append(f"moved from {cell_number(cell.old_index or 0)}")
    return f"cell {cell_number(index or 0)} ({where}): {', '.join(states)}"


def _cell_lines(cell: CellDiff, paint: _Painter) -> Iterator[str]:
    yield paint(f"## {cell_title(cell)}", _CYAN)
    if cell.status == "added":
        yield from _whole(source_of(cell.new), "+", _GREEN, paint)
        yield from _outputs_whole(cell.new, "+", _GREEN, paint)
    elif cell.status == "removed":
        yield from _whole(source_of(cell.old), "-", _RED, paint)
        yield from _outputs_whole(cell.old, "-", _RED, paint)
    else:
        if cell.source_changed:
            yield from text_hunks(source_of(cell.old), source_of(cell.new), paint)
        for change in cell.outputs:
            yield from _output_change_lines(change, paint)
        extra = (*cell.other, *cell.metadata, *cell.attachments)
        if cell.execution_count is not None:
            extra = (*extra, cell.execution_count)
        yield from _value_lines(extra, paint)


def _whole(text: str, sign: str, code: str, paint: _Painter) -> Iterator[str]:
    for line in terminal_safe(text).splitlines():
        yield paint(f"{sign}{line}", code)


def text_hunks(old: str, new: str, paint: _Painter) -> Iterator[str]:
    """Unified-diff hunks of two texts, with intra-line or word-level detail."""
    # Made safe before splitting: a carriage return shows as a character, not a line break.
    a, b = terminal_safe(old).splitlines(), terminal_safe(new).splitlines()
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for group in matcher.get_grouped_opcodes(paint.style.context):
        i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        yield paint(f"@@ -{i1 + 1},{i2 - i1} +{j1 + 1},{j2 - j1} @@", _CYAN)
        for tag, a1, a2, b1, b2 in group:
            if tag == "equal":
                yield from (f" {line}" for line in a[a1:a2])
            elif tag == "replace" and paint.style.word_diff:
                yield from _word_lines("\n".join(a[a1:a2]), "\n".join(b[b1:b2]), paint)
            elif tag == "replace" and paint.style.color and a2 - a1 == b2 - b1:
                for x, y in zip(a[a1:a2], b[b1:b2]):
                    yield from _intraline(x, y, paint)
            else:
                yield from (paint(f"-{line}", _RED) for line in a[a1:a2])
                yield from (paint(f"+{line}", _GREEN) for line in b[b1:b2])


def _intraline(old: str, new: str, paint: _Painter) -> Iterator[str]:
    """A replaced line pair with the changed characters in reverse video."""
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    left, right = [_RED, "-"], [_GREEN, "+"]
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            left.append(old[i1:i2])
            right.append(new[j1:j2])
            continue
        if i2 > i1:
            left.append(f"{_REVERSE}{old[i1:i2]}{_RESET}{_RED}")
        if j2 > j1:
            right.append(f"{_REVERSE}{new[j1:j2]}{_RESET}{_GREEN}")
    yield "".join(left) + _RESET
    yield "".join(right) + _RESET


def _word_lines(old: str, new: str, paint: _Painter) -> Iterator[str]:
    """git's ``--word-diff``: ``[-removed-]{+added+}`` inline (colour only when colouring)."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    parts: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            parts.append("".join(a[i1:i2]))
            continue
        if i2 > i1:
            removed = "".join(a[i1:i2])
            parts.append(paint(removed, _RED) if paint.style.color else f"[-{removed}-]")
        if j2 > j1:
            added = "".join(b[j1:j2])
            parts.append(paint(added, _GREEN) if paint.style.color else f"{{+{added}+}}")
    yield from ("~" + line for line in "".join(parts).split("\n"))


def _outputs_whole(
    cell: Mapping[str, Any] | None, sign: str, code: str, paint: _Painter
) -> Iterator[str]:
    for index, output in enumerate((cell or {}).get("outputs", []) or []):
        if isinstance(output, dict):
            yield paint(f"{sign}  {output_name(index)}: {describe_output(output)}", code)
            yield from (paint(f"{sign}  | {line}", code) for line in output_text(output))


def _output_change_lines(change: OutputChange, paint: _Painter) -> Iterator[str]:
    if change.status == "added" and change.new is not None:
        yield paint(
            f"+  {output_name(change.new_index)}: {describe_output(change.new)} (added)", _GREEN
        )
        yield from (paint(f"+  | {line}", _GREEN) for line in output_text(change.new))
    elif change.status == "removed" and change.old is not None:
        yield paint(
            f"-  {output_name(change.old_index)}: {describe_output(change.old)} (removed)", _RED
        )
        yield from (paint(f"-  | {line}", _RED) for line in output_text(change.old))
    elif change.new is not None and change.old is not None:
        yield paint(
            f"~  {output_name(change.new_index)}: {describe_output(change.new)} (changed)", _CYAN
        )
        old_text, new_text = "\n".join(output_text(change.old)), "\n".join(output_text(change.new))
        yield from ("   " + line for line in text_hunks(old_text, new_text, paint))
        yield from (
            f"   {line}"
            for line in _value_lines(
                [c for c in change.changes if not (c.path and c.path[0] in _IN_TEXT)], paint
            )
        )


def _value_lines(changes: Any, paint: _Painter) -> Iterator[str]:
    for change in changes:
        yield from _value_line(change, paint)


def _value_line(change: ValueChange, paint: _Painter) -> Iterator[str]:
    path = terminal_safe(".".join(str(part) for part in change.path), one_line=True)
    if change.old is ABSENT:
        yield paint(f"+  {path}: {_short(change.new)}", _GREEN)
    elif change.new is ABSENT:
        yield paint(f"-  {path}: {_short(change.old)}", _RED)
    else:
        yield paint(f"~  {path}: {_short(change.old)} -> {_short(change.new)}", _CYAN)


def _short(value: Any, limit: int = 120) -> str:
    text = terminal_safe(json.dumps(value, sort_keys=True, ensure_ascii=False, default=str))
    return text if len(text) <= limit else text[: limit - 3] + "..."
