"""The page's words for a conflict: what conflicted, and each side's branch name.

Branch names come from the record itself, as the merge wrote them: a source conflict's marker
lines, the wrapper of a cell deleted on one side, or the note line of a metadata or cell-type
conflict; a conflict that carries none takes those of another conflict of the same notebook
(one merge, one pair of names). Descriptions are escaped HTML.
"""

from __future__ import annotations

import re
from html import escape

from nbcollab.merge.record import (
    CellTypeConflict,
    ConflictEntry,
    ConflictKind,
    DeleteEditConflict,
    SourceConflict,
    ValuesConflict,
)
from nbcollab.merge.resolve import Resolution
from nbcollab.mergetool.views import ConflictView


def column_title(side: Resolution, labels: dict[Resolution, str]) -> str:
    """``ours (main)``: the side and the branch name the record gives it (a commit id short)."""
    label = labels.get(side)
    if not label or label == side.value:
        return side.value
    return f"{side.value} ({label[:10] if _COMMIT_ID.fullmatch(label) else label})"


_COMMIT_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


def describe_conflict(entry: ConflictEntry, labels: dict[Resolution, str]) -> str:
    """What conflicted, in words (the cell's heading says where), as escaped HTML."""
    if isinstance(entry, SourceConflict):
        places = len(entry.hunks)
        return "Both sides changed the same lines" + (f" in {places} places" if places > 1 else "")
    if isinstance(entry, DeleteEditConflict):
        deleted = Resolution(entry.deleted_by)
        kept = Resolution.OURS if deleted is Resolution.THEIRS else Resolution.THEIRS
        return escape(
            f"Deleted by {column_title(deleted, labels)}, edited by {column_title(kept, labels)}"
        )
    if isinstance(entry, ValuesConflict):
        what = _VALUES_KIND[entry.kind]
        paths = ", ".join(".".join(v.path) for v in entry.values)
        return f"Both sides changed {what}: <code>{escape(paths)}</code>"
    if isinstance(entry, CellTypeConflict):
        return "Both sides changed the cell type, differently"
    return "Both sides changed the outputs"


_VALUES_KIND = {
    ConflictKind.METADATA: "the cell's metadata",
    ConflictKind.ATTACHMENTS: "the cell's attachments",
    ConflictKind.NOTEBOOK_METADATA: "the notebook's metadata",
}
# The note line of a metadata or cell-type conflict names the branches: "kept main, feature
# differs" (branch names hold no ", ").
_NOTE_LABELS = re.compile(r": kept (.+?), (.+) differs; run ")


def record_labels(entry: ConflictEntry) -> dict[Resolution, str]:
    """The branch names a conflict's record carries (marker lines, or its note line)."""
    found: tuple[str, str] | None = None
    if isinstance(entry, SourceConflict) and entry.markers is not None:
        found = entry.markers[0], entry.markers[2]
    elif isinstance(entry, DeleteEditConflict) and entry.wrapper is not None:
        found = entry.wrapper[0].split("\n", 1)[0], entry.wrapper[1].rstrip("\n").rsplit("\n")[-1]
    elif isinstance(entry, (ValuesConflict, CellTypeConflict)) and entry.note is not None:
        match = _NOTE_LABELS.search(entry.note)
        if match:
            return {Resolution.OURS: match[1], Resolution.THEIRS: match[2]}
    if found is None:
        return {}
    ours, theirs = (
        line[entry.marker_size :].removesuffix(" (deleted this cell)").strip() for line in found
    )
    return {k: v for k, v in ((Resolution.OURS, ours), (Resolution.THEIRS, theirs)) if v}


def notebook_labels(views: list[ConflictView]) -> dict[Resolution, str]:
    """The branch names of a notebook's merge, from whichever conflict records them."""
    labels: dict[Resolution, str] = {}
    for view in views:
        labels = {**record_labels(view.entry), **labels}
    return labels
