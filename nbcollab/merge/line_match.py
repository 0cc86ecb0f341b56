"""Which lines of two texts match, for the three-way text merge and its conflict refinement.

difflib's matcher, as merge3 and its users expect, on ordinary cells; patience diff on long ones,
where difflib's search turns quadratic.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nbcollab.align.lcs import lcs_pairs

# Up to this many line pairs difflib's matcher is used, as merge3 and git users expect; beyond it
# its search is quadratic (on lines that repeat, ``return`` or blank lines, when nothing is junk)
# and a long conflict refined into a thousand hunks took minutes: patience diff, near-linear.
_DIFFLIB_LIMIT = 40_000


def matching_blocks(
    a: Sequence[str], b: Sequence[str], *, autojunk: bool
) -> list[tuple[int, int, int]]:
    """Runs of lines common to ``a`` and ``b``, in order, ending with ``(len(a), len(b), 0)``."""
    if len(a) * len(b) <= _DIFFLIB_LIMIT:
        from difflib import SequenceMatcher

        found = SequenceMatcher(None, a, b, autojunk=autojunk).get_matching_blocks()
        return [(block.a, block.b, block.size) for block in found]
    blocks: list[tuple[int, int, int]] = []
    for i, j in lcs_pairs(a, b):
        if blocks and blocks[-1][0] + blocks[-1][2] == i and blocks[-1][1] + blocks[-1][2] == j:
            blocks[-1] = (blocks[-1][0], blocks[-1][1], blocks[-1][2] + 1)
        else:
            blocks.append((i, j, 1))
    blocks.append((len(a), len(b), 0))
    return blocks


class LineMatcher:
    """difflib's matcher interface, as Merge3 calls it (autojunk on, its default)."""

    def __init__(
        self,
        isjunk: Any = None,
        a: Sequence[str] = (),
        b: Sequence[str] = (),
        autojunk: bool = True,
    ) -> None:
        self._a, self._b, self._autojunk = a, b, autojunk

    def get_matching_blocks(self) -> list[tuple[int, int, int]]:
        return matching_blocks(self._a, self._b, autojunk=self._autojunk)
