"""Where published outputs live in git, and the one small file of each record.

One ref, ``refs/nbcollab/outputs``, outside ``refs/heads`` and ``refs/tags``: ``git clone`` and a
plain ``git fetch`` never download it, ``git push`` never sends it, and no branch's history holds
it. Other clones' copies are fetched to ``refs/nbcollab/remotes/<remote>/outputs``. It points to
a commit whose tree is::

    format                      "nbcollab-outputs 1"
    <path key>/                 one folder per notebook path (the output cache's path key)
        <date>-<blob key>/      one record: the outputs of one committed version of it
            meta                JSON: who published it, with which commit, and which code
                                cells have outputs (position, execution count, how many)
            notebook            the committed (clean) notebook itself: the same git object as
                                in the branch, so it costs nothing
            <cell>.<k>          output k of the code cell at position <cell>, as JSON
    pruned                      the records pruning dropped, ``<path key>/<record name>`` a
                                line: ``outputs push`` publishes none of those versions again
                                unless a later commit sets the notebook to it again

The blob key is the SHA-256 of the clean blob, the key the output cache gives it. Every output is
a git blob named by its content, so an output that two versions (or two notebooks) share, such
as an unchanged plot, is stored once. ``<date>`` (the commit's time, ten digits) orders a
notebook's records newest first without reading them. Pruning writes a new commit with fewer
records and no parent; git's garbage collection then drops what no ref reaches any more.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypeGuard

from nbcollab.errors import NbcollabError
from nbcollab.output_cache.store import CacheDamaged

REF = "refs/nbcollab/outputs"
REFS_PREFIX = "refs/nbcollab/"
FORMAT_ENTRY = "format"
FORMAT = b"nbcollab-outputs 1\n"
META = "meta"
NOTEBOOK = "notebook"
PRUNED = "pruned"  # beside ``format``: the records pruning dropped (see ``encode_pruned``)

_RECORD = re.compile(r"^(\d{10})-([0-9a-f]{64})$")
_OUTPUT = re.compile(r"^(0|[1-9][0-9]{0,5})\.(0|[1-9][0-9]{0,4})$")
_PATH_KEY = re.compile(r"^[0-9a-f]{32}$")
_COMMIT = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
_REMOTE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")

# Caps on what a record may hold (fetched data is untrusted; these are far above real notebooks).
MAX_META_BYTES = 1 << 20
MAX_NOTEBOOK_BYTES = 64 << 20
MAX_OUTPUT_BYTES = 64 << 20
MAX_RECORD_BYTES = 256 << 20
MAX_OUTPUTS_PER_CELL = 10_000
MAX_CELLS = 100_000
MAX_PRUNED = 20_000  # records a ``pruned`` list remembers (about 100 bytes each)
_MAX_TEXT = 1000  # characters of a publisher or a path


class PublishedDamaged(CacheDamaged):
    """Published outputs that are not what nbcollab writes (a damaged or hostile ref): like a
    damaged cache file, the notebook is written as committed and the rest goes on."""


def tracking_ref(remote: str) -> str:
    """Where a remote's published outputs are fetched to."""
    if not _REMOTE.match(remote) or ".." in remote or remote.endswith((".lock", ".")):
        raise NbcollabError(
            f"{remote!r}: give the name of a remote (`git remote` lists them), not a URL"
        )
    return f"{REFS_PREFIX}remotes/{remote}/outputs"


def reset_command(ref: str) -> str:
    """The command that replaces ``ref`` when it is damaged."""
    prefix = f"{REFS_PREFIX}remotes/"
    remote = ref[len(prefix) : -len("/outputs")] if ref.startswith(prefix) else ""
    return f"nbcollab outputs prune --reset {remote}".rstrip()


def not_outputs_ref(ref: str, problem: str = "no format mark") -> str:
    """What is wrong with a ref that is not published outputs, and how to replace it."""
    return f"{ref}: not nbcollab's published outputs ({problem}); replace it: {reset_command(ref)}"


def record_name(date: int, blob_key: str) -> str:
    """A record's folder name: its commit's time (for the order) and its blob's key."""
    return f"{max(0, min(date, 9_999_999_999)):010d}-{blob_key}"


def parse_record_name(name: str) -> tuple[int, str] | None:
    """(date, blob key) of a record folder's name; None for anything else."""
    match = _RECORD.match(name)
    return (int(match[1]), match[2]) if match else None


def output_name(cell: int, k: int) -> str:
    """The entry of output ``k`` of the code cell at position ``cell``."""
    return f"{cell}.{k}"


