"""Benchmark: `nbcollab show` against nbdime's `nbshow` on corpus notebooks.

Run by hand (not collected by pytest)::

    python tests/benchmarks/bench_show.py [--repeat 3] [--sizes 5]

Picks notebooks of increasing size from the corpus and times, per notebook, one command each
(`nbcollab show NB --no-pager --color never` and `nbshow NB`, both writing to a pipe, where
neither pages nor colours), and the library call alone (nbcollab: `parse_notebook` +
`show_notebook`; nbdime: `nbformat.read` + `nbdime.prettyprint.pretty_print_notebook`).
nbshow is taken from $NBCOLLAB_PEERS (default: venv-peers beside the project) or PATH; the corpus from beside the project.
"""

from __future__ import annotations

import argparse
import io
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


def best(fn: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def pick(count: int) -> list[Path]:
    """Valid nbformat 4 notebooks spread over the size range of the corpus."""
    sys.path.insert(0, str(ROOT))
    from nbcollab.errors import InvalidNotebook
    from nbcollab.notebook.codec import parse_notebook

    usable = []
    for path in sorted(CORPUS.glob("*.ipynb"), key=lambda p: p.stat().st_size):
        try:
            if parse_notebook(path.read_bytes())["nbformat"] == 4:
                usable.append(path)
        except InvalidNotebook:
            continue
    step = max(1, (len(usable) - 1) // max(1, count - 1))
    return [usable[min(k * step, len(usable) - 1)] for k in range(count)]


def run(cmd: list[str]) -> None:
    subprocess.run(cmd, check=True, capture_output=True)


def lib_nbcollab(path: Path) -> None:
    from nbcollab.notebook.codec import parse_notebook
    from nbcollab.render.show import show_notebook

    show_notebook(parse_notebook(path.read_bytes()), name=path.name)


def lib_nbdime(path: Path) -> None:
    import nbformat
    from nbdime.prettyprint import PrettyPrintConfig, pretty_print_notebook

    nb = nbformat.read(str(path), as_version=4)
    pretty_print_notebook(nb, PrettyPrintConfig(out=io.StringIO(), use_color=False))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sizes", type=int, default=5)
    args = parser.parse_args()
    nbshow = str(PEERS / "nbshow") if (PEERS / "nbshow").is_file() else shutil.which("nbshow")
    peers_python = PEERS / "python"
    print(
        "| notebook KiB | cells | nbcollab cli | nbshow cli | ratio | nbcollab lib | nbdime lib "
        "| ratio |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    ratios = []
    for path in pick(args.sizes):
        import json

        cells = len(json.loads(path.read_bytes()).get("cells", []))
        ours = best(
            lambda p=path: run(
                [sys.executable, "-m", "nbcollab", "show", str(p), "--no-pager", "--color", "never"]
            ),
            args.repeat,
        )
        theirs = best(lambda p=path: run([nbshow, str(p)]), args.repeat) if nbshow else float("nan")
        lib_ours = best(lambda p=path: lib_nbcollab(p), args.repeat)
        lib_theirs = float("nan")
        if peers_python.is_file():
            code = (
                f"import time,sys; sys.path.insert(0, {str(Path(__file__).parent)!r});"
                "from bench_show import lib_nbdime; from pathlib import Path; t=[];"
                f"[(s:=time.perf_counter(), lib_nbdime(Path({str(path)!r})), "
                f"t.append(time.perf_counter()-s)) for _ in range({args.repeat})];"
                "print(min(t))"
            )
            done = subprocess.run([str(peers_python), "-c", code], capture_output=True, text=True)
            lib_theirs = float(done.stdout.strip() or "nan")
        ratios.append(theirs / ours)
        print(
            f"| {path.stat().st_size // 1024} | {cells} | {ours:.3f} | {theirs:.3f} | "
            f"{theirs / ours:.1f}x | {lib_ours:.4f} | {lib_theirs:.4f} | "
            f"{lib_theirs / lib_ours:.1f}x |"
        )
    print(f"\nmedian cli ratio (nbshow / nbcollab show): {statistics.median(ratios):.1f}x")


if __name__ == "__main__":
    main()
