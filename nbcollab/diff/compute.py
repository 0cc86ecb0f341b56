"""The structured diff of two notebooks: which cells were added, removed, modified or moved.

Pure functions on in-memory notebook dicts. ``diff_notebooks`` aligns the cells (``align``) and
compares each matched pair part by part: source, outputs (by mime type), metadata (key paths),
execution count, attachments and id. The renderers (text, HTML, nbdime JSON) read this model.

"Equal" means what it means in the JSON file, and the same as an empty nbdime diff
(``render.nbdime``, which is rendered from this model): a key that is absent differs from one
that is empty (``"attachments": {}``, ``"outputs": []``, ``"execution_count": null``), and ``1``,
``1.0`` and ``true`` differ.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from nbcollab.align.cells import Alignment, align_cells
from nbcollab.align.lcs import lcs_pairs
from nbcollab.notebook.absent import ABSENT
from nbcollab.notebook.json_equal import same_value
from nbcollab.notebook.lines import Notebook, cell_source, iter_cells
from nbcollab.options import DiffOptions

CellStatus = Literal["added", "removed", "modified", "unchanged"]
Path = tuple[Any, ...]

_DEFAULTS = DiffOptions()


@dataclass(frozen=True)
class ValueChange:
    """One changed leaf at a key path; ``old`` or ``new`` is ``ABSENT`` when absent."""

    path: Path
    old: Any
    new: Any


@dataclass(frozen=True)
class OutputChange:
    """One output added, removed or modified (``changes``: key paths, mime level in ``data``)."""

    status: Literal["added", "removed", "modified"]
    old_index: int | None
    new_index: int | None
    old: Mapping[str, Any] | None
    new: Mapping[str, Any] | None
    changes: tuple[ValueChange, ...] = ()


@dataclass(frozen=True)
class CellDiff:
    """How one cell changed; ``old``/``new`` are the cells themselves (None when absent)."""

    status: CellStatus
    old_index: int | None
    new_index: int | None
    old: Mapping[str, Any] | None
    new: Mapping[str, Any] | None
    moved: bool = False
    source_changed: bool = False
    outputs: tuple[OutputChange, ...] = ()
    metadata: tuple[ValueChange, ...] = ()
    execution_count: ValueChange | None = None
    attachments: tuple[ValueChange, ...] = ()
    other: tuple[ValueChange, ...] = ()  # cell type, id and any other key

    @property
    def changed(self) -> bool:
        """Whether the cell differs at all (a move counts)."""
        return self.status != "unchanged" or self.moved


@dataclass(frozen=True)
class NotebookDiff:
    """The cells in display order (removed cells where they were) and notebook-level changes."""

    cells: tuple[CellDiff, ...]
    metadata: tuple[ValueChange, ...] = ()
    alignment: Alignment | None = field(default=None, compare=False)

    @property
    def equal(self) -> bool:
        """True when nothing differs under the chosen ignore flags."""
        return not self.metadata and not any(cell.changed for cell in self.cells)


def diff_notebooks(
    old: Notebook, new: Notebook, *, options: DiffOptions = _DEFAULTS
) -> NotebookDiff:
    """The cell-by-cell diff of two notebooks, under ``options``' ignore flags."""
    old_cells, new_cells = list(iter_cells(old)), list(iter_cells(new))
    alignment = align_cells(old_cells, new_cells, use_ids=not options.ignore_ids)
    by_new = {m.new: m for m in alignment.matches}
    removed = iter(sorted(alignment.deleted))
    next_removed = next(removed, None)
    cells: list[CellDiff] = []
    for j, bound in enumerate(_next_anchor(alignment, len(old_cells), len(new_cells))):
        # A removed cell is shown where it stood: before the cells that fill its gap.
        while next_removed is not None and next_removed < bound:
            cells.append(CellDiff("removed", next_removed, None, old_cells[next_removed], None))
            next_removed = next(removed, None)
        if j == len(new_cells):  # the last bound only flushes the trailing removed cells
            break
        match = by_new.get(j)
        if match is None:
            cells.append(CellDiff("added", None, j, None, new_cells[j]))
        else:
            cells.append(
                _compare_cells(
                    match.old,
                    j,
                    old_cells[match.old],
                    new_cells[j],
                    moved=match.old in alignment.moved,
                    options=options,
                )
            )
    return NotebookDiff(tuple(cells), _notebook_changes(old, new, options), alignment)


