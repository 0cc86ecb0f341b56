"""Benchmark: the alignment under cells, outputs and lines (``nbcollab.align.lcs``) against
difflib's ``SequenceMatcher``, on the same long inputs.

Run by hand: ``python tests/benchmarks/bench_lcs.py [--sizes 2000 10000 50000 250000]``.

Three inputs a size: an insertion after every element (each element an anchor that opens a
sub-range of its own), the same list with its halves swapped (a move), and a list of few
distinct values (no unique anchor: the greedy fallback). Both tools run interleaved, best of
``--runs``; printed: seconds, difflib/nbcollab ratios, and nbcollab's growth per size step (5x
for 5x the input is linear). difflib is quadratic on the first input (42 s for 10,000 elements
on a shared 2-core machine) and is skipped above ``--max-difflib`` elements. The tests check
that the work is linear by counting comparisons; this reports the time.
"""

from __future__ import annotations

import argparse
import difflib
from collections.abc import Callable, Sequence
from typing import Any

from timing import best_of

from nbcollab.align.lcs import lcs_pairs


def inputs(n: int) -> dict[str, tuple[list[int], list[int]]]:
    a = list(range(n))
    return {
        "inserted": (a, [x for pair in zip(range(n), range(n, 2 * n)) for x in pair]),
        "moved": (a, a[n // 2 :] + a[: n // 2]),
        "repeated": ([i % 7 for i in range(n)], [i % 5 for i in range(n)]),
    }


def ours(a: Sequence[Any], b: Sequence[Any]) -> object:
    return lcs_pairs(a, b)


def difflib_blocks(a: Sequence[Any], b: Sequence[Any]) -> object:
    return difflib.SequenceMatcher(None, a, b).get_matching_blocks()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2_000, 10_000, 50_000, 250_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--max-difflib", type=int, default=5_000)
    args = parser.parse_args()
    print("(seconds; ratio = difflib / nbcollab; growth = time / time at the previous size)")
    print(f"{'input':>9} {'size':>7} {'nbcollab':>9} {'difflib':>9} {'ratio':>7} {'growth':>7}")
    previous: dict[str, float] = {}
    for size in args.sizes:
        for name, (a, b) in inputs(size).items():
            actions: dict[str, Callable[[], object]] = {"ours": lambda a=a, b=b: ours(a, b)}
            if size <= args.max_difflib:
                actions["difflib"] = lambda a=a, b=b: difflib_blocks(a, b)
            times = best_of(args.runs, actions)
            theirs = times.get("difflib")
            growth = times["ours"] / previous[name] if name in previous else None
            print(
                f"{name:>9} {size:>7} {times['ours']:9.3f} "
                + (
                    f"{theirs:9.3f} {theirs / times['ours']:6.1f}x "
                    if theirs
                    else f"{'skipped':>9} {'-':>7} "
                )
                + (f"{growth:6.1f}x" if growth is not None else f"{'-':>7}"),
                flush=True,
            )
            previous[name] = times["ours"]


if __name__ == "__main__":
    main()
