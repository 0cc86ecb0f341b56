"""Render notebook diffs as one self-contained, static HTML report.

Everything that comes from a notebook (file names, sources, outputs, metadata) is untrusted: text
is escaped, HTML outputs and rendered markdown go through nh3 (Ammonia), images are embedded only
as ``data:`` URIs of image mime types after checking they are base64, SVG is shown as an ``<img>``
(where browsers never run its scripts), and a Content-Security-Policy forbids scripts, frames,
network access and every source but ``data:`` images, should anything get through.
"""

from __future__ import annotations

import base64
import difflib
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from html import escape
from typing import Any

from nbcollab.diff import MISSING, CellDiff, NotebookDiff, ValueChange, source_of
from nbcollab.render_text import cell_title, describe_output

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
_RASTER = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp")
_BASE64 = re.compile(r"^[A-Za-z0-9+/\s]*={0,2}\s*$")
_DATA_IMAGE = re.compile(r"^data:image/(png|jpeg|gif|webp|bmp);base64,[A-Za-z0-9+/]*={0,2}$")
_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.3em}h2{font-size:1.05em;margin:0 0 .4em}
section.cell{border:1px solid #ccc;border-radius:6px;margin:1em 0;padding:.6em}
section.added{border-color:#4a4}section.removed{border-color:#c44}
.sides{display:grid;grid-template-columns:1fr 1fr;gap:.8em}
.side{min-width:0;overflow:auto}
table.src{border-collapse:collapse;width:100%;font-family:monospace;font-size:.85em}
table.src td{vertical-align:top;white-space:pre-wrap;word-break:break-all;padding:0 .3em}
td.n{color:#999;text-align:right;width:3em;user-select:none}
tr.del td.o,td.o.del{background:#fdd}tr.ins td.w,td.w.ins{background:#dfd}
del{background:#f99;text-decoration:none}ins{background:#9e9;text-decoration:none}
pre{white-space:pre-wrap;word-break:break-all;background:#f7f7f7;padding:.4em;margin:.2em 0}
.output{border-left:3px solid #ddd;padding-left:.5em;margin:.4em 0}
.output.added{border-color:#4a4}.output.removed{border-color:#c44}.output.changed{border-color:#e90}
.md{border:1px dashed #ddd;padding:.3em .6em}.muted{color:#888}
img{max-width:100%}
"""


def render_html(diffs: Sequence[tuple[str, str, NotebookDiff]]) -> str:
    """One HTML page for the given (old name, new name, diff) triples."""
    title = "nbcollab diff: " + ", ".join(new for _, new, _ in diffs)
    body = "\n".join(_notebook_section(old, new, diff) for old, new, diff in diffs)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n"
        "<meta name=\"referrer\" content=\"no-referrer\">\n"
        f"<title>{escape(title)}</title>\n<style>{_STYLE}</style></head>\n<body>\n"
        f"{body}\n</body></html>\n"
    )


def _notebook_section(old_name: str, new_name: str, diff: NotebookDiff) -> str:
    parts = [f"<h1>{escape(old_name)} &rarr; {escape(new_name)}</h1>"]
    if diff.equal:
        parts.append("<p class=\"muted\">No differences.</p>")
    if diff.metadata:
        parts.append("<section class=\"cell modified\"><h2>notebook</h2>")
        parts.append(_changes_table(diff.metadata) + "</section>")
    unchanged = 0
    for cell in diff.cells:
        if not cell.changed:
            unchanged += 1
            continue
        parts.append(_unchanged_note(unchanged))
        unchanged = 0
        parts.append(_cell_section(cell))
    parts.append(_unchanged_note(unchanged))
    return "<article>" + "\n".join(p for p in parts if p) + "</article>"


def _unchanged_note(count: int) -> str:
    return f"<p class=\"muted\">&hellip; {count} unchanged cell{'s' * (count > 1)}</p>" if count else ""


def _cell_section(cell: CellDiff) -> str:
    parts = [f"<section class=\"cell {cell.status}\"><h2>{escape(cell_title(cell))}</h2>"]
    if cell.status == "modified" and cell.source_changed or cell.status != "modified":
        parts.append(_source_table(source_of(cell.old), source_of(cell.new)))
    kind = (cell.new or cell.old or {}).get("cell_type")
    if kind == "markdown" and (cell.source_changed or cell.status != "modified"):
        parts.append(_sides(_markdown_div(cell.old), _markdown_div(cell.new)))
    parts.append(_outputs_html(cell))
    extra = [*cell.other, *cell.metadata, *cell.attachments]
    if cell.execution_count is not None:
        extra.append(cell.execution_count)
    if extra:
        parts.append(_changes_table(extra))
    return "\n".join(p for p in parts if p) + "</section>"


def _sides(left: str, right: str) -> str:
    return f"<div class=\"sides\"><div class=\"side\">{left}</div><div class=\"side\">{right}</div></div>"


def _markdown_div(cell: Mapping[str, Any] | None) -> str:
    return "" if cell is None else f"<div class=\"md\">{render_markdown(source_of(cell))}</div>"


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def render_markdown(text: str) -> str:
    """Markdown to sanitized HTML."""
    from markdown_it import MarkdownIt

    return sanitize_html(MarkdownIt("commonmark", {"html": True}).render(text))


def sanitize_html(html: str) -> str:
    """Untrusted HTML made inert: nh3's safe subset, and images only from ``data:`` URIs."""
    import nh3

    # nh3 takes only valid Unicode; JSON can carry lone surrogates, shown as U+FFFD instead.
    html = _LONE_SURROGATE.sub("\ufffd", html)
    return nh3.clean(html, attribute_filter=_keep_attribute,
                     url_schemes={"http", "https", "mailto", "data"})


def _keep_attribute(element: str, attribute: str, value: str) -> str | None:
    # A remote image would leak that the report was opened (the CSP blocks it too).
    if attribute in ("src", "srcset"):
        return value if element == "img" and _DATA_IMAGE.match(value) else None
    if attribute == "href" and value.strip().lower().startswith("data:"):
        return None
    return value


def _source_table(old: str, new: str) -> str:
    """Side-by-side source lines: removed left, added right, changed characters marked."""
    a, b = old.splitlines(), new.splitlines()
    rows = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        for k in range(max(i2 - i1, j2 - j1)):
            i = i1 + k if i1 + k < i2 else None
            j = j1 + k if j1 + k < j2 else None
            rows.append(_source_row(tag, i, j, a, b))
    return "<table class=\"src\">" + "".join(rows) + "</table>"


def _source_row(tag: str, i: int | None, j: int | None, a: list[str], b: list[str]) -> str:
    left = escape(a[i]) if i is not None else ""
    right = escape(b[j]) if j is not None else ""
    if tag == "replace" and i is not None and j is not None:
        left, right = _intraline(a[i], b[j])
    cls_o = " del" if tag != "equal" and i is not None else ""
    cls_n = " ins" if tag != "equal" and j is not None else ""
    num = (lambda x: "" if x is None else str(x + 1))
    return (f"<tr><td class=\"n\">{num(i)}</td><td class=\"o{cls_o}\">{left}</td>"
            f"<td class=\"n\">{num(j)}</td><td class=\"w{cls_n}\">{right}</td></tr>")


def _intraline(old: str, new: str) -> tuple[str, str]:
    left, right = [], []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            left.append(escape(old[i1:i2]))
            right.append(escape(new[j1:j2]))
            continue
        if i2 > i1:
            left.append(f"<del>{escape(old[i1:i2])}</del>")
        if j2 > j1:
            right.append(f"<ins>{escape(new[j1:j2])}</ins>")
    return "".join(left), "".join(right)


def _outputs_html(cell: CellDiff) -> str:
    if cell.status in ("added", "removed"):
        body = cell.new if cell.status == "added" else cell.old
        outputs = (body or {}).get("outputs", []) or []
        return "".join(_output_div(o, cell.status, k) for k, o in enumerate(outputs))
    parts = []
    for change in cell.outputs:
        left = _output_div(change.old, "removed", change.old_index) if change.old else ""
        right = _output_div(change.new, "added", change.new_index) if change.new else ""
        parts.append(_sides(left, right))
    return "".join(parts)


def _output_div(output: Any, status: str, index: int | None) -> str:
    if not isinstance(output, dict):
        return f"<div class=\"output {status}\"><pre>{escape(_json(output))}</pre></div>"
    head = f"<div class=\"muted\">output {index}: {escape(describe_output(output))}</div>"
    return f"<div class=\"output {status}\">{head}{''.join(_output_body(output))}</div>"


def _output_body(output: Mapping[str, Any]) -> Iterator[str]:
    kind = output.get("output_type")
    if kind == "stream":
        yield f"<pre>{escape(str(output.get('text', '')))}</pre>"
    elif kind == "error":
        text = f"{output.get('ename', '')}: {output.get('evalue', '')}"
        yield f"<pre>{escape(text)}</pre>"
    elif isinstance(output.get("data"), dict):
        yield from (render_mime(mime, value) for mime, value in sorted(output["data"].items()))
    else:
        yield f"<pre>{escape(_json(output))}</pre>"


def render_mime(mime: str, value: Any) -> str:
    """One mime bundle entry as safe HTML."""
    text = value if isinstance(value, str) else _json(value)
    if mime in _RASTER and isinstance(value, str) and _BASE64.match(value):
        data = "".join(value.split())
        return f"<img alt=\"{escape(mime)}\" src=\"data:{mime};base64,{data}\">"
    if mime == "image/svg+xml":
        # As an <img>, an SVG never runs scripts or loads anything; inline it would.
        data = base64.b64encode(text.encode("utf-8", "surrogatepass")).decode("ascii")
        return f"<img alt=\"svg\" src=\"data:image/svg+xml;base64,{data}\">"
    if mime == "text/html":
        return f"<div class=\"html\">{sanitize_html(text)}</div>"
    if mime == "text/markdown":
        return f"<div class=\"md\">{render_markdown(text)}</div>"
    if mime.startswith("text/") or mime.endswith("json"):
        return f"<pre>{escape(text)}</pre>"
    return f"<pre class=\"muted\">{escape(mime)}: {len(text)} bytes</pre>"


def _changes_table(changes: Sequence[ValueChange]) -> str:
    rows = []
    for change in changes:
        path = ".".join(str(part) for part in change.path)
        old = "" if change.old is MISSING else escape(_json(change.old))
        new = "" if change.new is MISSING else escape(_json(change.new))
        rows.append(f"<tr><td>{escape(path)}</td><td class=\"o del\">{old}</td>"
                    f"<td class=\"w ins\">{new}</td></tr>")
    return "<table class=\"src\">" + "".join(rows) + "</table>"


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, indent=1, default=str)

