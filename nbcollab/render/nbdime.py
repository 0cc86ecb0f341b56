"""Write a notebook diff in nbdime's JSON diff format, without importing nbdime.

The entries are rendered from the ``NotebookDiff`` that the text and HTML diffs show, so the
three formats agree on what changed and on what the ignore flags leave out. The format (nbdime's
``diffing.rst``) is a list of entries per container: for dicts ``add``, ``remove``, ``replace``
and ``patch`` by key; for lists ``addrange``, ``removerange`` and ``patch`` by index into the old
list, sorted by index; strings are patched line by line (lines from ``str.splitlines(True)``), as
nbdime's patcher does. It has no move: a moved cell is removed where it was and added where it is.
``nbdime.patching.patch(old, to_nbdime_diff(old, new)) == new``.

A changed value the model does not break down further (a string, a list of lines, a dict past
the model's depth) is written by ``diff_json``. nbformat 3 keeps its cells in worksheets: each
pair of worksheets is diffed as a list of cells; notebooks of two different major versions are
compared as plain JSON.
"""

from __future__ import annotations

import copy
import difflib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from nbcollab.align.lcs import lcs_pairs
from nbcollab.diff.compute import (
    CellDiff,
    NotebookDiff,
    ValueChange,
    diff_notebooks,
    diff_values,
)
from nbcollab.notebook.absent import ABSENT
from nbcollab.notebook.codec import Notebook
from nbcollab.notebook.json_equal import same_value
from nbcollab.options import DiffOptions

Entry = dict[str, Any]

_DEFAULTS = DiffOptions()


def to_nbdime_diff(
    old: Notebook, new: Notebook, *, options: DiffOptions = _DEFAULTS
) -> list[Entry]:
    """nbdime diff entries that turn ``old`` into ``new`` (ignored parts left out)."""
    if old.get("nbformat") == new.get("nbformat") == 3:
        return _v3_entries(old, new, options)
    if old.get("nbformat") == new.get("nbformat") == 4:
        return nbdime_entries(diff_notebooks(old, new, options=options))
    skip = {"metadata"} if options.ignore_metadata else set()
    return _dict_entries(diff_values(_without(old, skip), _without(new, skip)))


def nbdime_entries(diff: NotebookDiff) -> list[Entry]:
    """The entries of a v4 notebook diff: its notebook-level changes, then its cells."""
    entries = _dict_entries(diff.metadata)
    cells = _cell_list_entries(diff.cells)
    if cells:
        entries.append(_patch("cells", cells))
    return _sorted(entries)


def _v3_entries(old: Notebook, new: Notebook, options: DiffOptions) -> list[Entry]:
    skip = {"metadata"} if options.ignore_metadata else set()
    entries = _dict_entries(
        diff_values(_without(old, skip | {"worksheets"}), _without(new, skip | {"worksheets"}))
    )
    a, b = old.get("worksheets", ABSENT), new.get("worksheets", ABSENT)
    if not (isinstance(a, list) and isinstance(b, list)):
        if not same_value(a, b):
            entries.append(_leaf("worksheets", a, b))
        return _sorted(entries)
    paired = (_sheet_entry(i, a[i], b[i], options) for i in range(min(len(a), len(b))))
    sheets = [entry for entry in paired if entry is not None]
    if len(b) > len(a):
        sheets.append(_addrange(len(a), b[len(a) :]))
    if len(a) > len(b):
        sheets.append({"op": "removerange", "key": len(b), "length": len(a) - len(b)})
    if sheets:
        entries.append(_patch("worksheets", sheets))
    return _sorted(entries)


def _sheet_entry(index: int, old: Any, new: Any, options: DiffOptions) -> Entry | None:
    """One worksheet: its own keys, and its cells diffed as a v4 notebook's would be."""
    if not all(isinstance(s, dict) and isinstance(s.get("cells"), list) for s in (old, new)):
        return None if same_value(old, new) else _leaf(index, old, new)
    entries = _dict_entries(diff_values(_without(old, {"cells"}), _without(new, {"cells"})))
    as_v4 = [{"nbformat": 4, "cells": sheet["cells"]} for sheet in (old, new)]
    cells = _cell_list_entries(diff_notebooks(*as_v4, options=options).cells)
    if cells:
        entries.append(_patch("cells", cells))
    return _patch(index, _sorted(entries)) if entries else None


