"""A trusted record's signed stream: what a restore's proof needs, made when the record is.

To sign a notebook restored cell by cell, the proof of docs/trust.md needs each trusted record
as Jupyter reads it: its signed bytes, where its real output keys are and where it only spells
them, and, for each cell the restore copied outputs from, those outputs. Parsing the record's
working file for that costs more than the rest of the restore, and recording it already computed
the bytes (to look its signature up), so they are stored with the record, with a table:

    nbcollab-signed 1 <restore rule> <seal>
    cells <count> <end of the cells> <where each cell starts>...
    keys <real mime keys>...
    closers <real output_type keys>...
    widget <the widget-state key, or ->
    spelled <start> <end>...              (active keys spelled where the notebook has none)
    outputs <cell> <restore key> <SHA-256 of its outputs' JSON text> <start> <end>
    ...
    <an empty line, then the signed bytes>

Nothing of it is taken on trust. Its signed bytes are what the user's store vouches for: their
HMAC under the user's key is Jupyter's signature, looked up again before each use. The table is
sealed with a key derived from the same secret (``UserStore.seal``), so only a process that can
read the user's Jupyter key wrote it. A restore uses a record's outputs' bytes for a cell only
when the outputs it copied hash to that cell's SHA-256, and those hashes are of the exact JSON
text of the cell's outputs: the working file is read in pieces whose reassembly is provably the
whole (``read_with_outputs``). Anything that does not check out is not used, and the restore is
judged by parsing the record, as without a signed stream.
"""

from __future__ import annotations

import hashlib
import os
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from nbcollab.errors import InvalidNotebook
from nbcollab.notebook.codec import Notebook, parse_notebook
from nbcollab.output_cache.keys import RestoreRule, cell_keys
from nbcollab.output_cache.splice import cell_spans
from nbcollab.trust.signatures import UserStore
from nbcollab.trust.store import as_jupyter_reads
from nbcollab.trust.stream import OutputsPiece, SignatureStream, Spelled, signature_stream

_HEADER = "nbcollab-signed 1"
Span = tuple[int, int]


class SignedOutputs(NamedTuple):
    """Where one code cell's outputs are in a signed stream, and which JSON text they are."""

    cell: int  # its index in the recorded notebook
    text: str  # SHA-256 of the outputs list's JSON text in the working file
    start: int
    end: int


@dataclass(frozen=True)
class SignedRecord:
    """A record's signed stream, checked: its signature, its stream and its outputs by key."""

    digest: str  # Jupyter's signature of the record (to look up in the user's store)
    stream: SignatureStream
    outputs: dict[str, SignedOutputs]  # restore key -> the cell's outputs
    cells: int  # how many cells the record has
    keys: list[int]  # the stream's real mime keys, in order
    closers: list[int]  # and its real closers

    def outputs_piece(self, entry: SignedOutputs) -> OutputsPiece:
        """The bytes of ``entry``'s outputs, for a restored notebook's stream to take in."""
        start, end = entry.start, entry.end
        keys, closers = self.keys, self.closers
        return OutputsPiece(
            bytes(memoryview(self.stream.data)[start:end]),
            tuple(at - start for at in keys[bisect_left(keys, start) : bisect_left(keys, end)]),
            tuple(
                at - start
                for at in closers[bisect_left(closers, start) : bisect_left(closers, end)]
            ),
        )


def read_with_outputs(text: bytes, path: str) -> tuple[Notebook, dict[int, Span]]:
    """``parse_notebook(text)``, and where each code cell's non-empty outputs list is in
    ``text``, exactly (none where the layout does not tell).

    The text is parsed in two pieces: the notebook with each outputs list replaced by a
    placeholder output naming its cell, and the outputs lists, each alone as the last value of
    a cell between separator cells. When both parse as built (each placeholder where it belongs,
    each list its own cell's only new value), the whole text is the first piece with its
    placeholders replaced by whole JSON values, so it parses to the same notebook with the
    outputs in place, and each span is exactly its cell's outputs. Otherwise the text is parsed
    whole and no span is known. The random nonce cannot appear in the text.
    """
    spans = _output_spans(text)
    if spans:
        nonce = os.urandom(16).hex()
        try:
            nb = parse_notebook(_placeholders(text, spans, nonce), path=path)
            lists = parse_notebook(_separated(text, spans, nonce), path=path)
        except InvalidNotebook:
            pass
        else:
            if _fill_placeholders(nb, lists, list(spans), nonce):
                return nb, spans
    return parse_notebook(text, path=path), {}


