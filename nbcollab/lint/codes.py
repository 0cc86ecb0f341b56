"""The findings ``nbcollab lint`` reports: stable codes, names, severities, what each one means.

Codes never change meaning once published; a retired code is not reused. Each code can be
selected or ignored by its full code, a prefix (``C`` for every count check) or its name.

Each code has a severity: an **error** breaks Restart & Run All (a name used before it is defined,
a cell that is not Python, a cell that raises); a **warning** means stored results that a re-run
would not give (cells run out of order, outputs without a count); a **note** is a trace of normal
work that proves nothing wrong (counts that skip numbers because cells were re-run or deleted).
By default notes are reported but do not make ``lint`` fail.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum


class Severity(str, Enum):
    """How much a finding matters; ``--fail-on`` names the lowest one that fails."""

    NOTE = "note"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        """0 for notes, 1 for warnings, 2 for errors."""
        return _RANKS[self]


_RANKS = {Severity.NOTE: 0, Severity.WARNING: 1, Severity.ERROR: 2}


@dataclass(frozen=True)
class Code:
    """One kind of finding."""

    code: str
    name: str
    summary: str
    severity: Severity
    default: bool = True


_E, _W, _N = Severity.ERROR, Severity.WARNING, Severity.NOTE
_CODES = (
    # Execution counts, over code cells with non-empty source (Pimentel et al., MSR 2019).
    Code(
        "C101", "counts-not-ascending", "execution counts are not ascending in document order", _W
    ),
    Code(
        "C102", "duplicate-count", "two cells share an execution count (the order is ambiguous)", _W
    ),
    Code("C103", "skipped-count", "execution counts skip numbers between consecutive cells", _N),
    Code("C104", "leading-skip", "the first execution count is not 1", _N),
    Code("C105", "unexecuted-cell", "an unexecuted code cell sits between executed ones", _W),
    Code("C106", "stale-output", "a cell has outputs but no execution count", _W),
    Code(
        "C107",
        "zero-count",
        "execution count 0, which no Jupyter kernel gives (Colab saves it): order unknown",
        _N,
    ),
    # Hidden state, from the cells' Python source.
    Code(
        "D201",
        "used-before-defined",
        "a name is used before any earlier cell defines it (fails on Restart & Run All)",
        _E,
    ),
    Code(
        "D202",
        "defined-only-in-unexecuted",
        "an executed cell uses a name that only an unexecuted cell defines",
        _W,
    ),
    Code(
        "D203",
        "ambiguous-definition",
        "a name defined in several cells: the stored result came from another definition "
        "than Restart & Run All would use",
        _W,
    ),
    Code("D204", "syntax-error", "a cell is not valid Python (fails on Restart & Run All)", _E),
    Code("R301", "unseeded-random", "random numbers drawn without a seed", _W, default=False),
    # --execute: the notebook run top to bottom in a fresh kernel.
    Code(
        "X401", "cell-raises", "the cell raises an error when the notebook is run top to bottom", _E
    ),
    Code("X402", "output-not-reproduced", "the re-run does not reproduce a stored output", _E),
    Code("X403", "cell-timeout", "the cell did not finish within the per-cell timeout", _E),
)

CODES: dict[str, Code] = {code.code: code for code in _CODES}
_BY_NAME: dict[str, Code] = {code.name: code for code in _CODES}


def severity_of(code: str) -> Severity:
    """The severity of a finding code."""
    return CODES[code].severity


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
