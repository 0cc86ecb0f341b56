"""The execution cache's key: everything that decides what a run gives, and nothing else (pure).

A run's result depends on the code of its code cells in order, the tags that change how a cell
runs (``raises-exception`` lets it fail, ``skip-execution`` skips it), the kernel and the
environment it runs in, the folder it runs in, and the files it reads. Outputs, execution
counts, markdown and other metadata do not: re-running a notebook or editing its prose keeps
its key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from nbcollab.notebook.lines import Notebook, cell_source, iter_cells

# Changed whenever what goes into a key changes, so an old cache is never read as new.
KEY_FORMAT = "nbcollab-execute-1"
# Cell tags nbclient reads: they change what a run does.
EXECUTION_TAGS = ("raises-exception", "skip-execution")


@dataclass(frozen=True)
class KeyParts:
    """What a key is made of, besides the notebook's code (read once per run of many)."""

    kernel: str  # the kernel's name
    environment: str  # the kernel's fingerprint: its language version and packages
    folder: str  # where the notebook runs, relative to the project
    inputs: Mapping[str, str]  # declared input path -> sha256 of its content


def code_cells(nb: Notebook) -> list[dict[str, Any]]:
    """The code cells of ``nb`` in document order (v3 worksheets included)."""
    return [cell for cell in iter_cells(nb) if cell.get("cell_type") == "code"]


def _execution_tags(cell: Mapping[str, Any]) -> list[str]:
    metadata = cell.get("metadata")
    tags = metadata.get("tags") if isinstance(metadata, dict) else None
    if not isinstance(tags, list):
        return []
    return sorted(tag for tag in EXECUTION_TAGS if tag in tags)


def normalized_code(nb: Notebook) -> list[tuple[str, list[str]]]:
    """Each code cell as it runs: its source with line endings made ``\\n``, and its tags."""
    return [
        (cell_source(cell).replace("\r\n", "\n").replace("\r", "\n"), _execution_tags(cell))
        for cell in code_cells(nb)
    ]


def _feed(hasher: Any, *parts: str) -> None:
    for part in parts:
        data = part.encode("utf-8", "surrogatepass")
        hasher.update(b"%d:" % len(data))
        hasher.update(data)


def run_key(nb: Notebook, parts: KeyParts) -> str:
    """The cache key of running ``nb`` under ``parts`` (64 hex digits)."""
    hasher = hashlib.sha256()
    _feed(hasher, KEY_FORMAT, parts.kernel, parts.environment, parts.folder)
    for name in sorted(parts.inputs):
        _feed(hasher, "input", name, parts.inputs[name])
    for source, tags in normalized_code(nb):
        _feed(hasher, "cell", source, ",".join(tags))
    return hasher.hexdigest()
