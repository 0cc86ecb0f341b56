"""What a conflict is resolved to: the vocabulary every tool that resolves speaks."""

from __future__ import annotations

from enum import Enum

from nbcollab.merge.record import ConflictEntry, ConflictKind, OlderConflict


class Resolution(str, Enum):
    """What a conflict is resolved to (the values are the names tools show and send)."""

    OURS = "ours"
    THEIRS = "theirs"
    BASE = "base"
    UNION = "union"  # ours then theirs
    UNION_THEIRS_FIRST = "union-theirs-first"  # theirs then ours

    @property
    def first_side(self) -> str:
        """The side whose value is kept where only one can be (metadata, type, count)."""
        return {"union": "ours", "union-theirs-first": "theirs"}.get(self.value, self.value)


_EVERY = tuple(Resolution)
_ONE_SIDE = (Resolution.OURS, Resolution.THEIRS, Resolution.BASE)


def resolutions_for(entry: ConflictEntry) -> tuple[Resolution, ...]:
    """The resolutions that make a difference for ``entry`` (a union of two values is ours)."""
    if isinstance(entry, OlderConflict):
        return ()
    if entry.kind in (ConflictKind.SOURCE, ConflictKind.OUTPUTS):
        return _EVERY
    return _ONE_SIDE


class Unresolvable(Exception):
    """Why one recorded conflict cannot be resolved to the chosen side."""
