"""Execution-count checks: what the stored counts say about the order cells really ran in.

Only code cells with non-empty source count, as in Pimentel et al. (MSR 2019). A notebook with no
counts at all (never executed, or stripped by a clean filter) has nothing to say and passes.

One cause, one finding. A count of 0 is no kernel's count (kernels count from 1; Colab saves 0 for
cells it ran): the cells holding it get one C107 for the notebook and are left out of the order
checks, and the numbers missing where they sit (``[10] [0] [0] [13]``) are not skips. With C107
not selected, 0 is checked as any other count (the precise C101-C104 findings it causes).
"""

from __future__ import annotations

import bisect
import itertools

from nbcollab.lint.cells import CodeCell
from nbcollab.lint.finding import Finding


def find_count_problems(cells: list[CodeCell], *, zero_is_unknown: bool = True) -> list[Finding]:
    """C101-C107 for the code cells of one notebook, in document order; ``zero_is_unknown``:
    count 0 is C107 alone (else a count like the others)."""
    cells = [cell for cell in cells if not cell.is_blank]
    zeros = [cell.index for cell in cells if cell.count == 0] if zero_is_unknown else []
    executed = [cell for cell in cells if cell.count or (cell.count == 0 and not zero_is_unknown)]
    found = _zero_counts(cells, zeros)
    if not executed:
        return found
    return [
        *found,
        *_not_ascending(executed),
        *_duplicates(executed),
        *_skips(executed, zeros),
        *_unexecuted_between(cells, executed),
        *_stale_outputs(cells),
    ]


def _finding(code: str, cell: CodeCell, message: str) -> Finding:
    return Finding(code, message, cell.index, cell.cell_id, cell.count)


def _count(cell: CodeCell) -> int:
    return cell.count if cell.count is not None else 0  # only called on executed cells


def _zero_counts(cells: list[CodeCell], zeros: list[int]) -> list[Finding]:
    if not zeros:
        return []
    first = next(cell for cell in cells if cell.index == zeros[0])
    where = f"cell {zeros[0]}" if len(zeros) == 1 else f"cells {', '.join(map(str, zeros))}"
    return [
        _finding(
            "C107",
            first,
            f"execution count 0 on {where}: no Jupyter kernel gives it (Colab saves it), so "
            "when they ran is unknown; left out of the order checks",
        )
    ]


def _not_ascending(executed: list[CodeCell]) -> list[Finding]:
    found = []
    for before, cell in itertools.pairwise(executed):
        if _count(cell) < _count(before):
            found.append(
                _finding(
                    "C101",
                    cell,
                    (
                        f"execution count {cell.count} comes after {before.count} (cell {before.index}): "
                        "cells ran out of document order"
                    ),
                )
            )
    return found


def _duplicates(executed: list[CodeCell]) -> list[Finding]:
    first: dict[int, CodeCell] = {}
    found = []
    for cell in executed:
        if _count(cell) in first:
            found.append(
                _finding(
                    "C102",
                    cell,
                    (
                        f"execution count {cell.count} also on cell {first[_count(cell)].index}: "
                        "the order they ran in is ambiguous"
                    ),
                )
            )
        else:
            first[_count(cell)] = cell
    return found


def _skips(executed: list[CodeCell], zeros: list[int]) -> list[Finding]:
    by_count: dict[int, CodeCell] = {}
    for cell in executed:
        by_count.setdefault(_count(cell), cell)
    counts = sorted(by_count)
    found = []
    leading = counts[0] - 1
    if leading > _zeros_between(zeros, 0, by_count[counts[0]].index):
        found.append(
            _finding(
                "C104",
                by_count[counts[0]],
                (
                    f"the first execution count is {counts[0]}: {leading} earlier execution(s) "
                    "are not in the notebook"
                ),
            )
        )
    for low, high in itertools.pairwise(counts):
        missing = high - low - 1
        if missing > _zeros_between(zeros, by_count[low].index, by_count[high].index):
            found.append(
                _finding(
                    "C103",
                    by_count[high],
                    (
                        f"execution count {high} follows {low}: {missing} execution(s) in between "
                        "are not in the notebook (re-run, edited or deleted cells)"
                    ),
                )
            )
    return found


def _zeros_between(zeros: list[int], one: int, other: int) -> int:
    """How many count-0 cells sit between two cells (by position): runs they may account for."""
    low, high = min(one, other), max(one, other)
    return bisect.bisect_left(zeros, high) - bisect.bisect_right(zeros, low)


def _unexecuted_between(cells: list[CodeCell], executed: list[CodeCell]) -> list[Finding]:
    first, last = executed[0].index, executed[-1].index
    return [
        _finding("C105", cell, "code cell never executed, between executed cells")
        for cell in cells
        if cell.count is None and first < cell.index < last
    ]


def _stale_outputs(cells: list[CodeCell]) -> list[Finding]:
    return [
        _finding(
            "C106", cell, f"{len(cell.outputs)} output(s) but no execution count: stale output"
        )
        for cell in cells
        if cell.count is None and cell.outputs
    ]
