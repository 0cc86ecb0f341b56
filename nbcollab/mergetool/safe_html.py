"""The mergetool's own views of untrusted text: a side's source against the base, a JSON value.

Outputs and markdown are rendered by the review page's code (``render.html_outputs``: nh3 for
HTML, markdown rendered then sanitized, images only as checked ``data:`` URIs, SVG only as
``<img>``), so the two pages can never treat the same notebook differently. Text is escaped here.
"""

from __future__ import annotations

import difflib
import json
from html import escape
from typing import Any


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, indent=1, default=str)


def source_diff_html(base: str, side: str, language: str = "") -> str:
    """``side`` as numbered, highlighted lines, what differs from ``base`` marked to characters."""
    from nbcollab.render.html_source import char_marks, highlight_lines, line_html, split_lines

    old, new = split_lines(base), split_lines(side)
    shown = highlight_lines(side, language)
    rows: list[str] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows += [_row(j + 1, line_html(shown[j], (), "ins"), "") for j in range(j1, j2)]
            continue
        for k, j in enumerate(range(j1, j2)):
            paired = old[i1 + k] if tag == "replace" and i1 + k < i2 else None
            marks = char_marks(paired, new[j])[1] if paired is not None else ()
            rows.append(_row(j + 1, line_html(shown[j], marks, "ins"), "ins"))
        if tag in ("delete", "replace") and i2 - i1 > j2 - j1:
            gone = i2 - i1 - (j2 - j1)
            rows.append(_row(None, f"&minus; {gone} line{'s' * (gone > 1)} of the base", "del"))
    return (
        '<table class="src hl">' + "".join(rows) + "</table>"
        if rows
        else '<p class="muted">(empty)</p>'
    )


def _row(number: int | None, body: str, status: str) -> str:
    shown = "" if number is None else str(number)
    return f'<tr class="{status}"><td class="n">{shown}</td><td>{body}</td></tr>'


def json_html(value: Any) -> str:
    """A JSON value (metadata, a cell type) as escaped text."""
    text = value if isinstance(value, str) else _json(value)
    return f"<pre>{escape(text)}</pre>"


def values_html(values: dict[str, Any], base: dict[str, Any] | None) -> str:
    """Values by path, as JSON, or *absent* where the key is not there (never a string that a
    value could also be); with ``base``, the values that differ from it are marked."""
    from nbcollab.notebook.absent import ABSENT

    rows = []
    for path, value in values.items():
        changed = base is not None and base.get(path, ABSENT) != value
        shown = (
            '<p class="absent" title="not in this version">absent</p>'
            if value is ABSENT
            else f"<pre>{escape(_json(value))}</pre>"
        )
        key = f"<dt><code>{escape(path)}</code></dt>" if path else ""
        rows.append(f"{key}<dd{' class=ins' if changed else ''}>{shown}</dd>")
    return '<dl class="values">' + "".join(rows) + "</dl>"
