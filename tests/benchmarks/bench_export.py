"""Benchmark: the import hook (first import, cached import) against a plain .py import and
importnb, and ``nbcollab export`` against ``jupyter nbconvert --to script``.

Run by hand (not collected by pytest)::

    python tests/benchmarks/bench_export.py [--repeat 7] [--cells 100] [--peers PYTHON]

It writes a notebook of ``--cells`` code cells (every other one an ``#| export`` function, the
rest scratch work with a text output; no magics, which importnb cannot skip) into a temp folder.
Each import is timed inside a fresh interpreter, around the ``import`` statement alone
(interpreter start-up excluded), median of ``--repeat`` runs. Bytecode writing is on for these runs (PYTHONDONTWRITEBYTECODE unset).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
# The peer tools live in their own virtualenv (their pins clash with the test extras):
# NBCOLLAB_PEERS names its folder (default: venv-peers beside the project).
PEERS = Path(os.environ.get("NBCOLLAB_PEERS", ROOT.parent / "venv-peers")) / "bin" / "python"

from nbcollab.notebook.codec import serialize_notebook

TIMED_IMPORT = """
import sys, time
sys.path.insert(0, {folder!r})
{setup}
start = time.perf_counter()
{statement}
print(time.perf_counter() - start)
"""


def make_notebook(cells: int) -> dict:
    out = []
    for i in range(cells):
        if i % 2 == 0:
            source = (
                f"#| export\ndef function_{i}(x, y={i}):\n    total = x + y\n    return total * {i}"
            )
            outputs: list = []
        else:
            source = f"result_{i} = function_{i - 1}({i})\nprint(result_{i})"
            outputs = [{"name": "stdout", "output_type": "stream", "text": "x" * 2000 + "\n"}]
        out.append(
            {
                "cell_type": "code",
                "execution_count": None,
                "id": f"cell{i}",
                "metadata": {},
                "outputs": outputs,
                "source": source,
            }
        )
    return {
        "cells": out,
        "metadata": {
            "kernelspec": {"language": "python", "name": "python3", "display_name": "Python 3"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def env() -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    out["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), out.get("PYTHONPATH")]))
    return out


def timed_import(python: str, folder: Path, setup: str, statement: str) -> float:
    script = TIMED_IMPORT.format(folder=str(folder), setup=setup, statement=statement)
    done = subprocess.run(
        [python, "-c", script], env=env(), capture_output=True, text=True, check=True
    )
    return float(done.stdout.strip().splitlines()[-1])


def median_ms(repeat: int, run, before=None) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        if before:
            before()
        times.append(run())
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--cells", type=int, default=100)
    parser.add_argument("--peers", type=Path, default=PEERS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "bench_nb.ipynb").write_text(serialize_notebook(make_notebook(args.cells)))
        size = (folder / "bench_nb.ipynb").stat().st_size
        subprocess.run(
            [sys.executable, "-m", "nbcollab", "export", "bench_nb.ipynb", "-o", "plain_module.py"],
            cwd=folder,
            env=env(),
            check=True,
            capture_output=True,
        )
        cache = folder / "__pycache__"
        hook = "import nbcollab.importer"
        py = sys.executable

        def clear() -> None:
            shutil.rmtree(cache, ignore_errors=True)

        rows = {
            "import nbcollab.importer (the hook itself)": median_ms(
                args.repeat, lambda: timed_import(py, folder, "", hook)
            ),
            "nbcollab hook, first import (no cache)": median_ms(
                args.repeat, lambda: timed_import(py, folder, hook, "import bench_nb"), clear
            ),
        }
        timed_import(py, folder, hook, "import bench_nb")
        rows["nbcollab hook, cached import"] = median_ms(
            args.repeat, lambda: timed_import(py, folder, hook, "import bench_nb")
        )
        rows["plain .py import, no .pyc"] = median_ms(
            args.repeat, lambda: timed_import(py, folder, "", "import plain_module"), clear
        )
        timed_import(py, folder, "", "import plain_module")
        rows["plain .py import, cached .pyc"] = median_ms(
            args.repeat, lambda: timed_import(py, folder, "", "import plain_module")
        )
        if args.peers.is_file():
            setup = "from importnb import Notebook\nloader = Notebook(include_non_defs=False)"
            rows["importnb (defs only), every import"] = median_ms(
                args.repeat,
                lambda: timed_import(
                    str(args.peers), folder, setup, "with loader: import bench_nb"
                ),
            )
        rows.update(export_timings(folder, args.peers))
        print(f"notebook: {args.cells} code cells, {size // 1024} KiB; median of {args.repeat}\n")
        print("| what | ms |\n| --- | --- |")
        for label, ms in rows.items():
            print(f"| {label} | {ms:.1f} |")


def export_timings(folder: Path, peers: Path) -> dict[str, float]:
    """One export each, as a command (interpreter start-up included)."""
    out = {}
    commands = {
        "nbcollab export (command)": [
            sys.executable,
            "-m",
            "nbcollab",
            "export",
            "bench_nb.ipynb",
            "-o",
            "by_nbcollab.py",
        ]
    }
    nbconvert = peers.parent / "jupyter-nbconvert"
    if nbconvert.is_file():
        commands["jupyter nbconvert --to script (command)"] = [
            str(nbconvert),
            "--to",
            "script",
            "bench_nb.ipynb",
            "--output",
            "by_nbconvert",
        ]
    for label, command in commands.items():
        start = time.perf_counter()
        subprocess.run(command, cwd=folder, env=env(), check=True, capture_output=True)
        out[label] = (time.perf_counter() - start) * 1000
    return out


if __name__ == "__main__":
    main()
