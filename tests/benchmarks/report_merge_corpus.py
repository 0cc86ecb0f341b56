"""Replay the corpus merges with nbcollab, `git merge-file` on the raw JSON and nbdime's nbmerge.

Run by hand: ``python tests/benchmarks/report_merge_corpus.py [--no-nbdime]``. For every M/M and
A/A case of ``../shared/corpus/merges`` it prints one table: clean / conflicted / crashed / invalid
output / cases losing a line either side introduced / clean merges whose cell sources equal what
the human committed (overall, and on the cases where the human combined both sides).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
MERGES = ROOT.parent / "shared" / "corpus" / "merges"


@dataclass
class Tally:
    """One tool's outcome over the cases."""

    clean: int = 0
    conflicted: int = 0
    crashed: int = 0
    invalid: int = 0
    lost: int = 0
    agrees: int = 0
    agrees_combined: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def source_lines(nb: dict[str, Any] | None) -> set[str]:
    if not nb:
        return set()
    major = nb.get("nbformat")
    cells = (
        [c for ws in nb.get("worksheets", []) for c in ws.get("cells", [])]
        if major == 3
        else nb.get("cells", [])
    )
    lines: set[str] = set()
    for text in _texts(cells, major):
        lines.update(line.rstrip("\r\n") for line in text.splitlines())
    return lines


def _texts(cells: list[dict[str, Any]], major: Any) -> list[str]:
    out = []
    for cell in cells:
        key = "input" if major == 3 and cell.get("cell_type") == "code" else "source"
        text = cell.get(key, "")
        out.append("".join(text) if isinstance(text, list) else str(text))
    return out


def cell_texts(nb: dict[str, Any] | None) -> list[str]:
    if not nb:
        return []
    major = nb.get("nbformat")
    cells = (
        [c for ws in nb.get("worksheets", []) for c in ws.get("cells", [])]
        if major == 3
        else nb.get("cells", [])
    )
    return _texts(cells, major)


def load(path: Path) -> dict[str, Any] | None:
    data = path.read_bytes()
    if not data.strip():
        return None
    try:
        return json.loads(data)
    except ValueError:
        return None


def is_valid(text: str) -> bool:
    import nbformat

    try:
        nbformat.validate(nbformat.reads(text, as_version=nbformat.NO_CONVERT))
    except Exception:  # noqa: BLE001 - any failure to read or validate is "invalid"
        return False
    return True


def run_nbcollab(case: Path, out: Path) -> tuple[int, str]:
    from typer.testing import CliRunner

    from nbcollab.cli.app import app

    files = [str(case / f"{n}.ipynb") for n in ("base", "p1", "p2")]
    done = CliRunner().invoke(app, ["merge", *files, "-o", str(out), "--no-sign"])
    if done.exception and not isinstance(done.exception, SystemExit):
        raise done.exception
    return done.exit_code, out.read_text(encoding="utf-8") if out.exists() else ""


def run_merge_file(case: Path, out: Path) -> tuple[int, str]:
    files = [str(case / f"{n}.ipynb") for n in ("p1", "base", "p2")]
    done = subprocess.run(["git", "merge-file", "-p", *files], capture_output=True, check=False)
    return (0 if done.returncode == 0 else 1), done.stdout.decode("utf-8", "replace")


def run_nbdime(case: Path, out: Path) -> tuple[int, str]:
    from nbdime.nbmergeapp import main

    files = [str(case / f"{n}.ipynb") for n in ("base", "p1", "p2")]
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = main([*files, "--out", str(out)])
    return code, out.read_text(encoding="utf-8") if out.exists() else ""


def replay(case: Path, tool: Callable[[Path, Path], tuple[int, str]], tally: Tally) -> None:
    base, p1, p2, human = (load(case / f"{n}.ipynb") for n in ("base", "p1", "p2", "result"))
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        try:
            code, text = tool(case, Path(tmp) / "out.ipynb")
        except BaseException as exc:  # noqa: BLE001 - a crash is what we count
            tally.crashed += 1
            tally.notes.append(f"{case.name}: crash {type(exc).__name__}: {str(exc)[:80]}")
            return
        finally:
            tally.seconds += time.perf_counter() - started
    if code == 2 or not text:
        tally.notes.append(f"{case.name}: refused (exit {code})")
        return
    tally.clean += code == 0
    tally.conflicted += code != 0
    if not is_valid(text):
        tally.invalid += 1
        return
    merged = json.loads(text)
    if (source_lines(p1) | source_lines(p2)) - source_lines(base) - source_lines(merged):
        tally.lost += 1
    if code == 0 and cell_texts(merged) == cell_texts(human):
        tally.agrees += 1
        if cell_texts(human) not in (cell_texts(p1), cell_texts(p2)):
            tally.agrees_combined += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-nbdime", action="store_true", help="skip nbdime (slow)")
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)
    cases = [
        c
        for c in sorted(MERGES.iterdir())
        if (c / "case.json").is_file()
        and json.loads((c / "case.json").read_text())["change_kind"] in ("M/M", "A/A")
    ]
    combined = sum(
        1
        for c in cases
        if cell_texts(load(c / "result.ipynb"))
        not in (cell_texts(load(c / "p1.ipynb")), cell_texts(load(c / "p2.ipynb")))
    )
    tools = {"nbcollab": run_nbcollab, "git merge-file": run_merge_file}
    if not args.no_nbdime:
        tools["nbdime nbmerge"] = run_nbdime
    tallies = {name: Tally() for name in tools}
    for case in cases:
        for name, tool in tools.items():
            replay(case, tool, tallies[name])
    print(f"{len(cases)} cases (M/M and A/A); the human combined both sides in {combined}\n")
    print(
        f"{'tool':16} {'clean':>6} {'confl':>6} {'crash':>6} {'invalid':>8} {'lost':>5} "
        f"{'=human':>7} {'=human*':>8} {'s/case':>7}"
    )
    for name, t in tallies.items():
        print(
            f"{name:16} {t.clean:6} {t.conflicted:6} {t.crashed:6} {t.invalid:8} {t.lost:5} "
            f"{t.agrees:7} {t.agrees_combined:8} {t.seconds / len(cases):7.3f}"
        )
    print(
        "\n=human: clean merges whose cell sources equal the committed result; "
        "=human*: of those, cases where the human combined both sides"
    )
    for name, t in tallies.items():
        for note in t.notes:
            print(f"  {name}: {note}", file=sys.stderr)


if __name__ == "__main__":
    main()
