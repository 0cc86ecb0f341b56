"""A notebook run twice in a real kernel normalizes to the same bytes."""

from __future__ import annotations

import json

import pytest

from nbcollab.clean.normalize import normalize_in_place
from nbcollab.notebook.codec import parse_notebook, serialize_notebook

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient", reason="nbclient runs the notebook (test extra)")
pytest.importorskip("ipykernel", reason="a Python kernel is needed (test extra)")
pytest.importorskip("tqdm", reason="the notebook draws a tqdm progress bar (test extra)")

pytestmark = pytest.mark.slow

SOURCES = [
    "import time\nfrom tqdm import tqdm\nfor _ in tqdm(range(5), mininterval=0):\n"
    "    time.sleep(0.01)",
    "class Thing:\n    pass\nThing()",
    "%time sum(range(10000))",
    "print('one', flush=True)\nprint('two', flush=True)",
]


def run_once() -> bytes:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(source, id=f"cell-{i}") for i, source in enumerate(SOURCES)
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbclient.NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    parsed = parse_notebook(nbformat.writes(nb), path="run.ipynb")
    normalize_in_place(parsed)
    return serialize_notebook(parsed).encode()


def test_two_runs_normalize_to_identical_bytes() -> None:
    first, second = run_once(), run_once()
    text = json.loads(first)
    outputs = [cell["outputs"] for cell in text["cells"]]
    # The run really produced the volatile text the rules replace.
    assert "[<elapsed>, <rate>]" in "".join(outputs[0][0]["text"])
    assert "0x<address>" in "".join(outputs[1][0]["data"]["text/plain"])
    assert "Wall time: <duration>" in "".join(outputs[2][0]["text"])
    assert first == second
