"""Export the corpus with nbcollab, `jupyter nbconvert --to script` and nbdev's exporter.

Run by hand: ``python tests/benchmarks/report_export_corpus.py [--peers PYTHON]``. The notebooks
counted are the corpus's Python notebooks whose every code cell parses once IPython's own
transformer has rewritten its IPython syntax. For each tool it prints how many of their modules
compile, and how many of those need IPython at import (``get_ipython()`` in the module).

- nbcollab: ``--all`` and ``--all --defs-only``, each strict and ``--lenient``.
- nbconvert: ``PythonExporter`` (what ``--to script`` runs), in the peers' environment.
- nbdev: ``nb_export`` on a copy of each notebook with ``#| default_exp`` and every code cell
  marked ``#| export``, so that it exports the same cells as ``--all``.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
CORPUS = ROOT.parent / "shared" / "corpus" / "notebooks"
# The peer tools live in their own virtualenv (their pins clash with the test extras):
# NBCOLLAB_PEERS names its folder (default: venv-peers beside the project).
PEERS = Path(os.environ.get("NBCOLLAB_PEERS", ROOT.parent / "venv-peers")) / "bin" / "python"

from nbcollab.errors import NbcollabError
from nbcollab.export.assemble import export_module
from nbcollab.export.options import ExportOptions, Selection
from nbcollab.files import read_notebook_file
from nbcollab.notebook.lines import cell_source, iter_cells

PEER_SCRIPT = r"""
import json, sys, warnings, copy
warnings.simplefilter("ignore")
from pathlib import Path
from nbconvert import PythonExporter
from nbdev.export import nb_export
paths, tmp = json.loads(sys.argv[1]), Path(sys.argv[2])
out = {}
def check(text):
    try:
        compile(text, "<m>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return "fail"
    return "ipython" if "get_ipython()" in text else "ok"
for i, path in enumerate(paths):
    row = {}
    try:
        row["nbconvert"] = check(PythonExporter().from_filename(path)[0])
    except Exception as exc:
        row["nbconvert"] = "crash"
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
                cell["source"] = "#| export\n" + src
        nb["cells"].insert(0, {"cell_type": "code", "metadata": {}, "outputs": [],
                               "execution_count": None, "source": f"#| default_exp m{i}"})
        copy_path = tmp / f"n{i}.ipynb"
        copy_path.write_text(json.dumps(nb), encoding="utf-8")
        nb_export(str(copy_path), lib_path=str(tmp / "lib"))
        row["nbdev"] = check((tmp / "lib" / f"m{i}.py").read_text(encoding="utf-8"))
    except Exception as exc:
        row["nbdev"] = "crash"
    out[path] = row
print(json.dumps(out))
"""


def valid_python_notebooks() -> list[tuple[Path, dict]]:
    from IPython.core.inputtransformer2 import TransformerManager

    transformer, found = TransformerManager(), []
    for path in sorted(CORPUS.glob("*.ipynb")):
        try:
            _, nb = read_notebook_file(path)
        except NbcollabError:
            continue
        metadata = nb.get("metadata", {})
        language = (
            (metadata.get("kernelspec") or {}).get("language")
            or (metadata.get("language_info") or {}).get("name")
            or "python"
        )
        if str(language).lower() not in ("python", "python3", "ipython") or nb["nbformat"] != 4:
            continue
        try:
            for cell in iter_cells(nb):
                if cell.get("cell_type") == "code":
                    ast.parse(transformer.transform_cell(cell_source(cell)))
        except (SyntaxError, ValueError):
            continue
        found.append((path, nb))
    return found


def nbcollab_outcome(nb: dict, options: ExportOptions, name: str) -> str:
    try:
        text = export_module(nb, options=options, source_name=name).text
        compile(text, name, "exec", dont_inherit=True)
    except (NbcollabError, SyntaxError):
        return "fail"
    return "ipython" if "get_ipython()" in text else "ok"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--peers", type=Path, default=PEERS, help="Python with nbconvert and nbdev")
    args = parser.parse_args()
    notebooks = valid_python_notebooks()
    variants = {
        "nbcollab --all": ExportOptions(select=Selection.ALL),
        "nbcollab --all --lenient": ExportOptions(select=Selection.ALL, lenient=True),
        "nbcollab --all --defs-only": ExportOptions(select=Selection.ALL, defs_only=True),
        "nbcollab --all --defs-only --lenient": ExportOptions(
            select=Selection.ALL, defs_only=True, lenient=True
        ),
    }
    rows: dict[str, list[str]] = {}
    for label, options in variants.items():
        start = time.perf_counter()
        rows[label] = [nbcollab_outcome(nb, options, path.name) for path, nb in notebooks]
        print(f"{label}: {time.perf_counter() - start:.2f} s", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            [str(args.peers), "-c", PEER_SCRIPT, json.dumps([str(p) for p, _ in notebooks]), tmp],
            capture_output=True,
            text=True,
            check=True,
        )
    peer = json.loads(done.stdout)
    for tool in ("nbconvert", "nbdev"):
        rows[f"{tool} (peer)"] = [peer[str(p)][tool] for p, _ in notebooks]
    print(
        f"{len(notebooks)} Python notebooks (nbformat 4) whose code parses once IPython syntax "
        "is transformed\n"
    )
    print("| tool | module compiles | of which need IPython at import | fails | crashes |")
    print("| --- | --- | --- | --- | --- |")
    for label, outcomes in rows.items():
        compiles = outcomes.count("ok") + outcomes.count("ipython")
        print(
            f"| {label} | {compiles} | {outcomes.count('ipython')} | "
            f"{outcomes.count('fail')} | {outcomes.count('crash')} |"
        )


if __name__ == "__main__":
    main()
