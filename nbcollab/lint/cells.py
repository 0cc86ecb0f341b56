"""The code cells of a notebook as lint sees them, for nbformat 3 and 4 alike."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from nbcollab.notebook.lines import Notebook, cell_source, iter_cells

IGNORE_TAG = "lint-ignore"


@dataclass(frozen=True)
class CodeCell:
    """A code cell: its 1-based position among all cells, id, count, source and outputs."""

    index: int
    cell_id: str | None
    count: int | None
    source: str
    outputs: tuple[Any, ...]
    ignored: frozenset[str]  # codes its ``lint-ignore`` tags exempt; "ALL" for every code

    @property
    def is_blank(self) -> bool:
        return not self.source.strip()

    def exempts(self, code: str) -> bool:
        """Whether the cell's tags exempt it from ``code``."""
        return any(code.startswith(prefix) or prefix == "ALL" for prefix in self.ignored)


def code_cells(nb: Notebook) -> list[CodeCell]:
    """Every code cell in document order (v3's ``prompt_number`` read as the count)."""
    found = []
    for position, cell in enumerate(iter_cells(nb), start=1):
        if cell.get("cell_type") != "code":
            continue
        count = cell.get("execution_count", cell.get("prompt_number"))
        outputs = cell.get("outputs")
        found.append(
            CodeCell(
                index=position,
                cell_id=cell["id"] if isinstance(cell.get("id"), str) else None,
                count=count if isinstance(count, int) and not isinstance(count, bool) else None,
                source=cell_source(cell),
                outputs=tuple(outputs) if isinstance(outputs, list) else (),
                ignored=_ignored_codes(cell),
            )
        )
    return found


def _ignored_codes(cell: Mapping[str, Any]) -> frozenset[str]:
    metadata = cell.get("metadata")
    tags = metadata.get("tags") if isinstance(metadata, dict) else None
    if not isinstance(tags, list):
        return frozenset()
    codes = set()
    for tag in tags:
        if not isinstance(tag, str):
            continue
        if tag == IGNORE_TAG:
            codes.add("ALL")
        elif tag.startswith(IGNORE_TAG + ":"):
            codes.update(part.strip().upper() for part in tag[len(IGNORE_TAG) + 1 :].split(","))
    return frozenset(codes)


def kernel_language(nb: Notebook) -> str:
    """The notebook's language, lower-case ("python" when the metadata says nothing)."""
    metadata = nb.get("metadata")
    if not isinstance(metadata, dict):
        return "python"
    for holder, key in (("kernelspec", "language"), ("language_info", "name")):
        value = metadata.get(holder)
        if isinstance(value, dict) and isinstance(value.get(key), str) and value[key].strip():
            return value[key].strip().lower()
    return "python"


def python_major(nb: Notebook) -> int:
    """2 for a notebook whose metadata says Python 2, else 3."""
    metadata: dict[str, Any] = nb["metadata"] if isinstance(nb.get("metadata"), dict) else {}
    info = metadata.get("language_info")
    version = info.get("version") if isinstance(info, dict) else None
    spec = metadata.get("kernelspec")
    name = spec.get("name") if isinstance(spec, dict) else None
    if isinstance(version, str) and version.startswith("2"):
        return 2
    if isinstance(info, dict) and info.get("codemirror_mode") == {"name": "ipython", "version": 2}:
        return 2
    return 2 if name == "python2" else 3
