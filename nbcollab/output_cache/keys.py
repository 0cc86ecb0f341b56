"""Which recorded cells a notebook's cells are: keys derived from what produced their outputs.

A code cell's outputs come from its source run in the kernel state its earlier code cells left.
So the ``prefix`` key of a code cell hashes its id, its source and the sources of every code cell
before it: equal keys mean the cell and all that ran before it are unchanged. The ``cell`` key
hashes only the id and the source (the ``unchanged`` rule, which trusts that the cell's outputs do
not depend on what ran before). Pure: notebook dicts in, keys out.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from nbcollab.notebook.lines import Notebook, cell_source


class RestoreRule(str, Enum):
    """Which unchanged cells get their outputs back."""

    PREFIX = "prefix"  # the cell and every code cell before it are unchanged
    UNCHANGED = "unchanged"  # the cell itself is unchanged


def _digest(*parts: str) -> str:
    import hashlib  # imported when a key is made, not with the options that name this module

    hasher = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8", "surrogatepass")
        hasher.update(b"%d:" % len(data))
        hasher.update(data)
    return hasher.hexdigest()


def code_cells(nb: Notebook) -> list[tuple[int, dict[str, Any]]]:
    """The code cells of a v4 notebook with their positions; none for anything else."""
    cells = nb.get("cells") if nb.get("nbformat") == 4 else None
    if not isinstance(cells, list):
        return []
    return [
        (i, c) for i, c in enumerate(cells) if isinstance(c, dict) and c.get("cell_type") == "code"
    ]


def cell_keys(nb: Notebook, rule: RestoreRule) -> list[tuple[int, str]]:
    """``(position, key)`` for each code cell of ``nb``, under ``rule``."""
    keys = []
    chain = ""
    for index, cell in code_cells(nb):
        source = cell_source(cell)
        cell_id = cell.get("id")
        cell_id = cell_id if isinstance(cell_id, str) else ""
        chain = _digest(chain, source)
        key = _digest(rule.value, cell_id, source, chain if rule is RestoreRule.PREFIX else "")
        keys.append((index, key))
    return keys
