"""git objects as this package sees them: read through a reader it is given, trees parsed here.

The reader (``nbcollab.git.plumbing.CatFile`` in practice: one ``git cat-file --batch`` process
for every object a command reads) answers names git understands (``<commit>:<path>``, an object
id) with the object's type and bytes, and skips the bytes of an object larger than the limit
asked: a hostile ref cannot make a reader hold gigabytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Protocol


class GitObject(NamedTuple):
    """One object read: its id, type and size, and its bytes (None when over the limit)."""

    oid: str
    kind: str
    size: int
    data: bytes | None


class ObjectReader(Protocol):
    """Reads git objects by name; None for a name that names nothing."""

    def read_many(self, names: Sequence[str], *, limit: int) -> list[GitObject | None]:
        """The objects ``names`` name, in order (bytes only for those of at most ``limit``)."""
        ...


class TreeEntry(NamedTuple):
    """One entry of a tree: its mode (as git writes it), name and object id."""

    mode: str
    name: str
    oid: str


TREE_MODE = "40000"
BLOB_MODE = "100644"


def parse_tree(tree: GitObject) -> list[TreeEntry]:
    """The entries of a tree object (``<mode> <name>\\0<raw id>`` one after another); ValueError
    when its bytes are not a tree."""
    if tree.kind != "tree":
        raise ValueError(f"{tree.oid} is a {tree.kind}, not a tree")
    if tree.data is None:
        raise ValueError(f"tree {tree.oid} is {tree.size} bytes, too large to be read")
    size = len(tree.oid) // 2  # SHA-1 or SHA-256, as the repository's ids are
    data, entries, at = tree.data, [], 0
    while at < len(data):
        space = data.index(b" ", at)
        nul = data.index(b"\0", space)
        if nul + 1 + size > len(data):
            raise ValueError(f"tree {tree.oid} ends inside an entry")
        mode = data[at:space].decode("ascii")
        name = data[space + 1 : nul].decode("utf-8", "surrogateescape")
        entries.append(TreeEntry(mode, name, data[nul + 1 : nul + 1 + size].hex()))
        at = nul + 1 + size
    return entries