def _next_anchor(alignment: Alignment, n_old: int, n_new: int) -> list[int]:
    """For each new position: the old index of the next in-order match from there on."""
    bounds = [n_old] * (n_new + 1)
    anchors = {m.new: m.old for m in alignment.matches if m.old not in alignment.moved}
    for j in range(n_new - 1, -1, -1):
        bounds[j] = anchors.get(j, bounds[j + 1])
    return bounds


def _notebook_changes(
    old: Notebook, new: Notebook, options: DiffOptions
) -> tuple[ValueChange, ...]:
    skip = {"metadata"} if options.ignore_metadata else set()
    several = any(
        len(nb.get("worksheets") or ()) > 1
        for nb in (old, new)
        if nb.get("nbformat") == 3 and isinstance(nb.get("worksheets"), list)
    )
    return tuple(
        diff_values(_outside_cells(old, skip, several), _outside_cells(new, skip, several))
    )


def _outside_cells(nb: Notebook, skip: set[str], counts: bool) -> dict[str, Any]:
    """The notebook without the cells, which are compared one by one; a v3 notebook keeps its
    worksheets' own keys, and how many cells each holds when there are several."""
    if nb.get("nbformat") != 3 or not isinstance(nb.get("worksheets"), list):
        return {k: v for k, v in nb.items() if k not in skip and k != "cells"}
    rest = {k: v for k, v in nb.items() if k not in skip}
    rest["worksheets"] = [_sheet_shape(sheet, counts) for sheet in nb["worksheets"]]
    return rest


def _sheet_shape(sheet: Any, counts: bool) -> Any:
    if not isinstance(sheet, dict) or not isinstance(sheet.get("cells"), list):
        return sheet
    shape = {k: v for k, v in sheet.items() if k != "cells"}
    return {**shape, "cells": len(sheet["cells"])} if counts else shape


# nbformat 3 called the execution count ``prompt_number`` (on code cells and pyout outputs).
COUNT_KEYS = ("execution_count", "prompt_number")
_CELL_PARTS = {"source", "outputs", "metadata", "attachments", *COUNT_KEYS}


def _compare_cells(
    i: int,
    j: int,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    *,
    moved: bool,
    options: DiffOptions,
) -> CellDiff:
    if old == new and same_value(old, new):  # most cells: nothing to break down, at C speed
        return CellDiff("unchanged", i, j, old, new, moved=moved)
    source_changed = not options.ignore_sources and cell_source(old) != cell_source(new)
    outputs = (
        ()
        if options.ignore_outputs
        else diff_outputs(
            _list(old.get("outputs")),
            _list(new.get("outputs")),
            ignore_counts=options.ignore_execution_counts,
        )
    )
    metadata = (
        ()
        if options.ignore_metadata
        else tuple(
            diff_values(old.get("metadata", ABSENT), new.get("metadata", ABSENT), ("metadata",))
        )
    )
    count = None if options.ignore_execution_counts else _count_change(old, new)
    attachments = (
        ()
        if options.ignore_attachments
        else tuple(
            diff_values(
                old.get("attachments", ABSENT),
                new.get("attachments", ABSENT),
                ("attachments",),
                depth=1,
            )
        )
    )
    skip = _CELL_PARTS | ({"id"} if options.ignore_ids else set()) | {"input"}
    other = tuple(
        diff_values(
            {k: v for k, v in old.items() if k not in skip},
            {k: v for k, v in new.items() if k not in skip},
        )
    )
    if not source_changed and not options.ignore_sources:
        other += tuple(_raw_changes(old, new, ("source", "input")))
    if not outputs and not options.ignore_outputs:
        other += tuple(_outputs_form_change(old, new))
    modified = source_changed or outputs or metadata or count or attachments or other
    return CellDiff(
        "modified" if modified else "unchanged",
        i,
        j,
        old,
        new,
        moved=moved,
        source_changed=source_changed,
        outputs=outputs,
        metadata=metadata,
        execution_count=count,
        attachments=attachments,
        other=other,
    )


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _raw_changes(
    old: Mapping[str, Any], new: Mapping[str, Any], keys: tuple[str, ...]
) -> Iterator[ValueChange]:
    """What the comparison of a part's content cannot see: the key absent on one side, or a
    value of another form (``"source": ""`` against no source, ``"outputs": []`` against none)."""
    for key in keys:
        if not same_value(old.get(key, ABSENT), new.get(key, ABSENT)):
            yield ValueChange((key,), old.get(key, ABSENT), new.get(key, ABSENT))


