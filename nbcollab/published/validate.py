"""Outputs read from published data, checked against the shape of nbformat's v4 output schema.

Published outputs come from other clones, so they are untrusted input: each is one JSON object of
a bounded size, nested no deeper than a notebook may be (``notebook.check``), and exactly what
nbformat 4's schema allows for its ``output_type`` (required keys present, no other key, text as a
string or a list of strings, an execution count a non-negative integer or null, mime data text
except for JSON mime types). Anything else is refused whole: no half-checked output is ever used.
This is the schema's shape without nbformat or jsonschema (the filter must not import them); a
property test holds the two to the same answers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from nbcollab.errors import InvalidNotebook
from nbcollab.notebook.cells import output_name
from nbcollab.notebook.check import check_notebook_shape
from nbcollab.notebook.lines import rejoin_lines
from nbcollab.published.layout import MAX_OUTPUT_BYTES, PublishedDamaged

# Each output type's keys: in nbformat 4 every one is required and no other is allowed.
_KEYS = {
    "execute_result": frozenset({"output_type", "data", "metadata", "execution_count"}),
    "display_data": frozenset({"output_type", "data", "metadata"}),
    "stream": frozenset({"output_type", "name", "text"}),
    "error": frozenset({"output_type", "ename", "evalue", "traceback"}),
}
_JSON_MIME = re.compile(r"^application/(.*\+)?json$")


def decode_outputs(blobs: Sequence[bytes], *, where: str) -> list[dict[str, Any]]:
    """The outputs stored in ``blobs`` (one JSON object each), checked, with their lines joined
    as ``parse_notebook`` joins them; PublishedDamaged naming ``where`` and the output."""
    outputs = []
    for k, data in enumerate(blobs):
        if len(data) > MAX_OUTPUT_BYTES:
            raise PublishedDamaged(f"{where}: {output_name(k)} is {len(data)} bytes, over the cap")
        try:
            value = json.loads(data)
        except (ValueError, RecursionError):
            raise PublishedDamaged(f"{where}: {output_name(k)} is not JSON") from None
        outputs.append(value)
    cell = {"cell_type": "code", "metadata": {}, "outputs": outputs, "source": ""}
    nb = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 4}
    try:
        check_notebook_shape(nb, path=where)  # types the core relies on, and the nesting cap
        for k, output in enumerate(outputs):
            problem = output_problem(output)
            if problem:
                raise InvalidNotebook(f"{where}: {output_name(k)}: {problem}")
    except InvalidNotebook as exc:
        raise PublishedDamaged(str(exc)) from None
    rejoin_lines(nb)
    return outputs


def output_problem(output: Any) -> str | None:
    """What makes ``output`` invalid under nbformat 4's output schema; None when it is valid."""
    if not isinstance(output, dict):
        return "not an object"
    kind = output.get("output_type")
    if not isinstance(kind, str) or kind not in _KEYS:
        return f"unknown output_type {kind!r}"
    missing = sorted(_KEYS[kind] - output.keys())
    if missing:
        return f"{kind} without {', '.join(missing)}"
    extra = sorted(k for k in output if k not in _KEYS[kind])
    if extra:
        return f"{kind} with unexpected {', '.join(map(repr, extra[:3]))}"
    return _value_problem(kind, output)


def _value_problem(kind: str, output: dict[str, Any]) -> str | None:
    if kind == "stream":
        ok = isinstance(output["name"], str) and _is_lines(output["text"])
        return None if ok else "stream name or text of the wrong type"
    if kind == "error":
        ok = isinstance(output["ename"], str) and isinstance(output["evalue"], str)
        trace = output["traceback"]
        ok = ok and isinstance(trace, list) and all(isinstance(line, str) for line in trace)
        return None if ok else "error name, value or traceback of the wrong type"
    if not isinstance(output["metadata"], dict):
        return "metadata is not an object"
    if kind == "execute_result":
        count = output["execution_count"]
        if count is not None and (type(count) is not int or count < 0):
            return "execution_count is not a count"
    return _bundle_problem(output["data"])


def _bundle_problem(data: Any) -> str | None:
    if not isinstance(data, dict):
        return "data is not an object"
    for mime, value in data.items():
        if not _JSON_MIME.match(mime) and not _is_lines(value):
            return f"data {mime!r} is not text"
    return None


def _is_lines(value: Any) -> bool:
    return isinstance(value, str) or (
        isinstance(value, list) and all(isinstance(line, str) for line in value)
    )
