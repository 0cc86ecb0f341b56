"""merge_text stays near-linear on long conflicts: many hunks, lines that repeat (``return``,
blank lines), as a generated or heavily edited cell has. Work is counted, not timed."""

from __future__ import annotations

import difflib
from typing import Any

import pytest

from nbcollab.align import lcs
from nbcollab.merge.values import MergeLabels, merge_text


def _sides(hunks: int, *, shared_base: bool) -> tuple[str, str, str]:
    base, local, remote = [], [], []
    for h in range(hunks):
        base += [f"value = {h}\n", "    return x\n" if shared_base else f"line {h}\n", "\n"]
        local += [f"local {h}\n", "    return x\n", "\n"]
        remote += [f"remote {h}\n", "    return x\n", "\n"]
    return "".join(base), "".join(local), "".join(remote)


@pytest.mark.parametrize("shared_base", [False, True], ids=["rewritten", "edited"])
def test_many_conflicting_hunks_cost_linear_work(
    shared_base: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each matcher step scans a range of lines: their total stays a small multiple of the
    text's length (difflib's search once scanned the rest of the text for every hunk)."""
    hunks = 1000
    sides = _sides(hunks, shared_base=shared_base)
    budget = 40 * sum(text.count("\n") for text in sides)
    work = {"lines": 0}

    def spend(lines: int) -> None:
        work["lines"] += lines
        if work["lines"] > budget:  # stop at once: the quadratic path would run for minutes
            raise AssertionError(f"more than {budget} lines scanned")

    step, longest = lcs._patience_step, difflib.SequenceMatcher.find_longest_match

    def counted_step(a: Any, b: Any, alo: int, ahi: int, blo: int, bhi: int, out: Any) -> Any:
        spend(ahi - alo + bhi - blo)
        return step(a, b, alo, ahi, blo, bhi, out)

    def counted_longest(
        self: Any, alo: int = 0, ahi: Any = None, blo: int = 0, bhi: Any = None
    ) -> Any:
        spend((len(self.a) if ahi is None else ahi) - alo)
        return longest(self, alo, ahi, blo, bhi)

    monkeypatch.setattr(lcs, "_patience_step", counted_step)
    monkeypatch.setattr(difflib.SequenceMatcher, "find_longest_match", counted_longest)
    merged = merge_text(*sides, labels=MergeLabels())
    assert len(merged.hunks) == hunks
    assert work["lines"] > 0


def test_the_hunks_of_a_long_conflict_keep_every_line() -> None:
    base, local, remote = _sides(300, shared_base=False)
    merged = merge_text(base, local, remote, labels=MergeLabels())
    assert [h.ours for h in merged.hunks] == [f"local {h}\n" for h in range(300)]
    assert [h.theirs for h in merged.hunks] == [f"remote {h}\n" for h in range(300)]
    assert merged.text.count("    return x\n") == 300
