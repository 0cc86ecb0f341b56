"""What an outputs commit holds: each record's notebook version, its outputs and their sizes.

Read with one ``git ls-tree -r -l`` (the sizes of every object in it) after the tree itself is
checked (``refs.read_folders``); ``prune`` and ``status`` both count from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nbcollab.git.outputs.refs import Folders, read_folders
from nbcollab.git.plumbing import CatFile, run_git
from nbcollab.published.layout import NOTEBOOK, is_output_name

# (path key, record name): one record.
Record = tuple[str, str]


@dataclass(frozen=True)
class Holding:
    """What one outputs commit holds: each record's notebook, blobs and their sizes."""

    folders: Folders
    notebooks: dict[Record, str]  # (path key, record name) -> notebook blob id
    blobs: dict[Record, set[str]]  # (path key, record name) -> its outputs' blob ids
    sizes: dict[str, int]  # blob id -> size

    def size_of(self, records: set[Record]) -> int:
        """The bytes of the outputs of ``records``, each blob once."""
        return sum(self.sizes[oid] for oid in set().union(*[self.blobs[r] for r in records]))


def read_holding(commit: str, root: Path, cat: CatFile, ref: str) -> Holding:
    """Everything the outputs commit holds (one ``git ls-tree`` for the sizes)."""
    folders = read_folders(commit, cat, ref=ref)
    out = run_git(["ls-tree", "-r", "-l", "-z", commit], root)
    notebooks: dict[Record, str] = {}
    blobs: dict[Record, set[str]] = {}
    sizes: dict[str, int] = {}
    for line in filter(None, out.split(b"\0")):
        meta, _, name = line.partition(b"\t")
        fields = meta.decode().split()
        parts = name.decode("utf-8", "surrogateescape").split("/")
        if len(fields) != 4 or len(parts) != 3 or not fields[3].isdigit():
            continue
        record = (parts[0], parts[1])
        if parts[1] not in folders.get(parts[0], {}):
            continue
        if parts[2] == NOTEBOOK:
            notebooks[record] = fields[2]
        elif is_output_name(parts[2]):
            blobs.setdefault(record, set()).add(fields[2])
            sizes[fields[2]] = int(fields[3])
    for key, records in folders.items():
        for record_name in records:
            blobs.setdefault((key, record_name), set())
    return Holding(folders, notebooks, blobs, sizes)
