"""A small notebook change that touches every part of the review page, and a PNG reader."""

from __future__ import annotations

import base64
import copy
import struct
import zlib

from helpers import code_cell, make_notebook, markdown_cell

DATAFRAME = (
    '<table border="1" class="dataframe"><thead><tr style="text-align: right;"><th></th>'
    "<th>region</th><th>sales</th></tr></thead><tbody><tr><th>0</th><td>north</td>"
    "<td>2.5</td></tr><tr><th>1</th><td>south</td><td>4.5</td></tr></tbody></table>"
)


def png_base64(width: int, height: int, rgb: tuple[int, int, int]) -> str:
    """A solid-colour PNG, base64 as notebooks store it."""
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
    return base64.b64encode(png).decode("ascii")


def report_pair() -> tuple[dict, dict]:
    """Before/after of a small analysis: edited code, a changed table, image, stream, tags."""
    old = make_notebook(
        markdown_cell("# Sales report\n\nQuarterly *numbers*.", cell_id="intro"),
        code_cell("import pandas as pd\ndf = pd.read_csv('sales.csv')", cell_id="load", count=1),
        code_cell(
            "df.head()",
            cell_id="head",
            count=2,
            outputs=[
                {
                    "output_type": "execute_result",
                    "execution_count": 2,
                    "metadata": {},
                    "data": {"text/html": DATAFRAME, "text/plain": "  region  sales"},
                }
            ],
        ),
        code_cell(
            "plot(df)",
            cell_id="plot",
            count=3,
            outputs=[
                {
                    "output_type": "display_data",
                    "metadata": {},
                    "data": {
                        "image/png": png_base64(120, 60, (200, 60, 60)),
                        "text/plain": "<Figure>",
                    },
                }
            ],
        ),
        code_cell(
            "total = df.sales.sum()\nprint(total)",
            cell_id="total",
            count=4,
            outputs=[{"output_type": "stream", "name": "stdout", "text": "7.0\n"}],
        ),
        code_cell("# old helper\ndef f(x):\n    return x", cell_id="helper"),
        markdown_cell("## Notes", cell_id="notes"),
    )
    new = copy.deepcopy(old)
    cells = new["cells"]
    cells[1]["source"] = "import pandas as pd\ndf = pd.read_csv('sales_2026.csv')  # new file"
    cells[2]["outputs"][0]["data"]["text/html"] = DATAFRAME.replace("2.5", "2.75")
    cells[3]["outputs"][0]["data"]["image/png"] = png_base64(120, 60, (60, 120, 200))
    cells[3]["metadata"]["tags"] = ["figure", "report"]
    cells[4]["outputs"][0]["text"] = "9.5\n"
    cells[4]["execution_count"] = 5
    del cells[5]
    cells.insert(5, code_cell("summary = df.describe()", cell_id="summary"))
    return old, new


def png_pixels(data: bytes) -> tuple[int, int, set[tuple[int, int, int]]]:
    """(width, height, distinct RGB colours) of an 8-bit RGB/RGBA PNG, such as a screenshot."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height, channels = 8, b"", 0, 0, 3
    while pos < len(data):
        (length,), kind = struct.unpack(">I", data[pos : pos + 4]), data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and color in (2, 6), (depth, color)
            channels = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw, stride = zlib.decompress(idat), width * channels
    prev, colours = bytearray(stride), set()
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        _unfilter(kind, line, prev, channels)
        colours.update(tuple(line[x : x + 3]) for x in range(0, stride, channels * 7))
        prev = line
    return width, height, colours


def _unfilter(kind: int, line: bytearray, prev: bytearray, bpp: int) -> None:
    for i in range(len(line)):
        a = line[i - bpp] if i >= bpp else 0
        b, c = prev[i], (prev[i - bpp] if i >= bpp else 0)
        if kind == 1:
            line[i] = (line[i] + a) & 255
        elif kind == 2:
            line[i] = (line[i] + b) & 255
        elif kind == 3:
            line[i] = (line[i] + (a + b) // 2) & 255
        elif kind == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
