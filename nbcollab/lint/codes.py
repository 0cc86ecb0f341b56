"""The findings ``nbcollab lint`` reports: stable codes, names, and what each one means.

Codes never change meaning once published; a retired code is not reused. Each code can be
selected or ignored by its full code, a prefix (``C`` for every count check) or its name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Code:
    """One kind of finding."""

    code: str
    name: str
    summary: str
    default: bool = True


_CODES = (
    # Execution counts, over code cells with non-empty source (Pimentel et al., MSR 2019).
    Code("C101", "counts-not-ascending", "execution counts are not ascending in document order"),
    Code("C102", "duplicate-count", "two cells share an execution count (the order is ambiguous)"),
    Code("C103", "skipped-count", "execution counts skip numbers between consecutive cells"),
    Code("C104", "leading-skip", "the first execution count is not 1"),
    Code("C105", "unexecuted-cell", "an unexecuted code cell sits between executed ones"),
    Code("C106", "stale-output", "a cell has outputs but no execution count"),
    # Hidden state, from the cells' Python source.
    Code(
        "D201",
        "used-before-defined",
        "a name is used before any earlier cell defines it (fails on Restart & Run All)",
    ),
    Code(
        "D202",
        "defined-only-in-unexecuted",
        "an executed cell uses a name that only an unexecuted cell defines",
    ),
    Code(
        "D203",
        "ambiguous-definition",
        "a name defined in several cells: the stored result came from another definition "
        "than Restart & Run All would use",
    ),
    Code("D204", "syntax-error", "a cell is not valid Python (fails on Restart & Run All)"),
    Code("R301", "unseeded-random", "random numbers drawn without a seed", default=False),
    # --execute: the notebook run top to bottom in a fresh kernel.
    Code("X401", "cell-raises", "the cell raises an error when the notebook is run top to bottom"),
    Code("X402", "output-not-reproduced", "the re-run does not reproduce a stored output"),
    Code("X403", "cell-timeout", "the cell did not finish within the per-cell timeout"),
)

CODES: dict[str, Code] = {code.code: code for code in _CODES}
_BY_NAME: dict[str, Code] = {code.name: code for code in _CODES}


def resolve_selector(selector: str) -> list[str]:
    """The codes a selector names: a full code, a prefix of codes, a name, or ``ALL``."""
    wanted = selector.strip()
    if wanted.upper() == "ALL":
        return list(CODES)
    if wanted in _BY_NAME:
        return [_BY_NAME[wanted].code]
    matched = [code for code in CODES if code.startswith(wanted.upper())]
    if not wanted or not matched:
        raise ValueError(f"unknown finding code {selector!r} (see `nbcollab lint --list-codes`)")
    return matched


def enabled_codes(
    select: Iterable[str], extend_select: Iterable[str], ignore: Iterable[str]
) -> frozenset[str]:
    """The codes to report: ``select`` (default: the default codes) plus ``extend_select``,
    minus ``ignore``."""
    chosen: set[str] = set()
    selected = list(select)
    if selected:
        for selector in selected:
            chosen.update(resolve_selector(selector))
    else:
        chosen = {code.code for code in _CODES if code.default}
    for selector in extend_select:
        chosen.update(resolve_selector(selector))
    for selector in ignore:
        chosen.difference_update(resolve_selector(selector))
    return frozenset(chosen)
