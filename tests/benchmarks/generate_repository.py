"""A repository's worth of notebooks for the many-notebook benchmarks, built from the corpus.

``write_notebooks(folder, count, seed=...)`` writes ``count`` notebooks under ``folder``, in
project folders of a few dozen each, as a large monorepo holds them. Each is a corpus notebook
(one that parses and is at most ``max_bytes`` long) with a small edit, so that no two are the
same file: a line added to one code cell, and, for a few, a cell's execution count or a
metadata value changed. One notebook in ten keeps its original bytes apart from the edit (the
corpus's 1-, 2- and 4-space indents, no ids...); the others are written as Jupyter writes.
The same seed always gives the same files. Never written into the project: give a temporary
folder.

Run by hand to keep a repository around::

    python tests/benchmarks/generate_repository.py /tmp/repo --count 10000
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus" / "notebooks"
PER_PROJECT = 40


def corpus_notebooks(max_bytes: int = 400_000) -> list[tuple[str, bytes, dict[str, Any]]]:
    """(name, bytes, parsed) for each v4 corpus notebook that parses, up to ``max_bytes``."""
    if not CORPUS.is_dir():
        raise SystemExit(f"the corpus is not at {CORPUS}")
    found = []
    for path in sorted(CORPUS.glob("*.ipynb")):
        data = path.read_bytes()
        if len(data) > max_bytes:
            continue
        try:
            nb = json.loads(data)
        except ValueError:
            continue
        if isinstance(nb, dict) and nb.get("nbformat") == 4 and nb.get("cells"):
            found.append((path.stem, data, nb))
    return found


def _edited(nb: dict[str, Any], number: int, rng: random.Random) -> dict[str, Any]:
    """A copy of ``nb`` with a small edit that makes it unique."""
    nb = json.loads(json.dumps(nb))
    cells = nb["cells"]
    code = [c for c in cells if c.get("cell_type") == "code"] or cells
    cell = rng.choice(code)
    source = cell.get("source", "")
    text = "".join(source) if isinstance(source, list) else source
    text = (text + "\n" if text and not text.endswith("\n") else text) + f"variant = {number}"
    cell["source"] = text.splitlines(keepends=True)
    if rng.random() < 0.2 and cell.get("cell_type") == "code":
        cell["execution_count"] = rng.randrange(1, 200)
    if rng.random() < 0.1:
        nb.setdefault("metadata", {})["variant"] = number
    return nb


def _serialized(nb: dict[str, Any], keep_style: bool) -> bytes:
    if keep_style:  # the corpus file's own indent, approximately: compact JSON
        return json.dumps(nb, ensure_ascii=False).encode("utf-8")
    text = json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False, separators=(",", ": "))
    return (text + "\n").encode("utf-8")


def write_notebooks(
    folder: Path, count: int, *, seed: int = 2026, max_bytes: int = 400_000
) -> list[Path]:
    """Write ``count`` notebooks under ``folder``; their paths, relative to it, in order."""
    rng = random.Random(seed)
    sources = corpus_notebooks(max_bytes)
    written = []
    for number in range(count):
        name, _, nb = sources[rng.randrange(len(sources))]
        project = f"project{number // PER_PROJECT:04d}"
        sub = "notebooks" if number % 3 else "analysis/reports"
        relative = Path(project, sub, f"{number:05d}-{name[-40:]}.ipynb")
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(_serialized(_edited(nb, number, rng), keep_style=number % 10 == 0))
        written.append(relative)
    return written


def touch_notebooks(folder: Path, paths: list[Path], count: int, *, seed: int = 7) -> list[Path]:
    """Edit ``count`` of ``paths`` (a line added to a cell, as a user would): the ones edited."""
    rng = random.Random(seed)
    chosen = sorted(rng.sample(paths, min(count, len(paths))))
    for relative in chosen:
        target = folder / relative
        nb = json.loads(target.read_bytes())
        target.write_bytes(_serialized(_edited(nb, -1, rng), keep_style=False))
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    paths = write_notebooks(args.folder, args.count, seed=args.seed)
    print(f"{len(paths)} notebooks under {args.folder}")


if __name__ == "__main__":
    main()
