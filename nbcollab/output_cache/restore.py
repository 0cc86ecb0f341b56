"""Recording working files on clean, and filling outputs back in on smudge.

The one invariant: what is written to the work tree cleans back to the blob byte for byte, so
``git status`` and ``git diff`` see nothing. A whole working file is restored only when it was
recorded as cleaning to this very blob under the same clean options and nbcollab version (cleaning
is deterministic). Otherwise cells are filled in one by one under the restore rule, and the
result is cleaned again and compared with the blob; any difference means the blob is written as
it is.

Trust: nothing here signs. A restored file carries no signature of its own (a whole file that
holds a ``signature`` or ``trusted`` key is never restored whole), so Jupyter trusts a whole file
only if the user's signature store already knew exactly this notebook, i.e. the user trusted it
when it was recorded. Restored cells make new content: ``fill_cells`` says which records they
came from, and ``output_cache.signing`` decides whether the user's trust in those records
carries over to it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

from nbcollab.notebook.lines import Notebook, rejoin_lines
from nbcollab.options import CleanOptions
from nbcollab.output_cache.cells import build_index, read_index
from nbcollab.output_cache.keys import RestoreRule, cell_keys
from nbcollab.output_cache.lookup import CELLS_ONLY, options_fingerprint, recorded_working
from nbcollab.output_cache.others import OtherRecords
from nbcollab.output_cache.splice import cell_spans, splice
from nbcollab.output_cache.store import OutputStore, Record, sha256

# A working file that holds these keys is restored cell by cell, never whole (see above): it is
# recorded under a fingerprint no clean options give, which whole-file look-ups never match.
_TRUST_KEYS = re.compile(rb'"(?:signature|trusted)":')
# How many recent working files of a notebook are searched for cells.
RECORDS_SEARCHED = 4


def record_working_file(
    working: bytes,
    blob: bytes,
    path: str,
    *,
    store: OutputStore,
    options: CleanOptions,
    rule: RestoreRule = RestoreRule.PREFIX,
    index: bool = True,
    trusted: bool = False,
    written: Notebook | None = None,
    signed: bytes | None = None,
) -> int:
    """Remember that ``working`` cleaned to ``blob``, with its cell index under ``rule`` (or
    without: one is made when a restore first needs it), whether the user's Jupyter trusts
    it (``trusted``) and then its signed stream (``output_cache.signed``); the number of new
    bytes stored. ``written``: what ``blob`` reads as, when the caller has it."""
    if working == blob:
        return 0  # nothing was stripped
    cells = build_index(working, blob, rule, written=written) if index else None
    # Checked here, once a file, rather than on every checkout (fingerprints name the version,
    # so every record a look-up can match was written by this code).
    whole = not _TRUST_KEYS.search(working)
    fingerprint = options_fingerprint(options) if whole else CELLS_ONLY
    return store.add(
        path, sha256(blob), working, fingerprint, blob, cells, trusted=trusted, signed=signed
    )


def restore_working_file(
    blob: bytes,
    path: str,
    *,
    store: OutputStore,
    options: CleanOptions,
    rule: RestoreRule,
    others: Sequence[OtherRecords] = (),
    recorded: bool = False,
) -> bytes | None:
    """The working file for ``blob`` with its cached outputs, or None when there are none
    (``others``: records from another source, for the cells own records leave empty;
    ``recorded``: see ``restore_cells``)."""
    working = recorded_working(blob, path, store=store, options=options)
    if working is not None:
        return working
    return restore_cells(
        blob, path, store=store, options=options, rule=rule, others=others, recorded=recorded
    )


@dataclass(frozen=True)
class _Fill:
    """A recorded cell's outputs and count: parsed, or as JSON text cut from its working file."""

    outputs: list[Any] | None
    count: Any
    raw: bytes | None = None  # the outputs list's JSON text, cut from the working file
    raw_count: bytes = b"null"
    source: str = ""  # the working file (SHA-256) of the record it comes from ("": another source)
    key: str = ""  # the cell's key under the restore rule, there and here
    record: str = ""  # which record (run) it comes from, for any source (default: ``source``)

    @property
    def run(self) -> str:
        """The record it comes from: cells of one record come from one run of the notebook."""
        return self.record or self.source

    def parsed(self) -> tuple[list[Any], Any]:
        """The outputs (lines joined, as ``parse_notebook`` gives them) and the count."""
        if self.outputs is not None or self.raw is None:
            return self.outputs or [], self.count
        outputs = json.loads(self.raw)
        rejoin_lines({"nbformat": 4, "cells": [{"cell_type": "code", "outputs": outputs}]})
        return outputs, None if self.raw_count == b"null" else int(self.raw_count)


