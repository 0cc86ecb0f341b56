"""Report: the share of corpus notebooks with each lint finding, beside the published figures.

Run by hand (not collected by pytest)::

    python tests/benchmarks/report_lint_corpus.py [--execute N]

Static lint of every corpus notebook in one process (all codes, R301 included). Pimentel et al.
(MSR 2019) count over notebooks with an unambiguous execution order for the order figures; the
denominators are printed with each share. With ``--execute N`` it also runs up to N notebooks
that need no network or extra packages and prints what the re-run found.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus" / "notebooks"
sys.path.insert(0, str(ROOT))

from nbcollab.lint.cells import code_cells, kernel_language
from nbcollab.lint.codes import CODES
from nbcollab.lint.files import lint_files
from nbcollab.lint.options import LintOptions

PUBLISHED = {
    "C101": "36.4% of notebooks with an unambiguous order (out of order)",
    "C103": "76.9% (skipped execution counts)",
    "C105": "21% (never-executed code cells)",
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--execute", type=int, default=0)
    args = parser.parse_args()
    paths = sorted(CORPUS.glob("*.ipynb"))
    results = list(lint_files(paths, lambda _: LintOptions(select=("ALL",))))
    ok = [r for r in results if r.error is None]
    executed = [r for r in ok if any(c.count is not None for c in code_cells(r.notebook))]
    unambiguous = [r for r in executed if not any(f.code == "C102" for f in r.findings)]
    python = [r for r in ok if kernel_language(r.notebook) in ("python", "python3", "python2")]
    print(
        f"{len(paths)} files, {len(results) - len(ok)} not notebooks (exit 2, named), "
        f"{len(ok)} linted, {len(executed)} with execution counts, {len(unambiguous)} of them "
        f"unambiguous (no duplicate count), {len(python)} Python"
    )
    for code in CODES:
        if code.startswith("X"):
            continue
        with_code = Counter(r.path for r in ok for f in r.findings if f.code == code)
        base = (
            unambiguous
            if code in ("C101", "C103", "C104", "C105")
            else (executed if code.startswith("C") or code in ("D202", "D203") else python)
        )
        share = sum(1 for r in base if r.path in with_code)
        print(
            f"{code} {CODES[code].name:28} {share:4}/{len(base):<4} "
            f"{100 * share / max(len(base), 1):5.1f}%  {PUBLISHED.get(code, '')}"
        )
    skips = {r.path for r in unambiguous for f in r.findings if f.code in ("C103", "C104")}
    print(
        f"C103+C104 skips anywhere (leading too)  {len(skips):4}/{len(unambiguous):<4} "
        f"{100 * len(skips) / max(len(unambiguous), 1):5.1f}%  {PUBLISHED['C103']}"
    )
    if args.execute:
        run_some(ok, args.execute)


_NETWORK = (
    "http",
    "pip install",
    "getpass",
    "api_key",
    "userdata",
    "drive.mount",
    "wget",
    "curl",
    "download",
    "load_dataset",
    "from_pretrained",
    "boto3",
    "gcloud",
    "gsutil",
)


def runs_offline(result) -> bool:  # type: ignore[no-untyped-def]
    """A Python notebook whose imports are all installed and that shows no sign of the network."""
    import ast
    import importlib.util

    from nbcollab.lint.cells import code_cells as cells_of

    if kernel_language(result.notebook) not in ("python", "python3"):
        return False
    sources = [c.source for c in cells_of(result.notebook)]
    if not sources or any(word in s.lower() for s in sources for word in _NETWORK):
        return False
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            return False
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module]
                if isinstance(node, ast.ImportFrom) and node.module
                else []
            )
            if any(importlib.util.find_spec(n.split(".")[0]) is None for n in names):
                return False
    return True


def run_some(results: list, limit: int) -> None:  # type: ignore[type-arg]
    from nbcollab.lint.execute import execute_file

    options = LintOptions(select=("X",), cell_timeout=30, timeout=120)
    offline = [r for r in results if runs_offline(r)]
    print(
        f"--execute: {len(offline)} notebooks import only installed packages and show no "
        f"network use; running {min(limit, len(offline))}"
    )
    import dataclasses
    import shutil
    import tempfile

    for original in offline[:limit]:
        # The corpus is read-only and notebooks may write beside themselves: run a copy.
        folder = tempfile.mkdtemp(prefix="lint-exec-")
        copy = Path(folder) / Path(original.path).name
        shutil.copyfile(original.path, copy)
        result = dataclasses.replace(original, path=str(copy), findings=[])
        try:
            execute_file(result, options, write=False)
        except Exception as exc:  # noqa: BLE001 - a report, not a library
            print(f"{result.path}: could not run ({exc})")
            continue
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        codes = Counter(f.code for f in result.findings)
        print(f"{Path(result.path).name[:70]}: {dict(codes) or 'runs clean'}")
        for finding in result.findings[:3]:
            print(f"    {finding.code} cell {finding.cell}: {finding.message[:110]}")


if __name__ == "__main__":
    main()
