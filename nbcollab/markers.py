"""Git-style conflict markers in cell text: writing notes, finding and resolving hunks.

A hunk is ``<<<<<<< ours`` / optional ``||||||| base`` / ``=======`` / ``>>>>>>> theirs``, of the
marker size git asked for; a note is a lone ``<<<<<<< nbcollab: ...`` line that makes a conflict
outside the text visible. Pure functions on strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

DEFAULT_MARKER_SIZE = 7
NOTE_PREFIX = "nbcollab: "


class Resolution(str, Enum):
    """Which version a conflict resolves to."""

    OURS = "ours"
    THEIRS = "theirs"
    UNION = "union"
    BASE = "base"



def note_line(text: str, marker_size: int) -> str:
    """The one-line note that makes a conflict outside the source visible in the cell."""
    return "<" * marker_size + " " + NOTE_PREFIX + text + "\n"


@dataclass
class Hunk:
    """One ``<<<<<<< ... >>>>>>>`` block of a text."""

    ours: str
    theirs: str
    base: str | None = None


def _marker(char: str, size: int) -> re.Pattern[str]:
    label = "" if char == "=" else r"(?: .*)?"
    return re.compile(re.escape(char) * size + label + r"\r?\n?\Z")


def parse_markers(text: str, marker_size: int) -> list[str | Hunk] | None:
    """Split a text into plain runs and conflict hunks (notes dropped); None when malformed."""
    start, base, mid, end = (_marker(c, marker_size) for c in "<|=>")
    parts: list[str | Hunk] = []
    state, sides = "text", {"ours": [], "base": [], "theirs": []}  # type: ignore[var-annotated]
    # Whether the hunk has a ``|||||||`` line: an empty base section is a base all the same.
    has_base = False
    for line in text.splitlines(True):
        if state == "text":
            if start.match(line):
                if line[marker_size + 1:].startswith(NOTE_PREFIX):
                    continue
                state, sides = "ours", {"ours": [], "base": [], "theirs": []}
                has_base = False
            else:
                parts.append(line)
        elif state in ("ours", "base") and mid.match(line):
            state = "theirs"
        elif state == "ours" and base.match(line):
            state, has_base = "base", True
        elif state == "theirs" and end.match(line):
            parts.append(Hunk("".join(sides["ours"]), "".join(sides["theirs"]),
                              "".join(sides["base"]) if has_base else None))
            state = "text"
        else:
            sides[state].append(line)
    return parts if state == "text" else None


def unwrap(text: str, head: str, tail: str, marker_size: int) -> str | None:
    """``text`` without exactly its first marker lines ``head`` and last ones ``tail``.

    E.g. ``unwrap(text, "<", "=>", 7)`` strips an opening line and a separator plus closing line,
    whatever the lines between them look like; None when the text is not wrapped so.
    """
    lines = text.splitlines(True)
    count = len(lines) - len(head) - len(tail)
    wrapper = lines[:len(head)] + lines[len(lines) - len(tail):]
    if count < 0 or not all(_marker(char, marker_size).match(line)
                            for char, line in zip(head + tail, wrapper)):
        return None
    body = "".join(lines[len(head):len(head) + count])
    # The closing marker ends with a newline unless the wrapped text did not.
    return body[:-1] if not text.endswith("\n") and body.endswith("\n") else body


def has_markers(text: str, marker_size: int = DEFAULT_MARKER_SIZE) -> bool:
    """Whether a text holds a conflict marker or note (a line opening with the start marker)."""
    start = _marker("<", marker_size)
    return "<" * marker_size in text and any(start.match(line) for line in text.splitlines(True))


# An opening marker of any length from git's default up: git writes longer ones for %L > 7 (and
# for conflicts nested in a criss-cross merge's virtual base), `merge --marker-size` too.
_ANY_START = re.compile(r"(<{7,})(?: .*)?\r?\n?\Z")  # 7: DEFAULT_MARKER_SIZE


def marker_sizes(text: str) -> list[int]:
    """Sizes of the conflict markers in a text (no record says which), ascending.

    Any opening line of the default size counts, as git's markers do; a longer one only with a
    separator and a closing line of the same length after it, or as a note, so that a ruler of
    ``<`` characters in a markdown cell is no conflict.
    """
    if "<" * DEFAULT_MARKER_SIZE not in text:
        return []
    lines = text.splitlines(True)
    candidates: set[int] = set()
    for line in lines:
        found = _ANY_START.match(line)
        if found:
            candidates.add(len(found.group(1)))
    return sorted(size for size in candidates
                  if size == DEFAULT_MARKER_SIZE or _complete(lines, size))


def _complete(lines: list[str], size: int) -> bool:
    """Whether ``lines`` hold a note, or an opening, separator and closing marker, of ``size``."""
    patterns = [_marker(char, size) for char in "<=>"]
    step = 0
    for line in lines:
        if step == 0 and patterns[0].match(line) and line[size + 1:].startswith(NOTE_PREFIX):
            return True
        if patterns[step].match(line):
            step += 1
            if step == len(patterns):
                return True
    return False


def resolve_text(text: str, choice: Resolution, marker_size: int,
                 hunk_bases: list[str] | None = None,
                 around: list[list[str]] | None = None) -> str | None:
    """``text`` with every hunk resolved and notes removed; None when it cannot be done.

    ``hunk_bases`` (recorded by the merge) are the hunks' bases for ``BASE``; ``around``, the
    text agreed on before and after each hunk inside its conflict region, which ``BASE`` drops.
    """
    # The last line gets a newline while resolving (taken off again below), so that it compares
    # line for line with the recorded text agreed after a hunk.
    parts = parse_markers(text if text.endswith("\n") or not text else text + "\n", marker_size)
    if parts is None:
        return None
    hunks = [p for p in parts if isinstance(p, Hunk)]
    if choice is Resolution.BASE and any(h.base is None for h in hunks):
        if hunk_bases is None or len(hunk_bases) != len(hunks):
            return None
        for hunk, base in zip(hunks, hunk_bases):
            hunk.base = base
        parts = _drop_agreed(parts, around) if around is not None else parts
        if parts is None:
            return None
    out = "".join(p if isinstance(p, str) else _pick(p, choice) for p in parts)
    # Markers always end with a newline; the text did not when its last line had none.
    if not text.endswith("\n") and out.endswith("\n"):
        out = out[:-1]
    return out


def _drop_agreed(parts: list[str | Hunk], around: list[list[str]]) -> list[str | Hunk] | None:
    """``parts`` without the agreed lines recorded around each hunk; None if they were edited."""
    runs: list[list[str]] = [[]]
    hunks: list[Hunk] = []
    for part in parts:
        if isinstance(part, Hunk):
            hunks.append(part)
            runs.append([])
        else:
            runs[-1].append(part)
    if len(around) != len(hunks):
        return None
    for number, (before, after) in enumerate(around):
        before_lines, after_lines = before.splitlines(True), after.splitlines(True)
        run, following = runs[number], runs[number + 1]
        if run[len(run) - len(before_lines):] != before_lines:
            return None
        del run[len(run) - len(before_lines):]
        if following[:len(after_lines)] != after_lines:
            return None
        del following[:len(after_lines)]
    out: list[str | Hunk] = list(runs[0])
    for hunk, run in zip(hunks, runs[1:]):
        out += [hunk, *run]
    return out


def _pick(hunk: Hunk, choice: Resolution) -> str:
    if choice is Resolution.OURS:
        return hunk.ours
    if choice is Resolution.THEIRS:
        return hunk.theirs
    if choice is Resolution.BASE:
        return hunk.base or ""
    return hunk.ours + hunk.theirs


def remove_notes(text: str, marker_size: int) -> str:
    """``text`` without its ``<<<<<<< nbcollab: ...`` note lines."""
    start = _marker("<", marker_size)
    return "".join(
        line for line in text.splitlines(True)
        if not (start.match(line) and line[marker_size + 1:].startswith(NOTE_PREFIX))
    )


def _output_marker(output: object, marker_size: int) -> str | None:
    """Which marker (``<``, ``|``, ``=``, ``>``) a stream output is, if it is one."""
    if not isinstance(output, dict) or output.get("output_type") != "stream":
        return None
    text = output.get("text")
    text = "".join(text) if isinstance(text, list) else text
    if not isinstance(text, str):
        return None
    for char in "<|=>":
        if _marker(char, marker_size).match(text):
            return char
    return None


def output_marker_sizes(outputs: list[object]) -> list[int]:
    """Sizes of the well-formed marker-output blocks among ``outputs``, ascending."""
    candidates: set[int] = set()
    for output in outputs:
        if isinstance(output, dict) and output.get("output_type") == "stream":
            text = output.get("text")
            found = _ANY_START.match("".join(text) if isinstance(text, list) else str(text))
            if found:
                candidates.add(len(found.group(1)))
    return sorted(size for size in candidates
                  if resolve_outputs(outputs, Resolution.OURS, size) is not None)


def resolve_outputs(outputs: list[object], choice: Resolution,
                    marker_size: int) -> list[object] | None:
    """Outputs with each marker block resolved; None when there is no (well-formed) block."""
    kinds = [_output_marker(out, marker_size) for out in outputs]
    if "<" not in kinds:
        return None
    out: list[object] = []
    section, sides = "", {"<": [], "|": [], "=": []}  # type: ignore[var-annotated]
    for output, kind in zip(outputs, kinds):
        if kind == "<" and not section:
            section, sides = "<", {"<": [], "|": [], "=": []}
        elif kind in ("|", "=") and section:
            section = kind
        elif kind == ">" and section:
            out.extend(_pick_outputs(sides["<"], sides["|"], sides["="], choice))
            section = ""
        elif section:
            sides[section].append(output)
        else:
            out.append(output)
    return None if section else out


def _pick_outputs(ours: list[object], base: list[object], theirs: list[object],
                  choice: Resolution) -> list[object]:
    if choice is Resolution.OURS:
        return ours
    if choice is Resolution.THEIRS:
        return theirs
    if choice is Resolution.BASE:
        return base
    return ours + [item for item in theirs if item not in ours]
