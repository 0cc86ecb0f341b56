"""nbformat without the IRI parser: signing and trust checks do not pay seconds for a checker
nbformat never uses, and jsonschema still checks IRIs as before (each in a fresh interpreter)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import (
    code_cell,
    html_output,
    jupyter_sign,
    jupyter_trusts,
    make_notebook,
    markdown_cell,
    run_driver_in_child,
)

from nbcollab.notebook.codec import serialize_notebook

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("rfc3987_syntax") is None,
        reason="rfc3987-syntax is not installed (it comes with Jupyter Server)",
    ),
]
# The parser module and what builds it: loaded only when an IRI is checked.
PARSER = ("rfc3987_syntax", "lark")
IRIS = ["http://example.com/ä?q=1#f", "not an iri", "//no-scheme", "urn:isbn:0451450523", 12]


def _in_child(script: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def _check_iris(first: str) -> str:
    return (
        "import json, sys\n"
        f"{first}\n"
        f"loaded = sorted(m for m in sys.modules if m.split('.')[0] in {PARSER!r})\n"
        "import jsonschema\n"
        "checker = jsonschema.FormatChecker()\n"
        f"answers = [checker.conforms(v, f) for v in {IRIS!r} for f in ('iri', 'iri-reference')]\n"
        "print(json.dumps({'loaded': loaded, 'answers': answers}))\n"
    )


def test_loading_nbformat_leaves_the_iri_parser_until_an_iri_is_checked() -> None:
    ours = _in_child(
        _check_iris("from nbcollab.nbformat_loader import load_nbformat\nload_nbformat()")
    )
    plain = _in_child(_check_iris("import nbformat"))
    assert ours["loaded"] == [] and plain["loaded"] != []
    assert ours["answers"] == plain["answers"] and False in ours["answers"]


def test_signing_a_merge_does_not_build_the_iri_parser(tmp_path: Path) -> None:
    def version(intro: str, notes: str) -> str:
        return serialize_notebook(
            make_notebook(
                markdown_cell(intro, cell_id="intro"),
                code_cell("show()", cell_id="a", count=1, outputs=[html_output("<b>a</b>")]),
                markdown_cell(notes, cell_id="notes"),
            )
        )

    texts = [
        version("# Report", "notes"),
        version("# Report 2", "notes"),
        version("# Report", "more"),
    ]
    files = []
    for name, text in zip(("base", "ours", "theirs"), texts):
        (tmp_path / name).write_text(text, encoding="utf-8")
        files.append(str(tmp_path / name))
    jupyter_sign(texts[1])  # the user ran and saved their side in Jupyter
    outcome, done = run_driver_in_child([*files, "7", "nb.ipynb"], PARSER)
    assert outcome == "0 []", done.stderr
    assert "signed: every rich output came from a trusted input" in done.stderr
    merged = Path(files[1])
    assert "Report 2" in merged.read_text() and "more" in merged.read_text()
    assert jupyter_trusts(merged)
