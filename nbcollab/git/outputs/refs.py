"""The outputs refs of a clone: which there are, what their trees hold, new commits, fetch, push.

A clone reads its own ``refs/nbcollab/outputs`` and the copies it fetched of its remotes'
(``refs/nbcollab/remotes/<remote>/outputs``). A push builds on what the remote has (fetched
just before), so records that someone pruned away there are not brought back, and goes through
only if the remote still has what was fetched (``--force-with-lease``): two clones pushing at
once cannot lose each other's records, and the one that loses the race builds again on the
other's and pushes again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from pathlib import Path

from nbcollab.errors import GitError, NbcollabError
from nbcollab.git.plumbing import (
    CatFile,
    commit_tree,
    list_refs,
    make_trees,
    update_ref,
    write_blobs,
)
from nbcollab.gitcmd import run_git
from nbcollab.published.layout import (
    FORMAT,
    FORMAT_ENTRY,
    MAX_PRUNED,
    PRUNED,
    REF,
    REFS_PREFIX,
    PublishedDamaged,
    decode_pruned,
    encode_pruned,
    is_path_key,
    not_outputs_ref,
    parse_record_name,
    tracking_ref,
)
from nbcollab.published.objects import BLOB_MODE, TREE_MODE, TreeEntry, parse_tree
from nbcollab.published.source import RefTip

# path key -> record name -> the record's tree
Folders = dict[str, dict[str, str]]
# (path key, record name) of each record pruning dropped
Pruned = Set[tuple[str, str]]
# No remote copy yet: the push must find none there either.
NONE_YET = ""


def repository_root(start: Path) -> Path:
    """The top of the work tree holding ``start``."""
    out = run_git(["rev-parse", "--show-toplevel"], start)
    return Path(out.decode("utf-8", "surrogateescape").strip())


def outputs_tips(root: Path) -> list[RefTip]:
    """The outputs refs of this clone, its own first, then its remotes' by name."""
    refs = list_refs(REFS_PREFIX, root)
    names = [REF] if REF in refs else []
    names += sorted(r for r in refs if r.startswith(f"{REFS_PREFIX}remotes/") and r != REF)
    return [RefTip(name, refs[name]) for name in names if name.endswith("/outputs")]


def read_folders(commit: str, cat: CatFile, *, ref: str = REF) -> Folders:
    """What an outputs commit holds; PublishedDamaged when its tree is not one nbcollab wrote."""
    mark, root = cat.read_many([f"{commit}:{FORMAT_ENTRY}", f"{commit}^{{tree}}"], limit=1 << 24)
    if mark is None or mark.data != FORMAT or root is None:
        raise PublishedDamaged(not_outputs_ref(ref))
    try:
        entries = [e for e in parse_tree(root) if is_path_key(e.name) and e.mode == TREE_MODE]
        trees = cat.read_many([e.oid for e in entries], limit=1 << 24)
        folders: Folders = {}
        for entry, tree in zip(entries, trees):
            if tree is None:
                raise ValueError(f"{entry.name} is missing")
            records = {
                item.name: item.oid
                for item in parse_tree(tree)
                if item.mode == TREE_MODE and parse_record_name(item.name)
            }
            if records:
                folders[entry.name] = records
    except ValueError as exc:
        raise PublishedDamaged(not_outputs_ref(ref, str(exc))) from None
    return folders


def read_pruned(commit: str, cat: CatFile) -> Pruned:
    """The records pruning dropped from the outputs commit (its ``pruned`` list)."""
    (listed,) = cat.read_many([f"{commit}:{PRUNED}"], limit=MAX_PRUNED * 128)
    if listed is None or listed.kind != "blob" or listed.data is None:
        return set()
    return decode_pruned(listed.data)


def merge_folders(base: Mapping[str, Mapping[str, str]], new: Folders) -> Folders:
    """``base`` with the records of ``new`` added (a record already there stays as it is)."""
    merged = {key: dict(records) for key, records in base.items()}
    for key, records in new.items():
        target = merged.setdefault(key, {})
        for name, tree in records.items():
            target.setdefault(name, tree)
    return merged


