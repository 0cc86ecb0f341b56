"""Benchmark: `clean --normalize` against the peers' keep-outputs modes on the same notebooks.

Run by hand (not collected by pytest)::

    python tests/benchmarks/bench_normalize.py [--repeat 3] [--limit 200]

No peer tool writes normalized outputs; the nearest work is stripping metadata while keeping
outputs: `nbstripout --keep-output --keep-count` and `nb-clean clean --preserve-cell-outputs
--preserve-execution-counts`. Each tool rewrites fresh copies of the corpus notebooks that carry
outputs, in one call per tool over all files (what a pre-commit hook does); the script prints the
best wall time, the ratio to nbcollab, and the bytes each tool leaves.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_clean import CORPUS, ROOT, real_path, usable_notebooks

NBCOLLAB = [sys.executable, "-m", "nbcollab", "clean", "--normalize"]


def with_outputs(paths: list[Path]) -> list[Path]:
    return [path for path in paths if b'"output_type"' in path.read_bytes()]


def run_tool(command: list[str], notebooks: list[Path], repeat: int) -> tuple[float, int]:
    """Best wall time of ``command FILES`` over fresh copies, and the bytes it leaves."""
    best, size = float("inf"), 0
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            copies = []
            for path in notebooks:
                copy = Path(tmp) / path.name
                shutil.copyfile(path, copy)
                copies.append(str(copy))
            start = time.perf_counter()
            subprocess.run([*command, *copies], check=False, capture_output=True)
            best = min(best, time.perf_counter() - start)
            size = sum(Path(copy).stat().st_size for copy in copies)
    return best, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--limit", type=int, default=200)
    args = parser.parse_args()
    if not CORPUS.is_dir():
        raise SystemExit(f"corpus not found at {CORPUS}")
    notebooks = with_outputs(usable_notebooks(args.limit))
    print(
        f"{len(notebooks)} corpus notebooks with outputs, "
        f"{sum(p.stat().st_size for p in notebooks):,} bytes (nbcollab from {ROOT})"
    )
    tools = {"nbcollab clean --normalize": NBCOLLAB}
    if real_path("nbstripout"):
        tools["nbstripout --keep-output --keep-count"] = [
            real_path("nbstripout"),
            "--keep-output",
            "--keep-count",
        ]
    if real_path("nb-clean"):
        tools["nb-clean --preserve-cell-outputs"] = [
            real_path("nb-clean"),
            "clean",
            "--preserve-cell-outputs",
            "--preserve-execution-counts",
        ]
    results = {name: run_tool(command, notebooks, args.repeat) for name, command in tools.items()}
    base = results["nbcollab clean --normalize"][0]
    for name, (seconds, size) in results.items():
        print(f"{name:45s} {seconds:7.2f} s  {seconds / base:6.1f}x  {size:,} bytes")


if __name__ == "__main__":
    main()
