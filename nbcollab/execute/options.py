"""``[tool.nbcollab.execute]``: what a run depends on, its limits, and the cache's size."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath

from nbcollab.options import PYDANTIC_CONFIG


@dataclass(frozen=True, kw_only=True)
class ExecuteOptions:
    """How ``nbcollab execute`` (and the pytest plugin) runs the notebooks of one folder.

    ``inputs`` are globs of files whose content decides a run (data, a package's sources),
    relative to the folder of the ``pyproject.toml``; lockfiles are found on their own unless
    ``lockfiles`` is false.
    """

    __pydantic_config__ = PYDANTIC_CONFIG

    inputs: tuple[str, ...] = ()
    lockfiles: bool = True
    exclude: tuple[str, ...] = ()
    kernel: str | None = None
    cell_timeout: float = 60.0
    timeout: float | None = 600.0
    compare_outputs: bool = True
    max_cache_size: int = 512 << 20  # bytes; least recently used runs go first

    def __post_init__(self) -> None:
        check_timeouts(self.cell_timeout, self.timeout)
        if self.max_cache_size < 0:
            raise ValueError("max-cache-size must be 0 or more")
        for pattern in self.inputs:
            problem = input_glob_problem(pattern)
            if problem:
                raise ValueError(problem)


def check_timeouts(cell_timeout: float, timeout: float | None) -> None:
    """ValueError naming the option when a limit is not a number of seconds more than 0
    (``inf`` and ``nan`` included: a kernel's timer takes whole seconds)."""
    for name, value in (("cell-timeout", cell_timeout), ("timeout", timeout)):
        if value is not None and not (math.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a number of seconds more than 0, not {value}")


def input_glob_problem(pattern: str) -> str | None:
    """Why an ``inputs`` glob is refused (committed configuration stays inside its project)."""
    if not pattern.strip():
        return "an input glob is empty"
    if PurePosixPath(pattern).is_absolute() or PureWindowsPath(pattern).is_absolute():
        return f"input {pattern!r}: use a path relative to the pyproject.toml's folder"
    if ".." in PurePosixPath(pattern.replace("\\", "/")).parts:
        return f"input {pattern!r}: '..' would leave the project"
    return None
