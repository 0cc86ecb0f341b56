"""The marks a merge leaves in a cell, found exactly as the record describes them.

Nothing here reads markers as syntax: a hunk is found as the exact text the merge wrote (its
recorded marker lines around its recorded sides) where the record says it is, a note as its
exact line, marker outputs at their recorded places. So a cell whose own text holds ``=======``
or ``<<<<<<< HEAD`` lines is never misread. What to put in their place is
``nbcollab.merge.resolve``'s business. Pure functions on strings and lists.
"""

from __future__ import annotations

import re
from bisect import bisect_left, insort
from collections.abc import Sequence
from typing import Any

DEFAULT_MARKER_SIZE = 7
NOTE_PREFIX = "nbcollab: "
# What str.splitlines() ends a line on: a block starts at the start of a line.
_LINE_ENDS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"


def note_line(text: str, marker_size: int) -> str:
    """The one-line note that makes a conflict outside the source visible in the cell."""
    return "<" * marker_size + " " + NOTE_PREFIX + text.replace("\n", " ") + "\n"


def terminated(text: str) -> str:
    """``text`` ending with a line end, as the merge writes a side inside the markers."""
    return text + "\n" if text and not text.endswith(("\n", "\r")) else text


def find_line_block(text: str, block: str, start: int = 0) -> int | None:
    """Where ``block`` first occurs in ``text`` at or after ``start``, at a line start."""
    at = text.find(block, start)
    while at > 0 and text[at - 1] not in _LINE_ENDS:
        at = text.find(block, at + 1)
    return None if at < 0 else at


def remove_line(text: str, line: str) -> str | None:
    """``text`` without the first occurrence of the whole line ``line``; None if absent."""
    closed = closed_text(text)  # the line may end a text whose final newline the merge dropped
    at = find_line_block(closed, line)
    if at is None:
        return None
    out = closed[:at] + closed[at + len(line) :]
    return out[:-1] if not text.endswith("\n") and out.endswith("\n") else out


def closed_text(text: str) -> str:
    """``text`` with the final newline the merge drops put back (for finding whole lines).

    The merge drops the final newline of a text whose sides had none, closing marker or not:
    with it put back, every recorded block is found whole.
    """
    return text if not text or text.endswith("\n") else text + "\n"


def hunk_block(markers: Sequence[str], hunk: Any) -> str:
    """The text the merge wrote for one hunk (``hunk`` has ``ours`` and ``theirs``)."""
    start, mid, end = markers
    return start + terminated(hunk.ours) + mid + terminated(hunk.theirs) + end


class AmbiguousHunks(ValueError):
    """Hunks whose marked text is in the cell more than once where each may be, none of the
    places pinned down by the record: which one the merge wrote cannot be told."""

    def __init__(self, numbers: Sequence[int]):
        super().__init__(numbers)
        self.numbers = tuple(numbers)


def find_hunks(
    text: str, markers: Sequence[str], hunks: Sequence[Any], length: int, *, strict: bool = False
) -> list[int | None]:
    """Where each recorded hunk still is in ``text`` (None: resolved by hand), in order.

    ``hunks`` have ``ours``, ``theirs`` and ``at`` (where the merge wrote each, in a text of
    ``length`` characters). A hunk is taken where it was written, counted from the end of the
    text (edits above it moved it) or from its start (edits below), or at its distance from a
    hunk already found (edits elsewhere); only then at the nearest place between the hunks
    found, nearest hunks first. So a hunk resolved by hand, whatever its new length, never
    makes a copy of another hunk's text (pasted elsewhere, or another hunk written the same) be
    taken for that hunk.

    A hunk found only by that last rule, whose marked text is also elsewhere between the hunks
    found around it (a copy pasted below it, say), is a guess: ``strict`` raises
    AmbiguousHunks for such hunks instead of returning the guess (what a resolution needs: it
    must never replace a copy and leave the hunk marked).
    """
    finder = _HunkFinder(closed_text(text), markers, hunks, len(text) - length)
    finder.run()
    if strict:
        ambiguous = finder.ambiguous()
        if ambiguous:
            raise AmbiguousHunks(ambiguous)
    return finder.found


