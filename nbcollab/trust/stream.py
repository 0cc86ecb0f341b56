"""The bytes Jupyter's notebook signature covers, and where the real output structure sits in them.

``NotebookNotary.compute_signature`` feeds ``nbformat.sign.yield_everything`` of the notebook,
``metadata.signature`` removed, to an HMAC: every key (sorted) and then its value, strings as
UTF-8, anything else as ``str()``, lists flattened, and no separators at all. A signature
therefore covers a byte stream, not a notebook, and any notebook whose keys and values
concatenate to the same bytes is trusted by it. This module computes that stream once, for both
the signature itself (``trust_store``) and the collision rule (``trust_policy``), and records
the offsets where the notebook really has the keys an active output is made of, and where each
code cell's outputs are. A notebook restored from recorded outputs can take those outputs'
bytes as a recorded stream holds them (``OutputsPiece``) instead of walking them again.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from nbcollab.notebook.lines import Notebook

RICH_OUTPUT_TYPES = ("display_data", "execute_result", "update_display_data")
# An output shows its data only under one of these output types, and "data" < "output_type":
# the bytes of a shown output end with one of these runs.
CLOSERS = tuple(b"output_type" + kind.encode() for kind in RICH_OUTPUT_TYPES)
# Every mime type a Jupyter frontend renders differently once the notebook is trusted starts with
# one of these: HTML, Markdown (sanitized HTML when untrusted), SVG, JavaScript, and application/*
# (JavaScript, widget views, PDF, and the types extensions render: Plotly, Vega, Bokeh, ...).
ACTIVE_MIME_PREFIXES = (
    b"application/",
    b"image/svg",
    b"text/html",
    b"text/javascript",
    b"text/markdown",
    b"text/vnd.",
)
# Saved widget state (metadata.widgets), drawn by trusted widget views.
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
_WIDGET_BYTES = WIDGET_STATE.encode()
_CELL_KEYS = {
    key: key.encode()
    for key in ("attachments", "cell_type", "execution_count", "id", "metadata", "outputs")
} | {"source": b"source"}


class OutputsPiece(NamedTuple):
    """The signed bytes of one code cell's outputs list, with its real keys (offsets in it)."""

    data: bytes
    data_keys: tuple[int, ...] = ()
    closers: tuple[int, ...] = ()


class Spelled(NamedTuple):
    """Where a stream spells a key of active output without the notebook having it there: the
    (start, end) of every active mime prefix that is not a real data key (nor the widget-state
    key), every widget-state key but the real one, and every closer that is not a real one."""

    starts: list[int]
    ends: list[int]

    def any_within(self, start: int, end: int) -> bool:
        """Whether one of them lies wholly inside ``start:end``."""
        at = bisect_left(self.starts, start)
        while at < len(self.starts) and self.starts[at] < end:
            if self.ends[at] <= end:
                return True
            at += 1
        return False


