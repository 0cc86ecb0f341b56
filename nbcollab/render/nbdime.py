"""Write a notebook diff in nbdime's JSON diff format, without importing nbdime.

The format (nbdime's ``diffing.rst``) is a list of entries per container: for dicts ``add``,
``remove``, ``replace`` and ``patch`` by key; for lists ``addrange``, ``removerange`` and ``patch``
by index into the old list, sorted by index; strings are patched line by line (lines from
``str.splitlines(True)``), as nbdime's patcher does. It has no move: a moved cell is removed where
it was and added where it is. ``nbdime.patching.patch(old, to_nbdime_diff(old, new)) == new``.
"""

from __future__ import annotations

import copy
import difflib
import json
from collections.abc import Mapping
from typing import Any

from nbcollab.align.cells import align_cells
from nbcollab.align.lcs import lcs_pairs
from nbcollab.notebook.codec import Notebook
from nbcollab.notebook.json_equal import same_value
from nbcollab.options import DiffOptions

Entry = dict[str, Any]

_DEFAULTS = DiffOptions()


def to_nbdime_diff(
    old: Notebook, new: Notebook, *, options: DiffOptions = _DEFAULTS
) -> list[Entry]:
    """nbdime diff entries that turn ``old`` into ``new`` (ignored parts left out)."""
    skip_top = {"metadata"} if options.ignore_metadata else set()
    if old.get("nbformat") == 4 and new.get("nbformat") == 4:
        entries = diff_json(
            _without(old, skip_top | {"cells"}), _without(new, skip_top | {"cells"})
        )
        cells = _diff_cells(old.get("cells", []), new.get("cells", []), options)
        if cells:
            entries.append({"op": "patch", "key": "cells", "diff": cells})
        return sorted(entries, key=lambda e: e["key"])
    keys = _ignored_keys(options)
    return diff_json(
        _v3_comparable(_without(old, skip_top), keys), _v3_comparable(_without(new, skip_top), keys)
    )


def _without(mapping: Mapping[str, Any], keys: set[str]) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if k not in keys}


def _diff_cells(old: list[Any], new: list[Any], options: DiffOptions) -> list[Entry]:
    alignment = align_cells(old, new, use_ids=not options.ignore_ids)
    chain = [m for m in alignment.matches if m.old not in alignment.moved]
    entries: list[Entry] = []
    prev_i = prev_j = -1
    for match in [*chain, None]:
        i, j = (len(old), len(new)) if match is None else (match.old, match.new)
        if j > prev_j + 1:
            entries.append(_addrange(prev_i + 1, new[prev_j + 1 : j]))
        if i > prev_i + 1:
            entries.append({"op": "removerange", "key": prev_i + 1, "length": i - prev_i - 1})
        if match is not None:
            inner = diff_json(*_comparable(old[i], new[j], options))
            if inner:
                entries.append({"op": "patch", "key": i, "diff": inner})
        prev_i, prev_j = i, j
    return entries


def _comparable(old: Any, new: Any, options: DiffOptions) -> tuple[Any, Any]:
    """The two cells without the parts the ignore flags leave out of the comparison."""
    keys = _ignored_keys(options)
    return _comparable_cell(old, keys), _comparable_cell(new, keys)


def _ignored_keys(options: DiffOptions) -> set[str]:
    # v3 names: ``input`` is the code cell's source, ``prompt_number`` its execution count.
    counts = options.ignore_execution_counts
    skip = {
        "source": options.ignore_sources,
        "input": options.ignore_sources,
        "outputs": options.ignore_outputs,
        "metadata": options.ignore_metadata,
        "execution_count": counts,
        "prompt_number": counts,
        "id": options.ignore_ids,
        "attachments": options.ignore_attachments,
    }
    return {key for key, flag in skip.items() if flag}


def _comparable_cell(cell: Any, keys: set[str]) -> Any:
    if not keys or not isinstance(cell, dict):
        return cell
    cell = _without(cell, keys)
    counts = {"execution_count", "prompt_number"} & keys
    if counts and isinstance(cell.get("outputs"), list):
        cell["outputs"] = [
            _without(o, counts) if isinstance(o, dict) else o for o in cell["outputs"]
        ]
    return cell


def _v3_comparable(nb: dict[str, Any], keys: set[str]) -> dict[str, Any]:
    """A v3 notebook with its cells (inside worksheets) stripped of the ignored parts."""
    sheets = nb.get("worksheets")
    if not keys or not isinstance(sheets, list):
        return nb
    return {
        **nb,
        "worksheets": [
            {**sheet, "cells": [_comparable_cell(c, keys) for c in sheet["cells"]]}
            if isinstance(sheet, dict) and isinstance(sheet.get("cells"), list)
            else sheet
            for sheet in sheets
        ],
    }


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
        inner = diff_json(old, new)
        return {"op": "patch", "key": key, "diff": inner}
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