def write_commit(
    folders: Folders,
    parents: Sequence[str],
    message: str,
    root: Path,
    *,
    pruned: Pruned = frozenset(),
) -> str:
    """A commit of an outputs tree holding ``folders``, and the list of the records pruning
    dropped (``pruned``, less those held again)."""
    keys = sorted(key for key, records in folders.items() if records)
    subtrees = make_trees(
        [[TreeEntry(TREE_MODE, n, oid) for n, oid in sorted(folders[k].items())] for k in keys],
        root,
    )
    held = {(key, name.split("-", 1)[1]) for key, records in folders.items() for name in records}
    dropped = {(key, name) for key, name in pruned if (key, name.split("-", 1)[1]) not in held}
    listing = [encode_pruned(dropped)] if dropped else []
    mark, *listed = write_blobs([FORMAT, *listing], root)
    entries = [TreeEntry(BLOB_MODE, FORMAT_ENTRY, mark)]
    entries += [TreeEntry(BLOB_MODE, PRUNED, oid) for oid in listed]
    entries += [TreeEntry(TREE_MODE, key, tree) for key, tree in zip(keys, subtrees)]
    (tree,) = make_trees([entries], root)
    return commit_tree(tree, parents, message, root)


def remote_names(root: Path) -> list[str]:
    """The configured remotes."""
    return run_git(["remote"], root).decode("utf-8", "surrogateescape").split()


def default_remote(root: Path) -> str:
    """The current branch's remote, else ``origin``, else the only remote there is."""
    names = remote_names(root)
    try:
        branch = run_git(["symbolic-ref", "--quiet", "--short", "HEAD"], root).decode().strip()
        upstream = run_git(["config", "--get", f"branch.{branch}.remote"], root).decode().strip()
    except GitError:
        upstream = ""
    for name in (upstream, "origin", *names[:1]):
        if name and name in names:
            return name
    raise NbcollabError(
        f"{root}: no remote to share outputs with (add one: git remote add origin URL)"
    )


def fetch(remote: str, root: Path) -> str | None:
    """Fetch ``remote``'s published outputs; the commit fetched, None when it has none."""
    tracking = tracking_ref(remote)
    try:
        run_git(
            ["fetch", "--quiet", "--no-tags", remote, f"+{REF}:{tracking}"],
            root,
            env={"GIT_TERMINAL_PROMPT": "0"},
        )
    except GitError as exc:
        if "couldn't find remote ref" not in str(exc):
            raise
        if tracking in list_refs(tracking, root):  # removed there: stop using the old copy
            run_git(["update-ref", "-d", tracking], root)
        return None
    return list_refs(tracking, root).get(tracking)


def push(remote: str, commit: str, expected: str, root: Path) -> None:
    """Make ``remote``'s outputs ref ``commit`` if it is still ``expected`` (NONE_YET: absent);
    GitError otherwise."""
    run_git(
        [
            "push",
            "--quiet",
            "--no-verify",  # not the pre-push hook again: it is what runs this push
            f"--force-with-lease={REF}:{expected}",
            remote,
            f"{commit}:{REF}",
        ],
        root,
        env={"GIT_TERMINAL_PROMPT": "0"},
    )
    move_ref(tracking_ref(remote), commit, root)


def delete_remote_ref(remote: str, expected: str, root: Path) -> None:
    """Delete ``remote``'s outputs ref if it is still ``expected``, and this clone's copy."""
    run_git(
        [
            "push",
            "--quiet",
            "--no-verify",
            f"--force-with-lease={REF}:{expected}",
            remote,
            f":{REF}",
        ],
        root,
        env={"GIT_TERMINAL_PROMPT": "0"},
    )
    delete_ref(tracking_ref(remote), root)


def delete_ref(ref: str, root: Path) -> None:
    """Delete ``ref`` (in this clone), if it is there."""
    if ref in list_refs(ref, root):
        run_git(["update-ref", "-d", ref], root)


def move_ref(ref: str, commit: str, root: Path) -> None:
    """Point ``ref`` at ``commit`` (from wherever it points, as long as nobody moves it meanwhile)."""
    update_ref(ref, commit, list_refs(ref, root).get(ref), "nbcollab outputs", root)
