"""Properties of nbcollab lint over generated notebooks: it never crashes, and positions hold."""

from __future__ import annotations

import json

from helpers import code_cell, make_notebook
from hypothesis import given, settings
from hypothesis import strategies as st

from nbcollab.lint.locate import SourceLocator
from nbcollab.lint.notebook import lint_notebook
from nbcollab.lint.options import LintOptions

SNIPPETS = [
    "x = 1",
    "print(x)",
    "del x",
    "def f():\n    return x",
    "f()",
    "%time y = x",
    "!ls {x}",
    "class C:\n    k = x",
    "[x for x in y]",
    "try:\n    x\nexcept NameError:\n    pass",
    "from m import *",
    "%%bash\necho",
    "import numpy as np\nnp.random.rand()",
    "print 'x'",
    "global x",
    "x += 1",
    "(",
    "lambda: z",
    "if TYPE_CHECKING:\n    import q",
    "y = !ls",
    "  indented = 1",
    "w := 1",
    "%run a.py",
    "  %time  q = x",
    "é = 1\nprint(é + x)",
    "x = (\n  1 %\n  2)",
    "for i in r:\n    %time z = i",
    "z = x if x else y",
]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(st.sampled_from(SNIPPETS), min_size=1, max_size=3),
            st.one_of(st.none(), st.integers(1, 6)),
        ),
        max_size=8,
    )
)
def test_lint_never_crashes_and_points_inside_the_cells(cells: list) -> None:
    nb = make_notebook(*(code_cell("\n".join(parts), count=count) for parts, count in cells))
    result = lint_notebook(nb, options=LintOptions(select=("ALL",)))
    for finding in result.findings:
        source = nb["cells"][finding.cell - 1]["source"].split("\n")
        assert 1 <= finding.line <= len(source)
        line = source[finding.line - 1]
        assert 1 <= finding.column <= len(line) + 1
        if finding.code.startswith("D") and finding.symbol and "through" not in finding.message:
            assert line[finding.column - 1 :].startswith(finding.symbol)  # the name itself


TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(TEXT, min_size=1, max_size=6),
    st.sampled_from([None, 0, 1, 2]),
    st.booleans(),
    st.booleans(),
    st.data(),
)
def test_every_source_character_is_located_in_the_file(
    lines: list[str], indent: int | None, ascii_only: bool, as_list: bool, data: st.DataObject
) -> None:
    joined = "\n".join(line.replace("\n", " ").replace("\r", " ") for line in lines)
    source = joined.splitlines(True) if as_list else joined
    nb = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [
            {
                "cell_type": "code",
                "metadata": {},
                "outputs": [],
                "execution_count": None,
                "source": source,
            }
        ],
    }
    text = json.dumps(nb, indent=indent, ensure_ascii=ascii_only)
    cell_lines = joined.split("\n")
    line = data.draw(st.integers(1, len(cell_lines)))
    if not cell_lines[line - 1]:
        return
    column = data.draw(st.integers(1, len(cell_lines[line - 1])))
    file_line, file_column = SourceLocator(text).position(1, line, column)
    rest = text.split("\n")[file_line - 1][file_column - 1 :]
    expected = json.dumps(cell_lines[line - 1][column - 1], ensure_ascii=ascii_only)[1:-1]
    assert rest.startswith(expected)