def restore_cells(
    blob: bytes,
    path: str,
    *,
    store: OutputStore,
    options: CleanOptions,
    rule: RestoreRule,
    others: Sequence[OtherRecords] = (),
    recorded: bool = False,
) -> bytes | None:
    """``blob`` with outputs filled in for the cells ``rule`` recognises, checked; or None.

    ``recorded``: the caller records what is returned as cleaning to ``blob``, so a blob kept
    in another layout than Jupyter's may be restored into (``FilledCells.stores_as_blob``);
    otherwise only a file whose clean is ``blob`` itself is returned."""
    filled = fill_cells(blob, path, store=store, options=options, rule=rule, others=others)
    if filled is None:
        return None
    stored = filled.stores_as_blob(options) if recorded else filled.cleans_to_blob(options)
    return filled.text if stored else None


class Origin(NamedTuple):
    """Where a filled cell's outputs come from: a record's working file (SHA-256), the cell's
    key there, and the outputs' JSON text copied from it (None when they were parsed)."""

    source: str
    key: str
    raw: bytes | None


@dataclass(frozen=True)
class FilledCells:
    """A blob's text with recorded outputs filled in, not yet checked."""

    text: bytes
    notebook: Notebook  # what ``text`` parses to (the check cleans it: look at it before)
    searched: tuple[Record, ...]  # the records searched for outputs, newest first
    sources: frozenset[str]  # the working files (SHA-256) among them the outputs come from
    blob: bytes
    checked: Notebook  # what the check cleans: ``notebook`` itself, or a copy
    origins: dict[int, Origin]  # the filled cells (their index): where each one's outputs are from
    # Whether cells came from another source (output_cache.others): then it is never signed.
    from_others: bool = False

    def cleans_to_blob(self, options: CleanOptions) -> bool:
        """The filter's own clean: whether cleaning ``text`` gives the blob back exactly
        (computed on the parsed notebook the text is known to parse to, see
        ``cleans_to_blob``)."""
        return cleans_to_blob(self.text, self.checked, self.blob, options=options)

    def stores_as_blob(self, options: CleanOptions) -> bool:
        """Whether git stores ``text`` as the blob once ``text`` is recorded as cleaning to it:
        its clean is the blob, or the blob is a clean notebook committed in a layout other than
        Jupyter's (see ``kept_as_committed``) that reads as ``text`` cleaned."""
        if self.cleans_to_blob(options):
            return True
        return kept_as_committed(self.checked, self.blob, options=options)


def fill_cells(
    blob: bytes,
    path: str,
    *,
    store: OutputStore,
    options: CleanOptions,
    rule: RestoreRule,
    others: Sequence[OtherRecords] = (),
) -> FilledCells | None:
    """``blob`` with outputs filled in for the cells ``rule`` recognises; None when none are.
    ``others`` fill, in order, the cells that own records leave empty (``output_cache.others``).
    """
    from nbcollab.errors import InvalidNotebook
    from nbcollab.notebook.codec import parse_notebook

    if not store.records_for(path) and not any(other.has_records(path) for other in others):
        return None  # nothing recorded for this notebook: spare the parse
    try:
        nb = parse_notebook(blob, path=path)
    except InvalidNotebook:
        return None  # not a notebook: written as it is, as without the cache
    targets = {key: i for i, key in cell_keys(nb, rule) if not nb["cells"][i].get("outputs")}
    fills = _find_outputs(targets, path, store=store, options=options, rule=rule) if targets else {}
    own = len(fills)
    if own < len(targets) and others:
        _fill_from_others(fills, targets, path, sha256(blob), others, rule)
    if not fills:
        return None
    fills = _counts_of_one_run(fills)
    try:
        parsed = {index: fill.parsed() for index, fill in fills.items()}
    except ValueError:
        return None  # a recorded file's text is not what it should be: the blob as it is
    searched = tuple(_searched(path, store))
    sources = frozenset(fill.source for fill in fills.values())
    text = _spliced(blob, nb, fills)
    filled = _filled(nb, parsed)
    others_used = len(fills) > own
    if text is not None:
        origins = {i: Origin(fill.source, fill.key, fill.raw) for i, fill in fills.items()}
        return FilledCells(text, filled, searched, sources, blob, filled, origins, others_used)
    from nbcollab.notebook.codec import serialize_notebook

    text = serialize_notebook(filled).encode("utf-8")
    copy = _filled(parse_notebook(blob, path=path), parsed)  # checked, while the first is kept
    origins = {i: Origin(fill.source, fill.key, None) for i, fill in fills.items()}
    return FilledCells(text, filled, searched, sources, blob, copy, origins, others_used)


