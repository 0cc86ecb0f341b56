"""Recording working files on clean, and filling outputs back in on smudge.

The one invariant: what is written to the work tree cleans back to the blob byte for byte, so
``git status`` and ``git diff`` see nothing. A whole working file is restored only when it was
recorded as cleaning to this very blob under the same clean options and nbcollab version (cleaning
is deterministic). Otherwise cells are filled in one by one under the restore rule, and the
result is cleaned again and compared with the blob; any difference means the blob is written as
it is.

Trust: nothing here signs. A restored file carries no signature of its own (a whole file that
holds a ``signature`` or ``trusted`` key is never restored whole), so Jupyter trusts it only if
the user's signature store already knew exactly this notebook, i.e. the user trusted it when it
was recorded. Restored cells make new content, which is untrusted until the user trusts it.
"""

from __future__ import annotations

from typing import Any

from nbcollab import __version__
from nbcollab.config import CleanOptions
from nbcollab.nbformat_lines import Notebook, cell_source
from nbcollab.output_cache.keys import RestoreRule, cell_keys
from nbcollab.output_cache.store import OutputStore, sha256

# A working file that holds these keys is restored cell by cell, never whole (see above).
_TRUST_KEYS = (b'"signature":', b'"trusted":')


def options_fingerprint(options: CleanOptions) -> str:
    """Identifies what cleaning does: the options and the nbcollab version."""
    return sha256(f"{__version__}\0{options!r}".encode())[:16]


def record_working_file(
    working: bytes, blob: bytes, path: str, *, store: OutputStore, options: CleanOptions
) -> int:
    """Remember that ``working`` cleaned to ``blob``; the number of new bytes stored."""
    if working == blob:
        return 0  # nothing was stripped
    working_name, working_new = store.put_object(working)
    blob_name, blob_new = store.put_object(blob)
    store.set_working_file(blob_name, working_name, options_fingerprint(options))
    store.add_path_record(path, blob_name, working_name)
    return (len(working) if working_new else 0) + (len(blob) if blob_new else 0)


def restore_working_file(
    blob: bytes, path: str, *, store: OutputStore, options: CleanOptions, rule: RestoreRule
) -> bytes | None:
    """The working file for ``blob`` with its cached outputs, or None when there are none."""
    found = store.working_file(sha256(blob))
    if found is not None and found[1] == options_fingerprint(options):
        working = store.get_object(found[0])
        if working is not None and not any(key in working for key in _TRUST_KEYS):
            return working
    return restore_cells(blob, path, store=store, options=options, rule=rule)


def restore_cells(
    blob: bytes, path: str, *, store: OutputStore, options: CleanOptions, rule: RestoreRule
) -> bytes | None:
    """``blob`` with outputs filled in for the cells ``rule`` recognises, checked; or None."""
    from nbcollab.clean import clean_bytes
    from nbcollab.errors import InvalidNotebook
    from nbcollab.notebook_io import parse_notebook, serialize_notebook

    try:
        nb = parse_notebook(blob, path=path)
    except InvalidNotebook:
        return None  # not a notebook: written as it is, as without the cache
    targets = {key: i for i, key in cell_keys(nb, rule) if not nb["cells"][i].get("outputs")}
    fills = _find_outputs(targets, path, store=store, rule=rule) if targets else {}
    if not fills:
        return None
    for index, (outputs, count) in fills.items():
        cell = nb["cells"][index]
        cell["outputs"] = outputs
        if cell.get("execution_count") is None:
            cell["execution_count"] = count
    text = serialize_notebook(nb).encode("utf-8")
    cleaned = clean_bytes(text, path=path, options=options)
    return text if (text if cleaned is None else cleaned) == blob else None


def _find_outputs(
    targets: dict[str, int], path: str, *, store: OutputStore, rule: RestoreRule
) -> dict[int, tuple[list[Any], Any]]:
    """Outputs and execution count for the cells at ``targets`` positions, from recent records."""
    from nbcollab.errors import InvalidNotebook
    from nbcollab.notebook_io import parse_notebook

    fills: dict[int, tuple[list[Any], Any]] = {}
    for blob_name, working_name in store.path_records(path):
        recorded = store.get_object(blob_name)
        if recorded is None:
            continue
        try:
            recorded_nb = parse_notebook(recorded, path=path)
            wanted = {i: targets[key] for i, key in cell_keys(recorded_nb, rule)
                      if key in targets and targets[key] not in fills}
            working = store.get_object(working_name) if wanted else None
            working_nb = parse_notebook(working, path=path) if working else None
        except InvalidNotebook:
            continue
        if working_nb is None:
            continue
        pairs = pair_cells(recorded_nb, working_nb)
        for recorded_index, target in wanted.items():
            cell = pairs.get(recorded_index)
            if cell is not None and (cell.get("outputs") or cell.get("execution_count") is not None):
                fills[target] = (cell.get("outputs") or [], cell.get("execution_count"))
        if len(fills) == len(targets):
            break
    return fills


def pair_cells(recorded: Notebook, working: Notebook) -> dict[int, dict[str, Any]]:
    """Each cell of a recorded blob with the working cell it was cleaned from.

    Cleaning keeps the order and may only drop empty cells, so the next working cell of the same
    type and source is the one.
    """
    remaining = iter(working.get("cells", []))
    pairs = {}
    for index, cell in enumerate(recorded.get("cells", [])):
        for candidate in remaining:
            if candidate.get("cell_type") == cell.get("cell_type") and (
                cell_source(candidate) == cell_source(cell)
            ):
                pairs[index] = candidate
                break
        else:
            break
    return pairs
