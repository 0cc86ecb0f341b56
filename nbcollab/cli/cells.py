"""The ``--cell`` option of ``show``, ``diff``, ``lint`` and ``resolve``: one name, one help.

Its grammar is parsed in one place, ``nbcollab.notebook.cells``; this only says it.
"""

from __future__ import annotations

from typing import Any

import typer

from nbcollab.notebook.cells import SELECTOR_GRAMMAR


def cell_option(what: str) -> Any:
    """``--cell``, with ``what`` it does (``"Show only these cells"``) before the grammar."""
    return typer.Option(
        "--cell",
        metavar="CELL",
        help=f"{what}: {SELECTOR_GRAMMAR}; commas join several.",
    )