def _cell_list_entries(cells: Iterable[CellDiff]) -> list[Entry]:
    """The cell list: a moved cell is removed where it was and added where it is."""
    cells = list(cells)
    return _list_entries(
        sum(cell.old_index is not None for cell in cells),
        removed={c.old_index for c in cells if c.old_index is not None and c.new_index is None}
        | {c.old_index for c in cells if c.moved and c.old_index is not None},
        added=[(c.new_index, c.new) for c in cells if c.new_index is not None and _is_new(c)],
        patches={
            c.old_index: _cell_entries(c)
            for c in cells
            if c.status == "modified" and not c.moved and c.old_index is not None
        },
    )


def _is_new(cell: CellDiff) -> bool:
    return cell.old_index is None or cell.moved


def _cell_entries(cell: CellDiff) -> list[Entry]:
    assert cell.old is not None and cell.new is not None
    changes = [*cell.metadata, *cell.attachments, *cell.other]
    if cell.execution_count is not None:
        changes.append(cell.execution_count)
    entries = _dict_entries(changes)
    if cell.source_changed:
        for key in ("source", "input"):  # v3 code cells keep their source in ``input``
            old, new = cell.old.get(key, ABSENT), cell.new.get(key, ABSENT)
            if not same_value(old, new):
                entries.append(_leaf(key, old, new))
    if cell.outputs:
        old, new = cell.old.get("outputs", ABSENT), cell.new.get("outputs", ABSENT)
        if isinstance(old, list) and isinstance(new, list):
            entries.append(_patch("outputs", _output_entries(old, cell)))
        else:
            entries.append(_leaf("outputs", old, new))
    return _sorted(entries)


def _output_entries(old: list[Any], cell: CellDiff) -> list[Entry]:
    outputs = cell.outputs
    return _list_entries(
        len(old),
        removed={o.old_index for o in outputs if o.status == "removed" and o.old_index is not None},
        added=[(o.new_index, o.new) for o in outputs if o.status == "added"],
        patches={
            o.old_index: _dict_entries(o.changes)
            for o in outputs
            if o.status == "modified" and o.old_index is not None and o.changes
        },
    )


def _list_entries(
    n_old: int,
    *,
    removed: set[int],
    added: list[tuple[int | None, Any]],
    patches: Mapping[int, list[Entry]],
) -> list[Entry]:
    """List entries from what was removed (old indices), added (new indices) and patched.

    The items neither removed nor added are paired in order on both sides, so an item added at
    new index ``j`` after ``k`` kept items goes in right after the ``k``-th kept old item.
    """
    kept = [i for i in range(n_old) if i not in removed]
    inserts: dict[int, list[Any]] = {}
    for rank, (j, value) in enumerate(sorted(added, key=lambda pair: pair[0] or 0)):
        k = (j or 0) - rank
        inserts.setdefault(kept[k - 1] + 1 if k > 0 else 0, []).append(value)
    starts: dict[int, int] = {}  # each run of consecutive removed items: its start and length
    run = 0
    for i in sorted(removed):
        if i - 1 not in removed:
            run = i
        starts[run] = starts.get(run, 0) + 1
    entries: list[Entry] = []
    for key in sorted({*inserts, *starts, *(k for k, v in patches.items() if v)}):
        if key in inserts:
            entries.append(_addrange(key, inserts[key]))
        if key in starts:
            entries.append({"op": "removerange", "key": key, "length": starts[key]})
        elif patches.get(key):
            entries.append(_patch(key, patches[key]))
    return entries


def _dict_entries(changes: Iterable[ValueChange], depth: int = 0) -> list[Entry]:
    """Nested dict entries from changed leaves at key paths (``diff_values``' output)."""
    groups: dict[Any, list[ValueChange]] = {}
    for change in changes:
        groups.setdefault(change.path[depth], []).append(change)
    entries: list[Entry] = []
    for key, group in groups.items():
        if len(group) == 1 and len(group[0].path) == depth + 1:
            entries.append(_leaf(key, group[0].old, group[0].new))
        else:
            entries.append(_patch(key, _dict_entries(group, depth + 1)))
    return _sorted(entries)


