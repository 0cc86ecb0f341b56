"""Strip outputs and volatile metadata from a notebook (pure: dicts in, dicts out)."""

from __future__ import annotations

import copy
import dataclasses
import json
from typing import Any, NamedTuple

from nbcollab.notebook.absent import ABSENT
from nbcollab.notebook.codec import parse_notebook_repeats, serialize_notebook_bytes
from nbcollab.notebook.lines import Notebook, is_valid_cell_id, iter_cells
from nbcollab.options import CleanOptions

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


def clean_notebook(nb: Notebook, *, options: CleanOptions = _DEFAULTS) -> Notebook:
    """A cleaned copy of ``nb``: outputs, execution counts and volatile metadata stripped."""
    nb = copy.deepcopy(nb)
    clean_in_place(nb, options=options)
    return nb


def clean_bytes(data: bytes, *, path: str, options: CleanOptions = _DEFAULTS) -> bytes | None:
    """The cleaned file for ``data``, or None when cleaning changes nothing (bytes stay).

    Raises InvalidNotebook for input that is not a notebook.
    """
    cleaned = clean_file(data, path=path, options=options)
    return None if cleaned is None else cleaned.data


class CleanedFile(NamedTuple):
    """A cleaned file's bytes, and the notebook they read as (``json.loads(data)``: lines as
    lists, as written)."""

    data: bytes
    notebook: Notebook


def clean_file(data: bytes, *, path: str, options: CleanOptions = _DEFAULTS) -> CleanedFile | None:
    """``clean_bytes``, with the notebook the cleaned bytes read as, for a caller that would
    otherwise parse them again (the output cache's index); None when nothing changes.

    Raises InvalidNotebook for input that is not a notebook.
    """
    nb, repeated = parse_notebook_repeats(data, path=path)
    # The parsed dict is ours: cleaning it in place spares a deep copy of every output. A file
    # with a repeated key holds values Jupyter never shows (outputs under a first "outputs"):
    # it is rewritten as Jupyter would save it.
    if not clean_in_place(nb, options=options) and not repeated:
        return None
    return CleanedFile(serialize_notebook_bytes(nb, consume=True), nb)


def needs_cleaning(data: bytes, *, path: str, options: CleanOptions = _DEFAULTS) -> bool:
    """Whether ``clean_bytes`` would give new bytes for ``data`` (found without writing them).

    Raises InvalidNotebook for input that is not a notebook.
    """
    nb, repeated = parse_notebook_repeats(data, path=path)
    return clean_in_place(nb, options=options) or bool(repeated)


def clean_in_place(nb: Notebook, *, options: CleanOptions = _DEFAULTS) -> bool:
    """Clean ``nb`` itself; True when anything changed."""
    if options.normalize:
        # Outputs are committed: keep them and their counts, then make them stable.
        options = dataclasses.replace(options, keep_outputs=True, keep_execution_count=True)
    cell_keys, notebook_keys = _keys_to_strip(options)
    cell_heads = _heads(cell_keys)
    metadata = nb.get("metadata", {})
    keep_all = options.keep_outputs or bool(metadata.get("keep_output"))
    changed = False
    for path in notebook_keys:
        changed |= _pop_path(metadata, path)
    for cell in iter_cells(nb):
        cell_metadata = cell.get("metadata")
        # Most cells have no metadata, or none of the keys: one look at its keys says so.
        if isinstance(cell_metadata, dict) and not cell_heads.isdisjoint(cell_metadata):
            for path in cell_keys:
                changed |= _pop_path(cell_metadata, path)
        if cell.get("cell_type") == "code":
            changed |= _clean_code_cell(cell, nb["nbformat"], keep_all, options)
    if options.strip_cell_metadata or options.drop_notebook_metadata:
        changed |= _strip_all_metadata(nb, options)
    if options.drop_empty_cells or options.drop_tagged_cells:
        changed |= _drop_cells(nb, options)
    if options.repair_ids and nb["nbformat"] == 4 and nb.get("nbformat_minor", 0) >= 5:
        before = [cell.get("id") for cell in nb["cells"]]
        repair_cell_ids(nb["cells"])
        changed |= before != [cell["id"] for cell in nb["cells"]]
    if options.normalize:
        from nbcollab.clean.normalize import normalize_in_place  # only --normalize needs it

        changed |= normalize_in_place(nb, options=options.normalize_options)
    return changed


