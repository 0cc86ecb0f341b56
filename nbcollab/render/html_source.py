"""Cell sources as HTML tables: syntax-highlighted by Pygments, side by side when they changed.

Pygments only tokenizes here; the spans are written by this module so that changed characters
(``<del>``/``<ins>``) can be marked inside highlighted tokens. Every piece of text is escaped.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from functools import lru_cache
from html import escape
from itertools import pairwise
from typing import Any

Segment = tuple[str, str]  # (Pygments' short css class or "", text)
_MAX_HIGHLIGHT = 30_000  # characters a source; beyond that (generated code) lexing takes seconds
_MAX_MARKED_LINE = 5_000  # characters; comparing two longer lines by character is quadratic


def split_lines(text: str) -> list[str]:
    """Lines as Pygments sees them (``\\r\\n`` and ``\\r`` are line ends), without the ends."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    return lines[:-1] if lines and lines[-1] == "" else lines


@lru_cache(maxsize=32)
def _lexer(language: str) -> Any:
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        return get_lexer_by_name(language, stripnl=False, stripall=False, ensurenl=False)
    except ClassNotFound:
        return None


def highlight_lines(text: str, language: str) -> list[list[Segment]]:
    """Each line of ``text`` as (css class, text) segments; plain when it cannot be highlighted."""
    lines = split_lines(text)
    lexer = _lexer(language) if language and len(text) <= _MAX_HIGHLIGHT else None
    if lexer is None:
        return [[("", line)] for line in lines]
    from pygments.token import STANDARD_TYPES

    out: list[list[Segment]] = [[]]
    for ttype, value in lexer.get_tokens("\n".join(lines)):
        while ttype not in STANDARD_TYPES:
            ttype = ttype.parent
        css = STANDARD_TYPES[ttype]
        for k, piece in enumerate(value.split("\n")):
            if k:
                out.append([])
            if piece:
                out[-1].append((css, piece))
    out = out[: len(lines)] if len(out) >= len(lines) else out
    # A lexer that rewrites text (tabs, odd line ends) must not shift or change what is shown.
    if ["".join(t for _, t in seg) for seg in out] != lines:
        return [[("", line)] for line in lines]
    return out


def line_html(segments: Sequence[Segment], marks: Sequence[tuple[int, int]], tag: str) -> str:
    """One line's spans, with the characters in ``marks`` wrapped in ``<tag>``."""
    if not marks:
        return "".join(
            f'<span class="{css}">{escape(text)}</span>' if css else escape(text)
            for css, text in segments
        )
    parts: list[str] = []
    pos = 0
    for css, text in segments:
        inner = "".join(
            f"<{tag}>{escape(p)}</{tag}>" if marked else escape(p)
            for marked, p in _cut(text, pos, marks)
        )
        pos += len(text)
        parts.append(f'<span class="{css}">{inner}</span>' if css else inner)
    return "".join(parts)


def _cut(text: str, start: int, marks: Sequence[tuple[int, int]]) -> list[tuple[bool, str]]:
    """``text`` (at offset ``start`` in its line) split where marked ranges begin and end."""
    end = start + len(text)
    points = sorted({start, end, *(p for a, b in marks for p in (a, b) if start < p < end)})
    pieces = []
    for a, b in pairwise(points):
        marked = any(m1 <= a and b <= m2 for m1, m2 in marks)
        pieces.append((marked, text[a - start : b - start]))
    return pieces


def source_table(text: str, language: str, *, status: str = "") -> str:
    """A whole source, one column with line numbers (``status`` colours every line)."""
    cls = {"added": "right ins", "removed": "left del"}.get(status, "right")
    rows = [
        f'<tr><td class="lno">{k}</td><td class="{cls}">{line_html(seg, (), "ins")}</td></tr>'
        for k, seg in enumerate(highlight_lines(text, language), start=1)
    ]
    return f'<table class="src hl">{"".join(rows)}</table>' if rows else ""


def source_diff_table(old: str, new: str, language: str) -> str:
    """Side-by-side source: removed lines left, added right, changed characters marked."""
    a, b = split_lines(old), split_lines(new)
    ha, hb = highlight_lines(old, language), highlight_lines(new, language)
    rows = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        for k in range(max(i2 - i1, j2 - j1)):
            i = i1 + k if i1 + k < i2 else None
            j = j1 + k if j1 + k < j2 else None
            marks: tuple[Any, Any] = ((), ())
            if tag == "replace" and i is not None and j is not None:
                marks = char_marks(a[i], b[j])
            rows.append(_diff_row(tag, i, j, ha, hb, marks))
    return '<table class="src hl">' + "".join(rows) + "</table>"


def _diff_row(
    tag: str,
    i: int | None,
    j: int | None,
    ha: list[list[Segment]],
    hb: list[list[Segment]],
    marks: tuple[Any, Any],
) -> str:
    left = line_html(ha[i], marks[0], "del") if i is not None else ""
    right = line_html(hb[j], marks[1], "ins") if j is not None else ""
    cls_o = " del" if tag != "equal" and i is not None else (" gap" if i is None else "")
    cls_n = " ins" if tag != "equal" and j is not None else (" gap" if j is None else "")
    return (
        f'<tr><td class="lno">{_line_number(i)}</td><td class="left{cls_o}">{left}</td>'
        f'<td class="lno">{_line_number(j)}</td><td class="right{cls_n}">{right}</td></tr>'
    )


def _line_number(index: int | None) -> str:
    return "" if index is None else str(index + 1)


def char_marks(old: str, new: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Character ranges that differ between two versions of a line (whole lines when long)."""
    if len(old) > _MAX_MARKED_LINE or len(new) > _MAX_MARKED_LINE:
        return [(0, len(old))], [(0, len(new))]
    left, right = [], []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            if i2 > i1:
                left.append((i1, i2))
            if j2 > j1:
                right.append((j1, j2))
    return left, right
