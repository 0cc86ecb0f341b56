"""One finding of ``nbcollab lint``: what, and exactly where (in the cell and in the file)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    """A problem found in one cell.

    ``cell`` is 1-based over all cells (markdown included), as Jupyter users count them;
    ``line``/``column`` are 1-based in the cell's source; ``file_line`` is the line of the .ipynb
    file holding that source line and ``file_column`` its column there (0 until located).
    ``symbol`` is the name involved, if any, and ``source`` the stripped source line: they
    keep a baseline entry stable when lines move.
    """

    code: str
    message: str
    cell: int
    cell_id: str | None = None
    execution_count: int | None = None
    line: int = 1
    column: int = 1
    symbol: str = ""
    path: str = ""
    file_line: int = 0
    file_column: int = 0
    source: str = ""


@dataclass(frozen=True)
class Note:
    """Something the linter could not check (a non-Python kernel, a cell it cannot parse)."""

    message: str
    cell: int | None = None
