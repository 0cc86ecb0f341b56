"""Benchmark: running a repository's notebooks, nbcollab against nbmake, nbval and jupyter-cache.

Run by hand (not collected by pytest), with the ``bench`` extra installed::

    python tests/benchmarks/bench_execute.py [--notebooks 30] [--rounds 1]

It writes ``--notebooks`` small notebooks (three code cells each, stored outputs from a real run)
into a temporary git repository with a ``uv.lock``, then:

1. the cache scenario: ``nbcollab execute`` first run, second run, after editing one notebook,
   after changing the lockfile (how many executed each time);
2. wall time, command line to exit, of each tool on the same notebooks, every tool once per
   round, rounds interleaved: nbcollab ``-j 1`` and ``-j 2`` on an empty cache, nbcollab on a
   warm cache, ``pytest --nbcollab -n 2`` cold and warm, nbmake (``pytest --nbmake``) with and
   without ``-n 2``, nbval (``pytest --nbval``, comparing outputs as nbcollab does), and
   jupyter-cache (``jcache project execute``) on an empty cache and again on its warm cache.

The machine is shared: compare the ratios of one run, not seconds across runs.
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
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent

from nbcollab.notebook.codec import serialize_notebook


def make_notebook(index: int) -> dict:
    cells = [
        f"import math\nvalues = [math.sqrt(i) for i in range({1000 + index})]",
        "total = sum(values)\nprint(round(total, 3))",
        f"{{'notebook': {index}, 'count': len(values)}}",
    ]
    return {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": f"c{n}",
                "metadata": {},
                "outputs": [],
                "source": source,
            }
            for n, source in enumerate(cells)
        ],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def make_repository(folder: Path, count: int) -> Path:
    repo = folder / "repo"
    (repo / "nbs").mkdir(parents=True)
    git(repo, "init", "-q")
    (repo / "uv.lock").write_text("version = 1\n")
    for index in range(count):
        path = repo / "nbs" / f"nb{index:03d}.ipynb"
        path.write_text(serialize_notebook(make_notebook(index)))
    # Stored outputs from a real run, so that the tools that compare outputs have some.
    run(["nbcollab", "lint", "--execute", "--write", "--select", "X", "nbs"], repo)
    return repo


def run(command: list[str], cwd: Path, answer: str | None = None) -> tuple[float, str]:
    """Wall time of ``command`` (from start to exit) and its output."""
    executable = str(BIN / command[0]) if (BIN / command[0]).exists() else command[0]
    start = time.perf_counter()
    done = subprocess.run(
        [executable, *command[1:]],
        cwd=cwd,
        input=answer,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(
            f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}"
        )
    return seconds, done.stdout + done.stderr


def last_line(text: str, needle: str) -> str:
    return next((line for line in reversed(text.splitlines()) if needle in line), text[-200:])


def cache_scenario(repo: Path) -> None:
    cache = repo.parent / "scenario-cache"
    execute = ["nbcollab", "execute", "--cache-dir", str(cache)]
    steps: list[tuple[str, Callable[[], None]]] = [
        ("first run", lambda: None),
        ("second run", lambda: None),
        ("after editing one notebook", lambda: _edit(repo / "nbs" / "nb000.ipynb")),
        ("after changing the lockfile", lambda: _relock(repo)),
    ]
    print("cache scenario (nbcollab execute):")
    for label, change in steps:
        change()
        seconds, out = run(execute, repo)
        print(f"  {label:30} {last_line(out, 'notebooks:'):50} {seconds:6.1f} s")
    (repo / "uv.lock").write_text("version = 1\n")
    _edit(repo / "nbs" / "nb000.ipynb", undo=True)


def _relock(repo: Path) -> None:
    (repo / "uv.lock").write_text("version = 2\n")


def _edit(path: Path, *, undo: bool = False) -> None:
    nb = json.loads(path.read_text())
    source = nb["cells"][1]["source"]
    lines = source if isinstance(source, list) else [source]
    text = "".join(lines)
    text = text.replace("\n# edited", "") if undo else text + "\n# edited"
    nb["cells"][1]["source"] = text
    path.write_text(json.dumps(nb, indent=1) + "\n")


Timed = Callable[[], tuple[float, str]]


def timed_tools(repo: Path, work: Path) -> dict[str, Timed]:
    def fresh(name: str) -> Path:
        folder = work / name
        shutil.rmtree(folder, ignore_errors=True)
        return folder

    def nbcollab(jobs: int, *, warm: bool = False) -> Timed:
        def go() -> tuple[float, str]:
            cache = work / "warm-cache" if warm else fresh(f"cache-j{jobs}")
            return run(
                ["nbcollab", "execute", "-j", str(jobs), "--cache-dir", str(cache), "nbs"], repo
            )

        return go

    def pytest(*args: str, cache: Path | None = None, target: str = "nbs") -> Timed:
        def go() -> tuple[float, str]:
            extra = (
                ["--nbcollab-cache-dir", str(cache or fresh("cache-pytest"))]
                if "--nbcollab" in args
                else []
            )
            command = [
                "python",
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                *args,
                *extra,
                target,
            ]
            return run(command, repo)

        return go

    def jcache(*, warm: bool) -> Timed:
        def go() -> tuple[float, str]:
            cache = work / "jcache-warm" if warm else fresh("jcache")
            if not warm or not cache.exists():
                notebooks = sorted(str(p) for p in (repo / "nbs").glob("*.ipynb"))
                # jcache asks before it creates a cache.
                run(["jcache", "notebook", "-p", str(cache), "add", *notebooks], repo, "y\n")
            return run(["jcache", "project", "-p", str(cache), "execute"], repo)

        return go

    # Warm caches are filled once, untimed, before the rounds.
    run(["nbcollab", "execute", "--cache-dir", str(work / "warm-cache"), "nbs"], repo)
    run(
        [
            "python",
            "-m",
            "pytest",
            "-q",
            "--nbcollab",
            "--nbcollab-cache-dir",
            str(work / "warm-pytest"),
            "nbs",
        ],
        repo,
    )
    jcache(warm=True)()
    (repo / "test_empty.py").write_text("def test_nothing():\n    pass\n")
    return {
        "pytest -n 2, one empty test": pytest("-n", "2", target="test_empty.py"),
        "nbcollab -j 1 (cold)": nbcollab(1),
        "nbcollab -j 2 (cold)": nbcollab(2),
        "nbcollab (warm)": nbcollab(2, warm=True),
        "pytest --nbcollab -n 2 (cold)": pytest("--nbcollab", "-n", "2"),
        "pytest --nbcollab -n 2 (warm)": pytest(
            "--nbcollab", "-n", "2", cache=work / "warm-pytest"
        ),
        "nbmake": pytest("--nbmake"),
        "nbmake -n 2": pytest("--nbmake", "-n", "2"),
        "nbval": pytest("--nbval"),
        "jupyter-cache (cold)": jcache(warm=False),
        "jupyter-cache (warm)": jcache(warm=True),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--notebooks", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-execute-") as folder:
        work = Path(folder)
        repo = make_repository(work, args.notebooks)
        cache_scenario(repo)
        tools = timed_tools(repo, work)
        times: dict[str, list[float]] = {name: [] for name in tools}
        for round_ in range(args.rounds):
            for name, go in tools.items():
                seconds, output = go()
                times[name].append(seconds)
                if round_ == 0:  # what each tool said, to see that it ran the notebooks
                    said = [line for line in output.splitlines() if line.strip()]
                    print(f"  {name:32} {said[-1][:90] if said else ''}")
        best = {name: min(values) for name, values in times.items()}
        print(f"\nwall time, {args.notebooks} notebooks, best of {args.rounds} round(s):")
        for name, seconds in best.items():
            spread = f" (median {statistics.median(times[name]):.1f})" if args.rounds > 1 else ""
            print(f"  {name:32} {seconds:7.1f} s{spread}")
        print("\nratios:")
        pairs = [
            ("nbcollab -j 1 (cold)", "nbcollab -j 2 (cold)"),
            ("nbmake", "nbcollab -j 1 (cold)"),
            ("nbmake -n 2", "nbcollab -j 2 (cold)"),
            ("nbmake -n 2", "pytest --nbcollab -n 2 (cold)"),
            ("nbval", "nbcollab -j 1 (cold)"),
            ("jupyter-cache (cold)", "nbcollab -j 1 (cold)"),
            ("jupyter-cache (warm)", "nbcollab (warm)"),
            ("nbmake -n 2", "pytest --nbcollab -n 2 (warm)"),
            ("nbmake -n 2", "nbcollab (warm)"),
        ]
        for slow, fast in pairs:
            print(f"  {slow} / {fast}: {best[slow] / best[fast]:.2f}")


if __name__ == "__main__":
    main()
