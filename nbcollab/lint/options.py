"""``[tool.nbcollab.lint]``: which findings to report and fail on, the baseline, ``--execute``."""

from __future__ import annotations

from dataclasses import dataclass

from nbcollab.execute.options import check_timeouts
from nbcollab.lint.codes import Severity, resolve_selector

# pydantic's config (a plain dict, so defining the class needs no pydantic), as in nbcollab.options.
_PYDANTIC_CONFIG = {
    "extra": "forbid",
    "alias_generator": lambda name: name.replace("_", "-"),
    "populate_by_name": True,
}


@dataclass(frozen=True, kw_only=True)
class LintOptions:
    """What ``nbcollab lint`` reports and how ``--execute`` runs a notebook."""

    __pydantic_config__ = _PYDANTIC_CONFIG

    select: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    # The lowest severity that makes lint exit 1: notes (skipped counts) are shown, not failed.
    fail_on: Severity = Severity.WARNING
    baseline: str | None = None
    exclude: tuple[str, ...] = ()
    kernel: str | None = None
    cell_timeout: float = 60.0
    timeout: float | None = 600.0

    def __post_init__(self) -> None:
        for selector in (*self.select, *self.extend_select, *self.ignore):
            resolve_selector(selector)  # ValueError names the unknown code
        check_timeouts(self.cell_timeout, self.timeout)
