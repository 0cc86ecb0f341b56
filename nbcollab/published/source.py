"""Published outputs as records for the output cache's restore, and for pages that show them.

``PublishedSource`` is, to the output cache, another source of records (``output_cache.others``):
asked for the cells of a notebook path by their keys, it looks at that path's records, the one
of the very blob being restored first, then the most recent others (as many as the cache
searches of its own), and answers with checked outputs. A record's keys are computed from the
notebook stored in it, under the caller's rule: the published data names no key of its own.

Nothing read is used unchecked: the record's notebook must be the blob its name says (SHA-256)
and a notebook ``parse_notebook`` accepts, its meta must be one nbcollab writes, each cell it
names a code cell with exactly the outputs it says, and each output valid (``validate``). Any
failure skips that record (a ref without the format mark: the whole ref), its problem kept for
``take_problems`` once, and the search goes on: damage in what others published never costs a
notebook what its own records and the sound published records give it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from nbcollab.errors import InvalidNotebook
from nbcollab.notebook.cells import cell_name
from nbcollab.notebook.codec import parse_notebook
from nbcollab.notebook.lines import Notebook
from nbcollab.output_cache.keys import RestoreRule, cell_keys
from nbcollab.output_cache.others import OtherCell
from nbcollab.output_cache.store import path_key
from nbcollab.published.layout import (
    FORMAT,
    FORMAT_ENTRY,
    MAX_META_BYTES,
    MAX_NOTEBOOK_BYTES,
    MAX_OUTPUT_BYTES,
    MAX_RECORD_BYTES,
    META,
    NOTEBOOK,
    Meta,
    Origin,
    PublishedDamaged,
    decode_meta,
    not_outputs_ref,
    output_name,
    parse_record_name,
)
from nbcollab.published.objects import GitObject, ObjectReader, parse_tree
from nbcollab.published.validate import decode_outputs

# How many records of a notebook besides the one of the blob itself are searched (as the cache
# searches its own most recent working files).
OTHER_RECORDS_SEARCHED = 4


class PublishedCell(NamedTuple):
    """A cell's published outputs and execution count, and where they came from."""

    outputs: list[Any]
    execution_count: int | None
    origin: Origin
    record: str  # the record's tree: which cells come from the same run


class RefTip(NamedTuple):
    """An outputs ref and the commit it points to."""

    ref: str
    commit: str


class _Entry(NamedTuple):
    name: str
    date: int
    blob: str  # the clean blob's SHA-256
    tree: str  # the record's tree
    where: str  # "<ref>: <record name>", for messages


@dataclass
class _Record:
    meta: Meta
    notebook: Notebook
    outputs: dict[str, str]  # "<cell>.<k>" -> object id
    keys: dict[RestoreRule, dict[str, int]] = field(default_factory=dict)

    def positions(self, rule: RestoreRule) -> dict[str, int]:
        """Key -> position of the code cells that have published outputs or a count."""
        if rule not in self.keys:
            published = {cell[0] for cell in self.meta.cells}
            self.keys[rule] = {
                key: i for i, key in cell_keys(self.notebook, rule) if i in published
            }
        return self.keys[rule]


