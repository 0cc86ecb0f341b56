"""What the mergetool's page shows: branch names from the record, absent values, the
notebook-metadata note, what conflicted in words."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import code_cell, make_notebook, markdown_cell

from nbcollab.merge.notebook import merge_notebooks
from nbcollab.merge.values import MergeLabels
from nbcollab.mergetool.page import render_notebooks
from nbcollab.mergetool.session import Session

LABELS = MergeLabels(ours="main", theirs="origin/feature")


def _session(base: dict[str, Any], ours: dict[str, Any], theirs: dict[str, Any]) -> Session:
    merged = merge_notebooks(base, ours, theirs, labels=LABELS).notebook
    return Session("nb.ipynb", merged)


def _meta(**values: Any) -> dict[str, Any]:
    return make_notebook(code_cell("x = 1", cell_id="a"), metadata=values)


def test_notebook_metadata_columns_carry_branch_names_and_absence_is_not_a_string() -> None:
    session = _session(
        _meta(kernelspec={"name": "python3", "language": "python"}),
        _meta(kernelspec={"name": "ir", "language": "R"}, title="(absent)"),
        _meta(kernelspec={"name": "julia-1.9", "language": "julia"}, title="Final"),
    )
    html = render_notebooks([session])
    assert "<h3>ours (main)</h3>" in html and "<h3>theirs (origin/feature)</h3>" in html
    assert "Both sides changed the notebook's metadata" in html
    # The base has no title: shown as absence; ours' title is the string "(absent)", in quotes.
    assert html.count('<p class="absent"') == 1
    assert "&quot;(absent)&quot;" in html
    # The note cell the merge added is not the author's: no editor for it.
    assert "Notebook metadata</h2>" in html and 'class="editor"' not in html


@pytest.mark.parametrize(
    ("ours", "theirs", "why"),
    [
        ({"tags": 1}, {"tags": 2}, "the cell's metadata: <code>metadata.tags</code>"),
        ({"k": "v"}, {}, "Deleted by"),
    ],
)
def test_cell_conflicts_say_what_and_whose(ours: dict, theirs: dict, why: str) -> None:
    base = make_notebook(code_cell("x = 1", cell_id="a", k="v"), code_cell("y", cell_id="b"))
    left = make_notebook(code_cell("x = 1", cell_id="a", **ours), code_cell("y", cell_id="b"))
    right_cells = [code_cell("y", cell_id="b")]
    if theirs:
        right_cells.insert(0, code_cell("x = 1", cell_id="a", **theirs))
    else:  # theirs deleted cell a, ours edited it
        left["cells"][0]["source"] = "x = 2"
    html = render_notebooks([_session(base, left, make_notebook(*right_cells))])
    assert why in html
    assert "ours (main)" in html and "theirs (origin/feature)" in html
    assert "hunk(s)" not in html


def test_source_conflicts_count_their_places() -> None:
    base = make_notebook(markdown_cell("a\nb\nc\nd\ne", cell_id="m"))
    ours = make_notebook(markdown_cell("A\nb\nc\nd\nE", cell_id="m"))
    theirs = make_notebook(markdown_cell("a1\nb\nc\nd\ne1", cell_id="m"))
    html = render_notebooks([_session(base, ours, theirs)])
    assert "Both sides changed the same lines in 2 places" in html


def test_a_commit_id_for_a_branch_name_is_shown_short() -> None:
    from nbcollab.merge.resolve import Resolution
    from nbcollab.mergetool.wording import column_title

    sha = "2877322f644432782801dd48ba64070e35f95953"
    assert column_title(Resolution.THEIRS, {Resolution.THEIRS: sha}) == "theirs (2877322f64)"
    assert column_title(Resolution.OURS, {Resolution.OURS: "ours"}) == "ours"
    assert column_title(Resolution.OURS, {Resolution.OURS: "feature/x"}) == "ours (feature/x)"
