"""One output as readable lines, whichever nbformat wrote it: the one output-to-text function.

``output_text`` has two styles. ``DIFF`` (the text diff, the textconv, the review page's text
parts, the conflict views) shows what can be compared line by line: every text mime type under
its name, binary data summarised by size and hash, an error by its name and value. ``SHOW``
(``nbcollab show``) shows what a notebook shows: text/plain, images by size, other mime types by
kind and size, the traceback of an error, progress bars as they end.

Outputs are read through ``notebook.bundle.mime_bundle``, so nbformat 3's ``pyout`` and
``display_data`` (mime types as top-level keys) and ``pyerr`` read as their nbformat 4 forms.
This module imports nothing of the diff machinery (alignment, rapidfuzz), so the textconv, run
by git once per file and side, stays fast. Everything returned is terminal-safe (``safe_text``).
"""

from __future__ import annotations

import enum
import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from nbcollab.notebook.bundle import mime_bundle
from nbcollab.safe_text import terminal_safe

_TEXT_MIMES = ("text/", "application/json", "application/javascript", "image/svg+xml")
_IMAGES = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/svg+xml")
_ERRORS = ("error", "pyerr")
# SGR (colour) sequences are dropped: tracebacks are full of them and they carry no content.
_SGR = re.compile(r"\x1b\[[0-9;]*m")


class OutputStyle(enum.Enum):
    """``DIFF``: every text comparable, binary hashed; ``SHOW``: what a notebook displays."""

    DIFF = "diff"
    SHOW = "show"


def safe_plain(text: str) -> str:
    """Untrusted text for the terminal: colour codes dropped (tracebacks are full of them),
    every other control character shown visibly (``nbcollab.safe_text``)."""
    return terminal_safe(_SGR.sub("", text))


def describe_output(output: Mapping[str, Any]) -> str:
    """'stream stdout', 'execute_result [text/plain, image/png]', 'error ValueError'."""
    return terminal_safe(_describe(output), one_line=True)


def _describe(output: Mapping[str, Any]) -> str:
    kind = str(output.get("output_type", "?"))
    if kind == "stream":
        # nbformat 3 named the stream "stream"; 4 "name".
        return f"stream {output.get('name', output.get('stream', ''))}".rstrip()
    if kind in _ERRORS:
        return f"{kind} {output.get('ename', '')}".rstrip()
    data = mime_bundle(output)
    mimes = ", ".join(sorted(data)) if data else ""
    return f"{kind} [{mimes}]" if mimes else kind


def output_text(output: Mapping[str, Any], *, style: OutputStyle = OutputStyle.DIFF) -> list[str]:
    """The readable lines of one output in ``style`` (see the module)."""
    kind = output.get("output_type")
    if kind == "stream":
        text = _joined(output.get("text", ""))
        if style is OutputStyle.SHOW:
            return safe_plain(_carriage_returns(text)).splitlines()
        return _lines(text)
    if kind in _ERRORS:
        return _error_lines(output, style)
    data = mime_bundle(output)
    if not data:
        return []
    if style is OutputStyle.DIFF:
        return [line for mime in sorted(data) for line in mime_lines(mime, data[mime])]
    # Shown as a notebook shows it: text/plain first.
    ordered = sorted(data, key=lambda mime: (mime != "text/plain", mime))
    metadata = output.get("metadata")
    return [line for mime in ordered for line in _shown_mime(mime, data[mime], metadata)]


def mime_lines(mime: str, value: Any) -> list[str]:
    """One mime bundle entry as lines (diff style): text shown, binary summarised."""
    if mime.startswith(_TEXT_MIMES) or mime.endswith("+json"):
        text = _mime_text(mime, value)
        return [f"{terminal_safe(mime, one_line=True)}:", *_lines(text)]
    raw = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    digest = hashlib.sha1(raw.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return [f"{terminal_safe(mime, one_line=True)}: {len(raw)} bytes, sha1 {digest}"]


def _error_lines(output: Mapping[str, Any], style: OutputStyle) -> list[str]:
    traceback = output.get("traceback")
    if style is OutputStyle.SHOW and isinstance(traceback, list) and traceback:
        return [line for frame in traceback for line in safe_plain(str(frame)).splitlines()]
    return _lines(f"{output.get('ename', '')}: {output.get('evalue', '')}")


def _shown_mime(mime: str, value: Any, metadata: Any) -> list[str]:
    from nbcollab.render.show_images import image_size

    text = _mime_text(mime, value)
    if mime == "text/plain":
        return safe_plain(text).splitlines()
    if mime in _IMAGES:
        size = image_size(mime, text, metadata.get(mime) if isinstance(metadata, dict) else None)
        return [safe_plain(f"[{mime} {size}]")]
    n = len(text.encode("utf-8", "replace"))
    return [safe_plain(f"[{mime} {n} bytes]" if n < 1024 else f"[{mime} {n / 1024:.1f} KiB]")]


def _carriage_returns(text: str) -> str:
    """What a notebook shows of progress-bar text: each line's part after its last ``\\r``."""
    return re.sub(r"^.*\r+", "", re.sub(r"\r+\n", "\n", text), flags=re.MULTILINE)


def _mime_text(mime: str, value: Any) -> str:
    """A text mime type's value as one string: JSON data pretty-printed, lines joined."""
    if isinstance(value, list) and not mime.endswith("json"):
        return _joined(value)
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, indent=1)


def _joined(value: Any) -> str:
    """Text as a string, whether stored whole or as a list of lines (nbformat's on-disk form)."""
    if isinstance(value, list) and all(isinstance(line, str) for line in value):
        return "".join(value)
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _lines(text: str) -> list[str]:
    # Made safe before splitting: a carriage return shows as a character, not a line break.
    return terminal_safe(text).splitlines()
