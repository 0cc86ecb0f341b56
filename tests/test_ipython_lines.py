"""The one IPython line classifier: its kinds, lint and export agreeing on every line, IPython's
own transformer agreeing with both on real notebooks."""

from __future__ import annotations

import ast
import warnings

import pytest
from helpers import corpus_notebooks, requires_corpus
from hypothesis import given, settings
from hypothesis import strategies as st

from nbcollab.errors import NbcollabError
from nbcollab.export.ipython import IPythonCell, strip_ipython
from nbcollab.files import read_notebook_file
from nbcollab.lint.magics import to_python
from nbcollab.notebook.ipython import LineKind, classify_source
from nbcollab.notebook.lines import cell_source, iter_cells

K = LineKind


@pytest.mark.parametrize(
    ("line", "kind", "detail"),
    [
        ("%matplotlib inline", K.LINE_MAGIC, "matplotlib"),
        ("!pip install x", K.SHELL, ""),
        ("pip install x", K.AUTOMAGIC, "pip"),
        ("ls -la", K.PYTHON, ""),  # valid Python: ls minus la
        ("pwd", K.PYTHON, ""),  # a name, unless the kernel has none: Python decides, not us
        ("x?", K.HELP, ""),
        ("??os.path", K.HELP, ""),
        ("x[0]?", K.HELP, ""),
        ("x[i]?", K.PYTHON, ""),  # IPython asks only about literal subscripts: a syntax error
        ("a = obj??", K.HELP, ""),
        ("a = 1 if b else c?", K.HELP, ""),
        ("%time?", K.HELP, ""),
        ("print(x)?", K.PYTHON, ""),  # a syntax error in IPython too
        ("x = 1  # why?", K.PYTHON, ""),
        ("x?? ", K.PYTHON, ""),  # IPython wants the ? last
        ("y = !ls", K.ASSIGNED, ""),
        ("a.b[0] = %who_ls", K.ASSIGNED, "who_ls"),
        ("x: list = !ls", K.ASSIGNED, ""),
        ("f(x=!ls)", K.PYTHON, ""),  # the = is inside brackets
        ("x == !y", K.PYTHON, ""),
        ("x = %(a)s", K.PYTHON, ""),  # % then a bracket: Python's formatting, not a magic
        ("x = a %b", K.PYTHON, ""),
        ("%%bash", K.CELL_MAGIC, ""),
    ],
)
def test_line_kinds(line: str, kind: LineKind, detail: str) -> None:
    classified = classify_source(line).lines[0]
    assert classified.kind is kind
    assert classified.magic == detail


@pytest.mark.parametrize(
    ("line", "statement"),
    [
        ("%time y = f(2)", "y = f(2)"),
        ("%timeit f(2)", "f(2)"),
        ("%timeit -n 10 -r 3 f(2)", "f(2)"),
        ("%timeit -n10 -r3 -q -o f(2)", "f(2)"),
        ("%timeit -n 1 print('a  b')", "print('a  b')"),  # spaces inside kept
        ("%prun -s cumulative -l 5 train()", "train()"),
        ("%debug --breakpoint a.py:3 f()", "f()"),
        ("%time", ""),
        ("%timeit -n 10", ""),
    ],
)
def test_statement_magics_keep_their_statement(line: str, statement: str) -> None:
    classified = classify_source(line).lines[0]
    assert classified.statement == statement
    if statement:
        assert line[classified.statement_column :] == statement


def test_lines_inside_strings_brackets_and_continuations_stay_python() -> None:
    source = 's = """\n%not a magic\n!nor this\n"""\nt = (1,\n   !2)\nu = 1 + \\\n%x'
    assert {line.kind for line in classify_source(source).lines} == {K.PYTHON}


def test_a_removed_line_opens_no_bracket() -> None:
    lines = classify_source("!echo (\n%ls").lines
    assert [line.kind for line in lines] == [K.SHELL, K.LINE_MAGIC]


def test_backslash_continuations_belong_to_the_ipython_line() -> None:
    lines = classify_source("!curl \\\n  -O x \\\n  -O y\nprint(1)").lines
    assert [line.kind for line in lines] == [K.SHELL, K.CONTINUATION, K.CONTINUATION, K.PYTHON]


def test_cell_magic_body_is_a_cell_of_its_own() -> None:
    cell = classify_source("%%capture out --no-stderr\n  %ls\n  x = 1")
    assert cell.magic is not None and (cell.magic.name, cell.magic.argument) == (
        "capture",
        "out --no-stderr",
    )
    assert [(line.kind, line.dedent) for line in cell.lines] == [
        (K.CELL_MAGIC, 0),
        (K.LINE_MAGIC, 2),
        (K.PYTHON, 2),
    ]


def test_a_cell_magic_below_a_comment_is_a_line_magic_as_in_ipython() -> None:
    cell = classify_source("# setup\n%%bash\nls")
    assert cell.magic is None
    assert cell.lines[1].kind is K.LINE_MAGIC and cell.lines[1].magic == "%bash"


