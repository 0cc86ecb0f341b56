"""Whether a notebook restored cell by cell may be signed: the user's own trust, carried over.

Jupyter trusts a notebook when its signature store knows the notebook's exact content, so a file
restored cell by cell is new content and would open untrusted, its plots and widgets blanked,
after every pull. It is signed exactly when the argument of docs/trust.md holds with the
recorded working files the user's Jupyter trusted as the trusted inputs: ``trust.policy``'s
``find_signing_problem``, the very check the merge driver makes, decides. The trusted inputs are
the records the restore searched (the notebook's most recent ones) that were trusted when
recorded (``Record.trusted``) and still are (their signatures are looked up again): a record made
while untrusted, another clone's outputs (never recorded here), a cell whose code changed (never
filled) lend no trust. A filled cell is the same cell as the record's cell with its restore key
(same id, source and, under the default rule, code above), whatever alignment would say.

What the proof reads of a trusted record comes from its signed stream (``output_cache.signed``)
when it has one that checks out, and the result's signed bytes take each filled cell's outputs
from there, once the outputs copied are shown to be that cell's: nothing is parsed but the blob,
which the restore parsed already. Otherwise the records are parsed, as Jupyter reads them. Both
ways give the policy the same inputs.

Nothing here imports nbformat: signatures are computed and looked up by ``trust.signatures``,
and the session adds them to the store in one transaction when git's command ends.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from nbcollab.errors import InvalidNotebook
from nbcollab.notebook.codec import Notebook, parse_notebook
from nbcollab.output_cache.keys import RestoreRule, cell_keys
from nbcollab.output_cache.restore import FilledCells
from nbcollab.output_cache.signed import SignedRecord, outputs_sha, read_signed
from nbcollab.output_cache.store import OutputStore, Record
from nbcollab.trust.policy import (
    Pairs,
    find_read_problem,
    find_signing_problem,
    has_rich_outputs,
    iter_rich_outputs,
    match_cells,
)
from nbcollab.trust.signatures import UserStore
from nbcollab.trust.store import as_jupyter_reads
from nbcollab.trust.stream import OutputsPiece, SignatureStream, signature_stream


@dataclass(frozen=True)
class Verdict:
    """What to do with a restored file's trust: add ``digest``, or say ``problem``, or neither."""

    digest: str | None = None
    problem: str | None = None


NOTHING_TO_SIGN = Verdict()


def needs_judging(filled: FilledCells) -> bool:
    """Whether signing could apply: rich output, and a trusted record among those searched."""
    return any(record.trusted for record in filled.searched) and has_rich_outputs(filled.notebook)


def trust_at_stake(filled: FilledCells) -> bool:
    """Whether outputs came from a record the user trusted: then a refusal is worth saying.
    (Outputs from an untrusted record may still be signed, when a trusted one holds them.)"""
    return any(record.trusted and record.working in filled.sources for record in filled.searched)


def judge_restore(
    filled: FilledCells,
    path: str,
    *,
    store: OutputStore,
    user: UserStore,
    rule: RestoreRule = RestoreRule.PREFIX,
) -> Verdict:
    """Sign ``filled`` (its notebook as it will be read) or say why not; call it before the
    check, which cleans ``filled.notebook``. ``rule``: the restore rule its cells were keyed by."""
    if not needs_judging(filled):
        return NOTHING_TO_SIGN  # nothing the user trusted went into it: it stays as it was
    nb = filled.notebook
    problem = find_read_problem(nb)
    view = as_jupyter_reads(nb) if problem is None else None
    if view is None:
        return refused(filled, problem or "Jupyter cannot read it back the same or hash it")
    trusted = [r for r in filled.searched if r.trusted]
    # The records the outputs came from first: most restores need no other.
    first = [r for r in trusted if r.working in filled.sources] or trusted
    judge = _Judge(filled, view, path, store=store, user=user, rule=rule)
    if len(first) < len(trusted):
        refusal, digest = judge.judge(first, final=False)
        if refusal is not None:
            refusal, digest = judge.judge(trusted)
    else:
        refusal, digest = judge.judge(first)
    if refusal is not None or digest is None:
        return refused(filled, refusal or "Jupyter cannot hash the notebook")
    return Verdict(digest=digest)


