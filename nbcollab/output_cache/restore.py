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
from nbcollab.notebook.lines import Notebook
from nbcollab.options import CleanOptions
from nbcollab.output_cache.keys import RestoreRule, cell_keys
from nbcollab.output_cache.store import OutputStore, sha256

# A working file that holds these keys is restored cell by cell, never whole (see above).
_TRUST_KEYS = (b'"signature":', b'"trusted":')
# How many recent working files of a notebook are searched for cells (each is parsed).
RECORDS_SEARCHED = 4


def options_fingerprint(options: CleanOptions) -> str:
    """Identifies what cleaning does: the options and the nbcollab version."""
    return sha256(f"{__version__}\0{options!r}".encode())[:16]


def record_working_file(
    working: bytes, blob: bytes, path: str, *, store: OutputStore, options: CleanOptions
) -> int:
    """Remember that ``working`` cleaned to ``blob``; the number of new bytes stored."""
    if working == blob:
        return 0  # nothing was stripped
    return store.add(path, sha256(blob), working, options_fingerprint(options), blob)


def recorded_clean(
    working: bytes, path: str, *, store: OutputStore, options: CleanOptions
) -> bytes | None:
    """What cleaning ``working`` gives, when it was recorded (cleaning is deterministic); or None.

    git cleans again, once, each notebook a checkout wrote (racy git): the working file it just
    restored is then answered by a hash and a small read instead of a parse, clean and write.
    The answer is the blob the very same bytes cleaned to under the same options and nbcollab
    version, checked against its SHA-256.
    """
    record = store.find_cleaned(path, working, options_fingerprint(options))
    return store.read_blob(record) if record is not None else None


def restore_working_file(
    blob: bytes, path: str, *, store: OutputStore, options: CleanOptions, rule: RestoreRule
) -> bytes | None:
    """The working file for ``blob`` with its cached outputs, or None when there are none."""
    found = store.find(path, sha256(blob), options_fingerprint(options))
    working = store.read(found) if found is not None else None
    if working is not None and not any(key in working for key in _TRUST_KEYS):
        return working
    return restore_cells(blob, path, store=store, options=options, rule=rule)


def restore_cells(
    blob: bytes, path: str, *, store: OutputStore, options: CleanOptions, rule: RestoreRule
) -> bytes | None:
    """``blob`` with outputs filled in for the cells ``rule`` recognises, checked; or None."""
    from nbcollab.errors import InvalidNotebook
    from nbcollab.notebook.codec import parse_notebook, serialize_notebook

    if not store.records_for(path):
        return None  # nothing recorded for this notebook: spare the parse
    try:
        nb = parse_notebook(blob, path=path)
    except InvalidNotebook:
        return None  # not a notebook: written as it is, as without the cache
    targets = {key: i for i, key in cell_keys(nb, rule) if not nb["cells"][i].get("outputs")}
    fills = (
        _find_outputs(targets, path, store=store, options=options, rule=rule) if (targets) else {}
    )
    if not fills:
        return None
    # The same notebook again, for the check: parsing the blob (no outputs) is cheap.
    probe = parse_notebook(blob, path=path)
    for index, (outputs, count) in fills.items():
        for cell in (nb["cells"][index], probe["cells"][index]):
            cell["outputs"] = outputs
            if cell.get("execution_count") is None:
                cell["execution_count"] = count
    text = serialize_notebook(nb).encode("utf-8")  # before the check, which may edit outputs
    return text if cleans_to_blob(text, probe, blob, options=options) else None


def cleans_to_blob(text: bytes, notebook: Notebook, blob: bytes, *, options: CleanOptions) -> bool:
    """Whether the filter's clean of ``text``, written from ``notebook``, is ``blob`` exactly.

    What ``clean_bytes(text)`` computes, without parsing ``text`` (outputs and all) again:
    parsing what ``serialize_notebook`` wrote gives back the notebook it was written from (the
    codec's round trip), so cleaning ``notebook`` itself is cleaning ``text``. Cleaning strips
    the outputs first, so what is serialized for the comparison is blob-sized. ``notebook`` is
    cleaned in place.
    """
    from nbcollab.clean.strip import clean_in_place
    from nbcollab.notebook.codec import serialize_notebook

    if not clean_in_place(notebook, options=options):
        return text == blob  # clean_bytes keeps a file that cleaning leaves as it is
    return serialize_notebook(notebook).encode("utf-8") == blob


def _find_outputs(
    targets: dict[str, int],
    path: str,
    *,
    store: OutputStore,
    options: CleanOptions,
    rule: RestoreRule,
) -> dict[int, tuple[list[Any], Any]]:
    """Outputs and execution count for the cells at ``targets`` positions, from recent records."""
    fills: dict[int, tuple[list[Any], Any]] = {}
    seen = set()
    for record in store.records_for(path)[:RECORDS_SEARCHED]:
        if record.working in seen:
            continue
        seen.add(record.working)
        working = store.read(record)
        for key, (outputs, count) in (
            recorded_cells(working, path, options, rule) if working else {}
        ).items():
            if key in targets and targets[key] not in fills and (outputs or count is not None):
                fills[targets[key]] = (outputs, count)
        if len(fills) == len(targets):
            break
    return fills


def recorded_cells(
    working: bytes, path: str, options: CleanOptions, rule: RestoreRule
) -> dict[str, tuple[list[Any], Any]]:
    """The outputs and execution count of each code cell of a recorded working file, by key.

    Keys are computed on the file as cleaned (as git stored it: ids repaired, empty cells
    dropped), so that they are the keys of the blob it became.
    """
    from nbcollab.clean.strip import clean_in_place
    from nbcollab.errors import InvalidNotebook
    from nbcollab.notebook.codec import parse_notebook

    try:
        nb = parse_notebook(working, path=path)
    except InvalidNotebook:
        return {}
    if nb.get("nbformat") != 4:
        return {}
    # Cleaning replaces each outputs list and leaves the cell objects: keep the originals.
    before = {id(c): (c.get("outputs") or [], c.get("execution_count")) for c in nb["cells"]}
    clean_in_place(nb, options=options)
    return {key: before[id(nb["cells"][i])] for i, key in cell_keys(nb, rule)}