def _keys_to_strip(options: CleanOptions) -> tuple[list[str], list[str]]:
    """The cell and notebook metadata keys to strip, each as the text after its prefix.

    The rest stays one string: a key may itself contain dots
    (``application/vnd.databricks.v1+cell``), so ``_pop_path`` tries the whole key first.
    """
    keep = set(options.keep_keys)
    cell_keys: list[str] = []
    notebook_keys: list[str] = []
    for key in (*DEFAULT_STRIP_KEYS, *options.extra_keys):
        if key in keep:
            continue
        if key.startswith("cell.metadata.") and len(key) > len("cell.metadata."):
            cell_keys.append(key[len("cell.metadata.") :])
        elif key.startswith("metadata.") and len(key) > len("metadata."):
            notebook_keys.append(key[len("metadata.") :])
    return cell_keys, notebook_keys


def _heads(keys: list[str]) -> frozenset[str]:
    """Every key of a metadata object that ``_pop_path`` may touch for ``keys``: each whole key
    and each part of it before a dot."""
    return frozenset(
        key[:end] for key in keys for end in (len(key), *(i for i, c in enumerate(key) if c == "."))
    )


def _pop_path(holder: Any, key: str) -> bool:
    """Remove ``key`` from ``holder``: the whole key (as nbstripout tries first) and every nested
    path its dots can name, all in one pass so that a second clean finds nothing left."""
    if not isinstance(holder, dict):
        return False
    changed = holder.pop(key, ABSENT) is not ABSENT
    start = key.find(".")
    while start > 0:
        head = key[:start]
        if isinstance(holder.get(head), dict):
            changed |= _pop_path(holder[head], key[start + 1 :])
        start = key.find(".", start + 1)
    return changed


def _clean_code_cell(
    cell: dict[str, Any], major: int, keep_all: bool, options: CleanOptions
) -> bool:
    changed = False
    if not options.keep_execution_count:
        if major == 3 and "prompt_number" in cell:
            del cell["prompt_number"]
            changed = True
        elif major == 4 and cell.get("execution_count") is not None:
            cell["execution_count"] = None
            changed = True
    outputs = cell.get("outputs")
    if not outputs:
        return changed
    keep_cell = _cell_keeps_output(cell, keep_all, options)
    kept = _filter_outputs(outputs, keep_cell, options)
    # _filter_outputs returns the same objects for untouched outputs and new ones otherwise.
    changed |= len(kept) != len(outputs) or any(a is not b for a, b in zip(kept, outputs))
    for output in kept:
        changed |= _clean_output(output, major, options)
    if options.max_output_bytes is not None:
        # Measured as written (count cleared), so a second clean keeps exactly what the first did.
        small = [output for output in kept if _output_size(output) <= options.max_output_bytes]
        changed |= len(small) != len(kept)
        kept = small
    cell["outputs"] = kept
    return changed


def _cell_keeps_output(cell: dict[str, Any], default: bool, options: CleanOptions) -> bool:
    """A cell's own ``keep_output`` (true or false) wins, then the tag, ``init_cell``, the notebook's."""
    metadata = cell.get("metadata", {})
    if isinstance(metadata.get("keep_output"), bool):
        return metadata["keep_output"]
    if metadata.get("init_cell") is True and not options.strip_init_cells:
        return True
    tags = metadata.get("tags")
    return default or (isinstance(tags, list) and options.keep_output_tag in tags)


