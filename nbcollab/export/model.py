"""The records the export core hands around, and its one error."""

from __future__ import annotations

from dataclasses import dataclass, field

from nbcollab.errors import NbcollabError
from nbcollab.notebook.cells import cell_name


class ExportError(NbcollabError):
    """A notebook cannot become a module (IPython syntax with no Python equivalent, bad code)."""


# One line of exported code: (its line number in the cell, 1-based; its text without newline).
Line = tuple[int, str]


@dataclass(frozen=True)
class CellCode:
    """The exported code of one cell, each line still knowing where it was in the cell."""

    index: int
    cell_id: str | None
    lines: tuple[Line, ...]
    public: bool  # ``#| exporti`` cells are internal: their names stay out of ``__all__``

    @property
    def label(self) -> str:
        """``cell 3 (id ab12)``: how messages and tracebacks name the cell."""
        return cell_name(self.index, cell_id=self.cell_id)

    def text(self) -> str:
        """The code with every line at its line number in the cell (gaps left blank)."""
        out: list[str] = []
        for number, line in self.lines:
            out.extend([""] * (number - 1 - len(out)))
            out.append(line)
        return "\n".join(out) + "\n"


@dataclass(frozen=True)
class CellPlan:
    """What the notebook says about its export before any code is touched."""

    module_name: str | None  # from ``#| default_exp``
    cells: tuple[CellCode, ...]
    warnings: tuple[str, ...] = ()
    future: tuple[str, ...] = ()  # ``from __future__`` features, hoisted to the module's top
    extra_all: tuple[str, ...] = field(default=())  # names from ``_all_ = [...]``
