"""``-j/--jobs``: how many processes a command over many notebooks uses (``nbcollab.workers``)."""

from __future__ import annotations

from typing import Annotated

import typer

JobsOption = Annotated[
    int | None,
    typer.Option(
        "--jobs",
        "-j",
        min=1,
        help="Processes to use for many notebooks (default: one per core; 1: this process only).",
    ),
]


def jobs_or_default(jobs: int | None) -> int:
    """``jobs`` as given, else one per core."""
    from nbcollab.workers import default_jobs

    return jobs if jobs is not None else default_jobs()