@pytest.mark.parametrize("line", ["x[0]?", "pip install -U numpy", "%prun -s time f()"])
def test_lint_and_export_read_a_line_the_same_way(line: str) -> None:
    # Two parsers used to disagree here (lint read ``x[0]?`` as help, export kept it).
    assert changed_by_lint(line) == changed_by_export(line) == {1}


# --- lint and export agree on every line -------------------------------------------------------


def changed_by_lint(source: str) -> set[int] | str:
    """The lines lint does not read as they are written (or "cell" for a cell magic)."""
    python = to_python(source)
    if python.source is None or (python.transformed and source.lstrip().startswith("%%")):
        return "cell"
    out = python.source.split("\n")
    return {
        number
        for number, (before, after) in enumerate(zip(source.split("\n"), out), start=1)
        if before.strip() != after.strip()
    }


def changed_by_export(source: str) -> set[int] | str:
    """The lines export does not keep as they are written (or "cell" for a cell magic); when
    export refuses the cell at a line, that line and those changed above it."""
    lines = tuple(enumerate(source.split("\n"), start=1))
    try:
        out = strip_ipython(lines)
    except IPythonCell as exc:
        if exc.skip and exc.line == _first_line(source):
            return "cell"
        above = changed_by_export("\n".join(source.split("\n")[: exc.line - 1]))
        return {exc.line} | (above if isinstance(above, set) else set())
    return {n for (n, before), (_, after) in zip(lines, out) if before.strip() != after.strip()}


def _first_line(source: str) -> int:
    return next((n for n, line in enumerate(source.split("\n"), start=1) if line.strip()), 0)


def agree(source: str) -> bool:
    lint, export = changed_by_lint(source), changed_by_export(source)
    if isinstance(lint, set) and isinstance(export, set) and export:
        lint = {n for n in lint if n <= max(export)}  # export reads no further than a refusal
    return lint == export


_SNIPPETS = [
    "import os",
    "x = 1",
    "def f():\n    return 1",
    "%matplotlib inline",
    "!ls",
    "!echo (",
    "%time y = 2",
    "%timeit -n 3 f()",
    "f?",
    "x[0]?",
    "a = b??",
    "pip install x",
    "ls -la",
    "for i in range(2):\n    %time i",
    "s = '''\n%x\n'''",
    "t = (1,\n  !2)",
    "!curl \\\n  -O x",
    "  indented = 1",
    "# comment?",
    "x = 5 % 3",
    "%%time",
    "y = !ls",
]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(_SNIPPETS), min_size=1, max_size=6))
def test_lint_and_export_agree_on_every_line_of_any_cell(parts: list[str]) -> None:
    source = "\n".join(parts)
    assert agree(source), (changed_by_lint(source), changed_by_export(source))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(_SNIPPETS), min_size=1, max_size=6))
def test_a_cell_that_parses_is_all_python(parts: list[str]) -> None:
    source = "\n".join(parts)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(source)
    except SyntaxError:
        return
    assert {line.kind for line in classify_source(source).lines} == {K.PYTHON}


# --- the corpus --------------------------------------------------------------------------------


def corpus_code_cells() -> list[tuple[str, str]]:
    cells = []
    for path in corpus_notebooks():
        try:
            _, nb = read_notebook_file(path)
        except NbcollabError:
            continue
        for index, cell in enumerate(iter_cells(nb)):
            source = cell_source(cell)
            if cell.get("cell_type") == "code" and source.strip():
                cells.append((f"{path.name} cell {index}", source))
    return cells


@pytest.mark.corpus
@requires_corpus
def test_lint_and_export_agree_on_every_line_of_the_corpus() -> None:
    cells = corpus_code_cells()
    assert len(cells) > 4000
    assert [where for where, source in cells if not agree(source)] == []


@pytest.mark.corpus
@requires_corpus
def test_ipython_transforms_exactly_the_lines_classified_as_ipython() -> None:
    # Automagic is IPython's run-time prefilter (it looks at the kernel's names), not its
    # transformer: those lines are left out of the comparison.
    transformer = pytest.importorskip("IPython.core.inputtransformer2").TransformerManager()
    counted = {K.PYTHON, K.CONTINUATION, K.AUTOMAGIC}
    disagree = []
    for where, source in corpus_code_cells():
        classified = classify_source(source)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                theirs = transformer.transform_cell(source)
        except SyntaxError:
            continue  # IPython gives up on the cell (e.g. ``print(x)?``)
        if classified.magic is not None:
            ours = "run_cell_magic"
            matched = theirs.startswith("get_ipython().run_cell_magic(")
        else:
            ours = str(sum(line.kind not in counted for line in classified.lines))
            matched = ours == str(theirs.count("get_ipython()"))
        if not matched:
            disagree.append(f"{where}: ours {ours}: {theirs[:200]!r}")
    assert disagree == []