class PublishedSource:
    """The published outputs under some refs (the clone's own first), read through ``reader``."""

    def __init__(self, reader: ObjectReader, tips: Sequence[RefTip]) -> None:
        self._reader = reader
        self._tips: list[RefTip] | None = None
        self._all_tips = list(tips)
        self._folders: dict[str, list[_Entry]] = {}
        self._records: dict[str, _Record | None] = {}  # None: damaged, skipped
        self._problems: list[str] = []

    def take_problems(self) -> list[str]:
        """The damaged refs and records skipped since last asked, each said once."""
        problems, self._problems = self._problems, []
        return problems

    def has_records(self, path: str) -> bool:
        """Whether any ref holds records of ``path``."""
        return bool(self._folder(path))

    def find_cells(
        self, path: str, blob: str, wanted: Set[str], rule: RestoreRule
    ) -> Mapping[str, OtherCell]:
        """The output cache's question (``output_cache.others``)."""
        found = self.find_published(path, blob, wanted, rule)
        return {
            key: (cell.outputs, cell.execution_count, cell.record) for key, cell in found.items()
        }

    def find_published(
        self, path: str, blob: str, wanted: Set[str], rule: RestoreRule
    ) -> dict[str, PublishedCell]:
        """Published cells among the keys ``wanted`` of ``path``, the record of ``blob`` first
        (the first sound one: a damaged record of the same version never hides an older one),
        then the most recent sound records of other versions."""
        entries = self._folder(path)
        exact = [e for e in entries if e.blob == blob]
        others = [e for e in entries if e.blob != blob]
        found: dict[str, PublishedCell] = {}
        for group, limit in ((exact, 1), (others, OTHER_RECORDS_SEARCHED)):
            for entry in group:
                missing = set(wanted) - found.keys()
                if not missing or not limit:
                    break
                cells = self._sound_cells(entry, missing, rule)
                if cells is not None:
                    limit -= 1
                    found.update(cells)
        return found

    def _sound_cells(
        self, entry: _Entry, missing: Set[str], rule: RestoreRule
    ) -> dict[str, PublishedCell] | None:
        """The cells among ``missing`` that the record ``entry`` has; None when it is damaged
        (then it is skipped, its problem kept once)."""
        record = self._record(entry)
        if record is None:
            return None
        positions = record.positions(rule)
        hits = {key: positions[key] for key in missing if key in positions}
        try:
            return self._cells(record, entry, hits) if hits else {}
        except PublishedDamaged as exc:
            self._records[entry.tree] = None
            self._problems.append(str(exc))
            return None

    def _valid_tips(self) -> list[RefTip]:
        """The refs whose tree says it is this format; the others are skipped, said once."""
        if self._tips is None:
            names = [f"{tip.commit}:{FORMAT_ENTRY}" for tip in self._all_tips]
            marks = self._reader.read_many(names, limit=len(FORMAT))
            self._tips = [t for t, m in zip(self._all_tips, marks) if m and m.data == FORMAT]
            self._problems += [
                not_outputs_ref(tip.ref) for tip in self._all_tips if tip not in self._tips
            ]
        return self._tips

    def _folder(self, path: str) -> list[_Entry]:
        key = path_key(path)
        if key not in self._folders:
            tips = self._valid_tips()
            folders = self._reader.read_many([f"{t.commit}:{key}" for t in tips], limit=1 << 24)
            seen: dict[tuple[str, str], _Entry] = {}  # the same record under two refs: once
            for tip, folder in zip(tips, folders):
                try:
                    entries = _folder_entries(tip, folder)
                except PublishedDamaged as exc:
                    self._problems.append(str(exc))
                    continue
                for entry in entries:
                    seen.setdefault((entry.name, entry.tree), entry)
            self._folders[key] = sorted(seen.values(), key=lambda e: e.date, reverse=True)
        return self._folders[key]

    def _record(self, entry: _Entry) -> _Record | None:
        """The record ``entry`` names, checked; None when it is damaged (said once)."""
        if entry.tree not in self._records:
            try:
                self._records[entry.tree] = self._read_record(entry)
            except PublishedDamaged as exc:
                self._records[entry.tree] = None
                self._problems.append(str(exc))
        return self._records[entry.tree]

    def _read_record(self, entry: _Entry) -> _Record:
        (tree,) = self._reader.read_many([entry.tree], limit=1 << 24)
        try:
            items = {e.name: e for e in parse_tree(tree)} if tree else None
        except ValueError as exc:
            raise PublishedDamaged(f"{entry.where}: {exc}") from None
        if not items or META not in items or NOTEBOOK not in items:
            raise PublishedDamaged(f"{entry.where}: not a record (no meta or notebook)")
        meta_obj, nb_obj = self._reader.read_many(
            [items[META].oid, items[NOTEBOOK].oid], limit=max(MAX_META_BYTES, MAX_NOTEBOOK_BYTES)
        )
        try:
            meta = decode_meta(_blob_bytes(meta_obj, entry, META, MAX_META_BYTES))
        except PublishedDamaged as exc:
            message = str(exc)
            if not message.startswith(entry.where):
                raise PublishedDamaged(f"{entry.where}: {message}") from None
            raise
        data = _blob_bytes(nb_obj, entry, NOTEBOOK, MAX_NOTEBOOK_BYTES)
        if hashlib.sha256(data).hexdigest() != entry.blob:
            raise PublishedDamaged(f"{entry.where}: its notebook is not the blob it names")
        try:
            notebook = parse_notebook(data, path=f"{entry.where}: notebook")
        except InvalidNotebook as exc:
            raise PublishedDamaged(str(exc)) from None
        outputs = {name: e.oid for name, e in items.items() if e.mode == "100644"}
        _check_cells(meta, notebook, outputs, entry)
        return _Record(meta, notebook, outputs)

    def _cells(
        self, record: _Record, entry: _Entry, hits: Mapping[str, int]
    ) -> dict[str, PublishedCell]:
        counts = {cell[0]: cell for cell in record.meta.cells}
        names = {
            key: [output_name(at, k) for k in range(counts[at][2])] for key, at in hits.items()
        }
        wanted = [record.outputs[name] for key in hits for name in names[key]]
        objects = iter(self._reader.read_many(wanted, limit=MAX_OUTPUT_BYTES))
        total = 0
        found = {}
        for key, at in hits.items():
            blobs = []
            for name in names[key]:
                data = _blob_bytes(next(objects), entry, name, MAX_OUTPUT_BYTES)
                total += len(data)
                blobs.append(data)
            if total > MAX_RECORD_BYTES:
                raise PublishedDamaged(f"{entry.where}: over {MAX_RECORD_BYTES} bytes of outputs")
            outputs = decode_outputs(blobs, where=f"{entry.where}: {cell_name(at)}")
            found[key] = PublishedCell(outputs, counts[at][1], record.meta.origin, entry.tree)
        return found


