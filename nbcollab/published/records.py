"""What is published for one committed notebook: its cells' outputs, from the output cache.

The output cache records, for each clean blob, the working file that cleaned to it. A record to
publish takes from that working file the outputs and execution count of each code cell the blob
has without them, found by the cache's own keys (``output_cache.restore.recorded_cells``), and
stores each output as canonical JSON: equal outputs are equal bytes, hence one git object.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from nbcollab.notebook.codec import parse_notebook
from nbcollab.options import CleanOptions
from nbcollab.output_cache.keys import RestoreRule, cell_keys
from nbcollab.output_cache.restore import recorded_cells
from nbcollab.published.layout import MAX_OUTPUT_BYTES, Meta, Origin, output_name
from nbcollab.published.validate import output_problem

# The restore rule a record's cells are keyed by, as published and as compared before publishing:
# keys that tell cells apart however alike they are (every code cell above is part of them).
PUBLISH_RULE = RestoreRule.PREFIX


class RecordContent(NamedTuple):
    """A record's meta and its outputs (entry name -> JSON bytes)."""

    meta: Meta
    outputs: dict[str, bytes]


def cells_to_publish(
    working: bytes, blob: bytes, path: str, options: CleanOptions
) -> dict[int, tuple[list[Any], Any]]:
    """Outputs and execution count, by position in ``blob``, of each code cell that ``working``
    (a working file recorded as cleaning to ``blob``) has and the blob has not."""
    nb = parse_notebook(blob, path=path)
    positions = {key: index for index, key in cell_keys(nb, PUBLISH_RULE)}
    found = {}
    for key, (outputs, count) in recorded_cells(working, path, options, PUBLISH_RULE).items():
        index = positions.get(key)
        if index is None or nb["cells"][index].get("outputs") or (not outputs and count is None):
            continue
        found[index] = (outputs, count if type(count) is int and count >= 0 else None)
    return found


def encode_output(output: Any) -> bytes:
    """One output as canonical JSON (its lines joined, keys sorted, ASCII only)."""
    return json.dumps(output, sort_keys=True, ensure_ascii=True, separators=(",", ":")).encode()


def record_content(
    cells: dict[int, tuple[list[Any], Any]], *, path: str, origin: Origin
) -> tuple[RecordContent, list[str]]:
    """The record of ``cells`` and the problems of cells left out (outputs that nbformat's schema
    refuses or that are over the size cap: every reader would refuse them)."""
    outputs: dict[str, bytes] = {}
    kept = []
    problems = []
    for index in sorted(cells):
        cell_outputs, count = cells[index]
        encoded = [encode_output(output) for output in cell_outputs]
        problem = next(filter(None, map(output_problem, cell_outputs)), None)
        if problem is None and any(len(data) > MAX_OUTPUT_BYTES for data in encoded):
            problem = f"an output over {MAX_OUTPUT_BYTES >> 20} MiB"
        if problem:
            problems.append(f"{path}: cell {index}: outputs not published ({problem})")
            continue
        outputs.update({output_name(index, k): data for k, data in enumerate(encoded)})
        kept.append((index, count, len(encoded)))
    return RecordContent(Meta(origin, path, tuple(kept)), outputs), problems
