"""What a run says about a notebook: the cell that failed, and the outputs it did not reproduce.

Works the same on a run made now and on a cached one: the stored outputs are always read from
the notebook as it is, so editing an output without touching the code is found without running
anything.
"""

from __future__ import annotations

import re
from typing import Any

from nbcollab.execute.compare import OutputComparer
from nbcollab.execute.result import Problem, ProblemKind
from nbcollab.execute.runner import Failure, RawRun
from nbcollab.notebook.cells import cell_name
from nbcollab.notebook.lines import Notebook, cell_source, iter_cells

_IN_CELL = re.compile(r"Cell In\[(\d+)\], line (\d+)")
_OLD_CELL_LINE = re.compile(r"(?:----> ?|^\s*-+> )(\d+)", re.MULTILINE)
_STOPS = "Restart & Run All stops here"


def judge_run(
    nb: Notebook,
    run: RawRun,
    *,
    comparer: OutputComparer | None,
    cell_timeout: float,
    timeout: float | None,
) -> list[Problem]:
    """The problems ``run`` shows in ``nb``: its failure, then outputs not reproduced."""
    cells = iter_cells(nb)
    code = [index for index, cell in enumerate(cells) if cell.get("cell_type") == "code"]
    problems: list[Problem] = []
    stop = len(cells)
    if run.failure is not None and run.failure.index < len(cells):
        stop = run.failure.index
        counts = {c: code[i] for i, c in enumerate(run.counts) if isinstance(c, int)}
        problems.append(_failure(cells, run.failure, counts, cell_timeout, timeout))
    if comparer is not None:
        for ordinal, index in enumerate(code):
            if index >= stop or ordinal >= len(run.outputs):
                break
            problem = _compare(cells, index, run.outputs[ordinal], comparer)
            if problem is not None:
                problems.append(problem)
    return sorted(problems, key=lambda p: p.cell)


def _problem(
    cells: list[dict[str, Any]], index: int, kind: ProblemKind, message: str, **more: Any
) -> Problem:
    cell = cells[index]
    cell_id = cell.get("id")
    count = cell.get("execution_count", cell.get("prompt_number"))
    return Problem(
        kind,
        index + 1,
        message,
        cell_id=cell_id if isinstance(cell_id, str) else None,
        execution_count=count if isinstance(count, int) and not isinstance(count, bool) else None,
        source=cell_source(cell),
        **more,
    )


def _failure(
    cells: list[dict[str, Any]],
    failure: Failure,
    counts: dict[int, int],
    cell_timeout: float,
    timeout: float | None,
) -> Problem:
    index = failure.index
    if failure.kind == "raises":
        found = _failing_line(failure.traceback, counts, index)
        lines = cell_source(cells[index]).split("\n")
        line = found if found is not None and 1 <= found <= len(lines) else 1
        first = failure.evalue.splitlines()[0] if failure.evalue.strip() else ""
        error = f"{failure.ename}: {first}" if first else failure.ename
        # Without a line from the traceback (IPython shows none for SystemExit), none is quoted.
        at = f" at `{lines[line - 1].strip()}`" if found == line else ""
        message = f"raises {error}{at}; {_STOPS}"
        traceback = map_traceback(failure.traceback, counts, cells)
        return _problem(cells, index, ProblemKind.RAISES, message, line=line, traceback=traceback)
    if failure.kind == "died":
        message = f"the kernel died while running this cell; {_STOPS}"
        return _problem(cells, index, ProblemKind.DIED, message)
    if failure.kind == "notebook-timeout":
        message = f"the notebook ran past its total timeout of {timeout or 0:g} s here"
        return _problem(cells, index, ProblemKind.NOTEBOOK_TIMEOUT, message)
    message = f"the cell ran past the per-cell timeout of {cell_timeout:g} s"
    return _problem(cells, index, ProblemKind.TIMEOUT, message)


def _failing_line(traceback: str, counts: dict[int, int], index: int) -> int | None:
    """The line of the failing cell the traceback points at (its own frame, else the first);
    None when it names none."""
    frames = [(int(n), int(line)) for n, line in _IN_CELL.findall(traceback)]
    for count, line in frames:
        if counts.get(count) == index:
            return line
    if frames:
        return frames[0][1]
    old = _OLD_CELL_LINE.findall(traceback)
    return int(old[0]) if old else None


def map_traceback(traceback: str, counts: dict[int, int], cells: list[dict[str, Any]]) -> str:
    """``traceback`` with IPython's ``Cell In[N]`` (N: the run's count) naming the cell."""

    def name(match: re.Match[str]) -> str:
        index = counts.get(int(match.group(1)))
        if index is None:
            return match.group()
        cell_id = cells[index].get("id")
        return f"{cell_name(index, cell_id=cell_id)}, line {match.group(2)}"

    return _IN_CELL.sub(name, traceback)


def _compare(
    cells: list[dict[str, Any]], index: int, fresh: list[Any], comparer: OutputComparer
) -> Problem | None:
    stored = cells[index].get("outputs")
    if not isinstance(stored, list) or not stored:
        return None  # nothing stored to compare (a cleaned notebook)
    if not cell_source(cells[index]).strip() or "skip-execution" in _tags(cells[index]):
        return None  # nbclient does not run it: what it holds was never re-run
    difference = comparer.first_difference(stored, fresh)
    if difference is None:
        return None
    return _problem(
        cells,
        index,
        ProblemKind.NOT_REPRODUCED,
        f"output not reproduced: {difference}",
        stored=tuple(comparer.summary(stored)),
        rerun=tuple(comparer.summary(fresh)),
    )


def _tags(cell: dict[str, Any]) -> list[Any]:
    metadata = cell.get("metadata")
    tags = metadata.get("tags") if isinstance(metadata, dict) else None
    return tags if isinstance(tags, list) else []