def _folder_entries(tip: RefTip, folder: GitObject | None) -> Iterable[_Entry]:
    if folder is None:
        return []
    try:
        entries = parse_tree(folder)
    except ValueError as exc:
        raise PublishedDamaged(f"{tip.ref}: {exc}") from None
    found = []
    for item in entries:
        parsed = parse_record_name(item.name)
        if parsed is not None and item.mode == "40000":
            where = f"{tip.ref}: {item.name}"
            found.append(_Entry(item.name, parsed[0], parsed[1], item.oid, where))
    return found


def _blob_bytes(obj: GitObject | None, entry: _Entry, name: str, limit: int) -> bytes:
    if obj is None or obj.kind != "blob":
        raise PublishedDamaged(f"{entry.where}: {name} is missing or not a file")
    if obj.data is None:
        raise PublishedDamaged(f"{entry.where}: {name} is {obj.size} bytes (at most {limit})")
    return obj.data


def _check_cells(meta: Meta, nb: Notebook, outputs: Mapping[str, str], entry: _Entry) -> None:
    """Each cell the meta names is a code cell of the notebook, with the output entries the
    meta says it has."""
    cells = nb.get("cells") if nb.get("nbformat") == 4 else None
    if not isinstance(cells, list):
        raise PublishedDamaged(f"{entry.where}: its notebook is not nbformat 4")
    for at, _, count in meta.cells:
        if at >= len(cells) or cells[at].get("cell_type") != "code":
            raise PublishedDamaged(f"{entry.where}: {cell_name(at)} is not a code cell")
        if any(output_name(at, k) not in outputs for k in range(count)):
            raise PublishedDamaged(f"{entry.where}: {cell_name(at)} lacks some of its outputs")


def fill_published(
    nb: Notebook, path: str, blob: str, source: PublishedSource, rule: RestoreRule
) -> list[Origin]:
    """Fill, in place, the code cells of ``nb`` without outputs that published records have
    (by ``rule``); the origins of what was filled, most used first."""
    targets = {
        key: index for index, key in cell_keys(nb, rule) if not nb["cells"][index].get("outputs")
    }
    if not targets or not source.has_records(path):
        return []
    uses: dict[Origin, int] = {}
    for key, cell in source.find_published(path, blob, set(targets), rule).items():
        target = nb["cells"][targets[key]]
        target["outputs"] = cell.outputs
        if target.get("execution_count") is None:
            target["execution_count"] = cell.execution_count
        uses[cell.origin] = uses.get(cell.origin, 0) + 1
    return sorted(uses, key=lambda origin: -uses[origin])
