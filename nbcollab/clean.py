"""Strip outputs and volatile metadata from a notebook (pure: dicts in, dicts out)."""

from __future__ import annotations

import copy
import hashlib
import json
import re
from typing import Any

from nbcollab.config import CleanOptions
from nbcollab.notebook_io import Notebook, iter_cells, parse_notebook, serialize_notebook

# Metadata that changes with every run or every UI click, never with the notebook's meaning.
DEFAULT_STRIP_KEYS = (
    "cell.metadata.collapsed",
    "cell.metadata.scrolled",
    "cell.metadata.ExecuteTime",
    "cell.metadata.execution",
    "cell.metadata.heading_collapsed",
    "cell.metadata.hidden",
    "cell.metadata.trusted",
    "metadata.signature",
    "metadata.widgets",
    "metadata.language_info.version",
)
_DEFAULTS = CleanOptions()
_VALID_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def clean_notebook(nb: Notebook, *, options: CleanOptions = _DEFAULTS) -> Notebook:
    """A cleaned copy of ``nb``: outputs, execution counts and volatile metadata stripped."""
    nb = copy.deepcopy(nb)
    cell_keys, notebook_keys = _keys_to_strip(options)
    keep_all = options.keep_outputs or bool(nb.get("metadata", {}).get("keep_output"))
    for path in notebook_keys:
        _pop_path(nb.get("metadata", {}), path)
    cells = iter_cells(nb)
    for cell in cells:
        for path in cell_keys:
            _pop_path(cell.get("metadata", {}), path)
        if cell.get("cell_type") == "code":
            _clean_code_cell(cell, nb["nbformat"], keep_all, options)
    if options.drop_empty_cells:
        _drop_empty_cells(nb)
    if options.repair_ids and nb["nbformat"] == 4 and nb.get("nbformat_minor", 0) >= 5:
        repair_cell_ids(nb["cells"])
    return nb


def clean_bytes(data: bytes, *, path: str, options: CleanOptions = _DEFAULTS) -> bytes | None:
    """The cleaned file for ``data``, or None when cleaning changes nothing (bytes stay).

    Raises InvalidNotebook for input that is not a notebook.
    """
    nb = parse_notebook(data, path=path)
    cleaned = clean_notebook(nb, options=options)
    if cleaned == nb:
        return None
    return serialize_notebook(cleaned).encode("utf-8")


def _keys_to_strip(options: CleanOptions) -> tuple[list[list[str]], list[list[str]]]:
    keep = set(options.keep_keys)
    cell_keys: list[list[str]] = []
    notebook_keys: list[list[str]] = []
    for key in (*DEFAULT_STRIP_KEYS, *options.extra_keys):
        if key in keep:
            continue
        parts = key.split(".")
        if parts[:2] == ["cell", "metadata"] and len(parts) > 2:
            cell_keys.append(parts[2:])
        elif parts[0] == "metadata" and len(parts) > 1:
            notebook_keys.append(parts[1:])
    return cell_keys, notebook_keys


def validate_key_paths(paths: tuple[str, ...]) -> list[str]:
    """The dotted key paths that name neither ``cell.metadata.X`` nor ``metadata.X``."""
    return [
        path
        for path in paths
        if not path.startswith(("cell.metadata.", "metadata.")) or path.endswith(".")
    ]


def _pop_path(holder: Any, parts: list[str]) -> None:
    for part in parts[:-1]:
        holder = holder.get(part) if isinstance(holder, dict) else None
    if isinstance(holder, dict):
        holder.pop(parts[-1], None)


def _clean_code_cell(
    cell: dict[str, Any], major: int, keep_all: bool, options: CleanOptions
) -> None:
    count_key = "prompt_number" if major == 3 else "execution_count"
    if not options.keep_execution_count and count_key in cell:
        if major == 3:
            del cell[count_key]
        else:
            cell[count_key] = None
    if "outputs" not in cell:
        return
    keep_cell = _cell_keeps_output(cell, keep_all, options.keep_output_tag)
    cell["outputs"] = [
        _clean_output(output, major, options)
        for output in _filter_outputs(cell["outputs"], keep_cell, options)
    ]


