"""``nbcollab outputs prune``: fewer records under the outputs refs, and nothing else rewritten.

A record is kept when its notebook version is in one of the last ``keep`` commits of some
branch (local or remote-tracking), and then, under ``max_size``, as long as the outputs kept fit
(the oldest records go first; an output two records share is counted once). The ref then points
to a new commit of the kept records, without a parent: what only the old commits reached is
unreachable, and ``git gc`` removes it. Branches, tags and every other ref stay as they are.
The new commit lists the records it dropped (``pruned``): ``outputs push`` does not publish those
versions again from a clone that still has them in its output cache.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from nbcollab.git.outputs.holding import Holding, read_holding
from nbcollab.git.outputs.refs import (
    Folders,
    delete_ref,
    delete_remote_ref,
    fetch,
    move_ref,
    outputs_tips,
    push,
    read_pruned,
    write_commit,
)
from nbcollab.git.plumbing import CatFile
from nbcollab.gitcmd import run_git
from nbcollab.published.layout import REF, PublishedDamaged, parse_record_name, tracking_ref
from nbcollab.published.source import RefTip


class Pruned(NamedTuple):
    """One ref pruned: its records and their outputs' bytes, before and after."""

    ref: str
    records_before: int
    records_after: int
    bytes_before: int
    bytes_after: int


@dataclass
class PruneReport:
    """What each ref held before and holds after."""

    refs: list[Pruned] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)  # damaged refs deleted (``reset``)


def recent_blobs(root: Path, keep: int) -> set[str]:
    """Every object in the last ``keep`` commits of each branch (local and remote-tracking)."""
    out = run_git(
        ["for-each-ref", "--format=%(refname) %(symref)", "refs/heads", "refs/remotes"], root
    )
    branches = [line.split()[0] for line in out.decode().splitlines() if len(line.split()) == 1]
    found: set[str] = set()
    for branch in branches:
        listing = run_git(["rev-list", "--objects", f"--max-count={keep}", branch], root)
        found.update(line.split(b" ", 1)[0].decode() for line in listing.splitlines())
    return found


def choose(holding: Holding, keep: set[str] | None, max_size: int | None) -> set[tuple[str, str]]:
    """The records to keep: in ``keep`` (None: all), then newest first within ``max_size``."""
    records = [
        record for record in holding.blobs if keep is None or holding.notebooks.get(record) in keep
    ]
    if max_size is None:
        return set(records)
    records.sort(key=lambda r: parse_record_name(r[1]) or (0, ""), reverse=True)
    kept: set[tuple[str, str]] = set()
    uses: Counter[str] = Counter()
    total = 0
    for record in records:
        new = {oid for oid in holding.blobs[record] if not uses[oid]}
        added = sum(holding.sizes[oid] for oid in new)
        if total + added > max_size:
            continue
        kept.add(record)
        uses.update(holding.blobs[record])
        total += added
    return kept


def prune(
    root: Path,
    *,
    keep: int | None,
    max_size: int | None,
    remote: str | None,
    reset: bool = False,
) -> PruneReport:
    """Prune every outputs ref of this clone, and ``remote``'s too when given. A ref that is
    not published outputs (damaged, or written by something else) is PublishedDamaged, or with
    ``reset`` deleted (``remote``'s on the remote too), so that the next push starts it again."""
    report = PruneReport()
    if remote is not None and keep is not None:
        # Judged by the remote's branches as they are now, not as this clone last fetched them:
        # a teammate's new branch must keep its outputs.
        run_git(["fetch", "--quiet", remote], root)
    recent = recent_blobs(root, keep) if keep is not None else None
    tips = outputs_tips(root)
    if remote is not None:
        fetched = fetch(remote, root)
        tips = [t for t in outputs_tips(root) if t.ref != tracking_ref(remote)]
        if fetched:
            tips.insert(0, RefTip(tracking_ref(remote), fetched))
    rewritten: dict[str, str] = {}
    with CatFile(root) as cat:
        for tip in tips:
            on_remote = remote is not None and tip.ref == tracking_ref(remote)
            try:
                new = rewritten.get(tip.commit) or _pruned(tip, root, cat, recent, max_size, report)
            except PublishedDamaged:
                if not reset:
                    raise
                if on_remote and remote is not None:
                    delete_remote_ref(remote, tip.commit, root)
                    report.deleted.append(f"{remote}'s {REF}")
                else:
                    delete_ref(tip.ref, root)
                report.deleted.append(tip.ref)
                continue
            rewritten[tip.commit] = new
            if new == tip.commit:
                continue
            if on_remote and remote is not None:
                push(remote, new, tip.commit, root)
            else:
                move_ref(tip.ref, new, root)
    return report


def _pruned(
    tip: RefTip,
    root: Path,
    cat: CatFile,
    recent: set[str] | None,
    max_size: int | None,
    report: PruneReport,
) -> str:
    holding = read_holding(tip.commit, root, cat, tip.ref)
    kept = choose(holding, recent, max_size)
    before, after = holding.size_of(set(holding.blobs)), holding.size_of(kept)
    report.refs.append(Pruned(tip.ref, len(holding.blobs), len(kept), before, after))
    if len(kept) == len(holding.blobs):
        return tip.commit
    folders: Folders = {}
    for key, name in kept:
        folders.setdefault(key, {})[name] = holding.folders[key][name]
    message = f"nbcollab outputs: pruned to {len(kept)} notebook versions"
    # Remembered, so that no clone whose output cache still has them publishes them again.
    dropped = read_pruned(tip.commit, cat) | (set(holding.blobs) - kept)
    return write_commit(folders, [], message, root, pruned=dropped)