def _output_spans(text: bytes) -> dict[int, Span]:
    table = cell_spans(text)
    if table is None:
        return {}
    spans = {}
    for index in range(len(table)):
        cell = table[index]
        if cell.code and cell.outputs is not None and text[slice(*cell.outputs)] != b"[]":
            spans[index] = cell.outputs
    return spans


def _placeholder(nonce: str, index: int) -> bytes:
    return f'[{{"output_type": "{nonce}-{index}"}}]'.encode()


def _placeholders(text: bytes, spans: Mapping[int, Span], nonce: str) -> bytes:
    parts, done = [], 0
    for index, (start, end) in spans.items():  # in text order: cells are
        parts += [text[done:start], _placeholder(nonce, index)]
        done = end
    parts.append(text[done:])
    return b"".join(parts)


_CELL = b'{"cell_type": "code", "metadata": {}, "source": "", "outputs": '


def _separated(text: bytes, spans: Mapping[int, Span], nonce: str) -> bytes:
    separator = f'}}, {{"cell_type": "raw", "metadata": {{}}, "source": "{nonce}"}}'.encode()
    parts = [b'{"cells": [']
    for start, end in spans.values():
        parts += [_CELL, text[start:end], separator, b", "]
    parts[-1] = b'], "metadata": {}, "nbformat": 4, "nbformat_minor": 4}'
    return b"".join(parts)


def _fill_placeholders(nb: Notebook, lists: Notebook, order: list[int], nonce: str) -> bool:
    """Put each outputs list in its cell; False when a piece did not parse as it was built."""
    cells, parsed = nb.get("cells"), lists["cells"]
    if nb.get("nbformat") != 4 or not isinstance(cells, list) or len(parsed) != 2 * len(order):
        return False
    if set(lists) != {"cells", "metadata", "nbformat", "nbformat_minor"}:
        return False
    separator = {"cell_type": "raw", "metadata": {}, "source": nonce}
    for at, index in enumerate(order):
        holder, after = parsed[2 * at], parsed[2 * at + 1]
        if after != separator or set(holder) != {"cell_type", "metadata", "source", "outputs"}:
            return False
        if (holder["cell_type"], holder["metadata"], holder["source"]) != ("code", {}, ""):
            return False
        cell = cells[index] if index < len(cells) else None
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            return False
        if cell.get("outputs") != [{"output_type": f"{nonce}-{index}"}]:
            return False
    for at, index in enumerate(order):
        cells[index]["outputs"] = parsed[2 * at]["outputs"]
    return True


def judge_recorded(
    text: bytes, path: str, *, user: UserStore, rule: RestoreRule
) -> tuple[bool, bytes | None]:
    """Whether the user's Jupyter trusts the working file ``text`` the filter records, and then
    its signed stream (None when no outputs' place is known)."""
    try:
        nb, spans = read_with_outputs(text, path)
    except InvalidNotebook:
        return False, None
    view = as_jupyter_reads(nb)
    try:
        stream = signature_stream(view) if view is not None else None
    except (UnicodeEncodeError, RecursionError):
        stream = None  # Jupyter's notary fails on it too: never trusted
    if stream is None or not user.trusted([user.digest(stream.data)]):
        return False, None
    return True, make_signed(text, nb, spans, stream, rule=rule, user=user) if spans else None


