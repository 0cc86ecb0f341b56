"""An output's mime bundle, whichever nbformat wrote it (4: under ``data``; 3: top-level keys)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# nbformat 3 stored pyout/display_data values under short names beside output_type.
V3_MIMES = {
    "text": "text/plain",
    "html": "text/html",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "svg": "image/svg+xml",
    "latex": "text/latex",
    "json": "application/json",
    "javascript": "application/javascript",
    "markdown": "text/markdown",
}


def mime_bundle(output: Mapping[str, Any]) -> dict[str, Any] | None:
    """{mime: value} of a rich output, or None for a stream, an error or no data at all."""
    if output.get("output_type") in ("stream", "error", "pyerr"):
        return None
    data = output.get("data")
    if isinstance(data, dict):
        return data
    found = {V3_MIMES[key]: value for key, value in output.items() if key in V3_MIMES}
    return found or None
