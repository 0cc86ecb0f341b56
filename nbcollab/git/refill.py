"""The output cache kept in step by commands run on working notebooks (the filter does the rest).

Outputs back into a notebook resolved in the working tree, as a checkout would put them
(``refilled``); and, when ``nbcollab trust sign`` signs a notebook, its record made trusted
(``record_signed``).

The merge driver merges the stripped blobs, so a notebook left with conflicts has outputs only
where the output cache's restore rule gave them when git wrote it (cells above the first
change). Resolving it to a side (``nbcollab resolve --ours``) gives a notebook whose cells may
all be ones the cache holds outputs for (with ``--ours``, often exactly the user's own last
commit): those outputs come back now, by the same rule and checks as a checkout (the output
cache's ``CacheSession.restore``), instead of only at the next checkout of the file. Outputs the
file already has are never replaced, and nothing is written unless the filter and the cache
are installed (without the filter, restored outputs would be committed).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from nbcollab.errors import GitError, InvalidNotebook, NotARepository

if TYPE_CHECKING:
    from nbcollab.options import CleanOptions
    from nbcollab.output_cache.session import CacheSession, OtherRecordsFinder


def refilled(path: Path, text: bytes) -> bytes | None:
    """``text`` (the notebook at ``path``, just resolved) with the outputs the output cache
    gives its cells that have none; None when it gives none, or cannot be used here.

    The outputs are put into ``text`` itself, cell for cell: everything else it holds (the
    notebook's widget state and kernel details the filter leaves out of the blob, say) stays
    as it is."""
    from nbcollab.git.outputs.restore import published_records

    here = _cache_here(path, others=published_records)
    if here is None:
        return None
    name, options, session = here
    try:
        blob = _clean(text, name, options)
        if blob is None:
            return None
        restored = session.restore(blob, name, lambda _name: options)
    finally:
        session.close()  # signs what was restored, when the trust proof allows it
    if restored in (blob, text):
        return None
    return _with_outputs_of(text, restored, name)


def _with_outputs_of(text: bytes, restored: bytes, name: str) -> bytes | None:
    """``text`` with the outputs and counts of ``restored`` in its code cells that have none
    (the same cell: same place, source and id); None when no cell gets any."""
    from nbcollab.notebook.codec import parse_notebook, serialize_notebook
    from nbcollab.notebook.lines import iter_cells

    nb = parse_notebook(text, path=name)
    mine, theirs = iter_cells(nb), iter_cells(parse_notebook(restored, path=name))
    if len(mine) != len(theirs):
        return None
    filled = False
    for cell, source in zip(mine, theirs):
        empty = cell.get("cell_type") == "code" and not cell.get("outputs")
        same = (cell.get("source"), cell.get("id")) == (source.get("source"), source.get("id"))
        if (
            not (empty and same and source.get("outputs"))
            or cell.get("execution_count") is not None
        ):
            continue
        cell["outputs"] = source["outputs"]
        cell["execution_count"] = source.get("execution_count")
        filled = True
    return serialize_notebook(nb).encode("utf-8", "surrogatepass") if filled else None


def record_signed(path: Path, working: bytes) -> bool:
    """Record ``working``, the notebook at ``path`` just signed, as trusted (with its signed
    stream), so that a later restore cell by cell may sign what it puts back (see
    ``output_cache.signing``): a record made at ``git add``, before the user trusted the file,
    says it was not trusted. Whether a record was made; never raises for the cache."""
    here = _cache_here(path)
    if here is None:
        return False
    name, options, session = here
    try:
        blob = _clean(working, name, options)
        if blob is None or blob == working:
            return False  # not a notebook, or no outputs: nothing to record
        session.record(working, blob, name, options)  # looks its trust up: signed just now
    except InvalidNotebook:
        return False
    finally:
        session.close()
    return True


def _cache_here(
    path: Path, *, others: OtherRecordsFinder | None = None
) -> tuple[str, CleanOptions, CacheSession] | None:
    """For the notebook at ``path``: its name in its repository, its clean options and a cache
    session of that repository; None outside one, or when the filter or the cache is off."""
    from nbcollab.git.conflicted import inside, repository_root

    root = repository_root(path.absolute().parent)
    name = inside(path, root) if root is not None else None
    if root is None or name is None or not _cache_in_use(root, name):
        return None
    from nbcollab.config.folders import ConfigByFolder, OptionsByFolder
    from nbcollab.output_cache.session import CacheSession

    configs = ConfigByFolder(root)
    options = OptionsByFolder(configs=configs)(name)
    session = CacheSession(
        sys.stderr, root, load_options=lambda: configs.cache_in(root), others=others
    )
    return name, options, session


def _clean(data: bytes, name: str, options: CleanOptions) -> bytes | None:
    """What the filter stores for ``data``; None when it is not a notebook."""
    from nbcollab.clean.strip import clean_bytes

    try:
        return clean_bytes(data, path=name, options=options) or data
    except InvalidNotebook:
        return None


def _cache_in_use(root: Path, name: str) -> bool:
    """Whether nbcollab's filter is installed, cleans ``name`` (its attributes say so: outputs
    put back in a file the filter does not clean would be committed) and the output cache is
    on, in ``root``."""
    from nbcollab.git.config import check_attributes
    from nbcollab.git.outputs.restore import filter_installed
    from nbcollab.output_cache.session import read_enabled

    try:
        cleaned = check_attributes(root, name, ("filter",)).get("filter") == "nbcollab"
        return filter_installed(root) and cleaned and read_enabled(root)
    except (GitError, NotARepository):
        return False
