"""Benchmark: the review page (``nbcollab diff --format html``) of a notebook whose one long
line changed, against difflib's side-by-side HTML table of the same two sources.

Run by hand: ``python tests/benchmarks/bench_review.py [--sizes 10000 60000 240000]``.

A size is the number of items in a minified one-line list (``x = [1, 1, ...]`` becomes
``x = [2, 2, ...]``, three characters an item), the generated code a review meets. nbcollab
shows such a line plain and marks it whole instead of lexing it and comparing it character by
character (quadratic); the tests check that it does, this reports the time. Both run
interleaved, best of ``--runs``; printed: seconds and difflib/nbcollab ratios.
"""

from __future__ import annotations

import argparse
import difflib

from timing import best_of

from nbcollab.diff.compute import diff_notebooks
from nbcollab.render.html import render_html


def notebook(source: str) -> dict:
    return {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": "c",
                "metadata": {},
                "outputs": [],
                "source": source,
            }
        ],
        "metadata": {"kernelspec": {"name": "python3", "language": "python", "display_name": "P"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def ours(old: str, new: str) -> object:
    page = render_html([("a/nb.ipynb", "b/nb.ipynb", diff_notebooks(notebook(old), notebook(new)))])
    assert "<del>" in page
    return page


def difflib_table(old: str, new: str) -> object:
    return difflib.HtmlDiff().make_table(old.splitlines(), new.splitlines())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 60_000, 240_000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print("(seconds; ratio = difflib / nbcollab)")
    print(f"{'items':>7} {'characters':>10} {'nbcollab':>9} {'difflib':>9} {'ratio':>7}")
    for size in args.sizes:
        old, new = "x = [" + "1, " * size + "]", "x = [" + "2, " * size + "]"
        times = best_of(
            args.runs,
            {
                "ours": lambda old=old, new=new: ours(old, new),
                "difflib": lambda old=old, new=new: difflib_table(old, new),
            },
        )
        print(
            f"{size:>7} {len(old):>10} {times['ours']:9.3f} {times['difflib']:9.3f} "
            f"{times['difflib'] / times['ours']:6.1f}x",
            flush=True,
        )


if __name__ == "__main__":
    main()
