"""Cells as people name them: numbered from 1, with their id; and the one ``--cell`` grammar.

Jupyter shows "Cell 1" for the first cell and so does every message of nbcollab: ``cell_name``
is the one way a cell is named for people (``cell 3 (id abc)``). Machine formats that define their
own numbering (nbdime's JSON diff, the conflict record) keep their 0-based indices.

``--cell`` takes the same selector in every command (``show``, ``diff``, ``lint``, ``resolve``):

- ``N``: the Nth cell, counted from 1; ``-N`` counts from the end (``-1`` is the last cell);
- ``A..B``: the cells A to B, both included (either end may be negative);
- ``id:X``: the cell whose id is X; a word that is not a number is an id as well;
- ``index:N``: the cell at 0-based index N (the older spelling, kept for scripts);
- several of these separated by commas.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nbcollab.errors import ConfigError
from nbcollab.safe_text import terminal_safe

# ASCII digits only, and few enough that int() is cheap (no notebook has 10**18 cells).
_NUMBER = re.compile(r"[+-]?[0-9]{1,18}")
_RANGE = re.compile(r"([+-]?[0-9]{1,18})\.\.([+-]?[0-9]{1,18})")
_INDEX = re.compile(r"[0-9]{1,18}")
# How messages and --help say the grammar.
SELECTOR_GRAMMAR = "N (1 is the first cell, -1 the last), A..B, id:X, or index:N (0-based)"


def cell_number(index: int) -> int:
    """The number people see for the cell at 0-based ``index`` (Jupyter's "Cell 1")."""
    return index + 1


def cell_name(index: int, cell: Any = None, *, cell_id: Any = None) -> str:
    """``cell 3 (id abc)`` for the cell at 0-based ``index``; the id read from ``cell`` or given."""
    if cell_id is None and isinstance(cell, Mapping):
        cell_id = cell.get("id")
    name = f"cell {cell_number(index)}"
    if isinstance(cell_id, str) and cell_id:
        name += f" (id {terminal_safe(cell_id, one_line=True)})"
    return name


def output_name(index: int | None) -> str:
    """``output 2`` for the output at 0-based ``index`` of a cell (numbered as cells are)."""
    return "output" if index is None else f"output {index + 1}"


class NoSuchCell(ConfigError):
    """A ``--cell`` selector that names no cell of a notebook (or is not a selector)."""


@dataclass(frozen=True)
class _Part:
    kind: str  # "number", "range", "id" or "index"
    value: str
    end: str = ""


@dataclass(frozen=True)
class CellSelector:
    """A parsed ``--cell``: what the user wrote, and its parts."""

    text: str
    parts: tuple[_Part, ...]

    def select(self, cells: Sequence[Any], *, name: str) -> list[int]:
        """The 0-based indexes of the cells selected, in order; NoSuchCell when none is."""
        found: set[int] = set()
        for part in self.parts:
            found.update(_matches(part, cells))
        if not found:
            raise NoSuchCell(
                f"{name}: --cell {_shown(self.text)}: no such cell (the notebook has "
                f"{len(cells)} cell{'s' * (len(cells) != 1)}; --cell takes {SELECTOR_GRAMMAR})"
            )
        return sorted(found)

    def select_one(self, cells: Sequence[Any], *, name: str) -> int:
        """The one cell selected; NoSuchCell when the selector names several."""
        found = self.select(cells, name=name)
        if len(found) > 1:
            names = ", ".join(cell_name(k, cells[k]) for k in found[:5])
            raise NoSuchCell(
                f"{name}: --cell {_shown(self.text)} names {len(found)} cells ({names}"
                f"{', ...' if len(found) > 5 else ''}): give one"
            )
        return found[0]


def parse_selector(text: str) -> CellSelector:
    """``text`` as a selector; NoSuchCell naming the grammar when a part is not one."""
    parts = tuple(_parse_part(part.strip(), text) for part in text.split(","))
    return CellSelector(text, parts)


def select_cells(cells: Sequence[Any], selector: str, *, name: str) -> list[int]:
    """The 0-based indexes of the ``cells`` that ``selector`` names (see the module's grammar)."""
    return parse_selector(selector).select(cells, name=name)


def _parse_part(part: str, whole: str) -> _Part:
    kind, sep, value = part.partition(":")
    if sep and kind in ("id", "index"):
        if not value or (kind == "index" and not _INDEX.fullmatch(value)):
            raise _bad(whole, f"{kind}: needs {'an id' if kind == 'id' else 'a number'}")
        return _Part(kind, value)
    if _NUMBER.fullmatch(part):
        if int(part) == 0:
            raise _bad(whole, "cells count from 1 (index:0 is the first cell by 0-based index)")
        return _Part("number", part)
    ranged = _RANGE.fullmatch(part)
    if ranged:
        if 0 in (int(ranged[1]), int(ranged[2])):
            raise _bad(whole, "cells count from 1")
        return _Part("range", ranged[1], ranged[2])
    if not part:
        raise _bad(whole, "an empty part")
    return _Part("id", part)


def _matches(part: _Part, cells: Sequence[Any]) -> list[int]:
    count = len(cells)
    if part.kind == "id":
        return [
            k for k, c in enumerate(cells) if isinstance(c, Mapping) and c.get("id") == part.value
        ]
    if part.kind == "index":
        return [int(part.value)] if int(part.value) < count else []
    first = _position(int(part.value), count)
    last = first if part.kind == "number" else _position(int(part.end), count)
    if part.kind == "range":  # an end beyond the notebook is clipped, as a slice would be
        first, last = max(first, 0), min(last, count - 1)
    return [k for k in range(first, last + 1) if 0 <= k < count]


def _position(number: int, count: int) -> int:
    """A 1-based number (negative: from the end) as a 0-based index, maybe out of range."""
    return number - 1 if number > 0 else count + number


def _bad(whole: str, why: str) -> NoSuchCell:
    return NoSuchCell(f"--cell {_shown(whole)}: {why}; --cell takes {SELECTOR_GRAMMAR}")


def _shown(text: str, limit: int = 80) -> str:
    shown = terminal_safe(text, one_line=True)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"
