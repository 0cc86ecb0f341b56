"""Three-way merge of notebooks: the cell sequence on the alignment, then each merged cell.

``merge_notebooks(base, local, remote)`` takes three in-memory notebooks (``base`` None when the
notebook did not exist, as in git's add/add) and returns the merged notebook, always valid, with
every conflict marked in it and recorded in ``metadata.nbcollab.conflicts``. Pure: no files, no
printing. The result may share unchanged sub-objects (outputs, attachments) with the inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nbcollab.errors import InvalidNotebook
from nbcollab.merge.cell import CellContext, edited, merge_slot, values_conflict
from nbcollab.merge.conflicts import METADATA_NOTE_ID, Conflict, record_conflicts, strip_record
from nbcollab.merge.markers import DEFAULT_MARKER_SIZE
from nbcollab.merge.order import merge_cell_order
from nbcollab.merge.record import ConflictKind, ValueConflict, describe
from nbcollab.merge.values import (
    MergeLabels,
    ValuePolicy,
    local_kernel_note,
    merge_values,
)
from nbcollab.notebook.lines import iter_cells
from nbcollab.options import MergeOptions, OutputStrategy

Notebook = dict[str, Any]
Cell = dict[str, Any]

# Written by the kernel, the interface or the platform, not by the author: both sides changing
# them is no conflict (ours is kept). Paths below a listed one are covered too. A kernelspec and
# the kernel's language_info are merged whole, never key by key.
NOTEBOOK_METADATA_POLICY = ValuePolicy(
    volatile=frozenset({("language_info",), ("widgets",), ("environment",)}),
    atomic=frozenset({("kernelspec",), ("language_info",)}),
)
_DEFAULT_OPTIONS = MergeOptions()
_DEFAULT_LABELS = MergeLabels()


@dataclass
class MergeResult:
    """The merged notebook and its conflicts (cell indices and ids as in the merged notebook)."""

    notebook: Notebook
    conflicts: list[Conflict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what was decided without a conflict

    @property
    def clean(self) -> bool:
        return not self.conflicts

    def summary(self) -> list[str]:
        """Lines for people: cells merged cleanly, then each conflict and why."""
        # The note cell of a notebook-metadata conflict is the merge's own, not a merged cell.
        notes = {c.cell for c in self.conflicts if c.kind is ConflictKind.NOTEBOOK_METADATA}
        total = len(iter_cells(self.notebook)) - len(notes)
        bad = {c.cell for c in self.conflicts} - notes
        lines = [f"{total - len(bad)} of {total} cells merged cleanly"]
        lines += self.notes
        lines += [describe(c.placed(DEFAULT_MARKER_SIZE)) for c in self.conflicts]
        return lines


def merge_notebooks(
    base: Notebook | None,
    local: Notebook,
    remote: Notebook,
    *,
    options: MergeOptions = _DEFAULT_OPTIONS,
    labels: MergeLabels = _DEFAULT_LABELS,
) -> MergeResult:
    """Merge ``local`` and ``remote``, both derived from ``base`` (None: added on both sides)."""
    major = _common_major(base, local, remote)
    local, remote = strip_record(local), strip_record(remote)
    base_nb = strip_record(base) if base is not None else None
    ctx = CellContext(major, options, labels)
    b_cells = iter_cells(base_nb) if base_nb is not None else []
    l_cells, r_cells = iter_cells(local), iter_cells(remote)
    slots = merge_cell_order(b_cells, l_cells, r_cells, edited=edited, two_way=base is None)
    cells: list[Cell] = []
    conflicts: list[Conflict] = []
    for slot in slots:
        cell, found = merge_slot(slot, b_cells, l_cells, r_cells, ctx)
        conflicts.extend(Conflict(entry, len(cells)) for entry in found)
        cells.append(cell)
    b_meta = base_nb.get("metadata", {}) if base_nb else {}
    l_meta, r_meta = local.get("metadata", {}), remote.get("metadata", {})
    metadata, meta_conflicts = merge_values(b_meta, l_meta, r_meta, policy=NOTEBOOK_METADATA_POLICY)
    kernel_note = local_kernel_note(
        b_meta.get("kernelspec"), l_meta.get("kernelspec"), r_meta.get("kernelspec")
    )
    if kernel_note:
        meta_conflicts = [c for c in meta_conflicts if c.path[:1] != ("kernelspec",)]
    merged = _assemble(local, remote, cells, metadata)
    if meta_conflicts:
        _add_metadata_note(merged, meta_conflicts, conflicts, labels)
    _finish(merged, conflicts, options, labels)
    return MergeResult(merged, conflicts, [kernel_note] if kernel_note else [])


def _common_major(base: Notebook | None, local: Notebook, remote: Notebook) -> int:
    majors = {nb["nbformat"] for nb in (base, local, remote) if nb is not None}
    if len(majors) != 1:
        raise InvalidNotebook(
            f"versions have different nbformat major versions ({sorted(majors)}); "
            "convert them to one version first (jupyter nbconvert --to notebook)"
        )
    return majors.pop()


def _assemble(local: Notebook, remote: Notebook, cells: list[Cell], metadata: Any) -> Notebook:
    minor = max(local.get("nbformat_minor", 0), remote.get("nbformat_minor", 0))
    merged: Notebook = {
        "metadata": dict(metadata),
        "nbformat": local["nbformat"],
        "nbformat_minor": minor,
    }
    if local["nbformat"] == 3:
        sheets = local.get("worksheets") or [{}]
        merged["worksheets"] = [
            {**{k: v for k, v in sheets[0].items() if k != "cells"}, "cells": cells}
        ]
    else:
        merged["cells"] = cells
    return merged


def _add_metadata_note(
    merged: Notebook, values: list[ValueConflict], conflicts: list[Conflict], labels: MergeLabels
) -> None:
    """Notebook metadata conflicts: a note cell on top, so that people opening the file see it."""
    entry = values_conflict(ConflictKind.NOTEBOOK_METADATA, values, labels)
    note: Cell = {"cell_type": "markdown", "metadata": {}, "source": entry.note}
    if merged["nbformat"] == 4 and merged["nbformat_minor"] >= 5:
        note["id"] = METADATA_NOTE_ID
    iter_cells(merged).insert(0, note)
    for conflict in conflicts:
        conflict.cell = None if conflict.cell is None else conflict.cell + 1
    conflicts.insert(0, Conflict(entry, 0))


def _finish(
    merged: Notebook, conflicts: list[Conflict], options: MergeOptions, labels: MergeLabels
) -> None:
    """Ids (complete and unique from 4.5 on, absent before), cleared outputs, the record."""
    from nbcollab.clean.strip import repair_cell_ids

    cells = iter_cells(merged)
    if options.outputs is OutputStrategy.CLEAR:
        for cell in cells:
            if cell.get("cell_type") == "code":
                cell["outputs"] = []
                if merged["nbformat"] == 4:
                    cell["execution_count"] = None
                else:
                    cell.pop("prompt_number", None)
    if merged["nbformat"] == 4 and merged["nbformat_minor"] >= 5:
        repair_cell_ids(cells)
    elif merged["nbformat"] == 4:
        for cell in cells:
            cell.pop("id", None)
    for conflict in conflicts:
        if conflict.cell is not None:
            conflict.cell_id = cells[conflict.cell].get("id")
    record_conflicts(merged, conflicts, marker_size=labels.marker_size)
