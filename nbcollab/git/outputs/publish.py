"""``nbcollab outputs push``: publish the outputs of the notebooks in the commits being pushed.

Which notebooks: every notebook version that the commits being pushed (those not yet on the
remote's branches) add or change, and every notebook of the pushed tips themselves (so that
``outputs push`` after a plain ``git push`` still publishes the tip's). Their outputs: what the
output cache recorded for exactly that clean blob (the working file that cleaned to it), or,
for the notebooks of ``HEAD``, the working file itself when it cleans to that blob. A version
that the remote already has a record of is skipped: the first publisher keeps the credit.
A version pruned on the remote (its ``pruned`` list) is not published again unless a commit later
than its pruned record sets the notebook to it again: a clone whose output cache still holds it
would otherwise undo every prune with its next push.

A version none of whose outputs are new (the remote holds each, byte for byte, in a record of
that notebook) is not published: most often a checkout restored them from someone else's
record, and publishing them would credit them to this clone and, by taking the version, keep
their author's own record of it (with the cells only they ran) from ever being published. A
version with outputs of its own is published whole, so that each record restores its version
by itself (pruning older records never empties a newer version).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from nbcollab.errors import GitError, NbcollabError
from nbcollab.files import read_file_bytes
from nbcollab.git.outputs.refs import (
    NONE_YET,
    Folders,
    Pruned,
    fetch,
    merge_folders,
    move_ref,
    push,
    read_folders,
    read_pruned,
    write_commit,
)
from nbcollab.git.plumbing import CatFile, identity, make_trees, write_blobs
from nbcollab.gitcmd import run_git
from nbcollab.notebook.codec import parse_notebook
from nbcollab.options import CleanOptions
from nbcollab.output_cache.keys import cell_keys
from nbcollab.output_cache.store import CacheDamaged, OutputStore, path_key
from nbcollab.published.layout import (
    MAX_NOTEBOOK_BYTES,
    META,
    NOTEBOOK,
    REF,
    Origin,
    encode_meta,
    parse_record_name,
    record_name,
    tracking_ref,
)
from nbcollab.published.objects import BLOB_MODE, TreeEntry
from nbcollab.published.records import (
    PUBLISH_RULE,
    RecordContent,
    cells_to_publish,
    encode_output,
    record_content,
)
from nbcollab.published.source import PublishedSource, RefTip
from nbcollab.safe_text import quote_path

_ZERO = frozenset("0")
_TRIES = 3  # pushes that lose a race against another clone's are built again this often


class Candidate(NamedTuple):
    """A notebook version to publish: its path, blob id, and the commit it comes with."""

    path: str
    oid: str
    commit: str
    date: int
    changed: int = 0  # the date of the latest commit that sets the notebook to it (0: none)


@dataclass
class PushReport:
    """What a push published, and what it left out and why."""

    remote: str
    published: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    commit: str | None = None


def publish(
    root: Path,
    remote: str,
    *,
    store: OutputStore | None,
    options_for: Callable[[str], CleanOptions],
    tips: Sequence[str] = ("HEAD",),
    exclude: Sequence[str] = (),
    depth: int = 0,
) -> PushReport:
    """Publish to ``remote`` the outputs of the notebooks of ``tips``, of their commits that
    are neither in ``exclude`` nor on ``remote``'s branches, and of their last ``depth``
    commits (pushed already, perhaps before their outputs were)."""
    report = PushReport(remote)
    base = fetch(remote, root)
    with CatFile(root) as cat:
        folders = read_folders(base, cat, ref=tracking_ref(remote)) if base else {}
        pruned = read_pruned(base, cat) if base else set()
        tip_oids = _resolve(tips, root)
        wanted = candidates(root, remote, tip_oids, exclude, depth=depth)
        head = _head(root)
        dropped = _dropped(pruned)
        new = _build(
            wanted,
            folders,
            cat,
            root,
            store,
            options_for,
            report,
            at_head=head,
            dropped=dropped,
            tips=set(tip_oids),
            held=_PublishedOutputs(cat, RefTip(tracking_ref(remote), base) if base else None),
        )
    if not new:
        return report
    for _ in range(_TRIES):
        merged = merge_folders(folders, _without_known(new, folders))
        parents = [base] if base else []
        commit = write_commit(merged, parents, _message(report, root), root, pruned=pruned)
        try:
            push(remote, commit, base or NONE_YET, root)
        except GitError:
            again = fetch(remote, root)
            if again == base:
                raise  # not a race: say what git said
            base = again
            with CatFile(root) as cat:
                folders = read_folders(base, cat, ref=tracking_ref(remote)) if base else {}
                pruned = read_pruned(base, cat) if base else set()
            continue
        move_ref(REF, commit, root)
        report.commit = commit
        return report
    raise NbcollabError(f"{remote}: its published outputs kept changing; push again")


def _dropped(pruned: Pruned) -> dict[tuple[str, str], int]:
    """(path key, blob key) -> the date of the record pruning dropped (the latest, if several)."""
    found: dict[tuple[str, str], int] = {}
    for key, name in pruned:
        parsed = parse_record_name(name)
        if parsed is not None:
            at = (key, parsed[1])
            found[at] = max(found.get(at, 0), parsed[0])
    return found


def _resolve(tips: Sequence[str], root: Path) -> list[str]:
    """The commits ``tips`` name (tags peeled)."""
    if not tips:
        return []
    if any(tip.startswith("-") for tip in tips):
        raise NbcollabError(f"{tips[0]!r}: not a revision")
    out = run_git(["rev-parse", *[f"{tip}^{{commit}}" for tip in tips]], root)
    return out.decode().split()


def _head(root: Path) -> str | None:
    try:
        return run_git(["rev-parse", "--verify", "HEAD"], root).decode().strip()
    except GitError:
        return None


def candidates(
    root: Path, remote: str, tips: Sequence[str], exclude: Sequence[str], *, depth: int = 0
) -> list[Candidate]:
    """The notebook versions to publish, each with its first commit, oldest first."""
    if not tips:
        return []
    args = ["rev-list", "--timestamp", "--ignore-missing", *tips, "--not", *exclude]
    listing = run_git([*args, f"--remotes={remote}"], root).decode().split()
    if depth:
        recent = ["rev-list", "--timestamp", f"--max-count={depth}", *tips]
        listing += run_git(recent, root).decode().split()
    dates = {listing[i + 1]: int(listing[i]) for i in range(0, len(listing) - 1, 2)}
    found = _changed_notebooks(root, list(dates)) if dates else []
    tip_dates = _dates(tips, root)
    for tip in tips:
        found += [(path, oid, tip) for path, oid in tree_notebooks(root, tip)]
    all_dates = {**tip_dates, **dates}
    changed = {(path, oid): all_dates[commit] for path, oid, commit in found}
    versions: dict[tuple[str, str], Candidate] = {}
    for path, oid, commit in sorted(found, key=lambda item: all_dates[item[2]]):
        changed[path, oid] = max(changed.get((path, oid), 0), all_dates[commit])
        versions.setdefault((path, oid), Candidate(path, oid, commit, all_dates[commit]))
    return [c._replace(changed=changed.get((c.path, c.oid), 0)) for c in versions.values()]


def _dates(commits: Sequence[str], root: Path) -> dict[str, int]:
    out = run_git(["rev-list", "--timestamp", "--no-walk=unsorted", *commits], root).decode()
    fields = out.split()
    return {fields[i + 1]: int(fields[i]) for i in range(0, len(fields) - 1, 2)}


def _changed_notebooks(root: Path, commits: Sequence[str]) -> list[tuple[str, str, str]]:
    """(path, blob, commit) of each notebook each commit adds or changes (one git process)."""
    request = "".join(f"{commit}\n" for commit in commits).encode()
    args = ["diff-tree", "--stdin", "-r", "-z", "--root", "-m", "--no-renames"]
    out = run_git(args, root, stdin=request)
    fields = out.split(b"\0")
    found, commit, at = [], "", 0
    while at < len(fields):
        token = fields[at].decode("utf-8", "surrogateescape")
        if token.startswith(":") and at + 1 < len(fields):
            meta = token.split()
            path = fields[at + 1].decode("utf-8", "surrogateescape")
            if meta[1] in ("100644", "100755") and meta[4] in "AMT" and path.endswith(".ipynb"):
                found.append((path, meta[3], commit))
            at += 2
            continue
        if token:
            commit = token.split()[0]
        at += 1
    return found


def tree_notebooks(root: Path, tip: str) -> list[tuple[str, str]]:
    """(path, blob id) of each notebook in the tree of ``tip``."""
    out = run_git(["ls-tree", "-r", "-z", "--full-tree", tip], root)
    found = []
    for line in filter(None, out.split(b"\0")):
        meta, _, name = line.partition(b"\t")
        mode, kind, oid = meta.decode().split()
        path = name.decode("utf-8", "surrogateescape")
        if kind == "blob" and mode in ("100644", "100755") and path.endswith(".ipynb"):
            found.append((path, oid))
    return found


def _known(folders: Folders) -> set[tuple[str, str]]:
    """(path key, blob key) of every record in ``folders``."""
    return {
        (key, parsed[1])
        for key, records in folders.items()
        for name in records
        if (parsed := parse_record_name(name))
    }


def _without_known(new: Folders, base: Folders) -> Folders:
    known = _known(base)
    return {
        key: {n: t for n, t in records.items() if (key, n.split("-", 1)[1]) not in known}
        for key, records in new.items()
    }


def _build(
    wanted: Iterable[Candidate],
    folders: Folders,
    cat: CatFile,
    root: Path,
    store: OutputStore | None,
    options_for: Callable[[str], CleanOptions],
    report: PushReport,
    *,
    at_head: str | None,
    dropped: Mapping[tuple[str, str], int] | None = None,
    tips: set[str] | None = None,
    held: _PublishedOutputs | None = None,
) -> Folders:
    """Write the records of the candidates that have outputs to publish; their folders.
    ``dropped``: (path key, blob key) -> date of the versions pruned on the remote, published
    again only when a later commit sets the notebook to them again, or when it is a version of
    the ``tips`` or of HEAD (what is being pushed, or worked on, is never left out);
    ``held``: what the remote's records restore already."""
    dropped = dropped or {}
    tips = tips or set()
    known = _known(folders)
    left_pruned = 0
    published = held or _PublishedOutputs(cat, None)
    # Only what the cache has records of, or what the work tree may hold: no blob read in vain.
    wanted = [c for c in wanted if (store and store.records_for(c.path)) or c.commit == at_head]
    blobs = cat.read_many([c.oid for c in wanted], limit=MAX_NOTEBOOK_BYTES)
    publisher = identity(root)
    contents: list[tuple[Candidate, str, RecordContent]] = []
    for candidate, blob in zip(wanted, blobs):
        if blob is None or blob.data is None:
            continue
        key = hashlib.sha256(blob.data).hexdigest()
        if (path_key(candidate.path), key) in known:
            continue
        current = candidate.commit in tips or candidate.commit == at_head
        if not current and candidate.changed <= dropped.get((path_key(candidate.path), key), -1):
            left_pruned += 1
            continue
        try:
            content = _content(
                candidate,
                blob.data,
                root,
                store,
                options_for,
                publisher,
                report,
                at_head=at_head,
                published=published,
            )
        except (NbcollabError, CacheDamaged) as exc:
            report.notes.append(f"{quote_path(candidate.path)}: not published ({exc})")
            continue
        if content is not None:
            known.add((path_key(candidate.path), key))
            contents.append((candidate, key, content))
    if left_pruned:
        report.notes.append(
            f"{left_pruned} notebook version{'s' * (left_pruned != 1)} pruned on {report.remote}"
            " left out (no later commit brings them back: not published again)"
        )
    return _write_records(contents, root, report)