class _HunkFinder:
    """The places of a source conflict's hunks in a cell's text, found one rule at a time."""

    def __init__(self, text: str, markers: Sequence[str], hunks: Sequence[Any], moved: int):
        self.text, self.hunks, self.moved = text, hunks, moved
        self.blocks = [hunk_block(markers, hunk) for hunk in hunks]
        self.found: list[int | None] = [None] * len(hunks)
        self._taken: list[int] = []  # the numbers of the hunks found, in order
        self._guessed: list[int] = []  # those found by ``_take_nearest``

    def run(self) -> None:
        count = len(self.hunks)
        for k in reversed(range(count)):  # nothing edited below them
            if not self._take(k, self.hunks[k].at + self.moved):
                break
        for k in range(count):  # nothing edited above them
            if self.found[k] is None and not self._take(k, self.hunks[k].at):
                break
        changed = True
        while changed:  # nothing edited between them and a hunk found, either way
            changed = False
            for k in (*range(count), *reversed(range(count))):
                if self.found[k] is None:
                    changed |= any(self._take(k, place) for place in self._neighbours(k))
        self._take_nearest()

    def _bounds(self, k: int) -> tuple[int, int]:
        """Where hunk ``k`` may be: between the hunks found before and after it."""
        after = bisect_left(self._taken, k)
        low = high = None
        if after:
            before = self._taken[after - 1]
            low = self.found[before]
            low = None if low is None else low + len(self.blocks[before])
        if after < len(self._taken):
            high = self.found[self._taken[after]]
        return low or 0, len(self.text) if high is None else high

    def _take(self, k: int, place: int) -> bool:
        if self.found[k] is not None:
            return False
        if not _written_at(self.text, self.blocks[k], place, *self._bounds(k)):
            return False
        self.found[k] = place
        insort(self._taken, k)
        return True

    def _neighbours(self, k: int) -> list[int]:
        """Where hunk ``k`` is if nothing was edited between it and the nearest hunks found."""
        after = bisect_left(self._taken, k)
        near = self._taken[max(after - 1, 0) : after + 1]
        at = self.hunks[k].at
        return [self.found[j] + at - self.hunks[j].at for j in near]

    def _take_nearest(self) -> None:
        """The rest: as many as can be, in order, each preferably where the text around it is
        still the agreed text the merge wrote there, then nearest where it should be."""
        options: list[tuple[int, int, int, int, int]] = []  # place, hunk, end, around, off
        places: dict[str, list[int]] = {}  # each block's places in the text, found once
        for k, at in enumerate(self.found):
            if at is not None:
                continue
            hunk, block = self.hunks[k], self.blocks[k]
            if block not in places:
                places[block] = _line_blocks(self.text, block)
            expected = [hunk.at, hunk.at + self.moved, *self._neighbours(k)]
            for place in _nearest(places[block], expected, *self._bounds(k), len(block)):
                end = place + len(block)
                around = len(hunk.before) * self.text.endswith(hunk.before, 0, place) + len(
                    hunk.after
                ) * self.text.startswith(hunk.after, end)
                off = min(abs(place - e) for e in expected)
                options.append((place, k, end, around, off))
        for place, k in _best_chain(sorted(options), len(self.hunks)):
            if self._take(k, place):
                self._guessed.append(k)

    def ambiguous(self) -> list[int]:
        """The guessed hunks whose marked text is at more than one place where they may be."""
        out = []
        for k in self._guessed:
            low, high = self._bounds_of_others(k)
            block = self.blocks[k]
            places = [
                at
                for at in _line_blocks(self.text, block)
                if _written_at(self.text, block, at, low, high)
            ]
            if len(places) > 1:
                out.append(k)
        return sorted(out)

    def _bounds_of_others(self, k: int) -> tuple[int, int]:
        """Where hunk ``k`` may be, between the other hunks found."""
        taken = self._taken
        self._taken = [j for j in taken if j != k]
        try:
            return self._bounds(k)
        finally:
            self._taken = taken


def _line_blocks(text: str, block: str) -> list[int]:
    places = []
    at = find_line_block(text, block)
    while at is not None:
        places.append(at)
        at = find_line_block(text, block, at + 1)
    return places


# How many places of a block, each side of where a hunk should be, are candidates for it.
_NEAREST = 4


def _nearest(places: list[int], expected: list[int], low: int, high: int, size: int) -> set[int]:
    """The places between ``low`` and ``high`` nearest to each expected one."""
    start, stop = bisect_left(places, low), bisect_left(places, high - size + 1)
    found: set[int] = set()
    for target in expected:
        middle = min(max(bisect_left(places, target, start, stop), start), stop)
        found.update(places[max(start, middle - _NEAREST) : min(stop, middle + _NEAREST)])
    return found


