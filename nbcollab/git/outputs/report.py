"""``nbcollab outputs status``: what each outputs ref holds, and which of HEAD's notebooks have
published outputs."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import NamedTuple

from nbcollab.errors import GitError
from nbcollab.git.outputs.holding import read_holding
from nbcollab.git.outputs.publish import tree_notebooks
from nbcollab.git.outputs.refs import outputs_tips, read_folders
from nbcollab.git.plumbing import CatFile
from nbcollab.output_cache.store import path_key
from nbcollab.published.layout import MAX_NOTEBOOK_BYTES, PublishedDamaged, parse_record_name


class RefSummary(NamedTuple):
    """One outputs ref: its commit, what it holds and how big its outputs are."""

    ref: str
    commit: str
    versions: int
    notebooks: int
    outputs: int
    bytes: int
    newest: int  # the date of its newest record (0 without any)
    problem: str = ""  # what is wrong with it, when it is not published outputs (then all 0)


class Coverage(NamedTuple):
    """HEAD's notebooks with and without published outputs."""

    with_outputs: list[str]
    without: list[str]


def summarize(root: Path) -> list[RefSummary]:
    """Every outputs ref of this clone (a damaged one with its ``problem``)."""
    summaries: list[RefSummary] = []
    with CatFile(root) as cat:
        for tip in outputs_tips(root):
            try:
                holding = read_holding(tip.commit, root, cat, tip.ref)
            except PublishedDamaged as exc:
                problem = str(exc).removeprefix(f"{tip.ref}: ")
                summaries.append(RefSummary(tip.ref, tip.commit, 0, 0, 0, 0, 0, problem))
                continue
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


def check_ref(root: Path, ref: str, commit: str) -> None:
    """PublishedDamaged (saying how to replace it) when ``commit`` is not published outputs."""
    with CatFile(root) as cat:
        read_folders(commit, cat, ref=ref)


def head_coverage(root: Path) -> Coverage:
    """Which notebooks of HEAD have a published record of exactly their version (in the refs
    that are not damaged)."""
    try:
        notebooks = dict(tree_notebooks(root, "HEAD"))
    except GitError:  # no commit yet: nothing to cover
        return Coverage([], [])
    published: set[tuple[str, str]] = set()
    with CatFile(root) as cat:
        for tip in outputs_tips(root):
            try:
                holding = read_holding(tip.commit, root, cat, tip.ref)
            except PublishedDamaged:
                continue  # said by ``summarize``; the others count
            published |= {(k, n.split("-", 1)[1]) for k, n in holding.blobs}
        blobs = cat.read_many(list(notebooks.values()), limit=MAX_NOTEBOOK_BYTES)
    coverage = Coverage([], [])
    for path, blob in zip(notebooks, blobs):
        key = hashlib.sha256(blob.data).hexdigest() if blob and blob.data is not None else ""
        found = (path_key(path), key) in published
        (coverage.with_outputs if found else coverage.without).append(path)
    return coverage
