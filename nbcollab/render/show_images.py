"""The pixel size of an image output, read from its header (PNG, GIF, JPEG, WebP, BMP) or its
metadata, for ``nbcollab show``'s ``[image/png 640x480]``. Pure; never decodes pixel data."""

from __future__ import annotations

import base64
import binascii
import re
import struct
from typing import Any

_HEAD = 65_536  # bytes of a JPEG searched for its frame header; other formats need 30
_SVG_SIZE = re.compile(
    r"<svg\b[^>]*?\bwidth=[\"']([\d.]+)\w*[\"'][^>]*?\bheight=[\"']([\d.]+)",
    re.IGNORECASE | re.DOTALL,
)


def image_size(mime: str, data: str, metadata: Any = None) -> str:
    """'640x480' when known, else the size of the data ('12.3 KiB')."""
    if isinstance(metadata, dict):
        width, height = metadata.get("width"), metadata.get("height")
        if isinstance(width, int) and isinstance(height, int):
            return f"{width}x{height}"
    size = _svg_size(data) if mime == "image/svg+xml" else _raster_size(mime, data)
    if size is not None:
        return f"{size[0]}x{size[1]}"
    n = len(data)
    return f"{n} bytes" if n < 1024 else f"{n / 1024:.1f} KiB"


def _svg_size(text: str) -> tuple[int, int] | None:
    match = _SVG_SIZE.search(text[:4096])
    return (round(float(match[1])), round(float(match[2]))) if match else None


def _raster_size(mime: str, data: str) -> tuple[int, int] | None:
    chars = "".join(data[: _HEAD * 4 // 3 + 8].split())
    try:
        head = base64.b64decode(chars[: len(chars) // 4 * 4], validate=True)
    except (binascii.Error, ValueError):
        return None
    readers = {
        "image/png": _png,
        "image/gif": _gif,
        "image/jpeg": _jpeg,
        "image/webp": _webp,
        "image/bmp": _bmp,
    }
    try:
        return readers[mime](head) if mime in readers else None
    except (struct.error, IndexError):
        return None


def _png(b: bytes) -> tuple[int, int] | None:
    if b[:8] != b"\x89PNG\r\n\x1a\n" or b[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", b[16:24])
    return width, height


def _gif(b: bytes) -> tuple[int, int] | None:
    if b[:6] not in (b"GIF87a", b"GIF89a"):
        return None
    width, height = struct.unpack("<HH", b[6:10])
    return width, height


def _jpeg(b: bytes) -> tuple[int, int] | None:
    if b[:2] != b"\xff\xd8":
        return None
    pos = 2
    while pos + 9 < len(b):
        if b[pos] != 0xFF:
            return None
        marker, length = b[pos + 1], struct.unpack(">H", b[pos + 2 : pos + 4])[0]
        # Start-of-frame markers hold the size; C4 (DHT), C8 and CC (arithmetic) do not.
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", b[pos + 5 : pos + 9])
            return width, height
        pos += 2 + length
    return None


def _webp(b: bytes) -> tuple[int, int] | None:
    if b[:4] != b"RIFF" or b[8:12] != b"WEBP":
        return None
    if b[12:16] == b"VP8X":
        return 1 + int.from_bytes(b[24:27], "little"), 1 + int.from_bytes(b[27:30], "little")
    if b[12:16] == b"VP8 ":
        width, height = struct.unpack("<HH", b[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if b[12:16] == b"VP8L":
        bits = int.from_bytes(b[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def _bmp(b: bytes) -> tuple[int, int] | None:
    if b[:2] != b"BM":
        return None
    width, height = struct.unpack("<ii", b[18:26])
    return width, abs(height)