def refused(filled: FilledCells, problem: str) -> Verdict:
    """Not signed: said when outputs the user trusted went into it, else quietly."""
    return Verdict(problem=problem) if trust_at_stake(filled) else NOTHING_TO_SIGN


@dataclass
class _Input:
    """A trusted record as the proof sees it, from its signed stream or parsed."""

    record: Record
    stream: SignatureStream
    digest: str  # its signature, to look up in the user's store
    signed: SignedRecord | None = None  # its signed stream, checked
    view: Notebook | None = None  # the working file as Jupyter reads it, when parsed
    keys: dict[str, int] = field(default_factory=dict)  # restore key -> cell, when parsed


@dataclass
class _Judge:
    """One restore's judgement, its records read (and looked up) at most once."""

    filled: FilledCells
    view: Notebook  # the restored notebook as Jupyter will read it
    path: str
    store: OutputStore
    user: UserStore
    rule: RestoreRule
    _signed: dict[str, _Input | None] = field(default_factory=dict)
    _parsed: dict[str, _Input | None] = field(default_factory=dict)
    _named: dict[str, Notebook] = field(default_factory=dict)
    _final: bool = True  # whether a refusal's cells are named (else more records follow)

    def judge(
        self, records: Sequence[Record], *, final: bool = True
    ) -> tuple[str | None, str | None]:
        """(why not, with what to do, or None; the signature to add) with ``records`` (trusted
        when recorded) as the trusted inputs; ``final``: False when a refusal only leads to
        judging again with more records (its cells are then not named)."""
        self._final = final
        try:
            signed = self._still_trusted(records, self._signed, self._read_signed)
            if len(signed) == len(records):
                decided = self._from_signed(signed)
                if decided is not None:
                    return decided
            parsed = self._still_trusted(records, self._parsed, self._read_parsed)
            return self._from_parsed(parsed)
        except _Unnamed:
            return "refused", None

    def _still_trusted(self, records: Sequence[Record], seen: dict, read: Any) -> list[_Input]:
        """Those of ``records`` read by ``read`` whose signature the user's store still holds."""
        new = {r.working: read(r) for r in records if r.working not in seen}
        digests = {r.working: i.digest for r, i in _pairs(records, new)}
        found = self.user.trusted(digests.values()) if digests else set()
        for working, item in new.items():
            seen[working] = item if item is not None and digests[working] in found else None
        return [item for r in records if (item := seen[r.working]) is not None]

    def _read_signed(self, record: Record) -> _Input | None:
        data = self.store.read_signed(record)
        signed = read_signed(data, rule=self.rule, user=self.user) if data else None
        if signed is None:
            return None
        return _Input(record, signed.stream, signed.digest, signed=signed)

    def _read_parsed(self, record: Record) -> _Input | None:
        working = self.store.read(record)
        try:
            nb = parse_notebook(working, path=self.path) if working is not None else None
        except InvalidNotebook:
            return None
        view = as_jupyter_reads(nb) if nb is not None else None
        stream = _stream_of(view) if view is not None else None
        if view is None or stream is None:
            return None
        keys = {key: index for index, key in cell_keys(view, self.rule)}
        return _Input(record, stream, self.user.digest(stream.data), view=view, keys=keys)

    def _from_signed(self, inputs: list[_Input]) -> tuple[str | None, str | None] | None:
        """The judgement from signed streams alone; None when they cannot tell (a filled cell
        whose outputs none of them holds as copied, a rich output not filled in, widget state)."""
        signed = [i.signed for i in inputs if i.signed is not None]
        cells: list[list[dict[str, Any]]] = [[{}] * record.cells for record in signed]
        pairs: list[dict[int, int]] = [{} for _ in signed]
        pieces: dict[int, OutputsPiece] = {}
        for index, origin in self.filled.origins.items():
            sha = outputs_sha(origin.raw) if origin.raw is not None else None
            for k, record in enumerate(signed):
                entry = record.outputs.get(origin.key)
                if entry is None or entry.text != sha:
                    continue  # (another cell's outputs, or these differ: alignment may know)
                pairs[k][index] = entry.cell
                cells[k][entry.cell] = {"cell_type": "code", "outputs": _outputs(self.view, index)}
                pieces.setdefault(index, record.outputs_piece(entry))
        if len(signed) < len(inputs) or self.view["metadata"].get("widgets") is not None:
            return None
        if any(index not in pieces for index, _ in iter_rich_outputs(self.view)):
            return None
        stream = _stream_of(self.view, pieces)
        if stream is None:
            return None
        problem = find_signing_problem(
            self.view,
            [{"metadata": {}, "cells": c} for c in cells],
            streams=[stream, *(i.stream for i in inputs)],
            pairs=pairs,
            names=lambda: [self._names(i) for i in inputs],
        )
        return self._verdict(problem, stream)

    def _names(self, item: _Input) -> Notebook:
        """A signed record's cells to name a refusal's cells from: its blob's, when they are its
        cells (what alignment reads: type, source, id), else the working file's as parsed."""
        if not self._final:
            raise _Unnamed
        named = self._named.get(item.record.working)
        if named is None:
            named = self._named[item.record.working] = self._read_names(item)
        return named

    def _read_names(self, item: _Input) -> Notebook:
        blob = self.store.read_blob(item.record)
        try:
            # nbcollab's own JSON, checked against its SHA-256: read plainly, only to align
            nb = json.loads(blob) if blob is not None else None
        except ValueError:
            nb = None
        cells = nb.get("cells") if isinstance(nb, dict) else None
        if (
            isinstance(cells, list)
            and all(isinstance(cell, dict) for cell in cells)
            and item.signed is not None
            and len(cells) == item.signed.cells
        ):
            return {"cells": cells}
        parsed = self._read_parsed(item.record)
        return parsed.view if parsed is not None and parsed.view is not None else {"cells": []}

    def _from_parsed(self, inputs: list[_Input]) -> tuple[str | None, str | None]:
        if not inputs:
            return "the version you trusted is no longer in your signature store", None
        stream = _stream_of(self.view)
        if stream is None:
            return "Jupyter cannot hash the notebook (invalid Unicode or nested too deeply)", None
        views = [i.view for i in inputs if i.view is not None]
        pairs = [self._pairs(view, item.keys) for view, item in zip(views, inputs, strict=True)]
        problem = find_signing_problem(
            self.view,
            views,
            streams=[stream, *(i.stream for i in inputs)],
            pairs=pairs,
            names=lambda: self._named_views(views),
        )
        return self._verdict(problem, stream)

    def _named_views(self, views: list[Notebook]) -> list[Notebook]:
        if not self._final:
            raise _Unnamed
        return views

    def _pairs(self, record_view: Notebook, keys: dict[str, int]) -> Pairs:
        """The restore's own pairs (a filled cell is its record's cell with the same key), and
        alignment's for the other cells."""
        pairs = match_cells(record_view, self.view)
        for index, origin in self.filled.origins.items():
            if origin.key in keys:
                pairs[index] = keys[origin.key]
        return pairs

    def _verdict(self, problem: Any, stream: SignatureStream) -> tuple[str | None, str | None]:
        if problem is not None:
            return problem.advice(shlex.quote(self.path)), None
        return None, self.user.digest(stream.data)


class _Unnamed(Exception):
    """A refusal that needs no naming: more records follow."""


def _pairs(records: Sequence[Record], new: dict[str, _Input | None]) -> list[tuple[Record, Any]]:
    return [(r, new[r.working]) for r in records if new.get(r.working) is not None]


def _outputs(view: Notebook, index: int) -> list[Any]:
    outputs = view["cells"][index].get("outputs")
    return outputs if isinstance(outputs, list) else []


def _stream_of(
    view: Notebook, pieces: dict[int, OutputsPiece] | None = None
) -> SignatureStream | None:
    try:
        return signature_stream(view, pieces)
    except (UnicodeEncodeError, RecursionError):
        return None  # a lone surrogate, absurd nesting: Jupyter's notary fails on it too