def _counts_of_one_run(fills: dict[int, _Fill]) -> dict[int, _Fill]:
    """``fills`` with execution counts only where they come from the record (one run of the
    notebook) that fills the first cell: the counts of two runs put side by side would say
    that cells ran out of order, which nobody did. Cells from other records keep their
    outputs, without a count, as outputs of another run."""
    first = fills[min(fills)].run
    return {
        index: fill if fill.run == first else replace(fill, count=None, raw_count=b"null")
        for index, fill in fills.items()
    }


def _filled(nb: Notebook, parsed: dict[int, tuple[list[Any], Any]]) -> Notebook:
    """``nb`` (itself) with the cells at ``parsed``'s positions given their outputs, and their
    count where they have none."""
    for index, (outputs, count) in parsed.items():
        cell = nb["cells"][index]
        cell["outputs"] = outputs
        if cell.get("execution_count") is None:
            cell["execution_count"] = count
    return nb


def _spliced(blob: bytes, nb: Notebook, fills: dict[int, _Fill]) -> bytes | None:
    """``blob``'s text with the recorded outputs copied in as bytes; None when it cannot be.

    It parses to ``nb`` with the fills applied exactly when every filled cell's ``[]`` and
    ``null`` are where the spans say and each piece copied in is the JSON text of its value.
    """
    if any(fill.raw is None for fill in fills.values()):
        return None
    spans = cell_spans(blob)
    if spans is None or len(spans) != len(nb["cells"]):
        return None
    edits: dict[int, tuple[bytes, bytes]] = {}
    for index, fill in fills.items():
        cell = spans[index]
        set_count = nb["cells"][index].get("execution_count") is None
        if not cell.code or cell.outputs is None or blob[slice(*cell.outputs)] != b"[]":
            return None
        if set_count and (cell.count is None or blob[slice(*cell.count)] != b"null"):
            return None
        assert fill.raw is not None
        edits[index] = (fill.raw, fill.raw_count if set_count else b"")
    return splice(blob, spans, edits)


def cleans_to_blob(text: bytes, notebook: Notebook, blob: bytes, *, options: CleanOptions) -> bool:
    """Whether the filter's clean of ``text``, written from ``notebook``, is ``blob`` exactly.

    What ``clean_bytes(text)`` computes, without parsing ``text`` (outputs and all) again:
    parsing what ``serialize_notebook`` wrote, or the blob with values spliced in as their JSON
    text, gives back the notebook it was written from, so cleaning ``notebook`` itself is
    cleaning ``text``. Cleaning strips the outputs first, so what is serialized for the
    comparison is blob-sized. ``notebook`` is cleaned in place.
    """
    from nbcollab.clean.strip import clean_in_place
    from nbcollab.notebook.codec import serialize_notebook

    if not clean_in_place(notebook, options=options):
        return text == blob  # clean_bytes keeps a file that cleaning leaves as it is
    return serialize_notebook(notebook).encode("utf-8") == blob


def kept_as_committed(cleaned: Notebook, blob: bytes, *, options: CleanOptions) -> bool:
    """Whether ``blob`` is a notebook the filter keeps as it is, byte for byte, that reads as
    ``cleaned`` (a notebook already cleaned).

    A notebook written without outputs by a tool other than Jupyter (no final newline, another
    indent, a source as one string) is clean already, so the filter commits its bytes as they
    are; a restore into it writes Jupyter's layout, whose clean is the same notebook in other
    bytes. Recorded as cleaning to the blob, it is answered by a look-up when git reads it again
    (``lookup.recorded_clean``), so it stays unmodified to git.
    """
    from nbcollab.clean.strip import clean_in_place
    from nbcollab.errors import InvalidNotebook
    from nbcollab.notebook.codec import parse_notebook_repeats
    from nbcollab.notebook.json_equal import same_value

    try:
        committed, repeated = parse_notebook_repeats(blob)
    except InvalidNotebook:
        return False
    if repeated or clean_in_place(committed, options=options):
        return False  # the filter rewrites such a file: its clean is what was compared
    return same_value(committed, cleaned)