def _cell_keeps_output(cell: dict[str, Any], default: bool, tag: str) -> bool:
    """A cell's own ``keep_output`` (true or false) wins, then the tag, then the notebook's."""
    metadata = cell.get("metadata", {})
    if isinstance(metadata.get("keep_output"), bool):
        return metadata["keep_output"]
    tags = metadata.get("tags")
    return default or (isinstance(tags, list) and tag in tags)


def _filter_outputs(
    outputs: list[Any], keep_cell: bool, options: CleanOptions
) -> list[dict[str, Any]]:
    """The outputs that survive, with mime types filtered out of their data bundles."""
    kept = []
    for output in outputs:
        output = _filter_output(output, keep_cell, options)
        if output is not None and (
            options.max_output_bytes is None or _output_size(output) <= options.max_output_bytes
        ):
            kept.append(output)
    return kept


def _filter_output(
    output: dict[str, Any], keep_cell: bool, options: CleanOptions
) -> dict[str, Any] | None:
    """``output`` as kept (possibly with fewer mime types), or None when it is dropped.

    An output type (``stream``, ``error``, ...) keeps or drops the whole output; a mime type keeps
    or drops one representation of a rich output, so ``image/png`` can go while ``text/plain``
    stays. An output whose last representation is dropped goes entirely.
    """
    kind = output.get("output_type")
    data = output.get("data")
    listed = set(options.drop_output_types if keep_cell else options.keep_output_types)
    if kind in listed:
        return output if not keep_cell else None
    if not isinstance(data, dict) or not listed & set(data):
        return output if keep_cell else None
    mimes = {m: v for m, v in data.items() if (m in listed) != keep_cell}
    return {**output, "data": mimes} if mimes else None


def _output_size(output: dict[str, Any]) -> int:
    return len(json.dumps(output, ensure_ascii=False).encode("utf-8", "surrogatepass"))


def _clean_output(output: dict[str, Any], major: int, options: CleanOptions) -> dict[str, Any]:
    if options.keep_execution_count:
        return output
    # v3's schema requires pyout's prompt_number, so a kept v3 output keeps its count.
    if major == 4 and output.get("output_type") == "execute_result":
        output["execution_count"] = None
    return output


def _drop_empty_cells(nb: Notebook) -> None:
    def is_empty(cell: dict[str, Any]) -> bool:
        text = cell.get("input" if "input" in cell else "source", "")
        return not str(text).strip() and not cell.get("attachments") and not cell.get("outputs")

    if nb["nbformat"] == 3:
        for worksheet in nb.get("worksheets", []):
            worksheet["cells"] = [cell for cell in worksheet["cells"] if not is_empty(cell)]
    else:
        nb["cells"] = [cell for cell in nb["cells"] if not is_empty(cell)]


def repair_cell_ids(cells: list[dict[str, Any]]) -> None:
    """Give every cell a valid, unique id, deterministically (in place).

    Valid ids are kept (the first of duplicates keeps its id). A new id is derived from the cell's
    type and source, so the same notebook always gets the same ids and an unchanged cell keeps its
    id across edits elsewhere.
    """
    taken = set()
    needs_id = []
    for cell in cells:
        cell_id = cell.get("id")
        if isinstance(cell_id, str) and _VALID_ID.match(cell_id) and cell_id not in taken:
            taken.add(cell_id)
        else:
            needs_id.append(cell)
    for cell in needs_id:
        seed = f"{cell.get('cell_type', '')}\0{cell.get('source', '')}"
        digest = hashlib.sha1(seed.encode("utf-8", "surrogatepass")).hexdigest()
        new_id, counter = digest[:8], 0
        while new_id in taken:
            counter += 1
            new_id = f"{digest[:8]}-{counter}"
        taken.add(new_id)
        cell["id"] = new_id
