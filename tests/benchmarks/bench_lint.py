"""Benchmark: static `nbcollab lint` of the whole corpus in one process, against nborder.

Run by hand (not collected by pytest)::

    python tests/benchmarks/bench_lint.py [--repeat 3]

Both tools lint the same files (every corpus notebook that parses) in one process each: nbcollab
through `python -m nbcollab lint`, nborder through its console script (`nborder check`, from
the peers' virtualenv or PATH). Prints notebooks/second. nborder stops at the first notebook it
cannot handle; ``--each`` also runs it one file at a time to count how many files it lints.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus" / "notebooks"
# The peer tools live in their own virtualenv (their pins clash with the test extras):
# NBCOLLAB_PEERS names its folder (default: venv-peers beside the project).
PEERS = Path(os.environ.get("NBCOLLAB_PEERS", ROOT.parent / "venv-peers")) / "bin"


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
    from nbcollab.notebook.codec import parse_notebook

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


# Run by nborder's own interpreter: lint each file in one process, as nborder's CLI loop does,
# but carry on past a notebook it cannot parse (its CLI stops the whole run there).
NBORDER_PROBE = r"""
import json, sys, time
from pathlib import Path
from collections import Counter
from nborder.check import check_notebook
from nborder.config import load_config
from nborder.parser.reader import read_notebook
levels = frozenset({"error", "warning"})
files = json.load(sys.stdin)
ok, codes, failed = [], Counter(), []
start = time.perf_counter()
for path in files:
    try:
        found = check_notebook(read_notebook(Path(path)), load_config(Path(path)),
                               include_levels=levels)
    except Exception as exc:
        failed.append(f"{path}: {type(exc).__name__}")
        continue
    ok.append(path)
    codes.update({d.code for d in found})
print(json.dumps({"seconds": time.perf_counter() - start, "ok": ok, "codes": codes,
                  "failed": failed}))
"""


def probe_nborder(python: str, files: list[str]) -> dict:  # type: ignore[type-arg]
    done = subprocess.run(
        [python, "-c", NBORDER_PROBE],
        input=json.dumps(files),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def our_codes(files: list[str]) -> dict[str, int]:
    from collections import Counter

    from nbcollab.lint.files import lint_files
    from nbcollab.lint.options import LintOptions

    codes: Counter[str] = Counter()
    for result in lint_files([Path(f) for f in files], lambda _: LintOptions(select=("ALL",))):
        codes.update({f.code for f in result.findings})
    return dict(sorted(codes.items()))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--each", action="store_true", help="also run nborder file by file (slow)")
    args = parser.parse_args()
    files = [str(p) for p in readable(sorted(CORPUS.glob("*.ipynb")))]
    median = run_ours(files, args.repeat)
    print(
        f"nbcollab lint in-process: {len(files)} notebooks in {median:.2f} s = "
        f"{len(files) / median:.0f} notebooks/s"
    )
    ours = [sys.executable, "-m", "nbcollab", "lint", "--format", "json", *files]
    times = [timed(ours)[0] for _ in range(args.repeat)]
    _, done = timed(ours)
    rate = len(files) / statistics.median(times)
    print(
        f"nbcollab lint CLI: exit {done.returncode}, median {statistics.median(times):.2f} s "
        f"= {rate:.0f} notebooks/s (start-up included), "
        f"{len(json.loads(done.stdout)['findings'])} findings"
    )
    peer = nborder_path()
    if peer is None:
        print("nborder: not installed (pip install nborder), skipped")
        return
    probe = probe_nborder(str(Path(peer).parent / "python"), files)
    ok = probe["ok"]
    print(
        f"nborder in-process: {len(ok)}/{len(files)} notebooks linted "
        f"({len(probe['failed'])} raise) in {probe['seconds']:.2f} s = "
        f"{len(ok) / probe['seconds']:.0f} notebooks/s; notebooks per code: {probe['codes']}"
    )
    ours_same = run_ours(ok, args.repeat)
    print(
        f"nbcollab lint in-process on the same {len(ok)}: {ours_same:.2f} s = "
        f"{len(ok) / ours_same:.0f} notebooks/s; notebooks per code: {our_codes(ok)}"
    )
    command = [peer, "check", "--output-format", "json", *ok]
    times = [timed(command)[0] for _ in range(args.repeat)]
    ours = [sys.executable, "-m", "nbcollab", "lint", "--format", "json", *ok]
    our_times = [timed(ours)[0] for _ in range(args.repeat)]
    print(
        f"CLI on those {len(ok)}, start-up included: nborder {statistics.median(times):.2f} s, "
        f"nbcollab {statistics.median(our_times):.2f} s"
    )
    if args.each:
        count_each(peer, files)


def count_each(peer: str, files: list[str]) -> None:
    """How many files nborder lints when it is given them one at a time."""
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
