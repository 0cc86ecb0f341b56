"""What ``parse_notebook`` accepts, the core takes: cells and outputs of any JSON shape are either
refused with a message naming the place, or cleaned, diffed and written without an error."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nbcollab.clean.strip import clean_notebook
from nbcollab.diff.compute import diff_notebooks
from nbcollab.errors import InvalidNotebook
from nbcollab.notebook.codec import parse_notebook, serialize_notebook
from nbcollab.options import CleanOptions


def _nested(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = [value]
    return value


def _mostly(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``good`` four times in five: a notebook is then often right but for one field."""
    return st.one_of(good, good, good, good, bad)


LEAF = st.none() | st.booleans() | st.integers(-3, 3) | st.text(max_size=3)
VALUE = st.recursive(
    LEAF | st.sampled_from([_nested(96), _nested(101)]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner, max_size=3)
    ),
    max_leaves=6,
)
# Values of the wrong kind for any field the check looks at.
WRONG = st.one_of(
    st.integers(-3, 3),
    st.lists(st.integers(0, 3) | st.none(), min_size=1, max_size=2),
    st.dictionaries(st.text(max_size=1), LEAF, min_size=1, max_size=1),
    st.just(_nested(101)),
)
LINES = _mostly(st.text(max_size=4) | st.lists(st.text(max_size=4), max_size=3), WRONG)
BUNDLE = st.dictionaries(st.sampled_from(["text/plain", "image/png", "application/json"]), LINES)
OUTPUT = st.fixed_dictionaries(
    {"output_type": _mostly(st.sampled_from(["stream", "display_data", "execute_result"]), WRONG)},
    optional={
        "name": _mostly(st.sampled_from(["stdout", "stderr"]), WRONG),
        "text": LINES,
        "data": _mostly(BUNDLE, WRONG),
        "metadata": _mostly(st.dictionaries(st.text(max_size=2), VALUE, max_size=2), WRONG),
        "execution_count": _mostly(st.none() | st.integers(0, 9), WRONG),
        "ename": _mostly(st.text(max_size=2), WRONG),
        "traceback": LINES,
    },
)
CELL = st.fixed_dictionaries(
    {"cell_type": _mostly(st.sampled_from(["code", "markdown", "raw"]), WRONG)},
    optional={
        "source": LINES,
        "outputs": _mostly(st.lists(_mostly(OUTPUT, WRONG), max_size=2), WRONG),
        "metadata": _mostly(st.dictionaries(st.sampled_from(["tags", "x"]), VALUE), WRONG),
        "attachments": _mostly(st.dictionaries(st.just("a.png"), _mostly(BUNDLE, WRONG)), WRONG),
        "execution_count": _mostly(st.none() | st.integers(0, 9), WRONG),
        "id": _mostly(st.sampled_from(["a", "b", "bad id"]), WRONG),
    },
)


def assert_the_core_can_rely_on(cell: Any) -> None:
    """What the check promises the core about a cell (text already joined, as parsed)."""
    assert isinstance(cell, dict) and isinstance(cell["cell_type"], str)
    assert isinstance(cell.get("source", ""), str)
    assert isinstance(cell.get("metadata", {}), dict)
    assert all(isinstance(b, dict) for b in cell.get("attachments", {}).values())
    for output in cell.get("outputs", []):
        assert isinstance(output, dict) and isinstance(output["output_type"], str)
        assert isinstance(output.get("metadata", {}), dict)
        assert isinstance(output.get("data", {}), dict)
        for key in ("name", "ename", "text"):
            assert isinstance(output.get(key, ""), str)
        assert isinstance(output.get("traceback", []), (str, list))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cells=st.lists(_mostly(CELL, WRONG), max_size=3),
    metadata=st.dictionaries(st.text(max_size=2), VALUE, max_size=2),
)
def test_a_notebook_is_refused_naming_the_place_or_the_core_takes_it(
    cells: list[Any], metadata: dict[str, Any]
) -> None:
    data = json.dumps({"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5})
    try:
        nb = parse_notebook(data.encode(), path="nb.ipynb")
    except InvalidNotebook as exc:
        assert str(exc).startswith("nb.ipynb: ")
        return
    for cell in nb["cells"]:
        assert_the_core_can_rely_on(cell)
    for options in (CleanOptions(), CleanOptions(keep_outputs=True, normalize=True)):
        cleaned = clean_notebook(nb, options=options)
        assert parse_notebook(serialize_notebook(cleaned).encode()) == cleaned
    assert parse_notebook(serialize_notebook(nb).encode()) == nb
    diff_notebooks(nb, clean_notebook(nb))