def _find_outputs(
    targets: dict[str, int],
    path: str,
    *,
    store: OutputStore,
    options: CleanOptions,
    rule: RestoreRule,
) -> dict[int, _Fill]:
    """Outputs and execution count for the cells at ``targets`` positions, from recent records."""
    fills: dict[int, _Fill] = {}
    for record in _searched(path, store):
        wanted = {key for key, index in targets.items() if index not in fills}
        cells = _cut_cells(record, wanted, store=store, rule=rule)
        if cells is None:
            working = store.read(record)
            cells = {
                key: _Fill(outputs, count, source=record.working, key=key)
                for key, (outputs, count) in (
                    recorded_cells(working, path, options, rule) if working else {}
                ).items()
                if outputs or count is not None
            }
        for key, fill in cells.items():
            if key in targets and targets[key] not in fills:
                fills[targets[key]] = fill
        if len(fills) == len(targets):
            break
    return fills


def _fill_from_others(
    fills: dict[int, _Fill],
    targets: dict[str, int],
    path: str,
    blob: str,
    others: Sequence[OtherRecords],
    rule: RestoreRule,
) -> None:
    """Fill, from each other source in turn, the targets still empty."""
    for other in others:
        wanted = {key for key, index in targets.items() if index not in fills}
        if not wanted:
            return
        for key, (outputs, count, record) in other.find_cells(path, blob, wanted, rule).items():
            if key in wanted:
                fills[targets[key]] = _Fill(outputs, count, record=f"other:{record}")


def _searched(path: str, store: OutputStore) -> Iterator[Record]:
    """The most recent records of ``path`` (one for each working file), newest first."""
    seen = set()
    for record in store.records_for(path)[:RECORDS_SEARCHED]:
        if record.working not in seen:
            seen.add(record.working)
            yield record


def _cut_cells(
    record: Record, wanted: set[str], *, store: OutputStore, rule: RestoreRule
) -> dict[str, _Fill] | None:
    """A record's cells among ``wanted``, their outputs cut from the working file's text
    without parsing it, where its cell index says. None when there is no index and none can be
    made (cleaning dropped cells, another layout): then the working file is parsed."""
    stored = store.read_cells(record)
    index = read_index(stored, rule, record.length) if stored is not None else None
    working = None
    if index is None:  # recorded by an older version or under another rule: index it now
        blob = store.read_blob(record)
        working = store.read(record) if blob is not None else None
        built = build_index(working, blob, rule) if blob and working else None
        index = read_index(built, rule, record.length) if built is not None else None
        if index is None:
            return None
    keys = [key for key in wanted if key in index]
    if not keys:
        return {}  # nothing this record could fill: its working file is not even read
    working = working or store.read(record)
    if working is None:
        return {}  # evicted meanwhile
    found = {}
    for key in keys:
        spans = index.get(key)
        if spans is None:
            return None
        outputs, count = spans
        raw = working[slice(*outputs)]
        if not (raw.startswith(b"[") and raw.endswith(b"]")):
            return None
        count_text = working[slice(*count)] if count else b"null"
        found[key] = _Fill(None, None, raw, count_text, record.working, key)
    return found


def recorded_cells(
    working: bytes, path: str, options: CleanOptions, rule: RestoreRule
) -> dict[str, tuple[list[Any], Any]]:
    """The outputs and execution count of each code cell of a recorded working file, by key.

    Keys are computed on the file as cleaned (as git stored it: ids repaired, empty cells
    dropped), so that they are the keys of the blob it became.
    """
    from nbcollab.clean.strip import clean_in_place
    from nbcollab.errors import InvalidNotebook
    from nbcollab.notebook.codec import parse_notebook

    try:
        nb = parse_notebook(working, path=path)
    except InvalidNotebook:
        return {}
    if nb.get("nbformat") != 4:
        return {}
    # Cleaning replaces each outputs list and leaves the cell objects: keep the originals.
    before = {id(c): (c.get("outputs") or [], c.get("execution_count")) for c in nb["cells"]}
    clean_in_place(nb, options=options)
    return {key: before[id(nb["cells"][i])] for i, key in cell_keys(nb, rule)}
