"""Lint one notebook in memory: every static check, then selection and cell-tag exemptions."""

from __future__ import annotations

from dataclasses import dataclass, field

from nbcollab.lint.cells import CodeCell, code_cells, kernel_language, python_major
from nbcollab.lint.codes import enabled_codes
from nbcollab.lint.counts import find_count_problems
from nbcollab.lint.executed import find_ambiguous_definitions, find_defined_only_unexecuted
from nbcollab.lint.finding import Finding, Note
from nbcollab.lint.hidden import find_used_before_defined
from nbcollab.lint.options import LintOptions
from nbcollab.lint.parse import parse_cells
from nbcollab.lint.randomness import find_unseeded_random
from nbcollab.notebook.lines import Notebook


@dataclass
class LintResult:
    """The findings of one notebook (sorted by cell, line, code) and what was not checked."""

    findings: list[Finding] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)


def lint_notebook(nb: Notebook, *, options: LintOptions) -> LintResult:
    """Every enabled static finding of ``nb`` (execution counts, hidden state, randomness)."""
    enabled = enabled_codes(options.select, options.extend_select, options.ignore)
    cells = code_cells(nb)
    counts = any(c.startswith("C") for c in enabled)
    findings = find_count_problems(cells, zero_is_unknown="C107" in enabled) if counts else []
    notes: list[Note] = []
    language = kernel_language(nb)
    if language not in ("python", "python3", "python2", "ipython", "sage"):
        notes.append(Note(f"kernel language {language!r}: only execution counts were checked"))
    elif any(c[0] in "DR" for c in enabled):
        findings += _dataflow_findings(cells, enabled, notes, major=python_major(nb))
    return LintResult(keep(findings, cells, enabled), notes)


def _dataflow_findings(
    cells: list[CodeCell], enabled: frozenset[str], notes: list[Note], *, major: int
) -> list[Finding]:
    parsed, syntax_errors, parse_notes = parse_cells(cells, python_major=major)
    notes.extend(parse_notes)
    findings = syntax_errors + find_used_before_defined(parsed)
    findings += find_defined_only_unexecuted(parsed) + find_ambiguous_definitions(parsed)
    if "R301" in enabled:
        findings += find_unseeded_random(parsed)
    return findings


def keep(findings: list[Finding], cells: list[CodeCell], enabled: frozenset[str]) -> list[Finding]:
    """The enabled findings that no ``lint-ignore`` tag exempts, in cell/line order."""
    by_index = {cell.index: cell for cell in cells}
    kept = [
        f
        for f in findings
        if f.code in enabled and not (f.cell in by_index and by_index[f.cell].exempts(f.code))
    ]
    return sorted(kept, key=lambda f: (f.cell, f.line, f.column, f.code))
