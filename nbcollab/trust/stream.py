"""The bytes Jupyter's notebook signature covers, and where the real output structure sits in them.

``NotebookNotary.compute_signature`` feeds ``nbformat.sign.yield_everything`` of the notebook,
``metadata.signature`` removed, to an HMAC: every key (sorted) and then its value, strings as
UTF-8, anything else as ``str()``, lists flattened, and no separators at all. A signature
therefore covers a byte stream, not a notebook, and any notebook whose keys and values
concatenate to the same bytes is trusted by it. This module computes that stream once, for both
the signature itself (``trust_store``) and the collision rule (``trust_policy``), and records
the offsets where the notebook really has the keys an active output is made of.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

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


@dataclass
class SignatureStream:
    """The signed bytes of one notebook, with the offsets of its real output keys."""

    data: bytearray = field(default_factory=bytearray)
    data_keys: set[int] = field(default_factory=set)  # mime keys of rich outputs of code cells
    closers: set[int] = field(default_factory=set)  # their "output_type" keys
    widget_key: int | None = None  # the WIDGET_STATE key inside metadata.widgets
    cell_starts: list[int] = field(default_factory=list)
    cells_end: int = 0

    def add(self, value: Any) -> None:
        """Append the bytes ``yield_everything(value)`` yields (failing where it fails)."""
        if isinstance(value, str):  # the most common by far: tested first
            self.data += value.encode("utf8")
        elif isinstance(value, dict):
            for key in sorted(value):
                self.data += key.encode()
                self.add(value[key])
        elif isinstance(value, (list, tuple)):
            for element in value:
                self.add(element)
        else:
            self.data += str(value).encode("utf8")

    def add_notebook(self, nb: Notebook) -> None:
        for key in sorted(nb):
            self.data += key.encode()
            value = nb[key]
            if key == "cells" and isinstance(value, list):
                for cell in value:
                    self.cell_starts.append(len(self.data))
                    self._add_cell(cell)
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

    def _add_cell(self, cell: Any) -> None:
        if not isinstance(cell, dict):
            self.add(cell)
            return
        is_code = cell.get("cell_type") == "code"  # only code cells' outputs are ever shown
        for key in sorted(cell):
            self.data += key.encode()
            if key == "outputs" and is_code and isinstance(cell[key], list):
                for output in cell[key]:
                    self._add_output(output)
            else:
                self.add(cell[key])

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


def signature_stream(nb: Notebook) -> SignatureStream:
    """The bytes ``NotebookNotary.compute_signature`` hashes for ``nb``, with its real output keys.

    ``nb`` is the notebook as ``nbformat.reads(text, as_version=4)`` returns it. Raises
    UnicodeEncodeError (a lone surrogate) and RecursionError (absurd nesting) where the notary
    itself fails.
    """
    stream = SignatureStream()
    stream.add_notebook(nb)
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
