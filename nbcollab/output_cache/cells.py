"""A recorded working file's cell index: each code cell's key and where its outputs are.

Written when a working file is recorded (``git add``), from the blob it cleaned to and the spans
of its text (``splice``), so that a checkout finds a cell's outputs by reading a few hundred
bytes instead of parsing the blob and the working file again. The index is text::

    nbcollab-cells 1 <restore rule>
    <key> <outputs start> <outputs end> <count start> <count end>

one line per code cell that has outputs or an execution count, offsets into the working file
(``0 0`` for no count). An index written under another rule, or one that does not read as
above, is not used: the cells are then found from the blob and the working file themselves.
"""

from __future__ import annotations

import json

from nbcollab.notebook.lines import Notebook
from nbcollab.output_cache.keys import RestoreRule, cell_keys
from nbcollab.output_cache.splice import cell_spans

_HEADER = "nbcollab-cells 1"

Span = tuple[int, int]


def build_index(
    working: bytes, blob: bytes, rule: RestoreRule, *, written: Notebook | None = None
) -> bytes | None:
    """The index of ``working`` (which cleaned to ``blob``, which reads as ``written`` when the
    caller has that at hand); None when the two texts do not line up cell for cell (cleaning
    dropped cells, or another layout)."""
    spans = cell_spans(working)
    try:
        nb = json.loads(blob) if written is None else written  # nbcollab's: nothing to check
    except ValueError:
        return None
    cells = nb.get("cells") if isinstance(nb, dict) and nb.get("nbformat") == 4 else None
    if spans is None or not isinstance(cells, list) or len(spans) != len(cells):
        return None
    lines = [f"{_HEADER} {rule.value}"]
    for index, key in cell_keys(nb, rule):
        cell = spans[index]
        if not cell.code:
            return None
        if cell.outputs is None:
            continue
        count = cell.count or (0, 0)
        if working[slice(*cell.outputs)] == b"[]" and working[slice(*count)] in (b"", b"null"):
            continue  # nothing to give back
        lines.append(f"{key} {cell.outputs[0]} {cell.outputs[1]} {count[0]} {count[1]}")
    return ("\n".join(lines) + "\n").encode("ascii")


def read_index(data: bytes, rule: RestoreRule, size: int) -> CellIndex | None:
    """The index in ``data``, for a working file of ``size`` bytes; None when it is not one
    written under ``rule``. Lines are checked as they are looked up (``CellIndex.get``)."""
    lines = data.decode("ascii", "replace").split("\n")
    if lines[0] != f"{_HEADER} {rule.value}" or lines[-1] != "":
        return None
    return CellIndex({line.partition(" ")[0]: line for line in lines[1:-1]}, size)


class CellIndex:
    """A read cell index: where a key's outputs and count are, or None."""

    def __init__(self, lines: dict[str, str], size: int) -> None:
        self._lines = lines
        self._size = size

    def __contains__(self, key: str) -> bool:
        return key in self._lines

    def get(self, key: str) -> tuple[Span, Span | None] | None:
        """The spans of ``key``'s outputs and count; None for a key not there or a line that
        does not read as written (then nothing of this index should be trusted)."""
        line = self._lines.get(key)
        fields = line.split(" ") if line is not None else []
        if len(fields) != 5:
            return None
        try:
            start, end, count_start, count_end = map(int, fields[1:])
        except ValueError:
            return None
        if not 0 <= start < end <= self._size or not 0 <= count_start <= count_end <= self._size:
            return None
        return (start, end), ((count_start, count_end) if count_end else None)