def is_output_name(name: str) -> bool:
    """Whether a record's entry is one of its outputs."""
    return _OUTPUT.match(name) is not None


def encode_pruned(records: Iterable[tuple[str, str]]) -> bytes:
    """The ``pruned`` list: one ``<path key>/<record name>`` a line, newest first, at most
    ``MAX_PRUNED`` of them (older ones are forgotten: by then no push reaches back to them)."""
    named = sorted(records, key=lambda r: (parse_record_name(r[1]) or (0, ""))[0], reverse=True)[
        :MAX_PRUNED
    ]
    return "".join(f"{key}/{name}\n" for key, name in sorted(named)).encode()


def decode_pruned(data: bytes) -> set[tuple[str, str]]:
    """The records a ``pruned`` list names, as (path key, record name); lines that name none
    are ignored (the list only ever keeps versions from being published again)."""
    found = set()
    for line in data.decode("ascii", "replace").splitlines()[:MAX_PRUNED]:
        key, _, name = line.partition("/")
        if is_path_key(key) and parse_record_name(name):
            found.add((key, name))
    return found


def is_path_key(name: str) -> bool:
    """Whether a top-level entry is a notebook's folder."""
    return _PATH_KEY.match(name) is not None


@dataclass(frozen=True)
class Origin:
    """Where published outputs came from: who published them, with which commit, and when."""

    publisher: str
    commit: str
    date: int

    def describe(self) -> str:
        """``Alice <alice@example.com>, commit 1a2b3c4d5e, 2024-05-01``."""
        day = datetime.fromtimestamp(self.date, tz=timezone.utc).strftime("%Y-%m-%d")
        return f"{self.publisher}, commit {self.commit[:10]}, {day}"


@dataclass(frozen=True)
class Meta:
    """A record's ``meta``: its origin, the notebook's path, and its code cells with outputs."""

    origin: Origin
    path: str
    cells: tuple[tuple[int, int | None, int], ...]  # (position, execution count, outputs)


def encode_meta(meta: Meta) -> bytes:
    """``meta`` as the JSON text stored."""
    value = {
        "format": 1,
        "path": meta.path,
        "publisher": meta.origin.publisher,
        "commit": meta.origin.commit,
        "date": meta.origin.date,
        "cells": [list(cell) for cell in meta.cells],
    }
    return json.dumps(value, sort_keys=True, ensure_ascii=True).encode("ascii") + b"\n"


def decode_meta(data: bytes) -> Meta:
    """The ``meta`` in ``data``, checked; PublishedDamaged saying what is wrong."""
    if len(data) > MAX_META_BYTES:
        raise PublishedDamaged(f"meta is {len(data)} bytes (at most {MAX_META_BYTES})")
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        raise PublishedDamaged("meta is not JSON") from None
    if not isinstance(value, dict) or value.get("format") != 1:
        raise PublishedDamaged("meta is not a format 1 record")
    publisher, path = value.get("publisher"), value.get("path")
    commit, date = value.get("commit"), value.get("date")
    if not _text(publisher) or not _text(path) or not _is_int(date) or date < 0:
        raise PublishedDamaged("meta: publisher, path or date missing or wrong")
    if not isinstance(commit, str) or not _COMMIT.match(commit):
        raise PublishedDamaged("meta: commit is not a commit id")
    return Meta(Origin(publisher, commit, date), path, _cells(value.get("cells")))


def _cells(value: Any) -> tuple[tuple[int, int | None, int], ...]:
    if not isinstance(value, list) or len(value) > MAX_CELLS:
        raise PublishedDamaged("meta: cells is not a list of cells")
    cells = []
    last = -1
    for item in value:
        if not (isinstance(item, list) and len(item) == 3 and all(map(_is_int_or_none, item))):
            raise PublishedDamaged("meta: a cell is not [position, count, outputs]")
        position, count, outputs = item
        if position is None or position <= last or outputs is None:
            raise PublishedDamaged("meta: cell positions out of order")
        if not 0 <= outputs <= MAX_OUTPUTS_PER_CELL or (count is not None and count < 0):
            raise PublishedDamaged(f"meta: cell {position}: bad count of outputs")
        cells.append((position, count, outputs))
        last = position
    return tuple(cells)


def _text(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and 0 < len(value) <= _MAX_TEXT


def _is_int(value: Any) -> TypeGuard[int]:
    return type(value) is int


def _is_int_or_none(value: Any) -> bool:
    return value is None or type(value) is int
