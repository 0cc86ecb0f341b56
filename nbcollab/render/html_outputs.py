"""Outputs, markdown and mime data as safe HTML for the review page.

Everything from a notebook is untrusted: text is escaped, HTML outputs and rendered markdown go
through nh3 (Ammonia), images are embedded only as ``data:`` URIs of image mime types after
checking they are base64, and SVG is shown as an ``<img>`` (where browsers never run its scripts).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from html import escape
from typing import Any

from nbcollab.diff.compute import CellDiff, OutputChange
from nbcollab.notebook.bundle import V3_MIMES, mime_bundle
from nbcollab.notebook.cells import output_name
from nbcollab.render.output_text import OutputStyle, describe_output, output_text

RASTER = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp")
_IMAGES = (*RASTER, "image/svg+xml")
_BASE64 = re.compile(r"^[A-Za-z0-9+/\s]*={0,2}\s*$")
_DATA_IMAGE = re.compile(r"^data:image/(png|jpeg|gif|webp|bmp);base64,[A-Za-z0-9+/]*={0,2}$")
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
    return nh3.clean(
        html, attribute_filter=_keep_attribute, url_schemes={"http", "https", "mailto", "data"}
    )


def _keep_attribute(element: str, attribute: str, value: str) -> str | None:
    # A remote image would leak that the page was opened (the CSP blocks it too).
    if attribute in ("src", "srcset"):
        return value if element == "img" and _DATA_IMAGE.match(value) else None
    if attribute == "href" and value.strip().lower().startswith("data:"):
        return None
    return value


def cell_outputs_html(cell: CellDiff) -> str:
    """The outputs of an added or removed cell in one column; changed outputs side by side."""
    if cell.status in ("added", "removed"):
        body = cell.new if cell.status == "added" else cell.old
        outputs = (body or {}).get("outputs", []) or []
        return "".join(output_div(o, cell.status, k) for k, o in enumerate(outputs))
    return "".join(_change_html(change) for change in cell.outputs)


def _change_html(change: OutputChange) -> str:
    if change.status == "modified" and _images(change.old) and _images(change.new):
        return _image_pair(change)
    left = output_div(change.old, "removed", change.old_index) if change.old is not None else ""
    right = output_div(change.new, "added", change.new_index) if change.new is not None else ""
    return sides(left, right) + _changed_keys(change)


def _changed_keys(change: OutputChange) -> str:
    """Which parts of a changed output differ: a change in a mime type not shown stays visible."""
    keys = sorted({"/".join(str(p) for p in c.path) for c in change.changes})
    if not keys:
        return ""
    chips = "".join(f'<li class="chip">{escape(k)}</li>' for k in keys)
    return f'<ul class="chips"><li class="muted">changed:</li>{chips}</ul>'


def sides(left: str, right: str) -> str:
    """Two columns: the old version left, the new one right."""
    return f'<div class="sides"><div class="side">{left}</div><div class="side">{right}</div></div>'


def _images(output: Mapping[str, Any] | None) -> dict[str, Any]:
    data = mime_bundle(output) if isinstance(output, dict) else None
    return {m: v for m, v in data.items() if m in _IMAGES} if data else {}


def _image_pair(change: OutputChange) -> str:
    """Images of a changed output side by side, each mime type with a changed/identical badge."""
    old, new = _images(change.old), _images(change.new)
    parts = [_image_row(mime, old.get(mime), new.get(mime)) for mime in sorted(set(old) | set(new))]
    if len(old) == len(new) == 1 and set(old) != set(new):
        # One image replaced by one of another type (a PNG plot saved as JPEG): one row.
        (mime_a, a), (mime_b, b) = *old.items(), *new.items()
        parts = [
            f'<div class="imgpair"><span class="badge changed">{escape(mime_a)} → '
            f"{escape(mime_b)}</span>{sides(render_mime(mime_a, a), render_mime(mime_b, b))}"
            "</div>"
        ]
    rest_old = _without_images(change.old)
    rest_new = _without_images(change.new)
    if rest_old != rest_new:
        parts.append(
            sides(
                output_div(rest_old, "removed", change.old_index),
                output_div(rest_new, "added", change.new_index),
            )
        )
    return f'<div class="output changed">{"".join(parts)}</div>'


def _image_row(mime: str, old: Any, new: Any) -> str:
    if old is not None and new is not None:
        badge = "identical" if _strip(old) == _strip(new) else "changed"
    else:
        badge = "removed" if old is not None else "added"
    left = render_mime(mime, old) if old is not None else ""
    right = render_mime(mime, new) if new is not None else ""
    return (
        f'<div class="imgpair"><span class="badge {badge}">{escape(mime)} {badge}</span>'
        f"{sides(left, right)}</div>"
    )


def _strip(value: Any) -> Any:
    return "".join(value.split()) if isinstance(value, str) else value


def _without_images(output: Mapping[str, Any] | None) -> dict[str, Any]:
    out = {k: v for k, v in (output or {}).items() if k != "data" and k not in V3_MIMES}
    out["data"] = {m: v for m, v in (mime_bundle(output or {}) or {}).items() if m not in _IMAGES}
    return out


def output_div(output: Any, status: str, index: int | None) -> str:
    """One output with a small header naming its kind and mime types."""
    if not isinstance(output, dict):
        return f'<div class="output {status}">{output_body(output)}</div>'
    head = f'<div class="ohead">{output_name(index)}: {escape(describe_output(output))}</div>'
    return f'<div class="output {status}">{head}{output_body(output)}</div>'


def output_body(output: Any) -> str:
    """One output as Jupyter shows it: streams and tracebacks as text, rich data at its richest."""
    if not isinstance(output, dict):
        return f"<pre>{escape(_json(output))}</pre>"
    kind = output.get("output_type")
    bundle = mime_bundle(output)
    if kind in ("stream", "error", "pyerr"):
        # As the notebook shows them: progress bars as they end, tracebacks without colours.
        text = "\n".join(output_text(output, style=OutputStyle.SHOW))
        return f'<pre class="{"stream" if kind == "stream" else "error"}">{escape(text)}</pre>'
    if bundle:
        return "".join(render_mime(mime, value) for mime, value in _display_order(bundle))
    return f"<pre>{escape(_json(output))}</pre>"


def _display_order(data: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """What Jupyter would show: the richest form, plus text/plain when nothing else is readable."""
    rich = [(m, v) for m, v in sorted(data.items()) if m != "text/plain"]
    shown = [(m, v) for m, v in rich if m in _IMAGES or m in ("text/html", "text/markdown")]
    return shown if shown else sorted(data.items())


def render_mime(mime: str, value: Any) -> str:
    """One mime bundle entry as safe HTML."""
    text = value if isinstance(value, str) else _json(value)
    if mime in RASTER and isinstance(value, str) and _BASE64.match(value):
        data = "".join(value.split())
        return f'<img alt="{escape(mime)}" src="data:{mime};base64,{data}">'
    if mime == "image/svg+xml":
        # As an <img>, an SVG never runs scripts or loads anything; inline it would.
        data = base64.b64encode(text.encode("utf-8", "surrogatepass")).decode("ascii")
        return f'<img alt="svg" src="data:image/svg+xml;base64,{data}">'
    if mime == "text/html":
        return f'<div class="html">{sanitize_html(text)}</div>'
    if mime == "text/markdown":
        return f'<div class="md">{render_markdown(text)}</div>'
    if mime.startswith("text/") or mime.endswith("json"):
        return f"<pre>{escape(text)}</pre>"
    return f'<pre class="muted">{escape(mime)}: {len(text)} bytes</pre>'


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, indent=1, default=str)
