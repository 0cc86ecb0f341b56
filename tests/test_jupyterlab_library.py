"""The JupyterLab extension's calls into nbcollab: what the notebook editor is told to change.

The editor applies a choice by changing only the cells the server names (then removing the one
it names, then setting the notebook's metadata). Applying those answers one conflict at a time
must give exactly what ``nbcollab resolve`` gives for the whole notebook (hypothesis, on the
marker-like sources of the resolve properties), and a cell the answer does not name is never
touched, whatever was typed in it.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from helpers import code_cell, make_notebook
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_resolve_properties import LABELS, merge_of_two_cells, triples

from nbcollab.errors import NbcollabError
from nbcollab.merge.notebook import merge_notebooks
from nbcollab.merge.resolve import Resolution, resolve_conflicts
from nbcollab.notebook.codec import serialize_notebook

library = pytest.importorskip(
    "jupyterlab_nbcollab.library",
    reason="jupyterlab-nbcollab is not installed (pip install ./jupyterlab-nbcollab)",
)

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
BUTTON = {
    Resolution.OURS: "ours",
    Resolution.THEIRS: "theirs",
    Resolution.BASE: "base",
    Resolution.UNION: "both",
}


def apply(nb: dict[str, Any], answer: Any) -> dict[str, Any]:
    """What the editor does with an answer: the named cells, the removed one, the metadata."""
    nb = copy.deepcopy(nb)
    for index, cell in answer.changed.items():
        nb["cells"][index] = copy.deepcopy(cell)
    if answer.removed is not None:
        del nb["cells"][answer.removed]
    nb["metadata"] = copy.deepcopy(answer.metadata)
    return nb


def _merged(first: tuple[str, str, str], second: tuple[str, str, str], kernel: bool) -> Any:
    result = merge_of_two_cells(first, second, kernel=kernel)
    assume(not result.clean)
    return result.notebook


@SETTINGS
@given(triples(), triples(), st.booleans(), st.sampled_from(list(BUTTON)))
def test_choosing_each_conflict_in_the_editor_equals_resolving_the_notebook(
    first: tuple[str, str, str], second: tuple[str, str, str], kernel: bool, choice: Resolution
) -> None:
    nb = _merged(first, second, kernel)
    editor = copy.deepcopy(nb)
    while True:
        conflicts = library.describe_conflicts(editor)["conflicts"]
        if not conflicts:
            break
        first_left = conflicts[0]
        button = BUTTON[choice] if BUTTON[choice] in first_left["choices"] else "ours"
        editor = apply(editor, library.resolve_one(editor, first_left["number"], button))
    expected = resolve_conflicts(nb, choice).notebook
    editor = apply(editor, library.clear_stale(editor))
    assert serialize_notebook(editor) == serialize_notebook(expected)


def _two_conflicts() -> dict[str, Any]:
    def version(a: str, c: str) -> dict[str, Any]:
        return make_notebook(
            code_cell(a, cell_id="one"),
            code_cell("keep", cell_id="mid"),
            code_cell(c, cell_id="two"),
        )

    return merge_notebooks(
        version("a = 0", "c = 0"),
        version("a = 1", "c = 1"),
        version("a = 2", "c = 2"),
        labels=LABELS,
    ).notebook


def test_an_answer_names_only_the_cell_it_resolves() -> None:
    nb = _two_conflicts()
    nb["cells"][0]["source"] += "\n# typed in the other conflicted cell"
    report = library.describe_conflicts(nb)
    second = next(c for c in report["conflicts"] if c["cell"] == 2)
    answer = library.resolve_one(nb, second["number"], "theirs")
    assert set(answer.changed) == {2} and answer.removed is None
    assert answer.changed[2]["source"] == "c = 2"
    assert "typed in the other" in apply(nb, answer)["cells"][0]["source"]


def test_text_typed_around_a_conflict_stays_when_it_is_resolved() -> None:
    nb = _two_conflicts()
    nb["cells"][0]["source"] = "# above\n" + nb["cells"][0]["source"] + "\n# below"
    first = library.describe_conflicts(nb)["conflicts"][0]
    answer = library.resolve_one(nb, first["number"], "ours")
    assert answer.changed[0]["source"] == "# above\na = 1\n# below"


def test_text_typed_inside_a_conflict_takes_it_over() -> None:
    nb = _two_conflicts()
    nb["cells"][0]["source"] = nb["cells"][0]["source"].replace("a = 1", "a = 10")
    report = library.describe_conflicts(nb)
    # No button can resolve it any more (its sides no longer fit): it is the user's now, and
    # the markers still in the cell are pointed out before it is marked resolved.
    assert [c["cell"] for c in report["conflicts"]] == [2]
    assert report["stale"] == 1 and report["edited"] == [0]
    answer = library.resolve_one(nb, report["conflicts"][0]["number"], "theirs")
    assert "a = 10" in apply(nb, answer)["cells"][0]["source"]


def test_labels_sides_and_choices() -> None:
    report = library.describe_conflicts(_two_conflicts())
    assert report["labels"] == {"ours": "x", "theirs": "y"}
    first = report["conflicts"][0]
    assert first["sides"] == {"base": "a = 0", "ours": "a = 1", "theirs": "a = 2"}
    assert first["choices"] == ["ours", "theirs", "base", "both"]
    assert first["cell"] == 0 and first["cell_id"] == "one" and first["kind"] == "source"


def test_a_kernelspec_conflict_is_shown_with_each_side() -> None:
    def version(language: str) -> dict[str, Any]:
        nb = make_notebook(code_cell("x = 1", cell_id="a"))
        nb["metadata"]["kernelspec"] = {"name": language, "language": language}
        return nb

    nb = merge_notebooks(version("python"), version("julia"), version("R"), labels=LABELS).notebook
    (conflict,) = library.describe_conflicts(nb)["conflicts"]
    assert conflict["kind"] == "notebook-metadata"
    assert '"julia"' in conflict["sides"]["ours"] and '"R"' in conflict["sides"]["theirs"]
    assert "both" not in conflict["choices"]
    answer = library.resolve_one(nb, conflict["number"], "theirs")
    assert answer.removed == conflict["cell"]  # the note cell the merge added goes
    assert answer.metadata["kernelspec"]["language"] == "R"
    after = apply(nb, answer)
    assert library.describe_conflicts(after)["conflicts"] == []
    assert "nbcollab" not in apply(after, library.clear_stale(after))["metadata"]


def test_a_conflict_asked_for_where_it_no_longer_is_is_refused() -> None:
    nb = _two_conflicts()
    first, second = library.describe_conflicts(nb)["conflicts"]
    after = apply(nb, library.resolve_one(nb, first["number"], "ours", cell=0, kind="source"))
    # A click sent twice, or for a conflict that moved meanwhile, resolves nothing else.
    with pytest.raises(NbcollabError, match="already resolved"):
        library.resolve_one(after, first["number"], "theirs", cell=first["cell"])
    with pytest.raises(NbcollabError, match="changed meanwhile"):
        library.resolve_one(after, second["number"], "theirs", cell=first["cell"])
    with pytest.raises(NbcollabError, match="changed meanwhile"):
        library.resolve_one(nb, first["number"], "theirs", kind="outputs")
    with pytest.raises(NbcollabError, match="unknown choice"):
        library.resolve_one(nb, first["number"], "mine")
    done = library.resolve_one(after, second["number"], "theirs", cell=second["cell"])
    assert done.changed[2]["source"] == "c = 2"


def test_a_choice_keeps_the_record_so_that_undo_brings_the_conflict_back() -> None:
    nb = _two_conflicts()
    first = library.describe_conflicts(nb)["conflicts"][0]
    answer = library.resolve_one(nb, first["number"], "theirs")
    assert answer.metadata["nbcollab"] == nb["metadata"]["nbcollab"]
    after = apply(nb, answer)
    assert [c["cell"] for c in library.describe_conflicts(after)["conflicts"]] == [2]
    undone = copy.deepcopy(after)
    undone["cells"][0]["source"] = nb["cells"][0]["source"]  # the editor's undo
    assert [c["cell"] for c in library.describe_conflicts(undone)["conflicts"]] == [0, 2]
    cleared = apply(after, library.clear_stale(after))
    assert len(cleared["metadata"]["nbcollab"]["conflicts"]) == 1


def test_a_conflict_resolved_by_hand_is_left_to_clear() -> None:
    nb = _two_conflicts()
    nb["cells"][0]["source"] = "a = 3"  # the markers removed by hand
    report = library.describe_conflicts(nb)
    assert len(report["conflicts"]) == 1 and report["stale"] == 1 and report["edited"] == []
    assert library.conflicts_left(nb)  # Mark resolved would refuse: the record is still there
    cleared = apply(nb, library.clear_stale(nb))
    assert len(library.conflicts_left(cleared)) == 1  # only the other conflict is left
    assert cleared["cells"][0]["source"] == "a = 3"


def test_lint_names_cells_by_index() -> None:
    nb = make_notebook(code_cell("a = 1", count=2), code_cell("b = a", count=1))
    found = library.lint(nb, __import__("pathlib").Path("nb.ipynb"))
    assert found and all(0 <= f["cell"] < 2 for f in found)
    assert any(f["code"].startswith("C") for f in found)
