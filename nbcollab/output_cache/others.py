"""Records from another source than this clone's own cache: outputs that someone else published.

The restore takes their cells as it takes its own records' cells: by the same keys, under the
same rule (``keys``), filled into the blob and checked to clean back to it. Two things differ,
and they are why this is a seam of its own:

- a whole working file never comes from another source, only cells, so nothing but outputs and
  execution counts can arrive this way (no metadata, no signature);
- nothing restored from them is trusted: a notebook holding any of their cells is new content
  for Jupyter, never signed, until the user trusts it (``nbcollab trust sign``).

Own records come first: another source only fills the cells they leave empty. Damage in another
source (a broken ref, a bad record) skips that ref or record, with one warning, and never the
cells the others give.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from typing import Any, Protocol

from nbcollab.output_cache.keys import RestoreRule

# A cell's outputs (lines joined, as ``parse_notebook`` gives them), its execution count, and
# the record it comes from (cells of one record come from one run).
OtherCell = tuple[list[Any], Any, str]


class OtherRecords(Protocol):
    """Records of notebooks from another source; every value checked before it is returned."""

    def has_records(self, path: str) -> bool:
        """Whether there may be records of ``path`` (asked before the blob is even parsed)."""
        ...

    def find_cells(
        self, path: str, blob: str, wanted: Set[str], rule: RestoreRule
    ) -> Mapping[str, OtherCell]:
        """The cells among the keys ``wanted`` that records of ``path`` have, the record of the
        blob whose SHA-256 is ``blob`` first. A record (or a whole source) that is not what
        it should be is skipped, and said by ``take_problems``: the cells own records and sound
        records give are restored all the same."""
        ...

    def take_problems(self) -> list[str]:
        """What was skipped as damaged since last asked, each problem once."""
        ...
