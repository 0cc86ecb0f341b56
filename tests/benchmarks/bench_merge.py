"""nbcollab merge vs nbdime's nbmerge on generated merge triplets (and the corpus merges).

Run by hand: ``python tests/benchmarks/bench_merge.py [--sizes 100 500 2000 5000] [--timeout S]``.
Both tools run as the command a user (or git) runs, on the same files: ``nbcollab merge`` and
``nbmerge``, wall time of the whole process. The in-process time of ``merge_notebooks`` (parse,
merge, serialize) shows how the core grows with the notebook; ``floor`` is what no merge can
beat, the process that only parses the three files with the standard library and writes one
back as Jupyter writes it, and ``x floor`` is the default merge (trust check on) against it.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import make_merge_triplet, write_notebook

ROOT = Path(__file__).resolve().parents[2]
MERGES = ROOT.parent / "shared" / "corpus" / "merges"


def timed(command: list[str], timeout: float) -> float | None:
    """Wall seconds of a command, None past the timeout (exit 0 and 1 both count as done)."""
    started = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return None
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{command[0]} failed: {done.stderr.decode()[-300:]}")
    return time.perf_counter() - started


def in_process(files: list[Path], repeat: int = 3) -> float:
    """Best time of parse + merge + serialize inside one process."""
    from nbcollab.merge.notebook import merge_notebooks
    from nbcollab.notebook.codec import parse_notebook, serialize_notebook

    raw = [f.read_bytes() for f in files]
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        versions = [parse_notebook(data) for data in raw]
        serialize_notebook(merge_notebooks(*versions).notebook)
        best = min(best, time.perf_counter() - started)
    return best


_FLOOR = """
import json, sys
nbs = [json.loads(open(p, "rb").read()) for p in sys.argv[1:4]]
text = json.dumps(nbs[1], indent=1, sort_keys=True, ensure_ascii=False) + "\\n"
open(sys.argv[4], "w", encoding="utf-8").write(text)
"""


def floor_command(files: list[Path], out: Path) -> list[str]:
    """Parse the three files and write one: the floor of any merge command."""
    return [sys.executable, "-c", _FLOOR, *map(str, files), str(out)]


def signed_command(files: list[Path], out: Path) -> list[str]:
    """``nbcollab merge`` as git's driver runs it by default: with the trust check."""
    return [sys.executable, "-m", "nbcollab", "merge", *map(str, files), "-o", str(out)]


def driver_command(files: list[Path], out: Path) -> list[str]:
    """git's merge driver, merging into ``out`` (a copy of ours, as git's %A is)."""
    shutil.copyfile(files[1], out)
    base, _, theirs = map(str, files)
    return [sys.executable, "-m", "nbcollab", "git-merge", base, str(out), theirs, "7", "nb.ipynb"]


def commands(files: list[Path], out: Path) -> tuple[list[str], list[str]]:
    ours = [
        sys.executable,
        "-m",
        "nbcollab",
        "merge",
        *map(str, files),
        "-o",
        str(out),
        "--no-sign",
    ]
    theirs = [sys.executable, "-m", "nbdime", "merge", *map(str, files), "--out", str(out)]
    return ours, theirs


def bench_generated(sizes: list[int], timeout: float) -> None:
    print(
        f"{'cells':>6} {'ids':>4} {'core ms':>8} {'nbcollab s':>11} {'nbmerge s':>10} {'ratio':>7}"
        f" {'floor s':>8} {'signed s':>9} {'x floor':>8}"
    )
    for with_ids in (False, True):
        for size in sizes:
            with tempfile.TemporaryDirectory() as tmp:
                files = [
                    write_notebook(Path(tmp) / f"{name}.ipynb", nb)
                    for name, nb in zip(
                        ("base", "local", "remote"), make_merge_triplet(size, with_ids=with_ids)
                    )
                ]
                out = Path(tmp) / "out.ipynb"
                ours, theirs = commands(files, out)
                core = in_process(files)
                runs = [
                    (
                        timed(floor_command(files, out), timeout),
                        timed(signed_command(files, out), timeout),
                        timed(ours, timeout),
                    )
                    for _ in range(3)
                ]
                floor, signed, mine = (
                    min(t for t in column if t is not None) for column in zip(*runs)
                )
                other = timed(theirs, timeout)
            ratio = f"{other / mine:7.1f}" if other else "    n/a"
            other_text = f"{other:10.2f}" if other else f"{'>' + str(int(timeout)):>10}"
            print(
                f"{size:6} {'yes' if with_ids else 'no':>4} {core * 1000:8.1f} {mine:11.3f} "
                f"{other_text} {ratio} {floor:8.3f} {signed:9.3f} {signed / floor:8.1f}",
                flush=True,
            )


def bench_corpus(timeout: float) -> None:
    cases = [
        c
        for c in sorted(MERGES.iterdir())
        if (c / "case.json").is_file()
        and json.loads((c / "case.json").read_text())["change_kind"] == "M/M"
    ]
    mine, other, floors, drivers = [], [], [], []
    for case in cases:
        files = [case / f"{n}.ipynb" for n in ("base", "p1", "p2")]
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "out.ipynb"
            ours, theirs = commands(files, out)
            try:
                a, b = timed(ours, timeout), timed(theirs, timeout)
                floor = timed(floor_command(files, out), timeout)
                driver = timed(driver_command(files, out), timeout)
            except (RuntimeError, UnicodeDecodeError, ValueError):
                continue  # an input that is not a notebook: nothing to time
        if a and b and floor and driver:
            mine.append(a)
            other.append(b)
            floors.append(floor)
            drivers.append(driver)
    print(
        f"\ncorpus M/M merges ({len(mine)}): median nbcollab {statistics.median(mine):.3f} s, "
        f"nbmerge {statistics.median(other):.3f} s, "
        f"ratio of medians {statistics.median(other) / statistics.median(mine):.1f}x"
    )
    print(
        f"as git runs it (the merge driver, trust check on): median "
        f"{statistics.median(drivers):.3f} s; parse + write floor {statistics.median(floors):.3f} s; "
        f"{statistics.median(drivers) / statistics.median(floors):.1f}x the floor"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 500, 2000, 5000])
    parser.add_argument("--timeout", type=float, default=600.0, help="per nbmerge run")
    parser.add_argument("--no-corpus", action="store_true")
    args = parser.parse_args()
    bench_generated(args.sizes, args.timeout)
    if not args.no_corpus and MERGES.is_dir():
        bench_corpus(args.timeout)


if __name__ == "__main__":
    main()
