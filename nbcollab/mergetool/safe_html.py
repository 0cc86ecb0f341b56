"""Untrusted notebook content made safe for the page: one function per kind of content.

Each delegates to the HTML report's sanitizing helpers (nh3 for HTML, markdown rendered then
sanitized, images only as checked ``data:`` URIs, SVG only as ``<img>``), so the page and the
report can never treat the same notebook differently. Text is escaped here.
"""

from __future__ import annotations

import difflib
import json
import re
from html import escape
from typing import Any


def markdown_html(text: str) -> str:
    """Markdown rendered and sanitized."""
    from nbcollab.render.html import render_markdown

    return render_markdown(text)


def mime_html(mime: str, value: Any) -> str:
    """One entry of an output's mime bundle, inert."""
    from nbcollab.render.html import render_mime

    return render_mime(mime, value)


def output_html(output: Any) -> str:
    """One output of a cell: streams and errors as text, rich data through ``mime_html``."""
    if not isinstance(output, dict):
        return f"<pre>{escape(_json(output))}</pre>"
    kind = output.get("output_type")
    if kind == "stream":
        text = output.get("text")
        text = "".join(str(t) for t in text) if isinstance(text, list) else _text(text)
        return f'<pre class="stream">{escape(text)}</pre>'
    if kind == "error":
        lines = output.get("traceback") or [f"{output.get('ename')}: {output.get('evalue')}"]
        return f'<pre class="error">{escape(_text(lines))}</pre>'
    data = output.get("data")
    if isinstance(data, dict):
        return "".join(mime_html(str(mime), value) for mime, value in sorted(data.items()))
    return f"<pre>{escape(_json(output))}</pre>"


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _text(value: Any) -> str:
    if isinstance(value, list):  # a traceback's lines carry no newline
        value = "\n".join(str(v) for v in value)
    # Tracebacks are coloured for terminals; the page shows them plain.
    return _ANSI.sub("", value) if isinstance(value, str) else _json(value)


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
