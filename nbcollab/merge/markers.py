"""The marks a merge leaves in a cell, found and removed exactly as the record describes them.

Nothing here reads markers as syntax: a hunk is found as the exact text the merge wrote (its
recorded marker lines around its recorded sides), a note as its exact line, marker outputs at
their recorded places. So a cell whose own text holds ``=======`` or ``<<<<<<< HEAD`` lines is
never misread. Only records of older versions, which lack that data, fall back to patterns.
Pure functions on strings and lists.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import Enum
from typing import Any

DEFAULT_MARKER_SIZE = 7
NOTE_PREFIX = "nbcollab: "
# What str.splitlines() ends a line on: a block starts at the start of a line.
_LINE_ENDS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"


class Resolution(str, Enum):
    """Which version a conflict resolves to."""

    OURS = "ours"
    THEIRS = "theirs"
    UNION = "union"
    BASE = "base"


def note_line(text: str, marker_size: int) -> str:
    """The one-line note that makes a conflict outside the source visible in the cell."""
    return "<" * marker_size + " " + NOTE_PREFIX + text.replace("\n", " ") + "\n"


def find_line_block(text: str, block: str, start: int = 0) -> int | None:
    """Where ``block`` first occurs in ``text`` at or after ``start``, at a line start."""
    at = text.find(block, start)
    while at > 0 and text[at - 1] not in _LINE_ENDS:
        at = text.find(block, at + 1)
    return None if at < 0 else at


def remove_line(text: str, line: str) -> str | None:
    """``text`` without the first occurrence of the whole line ``line``; None if absent."""
    closed = _closed(text)  # the line may end a text whose final newline the merge dropped
    at = find_line_block(closed, line)
    return None if at is None else _reopened(closed[:at] + closed[at + len(line) :], text)


def closed_text(text: str) -> str:
    """``text`` with the final newline the merge drops put back (for finding whole lines)."""
    return _closed(text)


def _closed(text: str) -> str:
    # The merge drops the final newline of a text whose sides had none, closing marker or not:
    # with it put back, every recorded block is found whole.
    return text if not text or text.endswith("\n") else text + "\n"


def _reopened(out: str, text: str) -> str:
    return out[:-1] if text and not text.endswith("\n") and out.endswith("\n") else out


def hunk_block(markers: Sequence[str], ours: str, theirs: str) -> str:
    """The text the merge wrote for one hunk."""
    start, mid, end = markers
    return start + ours + mid + theirs + end


def find_hunks(text: str, markers: Sequence[str], hunks: Sequence[Any]) -> list[int | None]:
    """Where each recorded hunk still is in ``text`` (None: resolved by hand), in order.

    Each is looked for after the hunk before it, nearest to where the merge wrote it (shifted
    as much as the hunk before it moved, for edits made by hand above it): a copy of a hunk
    pasted elsewhere in the cell is content, not the conflict.
    """
    text, found, cursor, shift = _closed(text), [], 0, 0
    for hunk in hunks:
        block = hunk_block(markers, hunk.ours, hunk.theirs)
        expected = cursor if hunk.at is None else hunk.at + shift
        if (
            expected >= cursor
            and text.startswith(block, expected)
            and (expected == 0 or text[expected - 1] in _LINE_ENDS)
        ):
            places = [expected]  # where it was written: the usual case, no search
        else:
            places = _line_blocks(text, block, cursor)
        at = min(places, key=lambda place: (abs(place - expected), place)) if places else None
        if at is not None:
            cursor = at + len(block)
            shift = shift if hunk.at is None else at - hunk.at
        found.append(at)
    return found


def _line_blocks(text: str, block: str, start: int) -> list[int]:
    places = []
    at = find_line_block(text, block, start)
    while at is not None:
        places.append(at)
        at = find_line_block(text, block, at + 1)
    return places


def resolve_hunks(
    text: str, markers: Sequence[str], hunks: Sequence[Any], choice: Resolution
) -> str | None:
    """``text`` with each recorded hunk still in it replaced by ``choice``'s lines.

    None when it cannot be done exactly: ``BASE`` needs every hunk still marked and the agreed
    lines around them unchanged, since a region's base cannot be split among its hunks.
    """
    places = find_hunks(text, markers, hunks)
    if choice is Resolution.BASE and None in places:
        return None
    closed, out, cursor = _closed(text), [], 0
    for hunk, at in zip(hunks, places):
        if at is None:
            continue
        end = at + len(hunk_block(markers, hunk.ours, hunk.theirs))
        picked = _pick(hunk, choice)
        if choice is Resolution.BASE:
            at, end = at - len(hunk.before), end + len(hunk.after)
            if (
                at < cursor
                or not closed.startswith(hunk.before, at)
                or not closed.startswith(hunk.after, end - len(hunk.after))
            ):
                return None
            if end == len(text) < len(closed):
                # The agreed text after it ends the cell, whose final newline the merge dropped:
                # the newline put back for finding lines goes with it.
                end += 1
        out += [closed[cursor:at], picked]
        cursor = end
    out.append(closed[cursor:])
    return _reopened("".join(out), text)


def _pick(hunk: Any, choice: Resolution) -> str:
    if choice is Resolution.OURS:
        return str(hunk.ours)
    if choice is Resolution.THEIRS:
        return str(hunk.theirs)
    if choice is Resolution.BASE:
        return str(hunk.base)
    ours, theirs = str(hunk.ours), str(hunk.theirs)
    if ours.endswith("\r") and theirs.startswith("\n"):
        # A line ended by a lone CR would join theirs' first line (an empty one) into a CRLF.
        ours += "\n"
    return ours + theirs


def unwrap_exact(text: str, head: str, tail: str) -> str | None:
    """The text the merge wrapped between ``head`` and ``tail``; None when no longer so."""
    if len(text) < len(head) + len(tail) or not (text.startswith(head) and text.endswith(tail)):
        return None
    body = text[len(head) : len(text) - len(tail)]
    # The closing marker ends with a newline unless the wrapped text did not.
    return body[:-1] if not tail.endswith("\n") and body.endswith("\n") else body


# --- marker outputs ----------------------------------------------------------------------------


def _marker(char: str, size: int) -> re.Pattern[str]:
    label = "" if char == "=" else r"(?: .*)?"
    return re.compile(re.escape(char) * size + label + r"\r?\n?\Z")


def output_marker(output: object, marker_size: int) -> str | None:
    """Which marker (``<``, ``|``, ``=``, ``>``) a stream output is, if it is one."""
    if not isinstance(output, dict) or output.get("output_type") != "stream":
        return None
    text = output.get("text")
    text = "".join(str(t) for t in text) if isinstance(text, list) else text
    if not isinstance(text, str):
        return None
    for char in "<|=>":
        if _marker(char, marker_size).match(text):
            return char
    return None


def output_sections(
    outputs: Sequence[object], sections: Sequence[int], marker_size: int
) -> list[list[object]] | None:
    """Ours, base and theirs outputs between the recorded marker outputs; None if not there."""
    n_ours, n_base, n_theirs = sections
    places = {
        0: "<",
        1 + n_ours: "|",
        2 + n_ours + n_base: "=",
        3 + n_ours + n_base + n_theirs: ">",
    }
    if len(outputs) != 4 + n_ours + n_base + n_theirs or any(
        output_marker(outputs[at], marker_size) != char for at, char in places.items()
    ):
        return None
    first = 1 + n_ours
    return [
        list(outputs[1:first]),
        list(outputs[first + 1 : first + 1 + n_base]),
        list(outputs[first + 2 + n_base : -1]),
    ]


def pick_outputs(
    ours: list[object], base: list[object], theirs: list[object], choice: Resolution
) -> list[object]:
    if choice is Resolution.OURS:
        return ours
    if choice is Resolution.THEIRS:
        return theirs
    if choice is Resolution.BASE:
        return base
    return ours + [item for item in theirs if item not in ours]


# --- records of older versions -----------------------------------------------------------------


def has_markers(text: str, marker_size: int = DEFAULT_MARKER_SIZE) -> bool:
    """Whether a text holds a line opening with the start marker (older records only)."""
    start = _marker("<", marker_size)
    return "<" * marker_size in text and any(start.match(line) for line in text.splitlines(True))


def remove_notes(text: str, marker_size: int) -> str:
    """``text`` without its ``<<<<<<< nbcollab: ...`` note lines (older records only)."""
    start = _marker("<", marker_size)
    return "".join(
        line
        for line in text.splitlines(True)
        if not (start.match(line) and line[marker_size + 1 :].startswith(NOTE_PREFIX))
    )


def unwrap(text: str, head: str, tail: str, marker_size: int) -> str | None:
    """``text`` without exactly its first marker lines ``head`` and last ones ``tail``.

    E.g. ``unwrap(text, "<", "=>", 7)`` strips an opening line and a separator plus closing line,
    whatever the lines between them look like; None when the text is not wrapped so.
    """
    lines = text.splitlines(True)
    count = len(lines) - len(head) - len(tail)
    wrapper = lines[: len(head)] + lines[len(lines) - len(tail) :]
    if count < 0 or not all(
        _marker(char, marker_size).match(line) for char, line in zip(head + tail, wrapper)
    ):
        return None
    body = "".join(lines[len(head) : len(head) + count])
    return body[:-1] if not text.endswith("\n") and body.endswith("\n") else body


def has_output_markers(outputs: Sequence[object], marker_size: int) -> bool:
    """Whether outputs hold an opening marker output (older records only)."""
    return any(output_marker(out, marker_size) == "<" for out in outputs)
