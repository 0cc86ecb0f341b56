"""A source conflict resolved in its cell's text: each recorded hunk replaced by a side.

The hunks are found exactly as the record describes them (``nbcollab.merge.markers``); a side
comes back byte for byte, and a hunk that ends the cell gives it that side's own ending.
"""

from __future__ import annotations

import dataclasses

from nbcollab.merge.markers import (
    AmbiguousHunks,
    closed_text,
    find_hunks,
    hunk_block,
    terminated,
)
from nbcollab.merge.record import SourceConflict, SourceHunk
from nbcollab.merge.resolve.choice import Resolution, Unresolvable


def resolved_text(text: str, entry: SourceConflict, choice: Resolution) -> str | None:
    """``text`` (a cell's) with each hunk of ``entry`` still in it replaced by ``choice``.

    None when it cannot be done exactly: ``BASE`` needs every hunk still marked and the agreed
    lines around them unchanged, since a region's base cannot be split among its hunks.
    """
    try:
        return resolved_source(text, entry, choice)
    except Unresolvable:
        return None


def resolved_source(text: str, entry: SourceConflict, choice: Resolution) -> str:
    """``resolved_text``, or Unresolvable saying why it cannot be done exactly."""
    try:
        places = find_hunks(text, entry.markers, entry.hunks, entry.length, strict=True)
    except AmbiguousHunks as exc:
        raise Unresolvable(_copied(exc.numbers, len(entry.hunks))) from None
    closed = closed_text(text)
    if choice is Resolution.BASE:
        spans = _base_spans(closed, entry, places)
    else:
        spans = [
            (at, at + len(hunk_block(entry.markers, hunk)), hunk, not hunk.before)
            for hunk, at in zip(entry.hunks, places)
            if at is not None
        ]
    out, cursor, opens = [], 0, False
    for start, end, hunk, opens in spans:
        # Nothing of the cell follows a hunk that ends it: the side's own ending is the cell's.
        picked = _pick(hunk, choice, last=end >= len(text))
        out += [closed[cursor:start], picked]
        cursor = end
        opens = opens and not picked
    out.append(text[cursor:])
    result = "".join(out)
    if cursor >= len(text) and opens and not text.endswith("\n"):
        # The conflict region that ends the cell gave nothing: the line before it ends the cell
        # as the merge ended it (without a newline, as the closing marker showed).
        result = result.removesuffix("\n")
    return result


def _base_spans(
    closed: str, entry: SourceConflict, places: list[int | None]
) -> list[tuple[int, int, SourceHunk, bool]]:
    """For ``--base``: each conflict region's span in ``closed`` (its agreed text included) and
    the hunk that carries its base; Unresolvable when a hunk or the text around it changed."""
    found = [at for at in places if at is not None]
    if len(found) < len(places):
        raise Unresolvable(_EDITED)
    spans: list[tuple[int, int, SourceHunk, bool]] = []
    for hunk, at in zip(entry.hunks, found):
        start, end = at - len(hunk.before), at + len(hunk_block(entry.markers, hunk))
        if (
            start < (spans[-1][1] if spans else 0)
            or not closed.startswith(hunk.before, start)
            or not closed.startswith(hunk.after, end)
        ):
            raise Unresolvable(_EDITED)
        end += len(hunk.after)
        if spans and hunk.before and spans[-1][1] == start and not spans[-1][2].after:
            # Agreed lines split one region into these hunks: the first carries all its base.
            spans[-1] = (
                spans[-1][0],
                end,
                dataclasses.replace(spans[-1][2], after=hunk.after),
                True,
            )
        else:
            spans.append((start, end, hunk, True))
    return spans


_EDITED = "part of it was edited by hand, so the ancestor's lines no longer fit"


def _copied(numbers: tuple[int, ...], count: int) -> str:
    which = (
        "its marked lines are"
        if count == 1
        else f"the marked lines of hunk {', '.join(str(n + 1) for n in numbers)} of {count} are"
    )
    return (
        f"{which} in the cell more than once (a copy?), so which one the merge wrote cannot be "
        "told: remove the copy, or resolve it by hand"
    )


def _pick(hunk: SourceHunk, choice: Resolution, *, last: bool) -> str:
    def fit(side: str) -> str:
        return side if last else terminated(side)

    if choice is Resolution.UNION:
        return _joined(hunk.ours, fit(hunk.theirs))
    if choice is Resolution.UNION_THEIRS_FIRST:
        return _joined(hunk.theirs, fit(hunk.ours))
    return fit(str(getattr(hunk, choice.value)))


def _joined(first: str, second: str) -> str:
    first = terminated(first)
    if first.endswith("\r") and second.startswith("\n"):
        # A line ended by a lone CR would join the next side's first line (an empty one) into
        # a CRLF.
        first += "\n"
    return first + second