def _leaf(key: Any, old: Any, new: Any) -> Entry:
    if old is ABSENT:
        return {"op": "add", "key": key, "value": copy.deepcopy(new)}
    if new is ABSENT:
        return {"op": "remove", "key": key}
    return _change(key, old, new)


def _patch(key: Any, diff: list[Entry]) -> Entry:
    return {"op": "patch", "key": key, "diff": diff}


def _sorted(entries: list[Entry]) -> list[Entry]:
    return sorted(entries, key=lambda e: str(e["key"]))


def _without(mapping: Mapping[str, Any], keys: set[str]) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if k not in keys}


def _addrange(key: int, values: list[Any]) -> Entry:
    return {"op": "addrange", "key": key, "valuelist": copy.deepcopy(values)}


def diff_json(old: Any, new: Any) -> list[Entry]:
    """Entries patching ``old`` into ``new``: dicts by key, lists by LCS, strings by line."""
    if isinstance(old, dict) and isinstance(new, dict):
        return _diff_dict(old, new)
    if isinstance(old, list) and isinstance(new, list):
        return _diff_list(old, new)
    if isinstance(old, str) and isinstance(new, str):
        return _diff_string(old, new)
    raise TypeError(f"cannot patch {type(old).__name__} into {type(new).__name__}")


def _diff_dict(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Entry]:
    entries: list[Entry] = []
    for key in sorted(set(old) | set(new)):
        if key not in new:
            entries.append({"op": "remove", "key": key})
        elif key not in old:
            entries.append({"op": "add", "key": key, "value": copy.deepcopy(new[key])})
        elif not same_value(old[key], new[key]):  # the diff's notion of equal, strict as JSON
            entries.append(_change(key, old[key], new[key]))
    return entries


def _change(key: Any, old: Any, new: Any) -> Entry:
    if _patchable(old, new):
        return _patch(key, diff_json(old, new))
    return {"op": "replace", "key": key, "value": copy.deepcopy(new)}


def _patchable(old: Any, new: Any) -> bool:
    return any(isinstance(old, kind) and isinstance(new, kind) for kind in (dict, list, str))


def _key(value: Any) -> str:
    # Type-tagged so that 1, 1.0 and True stay distinct, as JSON does.
    return json.dumps([type(value).__name__, value], sort_keys=True, default=str)


def _diff_list(old: list[Any], new: list[Any]) -> list[Entry]:
    entries: list[Entry] = []
    prev_i = prev_j = 0
    for i, j in [*lcs_pairs([_key(v) for v in old], [_key(v) for v in new]), (len(old), len(new))]:
        entries.extend(_diff_list_gap(old, new, prev_i, i, prev_j, j))
        prev_i, prev_j = i + 1, j + 1
    return entries


def _diff_list_gap(
    old: list[Any], new: list[Any], i1: int, i2: int, j1: int, j2: int
) -> list[Entry]:
    """Pair the gap's items of one kind in place (patch); the rest are added or removed."""
    entries: list[Entry] = []
    paired = 0
    while paired < min(i2 - i1, j2 - j1) and _patchable(old[i1 + paired], new[j1 + paired]):
        a, b = old[i1 + paired], new[j1 + paired]
        if _key(a) != _key(b):
            entries.append({"op": "patch", "key": i1 + paired, "diff": diff_json(a, b)})
        paired += 1
    if j2 > j1 + paired:
        entries.append(_addrange(i1 + paired, new[j1 + paired : j2]))
    if i2 > i1 + paired:
        entries.append({"op": "removerange", "key": i1 + paired, "length": i2 - i1 - paired})
    return entries


def _diff_string(old: str, new: str) -> list[Entry]:
    a, b = old.splitlines(True), new.splitlines(True)
    entries: list[Entry] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("insert", "replace"):
            entries.append({"op": "addrange", "key": i1, "valuelist": b[j1:j2]})
        if tag in ("delete", "replace"):
            entries.append({"op": "removerange", "key": i1, "length": i2 - i1})
    return entries
