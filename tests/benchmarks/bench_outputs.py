"""Benchmark: shared outputs, in repository size and in restore time.

Run by hand (not collected by pytest)::

    python tests/benchmarks/bench_outputs.py [--commits 200] [--notebooks 200] [--repeat 5]

Sizes. One generated history of ``--commits`` commits of one notebook of 12 code cells, four of
them plots (PNG, about 30 KB each). Each commit edits one code cell and re-runs the notebook from
there: that cell's outputs and those of every cell below it are new, the cells above keep theirs
byte for byte. The same sequence of working files is committed three ways:

- committed: no filter, outputs in every commit (what teams that keep outputs do);
- published: the clean filter, and ``nbcollab outputs push`` every 10 commits to a bare remote
  (what a fresh clone downloads is that remote: branches plus the outputs ref), then
  ``nbcollab outputs prune origin --keep 10``;
- stripped: the clean filter, nothing published.

Each repository is measured after ``git gc --prune=now`` (``git count-objects -v``: packs and
loose objects). The output cache of the publishing clone is reported apart: it stays on that
clone, capped (1 GiB by default).

Restore time. ``--notebooks`` notebooks (two plots each) are published by one clone; another
clones and fetches them. Timed, best of ``--repeat``, interleaved, wall clock and CPU of the
process tree:

- ``nbcollab outputs restore`` filling every notebook of a fresh clone (output cache emptied);
- ``git checkout -- .`` of those notebooks through the filter, restored from the published
  outputs (output cache emptied);
- the peer: ``git checkout -- .`` of the same notebooks with their outputs committed (no filter):
  plain git writing the same working files.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import resource
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

from nbcollab.notebook.codec import serialize_notebook

NBCOLLAB = [sys.executable, "-m", "nbcollab"]
CELLS = 12
PLOTS = {3, 6, 9, 11}


def run(cwd: Path, *args: str) -> str:
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed in {cwd}:\n{done.stderr}")
    return done.stdout


def git(cwd: Path, *args: str) -> str:
    return run(cwd, "git", *args)


def nbcollab(cwd: Path, *args: str) -> str:
    return run(cwd, *NBCOLLAB, *args)


def scatter_png(rng: random.Random, width: int = 640, height: int = 480) -> str:
    """A scatter plot of random points with a fitted curve, as base64 PNG (~30 KB)."""
    pixels = bytearray(b"\xff" * width * height * 3)
    colour = bytes(rng.choice([(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40)]))
    for _ in range(900):
        x, y = rng.randrange(4, width - 4), rng.randrange(4, height - 4)
        for dx in range(-2, 3):
            for dy in range(-2, 3):
                at = ((y + dy) * width + x + dx) * 3
                pixels[at : at + 3] = colour
    phase = rng.random() * 6
    for x in range(width):
        y = int(height / 2 + height / 3 * math.sin(x / 80 + phase))
        pixels[(y * width + x) * 3 : (y * width + x) * 3 + 3] = b"\x00\x00\x00"
    rows = b"".join(
        b"\x00" + bytes(pixels[y * width * 3 : (y + 1) * width * 3]) for y in range(height)
    )

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9))
    import base64

    return base64.b64encode(png + chunk(b"IEND", b"")).decode()


def cell_outputs(index: int, rng: random.Random, count: int) -> list[dict[str, Any]]:
    if index in PLOTS:
        return [
            {
                "output_type": "display_data",
                "data": {"image/png": scatter_png(rng), "text/plain": "<Figure size 640x480>"},
                "metadata": {},
            }
        ]
    return [
        {
            "output_type": "execute_result",
            "execution_count": count,
            "data": {"text/plain": f"{rng.random():.6f}"},
            "metadata": {},
        }
    ]


class History:
    """The working files of a notebook edited and re-run, commit after commit."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.sources = [f"x{i} = step({i})\nresult_{i} = model(x{i})" for i in range(CELLS)]
        self.outputs = [cell_outputs(i, self.rng, i + 1) for i in range(CELLS)]
        self.counts = list(range(1, CELLS + 1))
        self.runs = CELLS

    def step(self, number: int) -> None:
        edited = self.rng.randrange(CELLS)
        self.sources[edited] += f"\n# change {number}"
        for index in range(edited, CELLS):  # re-run from the edit on
            self.runs += 1
            self.counts[index] = self.runs
            self.outputs[index] = cell_outputs(index, self.rng, self.runs)

    def text(self) -> bytes:
        cells = [
            {
                "cell_type": "code",
                "execution_count": self.counts[i],
                "id": f"cell-{i}",
                "metadata": {},
                "outputs": self.outputs[i],
                "source": self.sources[i],
            }
            for i in range(CELLS)
        ]
        nb = {
            "cells": cells,
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
        return serialize_notebook(nb).encode()


def objects_size(repo: Path) -> int:
    """Bytes of the repository's objects after garbage collection."""
    git(repo, "gc", "-q", "--prune=now")
    fields = dict(
        line.split(": ") for line in git(repo, "count-objects", "-v").splitlines() if ": " in line
    )
    return (int(fields["size"]) + int(fields["size-pack"])) * 1024


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def new_clone(base: Path, name: str, *install: str) -> tuple[Path, Path]:
    remote = base / f"{name}.git"
    git(base, "init", "-q", "--bare", str(remote))
    repo = base / name
    git(base, "clone", "-q", str(remote), str(repo))
    git(repo, "config", "user.name", "Alice")
    git(repo, "config", "user.email", "alice@example.com")
    if install:
        nbcollab(repo, "install", "--no-diff", "--no-merge", *install)
    return repo, remote


def sizes(base: Path, commits: int) -> None:
    committed, _ = new_clone(base, "committed")
    published, remote = new_clone(base, "published", "--attributes", "info")
    stripped, _ = new_clone(base, "stripped", "--attributes", "info", "--no-output-cache")
    history = History(seed=1)
    started = time.perf_counter()
    for number in range(commits):
        if number:
            history.step(number)
        text = history.text()
        for repo in (committed, published, stripped):
            (repo / "analysis.ipynb").write_bytes(text)
            git(repo, "add", "analysis.ipynb")
            git(repo, "commit", "-qm", f"commit {number}")
        if number % 10 == 9 or number == commits - 1:
            git(published, "push", "-q", "origin", "HEAD:main")
            nbcollab(published, "outputs", "push")
    print(f"built {commits} commits three ways in {time.perf_counter() - started:.0f} s")
    rows = [
        ("outputs committed", objects_size(committed)),
        ("published (the remote: branches + outputs ref)", objects_size(remote)),
    ]
    cache = folder_size(published / ".git" / "nbcollab")
    nbcollab(published, "outputs", "prune", "origin", "--keep", "10")
    rows.append(("published, pruned to the last 10 commits (remote)", objects_size(remote)))
    rows.append(("published, pruned (the publishing clone, objects)", objects_size(published)))
    rows.append(("stripped", objects_size(stripped)))
    base_size = rows[0][1]
    print("\n| repository after git gc | size | vs committed |\n| --- | --- | --- |")
    for label, size in rows:
        print(f"| {label} | {size / 2**20:.2f} MiB | {size / base_size:.3f} |")
    print(f"\nthe publishing clone's output cache (stays local): {cache / 2**20:.2f} MiB")


def notebook_set(count: int) -> dict[str, bytes]:
    notebooks = {}
    for index in range(count):
        rng = random.Random(1000 + index)
        cells = []
        for i in range(6):
            outputs = cell_outputs(3 if i in (2, 4) else 0, rng, i + 1)
            cells.append(
                {
                    "cell_type": "code",
                    "execution_count": i + 1,
                    "id": f"c{i}",
                    "metadata": {},
                    "outputs": outputs,
                    "source": f"value_{i} = compute({index}, {i})",
                }
            )
        nb = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
        notebooks[f"nb{index:03d}.ipynb"] = serialize_notebook(nb).encode()
    return notebooks


def timed(cwd: Path, *args: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the command and everything it ran)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    run(cwd, *args)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def restores(base: Path, count: int, repeat: int) -> None:
    notebooks = notebook_set(count)
    alice, remote = new_clone(base, "alice", "--attributes", "info")
    peer, _ = new_clone(base, "peer")
    for repo in (alice, peer):
        for name, data in notebooks.items():
            (repo / name).write_bytes(data)
        git(repo, "add", ".")
        git(repo, "commit", "-qm", "notebooks")
    git(alice, "push", "-q", "origin", "HEAD:main")
    nbcollab(alice, "outputs", "push")
    bob = base / "bob"
    git(base, "clone", "-q", str(remote), str(bob))
    nbcollab(bob, "install", "--no-diff", "--no-merge", "--attributes", "info")
    nbcollab(bob, "outputs", "fetch")
    blobs = {name: (bob / name).read_bytes() for name in notebooks}
    total = sum(map(len, notebooks.values()))
    print(f"\n{count} notebooks, {total / 2**20:.1f} MiB with their outputs")

    def as_cloned() -> None:  # untimed: working files without outputs, nothing in the cache
        nbcollab(bob, "cache", "clear")
        for name, data in blobs.items():
            (bob / name).write_bytes(data)
        git(bob, "add", ".")  # the index knows them again (the filter cleans them)
        nbcollab(bob, "cache", "clear")

    def remove(repo: Path) -> None:
        for name in notebooks:
            (repo / name).unlink()

    results: dict[str, list[tuple[float, float]]] = {"restore": [], "checkout": [], "peer": []}
    for _ in range(repeat):
        as_cloned()
        results["restore"].append(timed(bob, *NBCOLLAB, "outputs", "restore"))
        assert (bob / "nb000.ipynb").read_bytes() == notebooks["nb000.ipynb"]
        as_cloned()
        remove(bob)
        results["checkout"].append(timed(bob, "git", "checkout", "--", "."))
        assert (bob / "nb000.ipynb").read_bytes() == notebooks["nb000.ipynb"]
        remove(peer)
        results["peer"].append(timed(peer, "git", "checkout", "--", "."))
    peer_wall, peer_cpu = min(w for w, _ in results["peer"]), min(c for _, c in results["peer"])
    print("\n| task | wall (best) | CPU (best) | CPU vs plain git |\n| --- | --- | --- | --- |")
    labels = {
        "restore": "`nbcollab outputs restore`, every notebook",
        "checkout": "`git checkout -- .` through the filter, from published outputs",
        "peer": "plain `git checkout -- .`, outputs committed (no filter)",
    }
    for key, label in labels.items():
        wall = min(w for w, _ in results[key])
        cpu = min(c for _, c in results[key])
        print(f"| {label} | {wall:.2f} s | {cpu:.2f} s | {cpu / peer_cpu:.1f}x |")
    print(f"(plain git wall clock: {peer_wall:.2f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--commits", type=int, default=200)
    parser.add_argument("--notebooks", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nbcollab-bench-outputs-") as folder:
        base = Path(folder)
        os.environ["GIT_CONFIG_GLOBAL"] = str(base / "gitconfig")
        os.environ["GIT_CONFIG_NOSYSTEM"] = "1"
        (base / "gitconfig").write_text("[init]\n\tdefaultBranch = main\n[gc]\n\tauto = 0\n")
        sizes(base, args.commits)
        restores(base, args.notebooks, args.repeat)
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
