"""Terminal rendering: a snapshot of every kind of change, colours, word diff, elision."""

from __future__ import annotations

import copy

from helpers import code_cell, make_notebook, markdown_cell, stream_output

from nbcollab.diff.compute import diff_notebooks
from nbcollab.render.text import TextStyle, render_text


def pair() -> tuple[dict, dict]:
    old = make_notebook(
        markdown_cell("# Title\n\nIntro text.", cell_id="m1"),
        code_cell(
            "import math\nx = 1\ny = 2\nz = x + y\nprint(z)\n",
            outputs=[stream_output("3\n")],
            count=1,
            cell_id="c1",
        ),
        code_cell("a = 1", count=2, cell_id="c2"),
        code_cell("b = 2", count=3, cell_id="c3"),
        code_cell("c = 3", count=4, cell_id="c4"),
        code_cell("old = True", cell_id="c5"),
    )
    new = copy.deepcopy(old)
    cell = new["cells"][1]
    cell["source"] = "import math\nx = 10\ny = 2\nz = x + y\nprint(z)\n"
    cell["outputs"] = [
        stream_output("12\n"),
        {
            "output_type": "display_data",
            "metadata": {},
            "data": {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"},
        },
    ]
    cell["execution_count"] = 5
    cell["metadata"]["tags"] = ["slow"]
    del new["cells"][5]
    new["cells"].insert(2, markdown_cell("## Added", cell_id="m2"))
    new["metadata"]["kernelspec"]["name"] = "py311"
    return old, new


EXPECTED = """\
--- a.ipynb
+++ b.ipynb
## notebook
~  metadata.kernelspec.name: "python3" -> "py311"
   ... 1 unchanged cell
## cell 2 (code, id c1): modified
@@ -1,5 +1,5 @@
 import math
-x = 1
+x = 10
 y = 2
 z = x + y
 print(z)
~  output 1: stream stdout (changed)
   @@ -1,1 +1,1 @@
   -3
   +12
+  output 2: display_data [image/png, text/plain] (added)
+  | image/png: 12 bytes, sha1 e155543ae9c0
+  | text/plain:
+  | <Figure>
+  metadata.tags: ["slow"]
~  execution_count: 1 -> 5
## cell 3 (markdown, id m2): added
+## Added
   ... 3 unchanged cells
## cell 6 (code, id c5): removed
-old = True
"""


def test_snapshot_of_every_kind_of_change() -> None:
    old, new = pair()
    assert render_text(diff_notebooks(old, new), old_name="a.ipynb", new_name="b.ipynb") == EXPECTED


def test_equal_notebooks_render_nothing() -> None:
    old, _ = pair()
    assert render_text(diff_notebooks(old, old), old_name="a", new_name="b") == ""


def test_colour_marks_changed_characters() -> None:
    old, new = pair()
    text = render_text(
        diff_notebooks(old, new), old_name="a", new_name="b", style=TextStyle(color=True)
    )
    assert "\033[32m+x = 1\033[7m0\033[0m" in text
    assert "\033[31m-x = 1\033[0m" in text
    assert "\033[1m--- a\033[0m" in text


def test_word_diff_and_context() -> None:
    old, new = pair()
    text = render_text(
        diff_notebooks(old, new),
        old_name="a",
        new_name="b",
        style=TextStyle(word_diff=True, context=0),
    )
    assert "@@ -2,1 +2,1 @@\n~x = [-1-]{+10+}\n" in text
    assert " import math" not in text


def test_moved_cell_header() -> None:
    old = make_notebook(*(code_cell(f"v{k} = {k}", cell_id=f"c{k}") for k in range(4)))
    new = copy.deepcopy(old)
    new["cells"].insert(0, new["cells"].pop(3))
    text = render_text(diff_notebooks(old, new), old_name="a", new_name="b")
    assert "## cell 1 (code, id c3): moved from 4\n   ... 3 unchanged cells\n" in text
