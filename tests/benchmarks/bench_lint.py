"""Benchmark: static `nbcollab lint` of the whole corpus in one process, against nborder.

Run by hand (not collected by pytest)::

    python tests/benchmarks/bench_lint.py [--repeat 3]

Both tools lint the same files (every corpus notebook that parses) in one process each: nbcollab
through `python -m nbcollab lint`, nborder through its console script (`nborder check`, from
the peers' virtualenv or PATH). Prints notebooks/second and the findings per tool. nborder stops
at the first notebook it cannot handle, so it is also run one file at a time to count how many
files it lints at all.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus" / "notebooks"
PEERS = Path("/work/venv-peers/bin")


def nborder_path() -> str | None:
    beside = PEERS / "nborder"
    return str(beside) if beside.is_file() else shutil.which("nborder")


def timed(command: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    return time.perf_counter() - start, done


def readable(paths: list[Path]) -> list[Path]:
    sys.path.insert(0, str(ROOT))
    from nbcollab.errors import InvalidNotebook
    from nbcollab.notebook_io import parse_notebook

    found = []
    for path in paths:
        try:
            parse_notebook(path.read_bytes())
            found.append(path)
        except InvalidNotebook:
            continue
    return found


def run_ours(files: list[str], repeat: int) -> float:
    """Median seconds to lint every file in this process (what a long-lived hook would pay)."""
    from nbcollab.lint.files import lint_files
    from nbcollab.lint.options import LintOptions

    options = LintOptions()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _result in lint_files([Path(f) for f in files], lambda _: options):
            pass
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    files = [str(p) for p in readable(sorted(CORPUS.glob("*.ipynb")))]
    median = run_ours(files, args.repeat)
    print(f"nbcollab lint in-process: {len(files)} notebooks in {median:.2f} s = "
          f"{len(files) / median:.0f} notebooks/s")
    ours = [sys.executable, "-m", "nbcollab", "lint", "--format", "json", *files]
    times = [timed(ours)[0] for _ in range(args.repeat)]
    _, done = timed(ours)
    rate = len(files) / statistics.median(times)
    print(f"nbcollab lint CLI: exit {done.returncode}, median {statistics.median(times):.2f} s "
          f"= {rate:.0f} notebooks/s (start-up included), "
          f"{len(json.loads(done.stdout)['findings'])} findings")
    peer = nborder_path()
    if peer is None:
        print("nborder: not installed (pip install nborder), skipped")
        return
    command = [peer, "check", "--output-format", "json", *files]
    times = [timed(command)[0] for _ in range(args.repeat)]
    _, done = timed(command)
    last = done.stderr.strip().splitlines()[-1][:160] if done.stderr.strip() else "-"
    rate = len(files) / statistics.median(times)
    print(f"nborder check (one call, all files): exit {done.returncode}, median "
          f"{statistics.median(times):.2f} s = {rate:.0f} notebooks/s; stderr: {last}")
    linted = 0
    start = time.perf_counter()
    for path in files:
        single = subprocess.run([peer, "check", path], capture_output=True, text=True, check=False)
        linted += single.returncode in (0, 1)
    elapsed = time.perf_counter() - start
    print(
        f"nborder one file at a time: {linted}/{len(files)} linted (exit 0 or 1), "
        f"{elapsed:.1f} s = {len(files) / elapsed:.1f} notebooks/s"
    )


if __name__ == "__main__":
    main()