def _outputs_form_change(old: Mapping[str, Any], new: Mapping[str, Any]) -> Iterator[ValueChange]:
    """``outputs`` absent on one side, or not a list: what comparing the outputs cannot see."""
    a, b = old.get("outputs", ABSENT), new.get("outputs", ABSENT)
    lists = isinstance(a, list) and isinstance(b, list)
    if (a is ABSENT) != (b is ABSENT) or (not lists and not same_value(a, b)):
        yield ValueChange(("outputs",), a, b)


def _count_change(old: Mapping[str, Any], new: Mapping[str, Any]) -> ValueChange | None:
    for key in COUNT_KEYS:
        # Absent and null both mean "not run", but they are different files: shown, not hidden.
        if not same_value(old.get(key, ABSENT), new.get(key, ABSENT)):
            return ValueChange((key,), old.get(key, ABSENT), new.get(key, ABSENT))
    return None


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=repr, check_circular=False)


def diff_values(old: Any, new: Any, path: Path = (), *, depth: int = 64) -> Iterator[ValueChange]:
    """Changed leaves between two JSON values, recursing into dicts up to ``depth`` levels."""
    if isinstance(old, dict) and isinstance(new, dict) and depth > 0:
        if old == new and same_value(old, new):  # the common case, at C speed
            return
        for key in sorted(set(old) | set(new), key=str):
            yield from diff_values(
                old.get(key, ABSENT), new.get(key, ABSENT), (*path, key), depth=depth - 1
            )
    elif not same_value(old, new):
        yield ValueChange(path, old, new)


def _output_key(output: Any, ignore_counts: bool) -> str:
    if ignore_counts and isinstance(output, dict):
        output = {k: v for k, v in output.items() if k not in COUNT_KEYS}
    return _canonical(output)


def diff_outputs(
    old: list[Any], new: list[Any], *, ignore_counts: bool = False
) -> tuple[OutputChange, ...]:
    """Outputs added, removed or modified, paired in order; images compare by their data."""
    old_keys = [_output_key(o, ignore_counts) for o in old]
    new_keys = [_output_key(o, ignore_counts) for o in new]
    changes: list[OutputChange] = []
    prev_i = prev_j = 0
    for i, j in [*lcs_pairs(old_keys, new_keys), (len(old), len(new))]:
        changes.extend(_pair_outputs(old, new, range(prev_i, i), range(prev_j, j), ignore_counts))
        prev_i, prev_j = i + 1, j + 1
    return tuple(changes)


def _pair_outputs(
    old: list[Any], new: list[Any], olds: range, news: range, ignore_counts: bool
) -> Iterator[OutputChange]:
    """In one gap, outputs of the same type at the same offset are "modified", the rest add/remove."""
    for offset in range(max(len(olds), len(news))):
        a = old[olds[offset]] if offset < len(olds) else None
        b = new[news[offset]] if offset < len(news) else None
        if a is not None and b is not None and _output_type(a) == _output_type(b):
            changes = tuple(_output_changes(a, b, ignore_counts))
            yield OutputChange("modified", olds[offset], news[offset], a, b, changes)
            continue
        if a is not None:
            yield OutputChange("removed", olds[offset], None, a, None)
        if b is not None:
            yield OutputChange("added", None, news[offset], None, b)


def _output_type(output: Any) -> Any:
    return output.get("output_type") if isinstance(output, dict) else None


def _output_changes(
    old: Mapping[str, Any], new: Mapping[str, Any], ignore_counts: bool
) -> Iterator[ValueChange]:
    for change in diff_values(dict(old), dict(new), depth=2):
        if ignore_counts and len(change.path) == 1 and change.path[0] in COUNT_KEYS:
            continue
        yield change


def source_of(cell: Mapping[str, Any] | None) -> str:
    """A cell's source as one string (v3 code cells keep it in ``input``)."""
    return "" if cell is None else cell_source(cell)