def make_signed(
    text: bytes,
    nb: Notebook,
    spans: Mapping[int, Span],
    stream: SignatureStream,
    *,
    rule: RestoreRule,
    user: UserStore,
) -> bytes | None:
    """The signed stream of a trusted working file ``text`` (``nb``, ``spans``: what
    ``read_with_outputs`` gave; ``stream``: its signature stream, as Jupyter reads it); None
    when no outputs' place is known."""
    keys = dict(cell_keys(nb, rule))
    lines = []
    for index, (start, end) in spans.items():
        at, key = stream.outputs_at.get(index), keys.get(index)
        if at is not None and key is not None:
            sha = hashlib.sha256(text[start:end]).hexdigest()
            lines.append(f"outputs {index} {key} {sha} {at[0]} {at[1]}")
    if not lines:
        return None
    spelled = stream.find_spelled()
    table = "\n".join(
        [
            _numbers("cells", [len(stream.cell_starts), stream.cells_end, *stream.cell_starts]),
            _numbers("keys", sorted(stream.data_keys)),
            _numbers("closers", sorted(stream.closers)),
            f"widget {'-' if stream.widget_key is None else stream.widget_key}",
            _numbers("spelled", [n for pair in zip(*spelled) for n in pair]),
            *lines,
        ]
    )
    digest = user.digest(stream.data)
    head = f"{_HEADER} {rule.value}"
    seal = user.seal(f"{head}\n{digest}\n{table}".encode("ascii"))
    return f"{head} {seal}\n{table}\n\n".encode("ascii") + bytes(stream.data)


def _numbers(name: str, numbers: list[int]) -> str:
    return " ".join([name, *map(str, numbers)])


def read_signed(data: bytes, *, rule: RestoreRule, user: UserStore) -> SignedRecord | None:
    """The signed stream in ``data``, checked against its seal under the user's key; None when
    it is not one made under ``rule`` with this key, or does not read as written."""
    head_end = data.find(b"\n")
    table_end = data.find(b"\n\n", head_end)
    fields = data[:head_end].decode("ascii", "replace").rsplit(" ", 1)
    if table_end < 0 or len(fields) != 2 or fields[0] != f"{_HEADER} {rule.value}":
        return None
    signed = memoryview(data)[table_end + 2 :]
    digest = user.digest(signed)
    text = data[head_end + 1 : table_end].decode("ascii", "replace")
    if not user.sealed(f"{fields[0]}\n{digest}\n{text}".encode("ascii", "replace"), fields[1]):
        return None
    try:
        return _parse_table(text, digest, signed)
    except (ValueError, IndexError):
        return None  # sealed, so written by this code: only a change of format gets here


def _parse_table(text: str, digest: str, signed: memoryview) -> SignedRecord:
    split = text.index("\noutputs ")
    rows = {
        name: rest for name, _, rest in (line.partition(" ") for line in text[:split].split("\n"))
    }
    outputs = {}
    for line in text[split + 1 :].split("\n"):  # sealed, so as written: split, not matched
        name, index, key, sha, start, end = line.split(" ")
        if name != "outputs" or len(sha) != 64:
            raise ValueError(line)
        outputs[key] = SignedOutputs(int(index), sha, int(start), int(end))
    count, cells_end, *starts = map(int, rows["cells"].split())
    spelled = list(map(int, rows["spelled"].split()))
    widget = rows["widget"]
    keys = sorted(map(int, rows["keys"].split()))
    closers = sorted(map(int, rows["closers"].split()))
    stream = SignatureStream(
        bytearray(signed),
        set(keys),
        set(closers),
        None if widget == "-" else int(widget),
        starts,
        cells_end,
        {entry.cell: (entry.start, entry.end) for entry in outputs.values()},
        Spelled(spelled[0::2], spelled[1::2]),
    )
    return SignedRecord(digest, stream, outputs, count, keys, closers)


def outputs_sha(raw: bytes) -> str:
    """What ``SignedOutputs.text`` says for an outputs list's JSON text."""
    return hashlib.sha256(raw).hexdigest()