def _filter_outputs(
    outputs: list[Any], keep_cell: bool, options: CleanOptions
) -> list[dict[str, Any]]:
    """The outputs that survive, with mime types filtered out of their data bundles."""
    kept = []
    for output in outputs:
        output = _filter_output(output, keep_cell, options)
        if output is not None:
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
    # nbstripout's ``output_type:name`` selector names one stream (``stream:stderr``).
    if kind in listed or (kind == "stream" and f"stream:{output.get('name')}" in listed):
        return output if not keep_cell else None
    if not isinstance(data, dict) or not listed & set(data):
        return output if keep_cell else None
    mimes = {m: v for m, v in data.items() if (m in listed) != keep_cell}
    if len(mimes) == len(data):
        return output
    return {**output, "data": mimes} if mimes else None


def _output_size(output: dict[str, Any]) -> int:
    return len(json.dumps(output, ensure_ascii=False).encode("utf-8", "surrogatepass"))


def _clean_output(output: dict[str, Any], major: int, options: CleanOptions) -> bool:
    # v3's schema requires pyout's prompt_number, so a kept v3 output keeps its count.
    if options.keep_execution_count or major != 4 or output.get("execution_count") is None:
        return False
    if output.get("output_type") != "execute_result":
        return False
    output["execution_count"] = None
    return True


# Keys that steer cleaning itself stay, so that a second clean keeps what the first kept.
_STEERING_KEYS = ("keep_output", "init_cell")


def _strip_all_metadata(nb: Notebook, options: CleanOptions) -> bool:
    """nb-clean's whole-metadata stripping: cell metadata but an allowlist, notebook metadata."""
    changed = False
    if options.drop_notebook_metadata:
        metadata = nb.get("metadata", {})
        kept = {k: metadata[k] for k in ("keep_output",) if k in metadata}
        changed |= kept != metadata
        nb["metadata"] = kept
    if not options.strip_cell_metadata:
        return changed
    allowed = {*options.keep_cell_metadata, *_STEERING_KEYS}
    for cell in iter_cells(nb):
        metadata = cell.get("metadata", {})
        tags = metadata.get("tags")
        steering_tags = isinstance(tags, list) and options.keep_output_tag in tags
        kept = {
            k: v for k, v in metadata.items() if k in allowed or (k == "tags" and steering_tags)
        }
        if kept != metadata:
            cell["metadata"] = kept
            changed = True
    return changed


def _drop_cells(nb: Notebook, options: CleanOptions) -> bool:
    """Remove empty cells (``drop_empty_cells``) and cells tagged ``drop_tagged_cells``."""
    drop_tags = set(options.drop_tagged_cells)

    def dropped(cell: dict[str, Any]) -> bool:
        tags = cell.get("metadata", {}).get("tags")
        if isinstance(tags, list) and drop_tags.intersection(t for t in tags if isinstance(t, str)):
            return True
        if not options.drop_empty_cells:
            return False
        text = cell.get("input" if "input" in cell else "source", "")
        return not str(text).strip() and not cell.get("attachments") and not cell.get("outputs")

    holders = nb.get("worksheets", []) if nb["nbformat"] == 3 else [nb]
    changed = False
    for holder in holders:
        kept = [cell for cell in holder["cells"] if not dropped(cell)]
        changed |= len(kept) != len(holder["cells"])
        holder["cells"] = kept
    return changed


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
        if is_valid_cell_id(cell_id) and cell_id not in taken:
            taken.add(cell_id)
        else:
            needs_id.append(cell)
    for cell in needs_id:
        import hashlib  # only a missing or repeated id needs it (its import loads OpenSSL)

        seed = f"{cell.get('cell_type', '')}\0{cell.get('source', '')}"
        digest = hashlib.sha1(seed.encode("utf-8", "surrogatepass")).hexdigest()
        new_id, counter = digest[:8], 0
        while new_id in taken:
            counter += 1
            new_id = f"{digest[:8]}-{counter}"
        taken.add(new_id)
        cell["id"] = new_id
