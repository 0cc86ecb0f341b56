"""What running notebooks gives: per notebook how its result was obtained and what went wrong."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Outcome(str, Enum):
    """How a notebook's result was obtained."""

    EXECUTED = "executed"  # run in a kernel now
    CACHED = "cached"  # a cached run of exactly this code, kernel and inputs
    ERROR = "error"  # not run: not a notebook, or its kernel is not installed


class ProblemKind(str, Enum):
    """What went wrong in a cell."""

    RAISES = "raises"  # the cell raised; the run stopped there
    DIED = "died"  # the kernel died while running the cell
    TIMEOUT = "timeout"  # the cell ran past the per-cell timeout
    NOTEBOOK_TIMEOUT = "notebook-timeout"  # the notebook ran past its total timeout here
    NOT_REPRODUCED = "not-reproduced"  # the re-run's outputs differ from the stored ones


@dataclass(frozen=True)
class Problem:
    """One cell that did not run, or did not give what the notebook shows.

    ``cell`` is 1-based over all cells (markdown included), as Jupyter users count them;
    ``line`` is 1-based in the cell's source; ``stored``/``rerun`` are the cell's outputs as
    compared (normalized); ``traceback`` names cells, not ``In[N]``.
    """

    kind: ProblemKind
    cell: int
    message: str
    cell_id: str | None = None
    execution_count: int | None = None
    line: int = 1
    source: str = ""
    stored: tuple[str, ...] = ()
    rerun: tuple[str, ...] = ()
    traceback: str = ""


@dataclass(frozen=True)
class Executed:
    """A complete run's outputs and counts per code cell, to save into the notebook, and the
    code that gave them (``key.normalized_code``: what the run's key was made of)."""

    outputs: list[list[dict[str, Any]]]
    counts: list[int | None]
    language_info: dict[str, Any]
    code: list[tuple[str, list[str]]]


@dataclass
class NotebookRun:
    """One notebook's result."""

    path: str
    outcome: Outcome
    problems: list[Problem] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0
    executed: Executed | None = None  # a complete run made now

    @property
    def failed(self) -> bool:
        return bool(self.problems or self.error)


@dataclass(frozen=True)
class Summary:
    """How many notebooks were executed, taken from the cache, and failed."""

    notebooks: int
    executed: int
    cached: int
    failed: int

    @classmethod
    def of(cls, runs: list[NotebookRun]) -> Summary:
        """The summary of ``runs``."""
        return cls(
            notebooks=len(runs),
            executed=sum(r.outcome is Outcome.EXECUTED for r in runs),
            cached=sum(r.outcome is Outcome.CACHED for r in runs),
            failed=sum(r.failed for r in runs),
        )

    def line(self) -> str:
        """``30 notebooks: 1 executed, 29 cached, 0 failed``."""
        noun = "notebook" if self.notebooks == 1 else "notebooks"
        return (
            f"{self.notebooks} {noun}: {self.executed} executed, {self.cached} cached, "
            f"{self.failed} failed"
        )
