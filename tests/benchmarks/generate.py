"""Deterministic synthetic notebooks for the diff and merge benchmarks.

``make_notebook(n, seed=..., with_ids=...)`` builds a notebook of ``n`` cells (code with outputs
and markdown); ``edit_notebook`` derives a new version with 3% of cells edited, 1% inserted, 1%
deleted and a few moved; ``make_merge_triplet`` gives base/local/remote versions whose edits touch
different cells. The same seed always gives the same notebooks.
"""

from __future__ import annotations

import copy
import random
from pathlib import Path
from typing import Any

Notebook = dict[str, Any]

_WORDS = [
    "data",
    "frame",
    "model",
    "train",
    "test",
    "loss",
    "value",
    "plot",
    "figure",
    "result",
    "array",
    "index",
    "column",
    "row",
    "mean",
    "sum",
    "count",
    "group",
    "filter",
    "select",
    "merge",
    "join",
    "split",
    "sample",
    "batch",
    "epoch",
    "layer",
    "weight",
    "score",
]


def _line(rng: random.Random) -> str:
    words = rng.sample(_WORDS, 3)
    return f"{words[0]}_{rng.randrange(1000)} = {words[1]}({words[2]}, {rng.randrange(100)})"


def _code_cell(rng: random.Random, number: int) -> dict[str, Any]:
    source = "\n".join(_line(rng) for _ in range(rng.randint(2, 12)))
    outputs: list[dict[str, Any]] = []
    if rng.random() < 0.5:
        outputs.append(
            {
                "name": "stdout",
                "output_type": "stream",
                "text": "\n".join(_line(rng) for _ in range(rng.randint(1, 5))) + "\n",
            }
        )
    if rng.random() < 0.2:
        outputs.append(
            {
                "output_type": "execute_result",
                "execution_count": number,
                "metadata": {},
                "data": {"text/plain": f"array({rng.random()!r})"},
            }
        )
    return {
        "cell_type": "code",
        "execution_count": number,
        "metadata": {},
        "outputs": outputs,
        "source": source,
    }


def _markdown_cell(rng: random.Random) -> dict[str, Any]:
    title = " ".join(rng.sample(_WORDS, 4)).title()
    body = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(5, 40)))
    return {"cell_type": "markdown", "metadata": {}, "source": f"## {title}\n\n{body}"}


def _new_cell(rng: random.Random, number: int, with_ids: bool) -> dict[str, Any]:
    cell = _code_cell(rng, number) if rng.random() < 0.7 else _markdown_cell(rng)
    if with_ids:
        cell["id"] = f"{rng.getrandbits(64):016x}"
    return cell


def make_notebook(n_cells: int, *, seed: int = 0, with_ids: bool = True) -> Notebook:
    """A notebook of ``n_cells`` cells; nbformat 4.5 with ids, 4.4 without."""
    rng = random.Random(seed)
    cells = [_new_cell(rng, k + 1, with_ids) for k in range(n_cells)]
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python", "version": "3.11.7"},
        },
        "nbformat": 4,
        "nbformat_minor": 5 if with_ids else 4,
    }


def _edit_cell(rng: random.Random, cell: dict[str, Any]) -> None:
    lines = cell["source"].split("\n")
    k = rng.randrange(len(lines))
    lines[k] = _line(rng) if cell["cell_type"] == "code" else lines[k] + " (edited)"
    cell["source"] = "\n".join(lines)
    if cell["cell_type"] == "code" and cell["outputs"]:
        cell["outputs"][0] = {"name": "stdout", "output_type": "stream", "text": _line(rng) + "\n"}


def edit_notebook(
    nb: Notebook,
    *,
    seed: int = 1,
    edit: float = 0.03,
    insert: float = 0.01,
    delete: float = 0.01,
    moves: int | None = None,
    avoid: set[int] | None = None,
) -> Notebook:
    """A new version of ``nb``: some cells edited, inserted, deleted and moved (not in ``avoid``)."""
    rng = random.Random(seed)
    out = copy.deepcopy(nb)
    cells = out["cells"]
    with_ids = bool(cells) and "id" in cells[0]
    n = len(cells)
    free = [k for k in range(n) if k not in (avoid or set())]
    touched = rng.sample(free, min(len(free), round(n * (edit + delete))))
    n_edit = round(n * edit)
    for k in touched[:n_edit]:
        _edit_cell(rng, cells[k])
    deleted = set(touched[n_edit:])
    kept = [cell for k, cell in enumerate(cells) if k not in deleted]
    for _ in range(round(n * insert)):
        kept.insert(rng.randrange(len(kept) + 1), _new_cell(rng, 0, with_ids))
    for _ in range(max(1, n // 500) if moves is None else moves):
        if len(kept) > 2:
            kept.insert(rng.randrange(len(kept)), kept.pop(rng.randrange(len(kept))))
    out["cells"] = kept
    return out


def make_merge_triplet(
    n_cells: int, *, seed: int = 0, with_ids: bool = True
) -> tuple[Notebook, Notebook, Notebook]:
    """(base, local, remote): both sides edit, insert and delete, on disjoint cells, no moves."""
    base = make_notebook(n_cells, seed=seed, with_ids=with_ids)
    rng = random.Random(seed + 1)
    half = set(rng.sample(range(n_cells), n_cells // 2))
    other = set(range(n_cells)) - half
    local = edit_notebook(base, seed=seed + 2, moves=0, avoid=half)
    remote = edit_notebook(base, seed=seed + 3, moves=0, avoid=other)
    return base, local, remote


def write_notebook(path: Path, nb: Notebook) -> Path:
    """Write ``nb`` as Jupyter would."""
    from nbcollab.notebook.codec import serialize_notebook

    path.write_text(serialize_notebook(nb), encoding="utf-8")
    return path
