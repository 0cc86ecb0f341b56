"""An in-memory git object store for the published-outputs tests, and records written into it.

``Objects`` stores blobs and trees as git does (the same ids, the same binary trees) and answers
``read_many`` as ``git cat-file --batch`` does (``<commit>:<path>`` names, object ids), so the
reading side can be tested, and attacked, without running git.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from nbcollab.clean.strip import clean_bytes
from nbcollab.notebook.codec import serialize_notebook
from nbcollab.options import CleanOptions
from nbcollab.output_cache.store import path_key
from nbcollab.published.layout import (
    FORMAT,
    FORMAT_ENTRY,
    META,
    NOTEBOOK,
    Origin,
    encode_meta,
    record_name,
)
from nbcollab.published.objects import GitObject
from nbcollab.published.records import cells_to_publish, record_content
from nbcollab.published.source import RefTip

ORIGIN = Origin("Alice <alice@example.com>", "a" * 40, 1_700_000_000)
TREE, BLOB = "40000", "100644"


class Objects:
    """Blobs and trees by id; commits are names for root trees."""

    def __init__(self) -> None:
        self.objects: dict[str, tuple[str, bytes]] = {}
        self.commits: dict[str, str] = {}
        self.reads = 0

    def put(self, kind: str, data: bytes) -> str:
        oid = hashlib.sha1(b"%s %d\0" % (kind.encode(), len(data)) + data).hexdigest()
        self.objects[oid] = (kind, data)
        return oid

    def blob(self, data: bytes) -> str:
        return self.put("blob", data)

    def tree(self, entries: Mapping[str, tuple[str, str]]) -> str:
        """A tree of ``name -> (mode, id)``, in git's order (a tree sorts as its name + "/")."""
        order = sorted(entries, key=lambda n: n + "/" if entries[n][0] == TREE else n)
        data = b"".join(
            f"{entries[n][0]} {n}".encode() + b"\0" + bytes.fromhex(entries[n][1]) for n in order
        )
        return self.put("tree", data)

    def commit(self, tree: str) -> str:
        oid = hashlib.sha1(f"commit {tree} {len(self.commits)}".encode()).hexdigest()
        self.commits[oid] = tree
        return oid

    def read_many(self, names: Sequence[str], *, limit: int) -> list[GitObject | None]:
        self.reads += 1
        return [self._read(name, limit) for name in names]

    def _read(self, name: str, limit: int) -> GitObject | None:
        oid: str | None = name
        if ":" in name:
            rev, _, path = name.partition(":")
            oid = self.commits.get(rev)
            for part in filter(None, path.split("/")):
                oid = self._entry(oid, part)
        elif name.endswith("^{tree}"):
            oid = self.commits.get(name[: -len("^{tree}")])
        if oid is None or oid not in self.objects:
            return None
        kind, data = self.objects[oid]
        return GitObject(oid, kind, len(data), data if len(data) <= limit else None)

    def _entry(self, tree: str | None, name: str) -> str | None:
        if tree is None or self.objects.get(tree, ("", b""))[0] != "tree":
            return None
        data, at = self.objects[tree][1], 0
        while at < len(data):
            space, nul = data.index(b" ", at), data.index(b"\0", at)
            if data[space + 1 : nul].decode() == name:
                return data[nul + 1 : nul + 21].hex()
            at = nul + 21
        return None


def notebook_text(nb: dict[str, Any]) -> bytes:
    return serialize_notebook(nb).encode()


def clean_blob(working: bytes, path: str = "nb.ipynb") -> bytes:
    cleaned = clean_bytes(working, path=path, options=CleanOptions())
    return working if cleaned is None else cleaned


def record_tree(
    objects: Objects, working: bytes, *, path: str = "nb.ipynb", origin: Origin = ORIGIN
) -> tuple[str, str]:
    """Write the record of ``working`` (what ``outputs push`` writes): (record name, tree id)."""
    blob = clean_blob(working, path)
    cells = cells_to_publish(working, blob, path, CleanOptions())
    content, problems = record_content(cells, path=path, origin=origin)
    assert not problems
    entries = {
        META: (BLOB, objects.blob(encode_meta(content.meta))),
        NOTEBOOK: (BLOB, objects.blob(blob)),
    }
    entries.update({name: (BLOB, objects.blob(data)) for name, data in content.outputs.items()})
    key = hashlib.sha256(blob).hexdigest()
    return record_name(origin.date, key), objects.tree(entries)


def outputs_commit(objects: Objects, records: Mapping[str, Mapping[str, str]]) -> str:
    """A commit of an outputs tree holding ``records`` (path -> record name -> tree)."""
    root = {FORMAT_ENTRY: (BLOB, objects.blob(FORMAT))}
    for path, named in records.items():
        root[path_key(path)] = (TREE, objects.tree({n: (TREE, t) for n, t in named.items()}))
    return objects.commit(objects.tree(root))


def published(objects: Objects, *workings: tuple[str, bytes]) -> list[RefTip]:
    """One ref publishing the records of ``(path, working file)`` pairs."""
    records: dict[str, dict[str, str]] = {}
    for path, working in workings:
        name, tree = record_tree(objects, working, path=path)
        records.setdefault(path, {})[name] = tree
    return [RefTip("refs/nbcollab/remotes/origin/outputs", outputs_commit(objects, records))]