def _content(
    candidate: Candidate,
    blob: bytes,
    root: Path,
    store: OutputStore | None,
    options_for: Callable[[str], CleanOptions],
    publisher: str,
    report: PushReport,
    *,
    at_head: str | None,
    published: _PublishedOutputs,
) -> RecordContent | None:
    options = options_for(candidate.path)
    key = hashlib.sha256(blob).hexdigest()
    working = _recorded(store, candidate.path, key) if store is not None else None
    if working is None and candidate.commit == at_head:
        working = _work_tree_file(root, candidate.path, blob, options)
    if working is None:
        return None
    cells = cells_to_publish(working, blob, candidate.path, options)
    if cells and published.holds(candidate.path, blob, key, cells):
        report.notes.append(
            f"{quote_path(candidate.path)} (commit {candidate.commit[:10]}): not published, "
            "every output it has is published already (restored from someone's record, say)"
        )
        return None
    if not cells:
        return None
    origin = Origin(publisher, candidate.commit, candidate.date)
    content, problems = record_content(cells, path=candidate.path, origin=origin)
    report.notes += problems
    if not content.meta.cells:
        return None
    published.add(candidate.path, blob, cells)  # a later version of this push may restore it
    return content


class _PublishedOutputs:
    """What a fresh clone would restore already, cell by cell, for a version: from the remote's
    records (through the restore's own reading of them, ``PublishedSource``) and from the
    records this push publishes before it (oldest versions first)."""

    def __init__(self, cat: CatFile, remote: RefTip | None) -> None:
        self._source = PublishedSource(cat, [remote]) if remote is not None else None
        self._pushed: dict[tuple[str, str], list[bytes]] = {}  # (path key, cell key) -> outputs

    def holds(
        self, path: str, blob: bytes, key: str, cells: dict[int, tuple[list[Any], Any]]
    ) -> bool:
        """Whether every cell of ``cells`` (outputs and count, by position in the clean
        ``blob``, whose SHA-256 is ``key``) that has outputs would be restored with exactly
        those outputs: the same cell (its key under the restore rule), the same bytes."""
        keys = _cell_keys(blob, path)
        wanted = {keys[index]: outputs for index, (outputs, _) in cells.items() if outputs}
        if not wanted:
            return False
        found = (
            self._source.find_published(path, key, set(wanted), PUBLISH_RULE)
            if self._source is not None
            else {}
        )
        for cell_key, outputs in wanted.items():
            encoded = [encode_output(output) for output in outputs]
            if self._pushed.get((path_key(path), cell_key)) == encoded:
                continue
            there = found.get(cell_key)
            if there is None or [encode_output(o) for o in there.outputs] != encoded:
                return False
        return True

    def add(self, path: str, blob: bytes, cells: dict[int, tuple[list[Any], Any]]) -> None:
        """Count ``cells`` of this version as published by this push."""
        keys = _cell_keys(blob, path)
        for index, (outputs, _) in cells.items():
            if outputs:
                encoded = [encode_output(output) for output in outputs]
                self._pushed[path_key(path), keys[index]] = encoded