def _best_chain(options: list[tuple[int, int, int, int, int]], hunks: int) -> list[tuple[int, int]]:
    """Of (place, hunk, end, around, off) options in order of place: the chain of hunks in
    order, each after the one before, with the most hunks, then the most agreed text around
    them, then the least distance from where they were written (a Fenwick tree over the hunk
    numbers holds the best chain ending before each, among the options already ended)."""
    tree: list[tuple[tuple[int, int, int], int]] = [((0, 0, 0), -1)] * (hunks + 1)
    best: list[tuple[tuple[int, int, int], int]] = []  # each option's chain, and the one before
    ended = iter(sorted(range(len(options)), key=lambda n: options[n][2]))
    waiting = next(ended, None)
    for place, k, _, around, off in options:
        # An option that ends before this one starts (so was seen: it started earlier) can
        # come before it in a chain.
        while waiting is not None and options[waiting][2] <= place:
            position = options[waiting][1] + 1
            while position <= hunks:
                tree[position] = max(tree[position], (best[waiting][0], waiting))
                position += position & -position
            waiting = next(ended, None)
        prefix, position = ((0, 0, 0), -1), k  # the best chain of hunks numbered below k
        while position > 0:
            prefix = max(prefix, tree[position])
            position -= position & -position
        (count, near, far), _ = prefix
        best.append(((count + 1, near + around, far - off), prefix[1]))
    if not best:
        return []
    i = max(range(len(best)), key=lambda n: best[n][0])
    picked = []
    while i >= 0:
        picked.append((options[i][0], options[i][1]))
        i = best[i][1]
    return picked[::-1]


def _written_at(text: str, block: str, at: int, low: int, high: int) -> bool:
    """Whether ``block`` is at ``at``, a line start, within ``text[low:high]``."""
    return (
        low <= at
        and at + len(block) <= high
        and text.startswith(block, at)
        and (at == 0 or text[at - 1] in _LINE_ENDS)
    )


def unwrap_exact(text: str, head: str, tail: str) -> str | None:
    """The text the merge wrapped between ``head`` and ``tail``; None when no longer so."""
    if len(text) < len(head) + len(tail) or not (text.startswith(head) and text.endswith(tail)):
        return None
    body = text[len(head) : len(text) - len(tail)]
    # The closing marker ends with a newline unless the wrapped text did not.
    return body[:-1] if not tail.endswith("\n") and body.endswith("\n") else body


# --- marker outputs ----------------------------------------------------------------------------


def marker_pattern(char: str, size: int) -> re.Pattern[str]:
    """A whole marker line of ``size`` ``char``s (``<``, ``|``, ``=``, ``>``), labelled or not."""
    label = "" if char == "=" else r"(?: .*)?"
    return re.compile(re.escape(char) * size + label + r"\r?\n?\Z")


def has_start_marker(text: str, size: int = DEFAULT_MARKER_SIZE) -> bool:
    """Whether ``text`` holds a line that looks like a start marker (``<<<<<<<``, labelled or
    not): never a conflict by itself, only worth a look by a person."""
    start = marker_pattern("<", size)
    return "<" * size in text and any(start.match(line) for line in text.splitlines(True))


def output_marker(output: object, marker_size: int) -> str | None:
    """Which marker (``<``, ``|``, ``=``, ``>``) a stream output is, if it is one."""
    if not isinstance(output, dict) or output.get("output_type") != "stream":
        return None
    text = output.get("text")
    text = "".join(str(t) for t in text) if isinstance(text, list) else text
    if not isinstance(text, str):
        return None
    for char in "<|=>":
        if marker_pattern(char, marker_size).match(text):
            return char
    return None


def output_sections(
    outputs: Sequence[object], sections: Sequence[int], marker_size: int
) -> list[list[object]] | None:
    """Ours, base and theirs outputs between the recorded marker outputs; None if not there."""
    n_ours, n_base, n_theirs = sections
    places = {
        0: "<",
        1 + n_ours: "|",
        2 + n_ours + n_base: "=",
        3 + n_ours + n_base + n_theirs: ">",
    }
    if len(outputs) != 4 + n_ours + n_base + n_theirs or any(
        output_marker(outputs[at], marker_size) != char for at, char in places.items()
    ):
        return None
    first = 1 + n_ours
    return [
        list(outputs[1:first]),
        list(outputs[first + 1 : first + 1 + n_base]),
        list(outputs[first + 2 + n_base : -1]),
    ]