@dataclass
class SignatureStream:
    """The signed bytes of one notebook, with the offsets of its real output keys."""

    data: bytearray = field(default_factory=bytearray)
    data_keys: set[int] = field(default_factory=set)  # mime keys of rich outputs of code cells
    closers: set[int] = field(default_factory=set)  # their "output_type" keys
    widget_key: int | None = None  # the WIDGET_STATE key inside metadata.widgets
    cell_starts: list[int] = field(default_factory=list)
    cells_end: int = 0
    outputs_at: dict[int, tuple[int, int]] = field(default_factory=dict)  # code cell -> its outputs
    spelled: Spelled | None = None  # found on first use (``find_spelled``), or recorded

    def add(self, value: Any) -> None:
        """Append the bytes ``yield_everything(value)`` yields (failing where it fails)."""
        data = self.data
        if isinstance(value, str):  # the most common by far: tested first
            data += value.encode("utf8")
        elif isinstance(value, dict):
            for key in sorted(value):
                data += key.encode()
                item = value[key]
                if isinstance(item, str):
                    data += item.encode("utf8")
                else:
                    self.add(item)
        elif isinstance(value, (list, tuple)):
            for element in value:
                if isinstance(element, str):
                    data += element.encode("utf8")
                else:
                    self.add(element)
        else:
            data += str(value).encode("utf8")

    def add_notebook(self, nb: Notebook, pieces: Mapping[int, OutputsPiece] | None = None) -> None:
        """Append the notebook's bytes; ``pieces``: the outputs of these code cells, as bytes
        already made (each must be what walking that cell's outputs gives)."""
        for key in sorted(nb):
            self.data += key.encode()
            value = nb[key]
            if key == "cells" and isinstance(value, list):
                for index, cell in enumerate(value):
                    self.cell_starts.append(len(self.data))
                    self._add_cell(index, cell, pieces)
                self.cells_end = len(self.data)
            elif key == "metadata" and isinstance(value, dict):
                self._add_metadata(value)
            else:
                self.add(value)

    def _add_metadata(self, metadata: dict[str, Any]) -> None:
        for key in sorted(metadata):
            if key == "signature":
                continue  # signature_removed: the notary hashes the notebook without it
            self.data += key.encode()
            widgets = metadata[key]
            if key == "widgets" and isinstance(widgets, dict):
                for name in sorted(widgets):
                    if name == WIDGET_STATE:
                        self.widget_key = len(self.data)
                    self.data += name.encode()
                    self.add(widgets[name])
            else:
                self.add(widgets)

    def _add_cell(self, index: int, cell: Any, pieces: Mapping[int, OutputsPiece] | None) -> None:
        if not isinstance(cell, dict):
            self.add(cell)
            return
        is_code = cell.get("cell_type") == "code"  # only code cells' outputs are ever shown
        data = self.data
        # Every cell of every notebook comes through here: the common values first, by type.
        for key in sorted(cell):
            data += _CELL_KEYS.get(key) or key.encode()
            value = cell[key]
            kind = type(value)
            if kind is str:
                data += value.encode("utf8")
            elif value is None:
                data += b"None"
            elif (kind is dict or kind is list) and not value:
                pass  # nothing to add: an empty container
            elif key == "outputs" and is_code and isinstance(value, list):
                start = len(data)
                piece = pieces.get(index) if pieces else None
                if piece is None:
                    for output in value:
                        self._add_output(output)
                else:
                    data += piece.data
                    self.data_keys.update(start + at for at in piece.data_keys)
                    self.closers.update(start + at for at in piece.closers)
                self.outputs_at[index] = (start, len(data))
            else:
                self.add(value)

    def _add_output(self, output: Any) -> None:
        if not isinstance(output, dict) or output.get("output_type") not in RICH_OUTPUT_TYPES:
            self.add(output)
            return
        for key in sorted(output):
            if key == "output_type":
                self.closers.add(len(self.data))
            self.data += key.encode()
            bundle = output[key]
            if key == "data" and isinstance(bundle, dict):
                for mime in sorted(bundle):
                    self.data_keys.add(len(self.data))
                    self.data += mime.encode()
                    self.add(bundle[mime])
            else:
                self.add(bundle)

    def outputs_piece(self, index: int) -> OutputsPiece | None:
        """Code cell ``index``'s outputs as a piece another stream can take in; None when the
        cell has no outputs list."""
        span = self.outputs_at.get(index)
        if span is None:
            return None
        start, end = span
        return OutputsPiece(
            bytes(self.data[start:end]),
            tuple(sorted(at - start for at in self.data_keys if start <= at < end)),
            tuple(sorted(at - start for at in self.closers if start <= at < end)),
        )

    def find_spelled(self) -> Spelled:
        """Where the bytes spell an active key that is not a real one (see ``Spelled``)."""
        if self.spelled is None:
            real = self.data_keys | {self.widget_key}
            found = [
                (at, at + len(prefix))
                for prefix in ACTIVE_MIME_PREFIXES
                for at in find_all(self.data, prefix)
                if at not in real
            ]
            found += [
                (at, at + len(_WIDGET_BYTES))
                for at in find_all(self.data, _WIDGET_BYTES)
                if at != self.widget_key
            ]
            found += [
                (at, at + len(closer))
                for closer in CLOSERS
                for at in find_all(self.data, closer)
                if at not in self.closers
            ]
            found.sort()
            self.spelled = Spelled([start for start, _ in found], [end for _, end in found])
        return self.spelled


def signature_stream(
    nb: Notebook, pieces: Mapping[int, OutputsPiece] | None = None
) -> SignatureStream:
    """The bytes ``NotebookNotary.compute_signature`` hashes for ``nb``, with its real output keys.

    ``nb`` is the notebook as ``nbformat.reads(text, as_version=4)`` returns it. Raises
    UnicodeEncodeError (a lone surrogate) and RecursionError (absurd nesting) where the notary
    itself fails. ``pieces``: the bytes of some code cells' outputs, already made.
    """
    stream = SignatureStream()
    stream.add_notebook(nb, pieces)
    return stream


def signature_bytes(nb: Notebook) -> bytes:
    """Just the bytes ``NotebookNotary.compute_signature`` hashes for ``nb``."""
    return bytes(signature_stream(nb).data)


def find_all(data: bytes | bytearray, pattern: bytes) -> Iterator[int]:
    """Every offset where ``pattern`` starts in ``data``, overlapping ones included."""
    start = data.find(pattern)
    while start >= 0:
        yield start
        start = data.find(pattern, start + 1)
