"""A failing notebook described for a person: which cell, its source, what it showed and gave.

Used by the pytest plugin's failure report. Each problem names the cell (number and id) and
the ``.ipynb`` line, shows the cell's source with the failing line marked, the stored and
re-run outputs as compared (normalized), and the traceback with ``In[N]`` replaced by the cell.
Everything from the notebook is made terminal-safe.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from nbcollab.execute.result import NotebookRun, Problem, ProblemKind
from nbcollab.notebook.cells import cell_name
from nbcollab.safe_text import terminal_safe


class PlacedFinding(Protocol):
    """A finding placed in the ``.ipynb`` file (lint's ``Finding``): its cell, code and line."""

    @property
    def cell(self) -> int: ...
    @property
    def code(self) -> str: ...
    @property
    def file_line(self) -> int: ...


_MAX_SOURCE_LINES = 40
_MAX_TRACEBACK_LINES = 60


def describe_failure(run: NotebookRun, findings: Sequence[PlacedFinding]) -> str:
    """The report of a notebook that failed (``findings``: its run's, placed in the file)."""
    if run.error:
        return terminal_safe(run.error)
    lines = [f"{terminal_safe(run.path)}: {_count(len(run.problems))} ({run.outcome.value} run)"]
    placed = {(f.cell, f.code): f for f in findings}
    for problem in run.problems:
        finding = next((f for (cell, _), f in placed.items() if cell == problem.cell), None)
        where = (
            f"{terminal_safe(run.path)}:{finding.file_line}"
            if finding and finding.file_line
            else ""
        )
        lines += ["", _heading(problem, where, finding.code if finding else "")]
        lines += _source(problem)
        if problem.kind is ProblemKind.NOT_REPRODUCED:
            lines += _outputs("stored output (normalized)", problem.stored)
            lines += _outputs("re-run output (normalized)", problem.rerun)
        if problem.traceback:
            lines += ["  traceback:"] + _indented(problem.traceback, _MAX_TRACEBACK_LINES)
    return "\n".join(lines)


def _count(problems: int) -> str:
    return f"{problems} problem" + ("" if problems == 1 else "s")


def _heading(problem: Problem, where: str, code: str) -> str:
    cell = cell_name(problem.cell - 1, cell_id=problem.cell_id)
    at = f" [{where}]" if where else ""
    return terminal_safe(
        f"{cell}, line {problem.line}{at}: {code} {problem.message}", one_line=True
    )


def _source(problem: Problem) -> list[str]:
    source = problem.source.split("\n")
    shown = [
        f"  {'->' if number == problem.line and problem.kind is ProblemKind.RAISES else '  '} "
        f"{number:>3} | {terminal_safe(text, one_line=True)}"
        for number, text in enumerate(source[:_MAX_SOURCE_LINES], start=1)
    ]
    if len(source) > _MAX_SOURCE_LINES:
        shown.append(f"       ... {len(source) - _MAX_SOURCE_LINES} more lines")
    return ["  source:", *shown]


def _outputs(label: str, summary: tuple[str, ...]) -> list[str]:
    if not summary:
        return [f"  {label}: nothing"]
    return [f"  {label}:"] + _indented("\n".join(summary), _MAX_SOURCE_LINES)


def _indented(text: str, limit: int) -> list[str]:
    lines = terminal_safe(text).split("\n")
    shown = [f"      {line}" for line in lines[:limit]]
    if len(lines) > limit:
        shown.append(f"      ... {len(lines) - limit} more lines")
    return shown
