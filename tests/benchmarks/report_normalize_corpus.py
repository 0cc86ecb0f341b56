"""How much normalizing shrinks committed outputs and the diffs between real merge sides.

Run by hand: ``python tests/benchmarks/report_normalize_corpus.py``. For every corpus notebook
with outputs it compares what a team that commits outputs stores today (volatile metadata
stripped, outputs and counts kept) with ``clean --normalize``: file bytes, and whether the result
is idempotent. For every corpus merge it counts the changed lines of a line diff between the two
sides, and the cells whose outputs differ, before and after normalizing both sides.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from nbcollab.clean.normalize import RULES, normalize_in_place
from nbcollab.clean.strip import clean_in_place
from nbcollab.errors import InvalidNotebook
from nbcollab.notebook.codec import parse_notebook, serialize_notebook
from nbcollab.notebook.lines import iter_cells
from nbcollab.options import CleanOptions

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus"
KEEP = CleanOptions(keep_outputs=True, keep_execution_count=True)


def variants(data: bytes, path: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(outputs kept, outputs normalized) for one file, or None when it is not a notebook."""
    try:
        kept = parse_notebook(data, path=path)
        normalized = parse_notebook(data, path=path)
    except InvalidNotebook:
        return None
    clean_in_place(kept, options=KEEP)
    clean_in_place(normalized, options=KEEP)
    normalize_in_place(normalized)
    return kept, normalized


def has_outputs(nb: dict[str, Any]) -> bool:
    return any(cell.get("outputs") for cell in iter_cells(nb))


def changed_lines(a: str, b: str) -> int:
    diff = difflib.unified_diff(a.splitlines(), b.splitlines(), n=0, lineterm="")
    return sum(1 for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---"))


def cells_with_other_outputs(a: dict[str, Any], b: dict[str, Any]) -> int:
    by_source = {cell.get("source"): cell.get("outputs") for cell in iter_cells(a)}
    return sum(
        1
        for cell in iter_cells(b)
        if cell.get("source") in by_source and by_source[cell.get("source")] != cell.get("outputs")
    )


def report_files() -> None:
    sizes = [0, 0]
    count = idempotent = 0
    for path in sorted((CORPUS / "notebooks").glob("*.ipynb")):
        pair = variants(path.read_bytes(), str(path))
        if pair is None or not has_outputs(pair[0]):
            continue
        count += 1
        kept, normalized = (serialize_notebook(nb) for nb in pair)
        sizes[0] += len(kept.encode())
        sizes[1] += len(normalized.encode())
        again = parse_notebook(normalized)
        idempotent += not normalize_in_place(again) and serialize_notebook(again) == normalized
    print(f"notebooks with outputs: {count}; idempotent after normalizing: {idempotent}")
    print(
        f"bytes with outputs kept: {sizes[0]:,}; normalized: {sizes[1]:,} "
        f"({100 * (sizes[0] - sizes[1]) / max(sizes[0], 1):.1f}% smaller)"
    )


def output_texts(nb: dict[str, Any]) -> list[str]:
    texts = []
    for cell in iter_cells(nb):
        for output in cell.get("outputs") or ():
            if isinstance(output.get("text"), str):
                texts.append(output["text"])
            texts += [
                v
                for m, v in (output.get("data") or {}).items()
                if m.startswith("text/") and isinstance(v, str)
            ]
    return texts


def report_rules() -> None:
    """In how many notebooks each rule (and each stream step) finds something to do."""
    found = dict.fromkeys([*(rule.name for rule in RULES), "overwrites"], 0)
    for path in sorted((CORPUS / "notebooks").glob("*.ipynb")):
        try:
            texts = output_texts(parse_notebook(path.read_bytes(), path=str(path)))
        except InvalidNotebook:
            continue
        for rule in RULES:
            found[rule.name] += any(rule.pattern.search(text) for text in texts)
        found["overwrites"] += any("\r" in text or "\b" in text for text in texts)
    print("notebooks where a rule applies: " + ", ".join(f"{k} {v}" for k, v in found.items()))


def report_merges() -> None:
    lines = [0, 0]
    cells = [0, 0]
    cases = fewer = 0
    for case in sorted(p for p in (CORPUS / "merges").iterdir() if p.is_dir()):
        one, two = (
            variants((case / n).read_bytes(), str(case / n)) for n in ("p1.ipynb", "p2.ipynb")
        )
        if one is None or two is None or not (has_outputs(one[0]) or has_outputs(two[0])):
            continue
        cases += 1
        before = changed_lines(serialize_notebook(one[0]), serialize_notebook(two[0]))
        after = changed_lines(serialize_notebook(one[1]), serialize_notebook(two[1]))
        lines[0] += before
        lines[1] += after
        fewer += after < before
        cells[0] += cells_with_other_outputs(one[0], two[0])
        cells[1] += cells_with_other_outputs(one[1], two[1])
    print(f"merges whose sides carry outputs: {cases}; diff smaller after normalizing: {fewer}")
    print(
        f"changed lines between sides: {lines[0]:,} -> {lines[1]:,} "
        f"({100 * (lines[0] - lines[1]) / max(lines[0], 1):.1f}% fewer)"
    )
    print(f"same-source cells whose outputs differ: {cells[0]} -> {cells[1]}")


if __name__ == "__main__":
    if not CORPUS.is_dir():
        raise SystemExit(f"corpus not found at {CORPUS}")
    report_files()
    report_rules()
    report_merges()