def _cell_keys(blob: bytes, path: str) -> dict[int, str]:
    """Each cell's key under the restore rule records are published for, by position."""
    return dict(cell_keys(parse_notebook(blob, path=path), PUBLISH_RULE))


def _recorded(store: OutputStore, path: str, key: str) -> bytes | None:
    """The working file the cache recorded as cleaning to the blob ``key``."""
    for record in store.records_for(path):
        if record.blob == key:
            working = store.read(record)
            if working is not None:
                return working
    return None


def _work_tree_file(root: Path, path: str, blob: bytes, options: CleanOptions) -> bytes | None:
    """The work tree's file when it is ``blob`` with outputs (it cleans to exactly ``blob``)."""
    from nbcollab.clean.strip import clean_bytes

    file = root / path
    if file.is_symlink() or not file.is_file():
        return None
    working = read_file_bytes(file)
    if working == blob or clean_bytes(working, path=path, options=options) != blob:
        return None
    return working


def _write_records(
    contents: Sequence[tuple[Candidate, str, RecordContent]],
    root: Path,
    report: PushReport,
) -> Folders:
    """Store the records (one process for the blobs, one for the trees); their folders."""
    data: dict[bytes, int] = {}
    for _, _, content in contents:
        for item in (encode_meta(content.meta), *content.outputs.values()):
            data.setdefault(item, len(data))
    oids = write_blobs(list(data), root)
    trees = []
    for candidate, _, content in contents:
        entries = [
            TreeEntry(BLOB_MODE, META, oids[data[encode_meta(content.meta)]]),
            TreeEntry(BLOB_MODE, NOTEBOOK, candidate.oid),
        ]
        entries += [TreeEntry(BLOB_MODE, n, oids[data[d]]) for n, d in content.outputs.items()]
        trees.append(entries)
    folders: Folders = {}
    for (candidate, key, content), tree in zip(contents, make_trees(trees, root)):
        name = record_name(candidate.date, key)
        folders.setdefault(path_key(candidate.path), {})[name] = tree
        cells = len(content.meta.cells)
        report.published.append(
            f"{quote_path(candidate.path)} (commit {candidate.commit[:10]}): "
            f"{cells} cell{'s' * (cells != 1)}, {len(content.outputs)} outputs"
        )
    return folders


def _message(report: PushReport, root: Path) -> str:
    count = len(report.published)
    return f"nbcollab outputs: {count} notebook version{'s' * (count != 1)} from {identity(root)}"


def hook_updates(lines: Iterable[str]) -> tuple[list[str], list[str]]:
    """(tips, exclude) from what git gives a pre-push hook on its input, one line a ref:
    ``<local ref> <local id> <remote ref> <remote id>`` (deleted refs and outputs refs skipped)."""
    tips, exclude = [], []
    for line in lines:
        fields = line.split()
        if len(fields) != 4 or fields[2].startswith("refs/nbcollab/"):
            continue
        _, local, _, remote = fields
        if set(local) != _ZERO:
            tips.append(local)
        if set(remote) != _ZERO:
            exclude.append(remote)
    return tips, exclude
