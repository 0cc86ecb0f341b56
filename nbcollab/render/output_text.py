"""One output as readable lines: its kind and mime types, text shown, binary data summarised.

Shared by the diff renderers and the textconv, which git runs once per file and side: this module
imports nothing of the diff machinery (alignment, rapidfuzz), so the textconv stays fast.
Everything returned is terminal-safe (``safe_text``): both readers print it on a terminal.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from nbcollab.safe_text import terminal_safe

_TEXT_MIMES = ("text/", "application/json", "application/javascript", "image/svg+xml")


def describe_output(output: Mapping[str, Any]) -> str:
    """'stream stdout', 'execute_result [text/plain, image/png]', 'error ValueError'."""
    return terminal_safe(_describe(output), one_line=True)


def _describe(output: Mapping[str, Any]) -> str:
    kind = str(output.get("output_type", "?"))
    if kind == "stream":
        return f"stream {output.get('name', '')}".rstrip()
    if kind == "error":
        return f"error {output.get('ename', '')}".rstrip()
    data = output.get("data")
    mimes = ", ".join(sorted(data)) if isinstance(data, dict) else ""
    return f"{kind} [{mimes}]" if mimes else kind


def output_text(output: Mapping[str, Any]) -> list[str]:
    """The readable lines of one output (binary data summarised by size and hash)."""
    kind = output.get("output_type")
    if kind == "stream":
        return _lines(str(output.get("text", "")))
    if kind == "error":
        return _lines(f"{output.get('ename', '')}: {output.get('evalue', '')}")
    data = output.get("data")
    if not isinstance(data, dict):
        return []
    lines: list[str] = []
    for mime in sorted(data):
        lines.extend(mime_lines(mime, data[mime]))
    return lines


def mime_lines(mime: str, value: Any) -> list[str]:
    """One mime bundle entry as lines: text shown, binary summarised."""
    if mime.startswith(_TEXT_MIMES) or mime.endswith("+json"):
        text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, indent=1)
        return [f"{terminal_safe(mime, one_line=True)}:", *_lines(text)]
    raw = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    digest = hashlib.sha1(raw.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return [f"{terminal_safe(mime, one_line=True)}: {len(raw)} bytes, sha1 {digest}"]


def _lines(text: str) -> list[str]:
    # Made safe before splitting: a carriage return shows as a character, not a line break.
    return terminal_safe(text).splitlines()
