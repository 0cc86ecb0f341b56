"""``nbcollab outputs status``: what each outputs ref holds, and which of HEAD's notebooks have
published outputs."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import NamedTuple

from nbcollab.errors import GitError
from nbcollab.git.outputs.holding import read_holding
from nbcollab.git.outputs.publish import tree_notebooks
from nbcollab.git.outputs.refs import outputs_tips
from nbcollab.git.plumbing import CatFile
from nbcollab.output_cache.store import path_key
from nbcollab.published.layout import MAX_NOTEBOOK_BYTES, parse_record_name


class RefSummary(NamedTuple):
    """One outputs ref: its commit, what it holds and how big its outputs are."""

    ref: str
    commit: str
    versions: int
    notebooks: int
    outputs: int
    bytes: int
    newest: int  # the date of its newest record (0 without any)


class Coverage(NamedTuple):
    """HEAD's notebooks with and without published outputs."""

    with_outputs: list[str]
    without: list[str]


def summarize(root: Path) -> list[RefSummary]:
    """Every outputs ref of this clone."""
    summaries = []
    with CatFile(root) as cat:
        for tip in outputs_tips(root):
            holding = read_holding(tip.commit, root, cat, tip.ref)
            records = set(holding.blobs)
            dates = [parse_record_name(name) for _, name in records]
            summaries.append(
                RefSummary(
                    tip.ref,
                    tip.commit,
                    len(records),
                    len(holding.folders),
                    len(set().union(*holding.blobs.values())) if records else 0,
                    holding.size_of(records),
                    max((d[0] for d in dates if d), default=0),
                )
            )
    return summaries


def head_coverage(root: Path) -> Coverage:
    """Which notebooks of HEAD have a published record of exactly their version."""
    try:
        notebooks = dict(tree_notebooks(root, "HEAD"))
    except GitError:  # no commit yet: nothing to cover
        return Coverage([], [])
    published: set[tuple[str, str]] = set()
    with CatFile(root) as cat:
        for tip in outputs_tips(root):
            holding = read_holding(tip.commit, root, cat, tip.ref)
            published |= {(k, n.split("-", 1)[1]) for k, n in holding.blobs}
        blobs = cat.read_many(list(notebooks.values()), limit=MAX_NOTEBOOK_BYTES)
    coverage = Coverage([], [])
    for path, blob in zip(notebooks, blobs):
        key = hashlib.sha256(blob.data).hexdigest() if blob and blob.data is not None else ""
        found = (path_key(path), key) in published
        (coverage.with_outputs if found else coverage.without).append(path)
    return coverage
