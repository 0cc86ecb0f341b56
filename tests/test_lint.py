"""nbcollab lint's static checks, one table row per case, on minimal notebooks."""

from __future__ import annotations

import pytest
from helpers import code_cell, make_notebook, markdown_cell, stream_output

from nbcollab.lint.codes import CODES, Severity, severity_of
from nbcollab.lint.notebook import lint_notebook
from nbcollab.lint.options import LintOptions

ALL = LintOptions(select=("ALL",))


def found(
    *cells: dict, options: LintOptions = ALL, **nb_kwargs: object
) -> list[tuple[str, int, str]]:
    """(code, cell, symbol) of every finding."""
    result = lint_notebook(make_notebook(*cells, **nb_kwargs), options=options)
    return [(f.code, f.cell, f.symbol) for f in result.findings]


def run(*sources: str) -> list[tuple[str, int, str]]:
    """Findings of name checks for never-executed cells with these sources."""
    return [f for f in found(*(code_cell(s) for s in sources)) if f[0].startswith("D")]


# -- execution counts ------------------------------------------------------------------------
COUNT_CASES = [
    ("in order", [1, 2, 3], []),
    ("never executed passes", [None, None], []),
    ("not ascending", [1, 3, 2], [("C101", 3)]),
    ("duplicate", [1, 2, 2], [("C102", 3)]),
    ("skip", [1, 2, 5], [("C103", 3)]),
    ("leading skip", [3, 4], [("C104", 1)]),
    ("unexecuted between", [1, None, 2], [("C105", 2)]),
    ("unexecuted at the end is not between", [1, 2, None], []),
    # Colab saves count 0: one finding for the cause, and the runs it hides are not skips.
    ("Colab zeros between counts", [1, 2, 0, 0, 5, 6], [("C107", 3)]),
    ("Colab zeros at both ends", [0, 2, 3, 4, 5, 0], [("C107", 1)]),
    ("one zero, in order", [1, 0, 2], [("C107", 2)]),
    ("more missing than zeros", [1, 0, 5], [("C107", 2), ("C103", 3)]),
    ("zeros elsewhere explain no skip", [0, 1, 4], [("C107", 1), ("C103", 3)]),
    ("leading skip beyond the zeros", [0, 4, 5], [("C107", 1), ("C104", 2)]),
    ("only zeros", [0, 0], [("C107", 1)]),
]


@pytest.mark.parametrize(
    "counts,expected", [c[1:] for c in COUNT_CASES], ids=[c[0] for c in COUNT_CASES]
)
def test_count_checks(counts: list[int | None], expected: list[tuple[str, int]]) -> None:
    cells = [code_cell(f"v{i} = {i}", count=c) for i, c in enumerate(counts)]
    codes = [(code, cell) for code, cell, _ in found(*cells)]
    assert sorted(codes) == sorted(expected)


def test_zero_counts_are_one_finding_naming_every_cell() -> None:
    result = lint_notebook(
        make_notebook(*(code_cell(f"v{i} = 1", count=c) for i, c in enumerate([1, 0, 2, 0]))),
        options=LintOptions(),
    )
    (finding,) = result.findings
    assert finding.code == "C107" and "on cells 2, 4:" in finding.message


def test_the_precise_checks_of_a_zero_count_stay_available_with_select() -> None:
    cells = [code_cell(f"v{i} = 1", count=c) for i, c in enumerate([1, 2, 0, 0, 5])]
    precise = LintOptions(select=("C101", "C102", "C103"))
    assert [(code, cell) for code, cell, _ in found(*cells, options=precise)] == [
        ("C101", 3),
        ("C102", 4),
        ("C103", 5),
    ]
    assert [code for code, _, _ in found(*cells)] == ["C107"]


@pytest.mark.parametrize(
    ("code", "severity"),
    [("C101", "warning"), ("C103", "note"), ("C104", "note"), ("C107", "note")]
    + [("D201", "error"), ("D204", "error"), ("D202", "warning"), ("X401", "error")],
)
def test_severities(code: str, severity: str) -> None:
    assert severity_of(code).value == severity


def test_every_code_has_a_severity() -> None:
    assert {code.severity for code in CODES.values()} == set(Severity)


def test_blank_cells_do_not_count_and_markdown_shifts_the_cell_index() -> None:
    cells = [
        markdown_cell("# t"),
        code_cell("a = 1", count=1),
        code_cell("  \n", count=None),
        code_cell("b = 2", count=2),
    ]
    assert found(*cells) == []
    assert found(
        markdown_cell("# t"), code_cell("a = 1", count=2), code_cell("b = a", count=1)
    ) == [("C101", 3, "")]


def test_stale_output_only_when_the_notebook_was_executed() -> None:
    stale = code_cell("a = 1", outputs=[stream_output("1\n")])
    assert ("C106", 2, "") in found(code_cell("b = 2", count=1), stale)
    # Outputs kept without counts (clean --keep-outputs) are not stale.
    assert found(stale) == []


# -- hidden state: which names fail on Restart & Run All (D201) ------------------------------
SCOPE_CASES = [
    ("defined later", ["print(x)", "x = 1"], [("D201", 1, "x")]),
    ("defined earlier", ["x = 1", "print(x)"], []),
    ("defined later in the same cell", ["print(x)\nx = 1"], [("D201", 1, "x")]),
    ("builtin shadowed later is not missing", ["print(len)", "len = 3"], []),
    ("never defined anywhere: not hidden state", ["print(spark)"], []),
    (
        "function body needs the name when called",
        ["def f():\n    return x", "f()", "x = 1"],
        [("D201", 2, "x")],
    ),
    (
        "function defined, not called before the name exists",
        ["def f():\n    return x", "x = 1", "f()"],
        [],
    ),
    (
        "function local is not global",
        ["def f(x):\n    y = x\n    return y", "f(1)", "x = y = 1"],
        [],
    ),
    (
        "call through a second function",
        ["def g():\n    return x", "def f():\n    return g()", "f()", "x = 1"],
        [("D201", 3, "x")],
    ),
    (
        "recursive function",
        ["def f(n):\n    return f(n - 1) if n else x", "f(2)", "x = 0"],
        [("D201", 2, "x")],
    ),
    (
        "default argument is evaluated at def",
        ["def f(a=x):\n    return a", "x = 1"],
        [("D201", 1, "x")],
    ),
    (
        "decorator is evaluated at def",
        ["@deco\ndef f():\n    pass", "deco = id"],
        [("D201", 1, "deco")],
    ),
    ("class body runs at once", ["class C:\n    k = x", "x = 1"], [("D201", 1, "x")]),
    ("class-local name", ["class C:\n    k = 1\n    j = k + 1", "k = 2"], []),
    (
        "method needs the name when the class is used",
        ["class C:\n    def m(self):\n        return x", "C().m()", "x = 1"],
        [("D201", 2, "x")],
    ),
    (
        "class scope is not seen from methods",
        ["class C:\n    k = 1\n    def m(self):\n        return k", "C().m()", "k = 2"],
        [("D201", 2, "k")],
    ),
    ("comprehension variable is local", ["[i for i in range(3)]", "i = 1"], []),
    ("comprehension uses outer name", ["[i * x for i in range(3)]", "x = 1"], [("D201", 1, "x")]),
    ("generator first iterable", ["list(i for i in xs)", "xs = []"], [("D201", 1, "xs")]),
    ("walrus in comprehension binds outside", ["[y := i for i in range(3)]\nprint(y)"], []),
    ("walrus at module level", ["if (n := 3):\n    print(n)", "n = 1"], []),
    (
        "global assigned in a called function",
        ["def init():\n    global model\n    model = 1", "init()", "print(model)", "model = 2"],
        [],
    ),
    (
        "global not set until called",
        ["def init():\n    global model\n    model = 1", "print(model)", "init()"],
        [("D201", 2, "model")],
    ),
    (
        "nonlocal is not global",
        [
            (
                "def f():\n    v = 1\n    def g():\n        nonlocal v\n"
                "        v = 2\n    g()\n    return v"
            ),
            "f()",
            "v = 0",
        ],
        [],
    ),
    ("del then use", ["x = 1", "del x", "print(x)"], [("D201", 3, "x")]),
    ("del then redefine", ["x = 1", "del x", "x = 2", "print(x)"], []),
    ("star import: cannot know", ["from os.path import *", "print(join)", "join = 1"], []),
    (
        "star import after the use does not help",
        ["print(join)", "from os.path import *", "join = 1"],
        [("D201", 1, "join")],
    ),
    ("try/except NameError", ["try:\n    x\nexcept NameError:\n    x = 1"], []),
    ("bare except also catches", ["try:\n    print(x)\nexcept:\n    pass", "x = 1"], []),
    (
        "except ValueError does not",
        ["try:\n    print(x)\nexcept ValueError:\n    pass", "x = 1"],
        [("D201", 1, "x")],
    ),
    ("if TYPE_CHECKING body never runs", ["if TYPE_CHECKING:\n    print(x)", "x = 1"], []),
    ("'x' in globals() guard", ["if 'x' not in globals():\n    x = 1\nprint(x)"], []),
    (
        "lambda called at once",
        ["df.apply(lambda r: r * k)", "df = k = 1"],
        [("D201", 1, "df"), ("D201", 1, "k")],
    ),
    ("named lambda is a function", ["f = lambda: k", "k = 1", "f()"], []),
    ("augmented assignment reads first", ["t += 1", "t = 0"], [("D201", 1, "t")]),
    (
        "except-as name is deleted",
        ["try:\n    1 / 0\nexcept Exception as e:\n    pass", "print(e)", "e = 1"],
        [("D201", 2, "e")],
    ),
    ("import binds the top package", ["import os.path", "print(os.sep)"], []),
    ("for target", ["for i in range(2):\n    pass", "print(i)"], []),
    (
        "loop-carried name",
        ["for i in range(3):\n    if i:\n        print(prev)\n    prev = i", "prev = 0"],
        [],
    ),
    (
        "while loop-carried name",
        ["while go():\n    if seen:\n        break\n    seen = 1", "seen = go = 0"],
        [("D201", 1, "go")],
    ),
    ("with target", ["with open('f') as fh:\n    pass", "fh.close()"], []),
    (
        "match capture",
        [
            (
                "match 1:\n    case [a, *rest]:\n        pass\n    case {'k': v, **kw}:\n"
                "        pass\n    case other:\n        pass"
            ),
            "print(a, rest, v, kw, other)",
        ],
        [],
    ),
    ("annotation without value does not bind", ["z: int", "print(z)", "z = 1"], [("D201", 2, "z")]),
]


@pytest.mark.parametrize(
    "sources,expected", [c[1:] for c in SCOPE_CASES], ids=[c[0] for c in SCOPE_CASES]
)
def test_used_before_defined(sources: list[str], expected: list[tuple[str, int, str]]) -> None:
    assert run(*sources) == expected


# -- IPython syntax -----------------------------------------------------------------------------
MAGIC_CASES = [
    ("line magic", ["%matplotlib inline\nprint(x)", "x = 1"], [("D201", 1, "x")]),
    ("shell escape", ["!pip install foo\nprint(x)", "x = 1"], [("D201", 1, "x")]),
    ("shell assignment binds", ["files = !ls\nprint(files)"], []),
    ("magic assignment binds", ["out = %sx ls", "print(out)"], []),
    ("%time keeps its statement", ["%time y = f()", "f = id"], [("D201", 1, "f")]),
    ("%timeit options", ["%timeit -n 10 -r 2 g(1)", "g = id"], [("D201", 1, "g")]),
    ("%%time body is Python", ["%%time\nprint(x)", "x = 1"], [("D201", 1, "x")]),
    ("%%capture binds its name", ["%%capture cap\nprint(1)", "cap.show()"], []),
    ("%%bash is not Python", ["%%bash\necho $x", "x = 1"], []),
    ("%run binds unknown names", ["%run setup.py", "print(x)", "x = 1"], []),
    ("automagic run", ["run setup.py", "print(x)", "x = 1"], []),
    ("help line", ["np.mean?\nprint(x)", "x = 1"], [("D201", 1, "x")]),
    ("% inside brackets stays Python", ["!ls\ns = ('%d'\n     % x)", "x = 1"], [("D201", 1, "x")]),
    (
        "magic in an indented block",
        ["if True:\n    !pip install a\n    print(x)", "x = 1"],
        [("D201", 1, "x")],
    ),
    (
        "IPython removes the first line's indent",
        ["  print(x)\n  y = 1", "x = 1"],
        [("D201", 1, "x")],
    ),
    (
        "top-level await",
        ["r = await fetch(u)\nasync for c in r:\n    print(c)", "u = 1"],
        [("D201", 1, "u")],
    ),
    ("shell continuation lines", ["!echo a \\\n  b c\nprint(x)", "x = 1"], [("D201", 1, "x")]),
]


@pytest.mark.parametrize(
    "sources,expected", [c[1:] for c in MAGIC_CASES], ids=[c[0] for c in MAGIC_CASES]
)
def test_ipython_syntax(sources: list[str], expected: list[tuple[str, int, str]]) -> None:
    assert run(*sources) == expected


def test_syntax_error_is_a_finding_in_python3_and_a_note_in_python2() -> None:
    assert run("print 'hi'") == [("D204", 1, "")]
    py2 = make_notebook(
        code_cell("print 'hi'"),
        metadata={
            "kernelspec": {"name": "python2", "language": "python", "display_name": "Python 2"}
        },
    )
    result = lint_notebook(py2, options=ALL)
    assert result.findings == [] and "not Python 3" in result.notes[0].message


@pytest.mark.parametrize(
    "source", ["return 1", "for i in x:\n    pass\nbreak", "yield 1", "nonlocal x"]
)
def test_what_only_the_compiler_refuses_is_a_syntax_error(source: str) -> None:
    assert run(source) == [("D204", 1, "")]


def test_future_import_after_other_statements_is_fine_as_in_ipython() -> None:
    assert run('"""doc"""\n!pip install a\nfrom __future__ import division\nx = 1') == []


def test_unparseable_cell_silences_name_checks_after_it() -> None:
    # Its names are unknown: reporting later uses would be guessing.
    assert run("x = (", "print(y)", "y = 1") == [("D204", 1, "")]


def test_deeply_nested_cell_is_a_note_not_a_crash() -> None:
    deep = "x = " + "(" * 5000 + "1" + ")" * 5000
    result = lint_notebook(
        make_notebook(code_cell(deep), code_cell("print(y)"), code_cell("y = 1")), options=ALL
    )
    assert [f.code for f in result.findings] in ([], ["D204"])


def test_non_python_kernel_checks_counts_only() -> None:
    meta = {"kernelspec": {"name": "ir", "language": "R", "display_name": "R"}}
    nb = make_notebook(code_cell("print(x)", count=2), code_cell("x <- 1", count=1), metadata=meta)
    result = lint_notebook(nb, options=ALL)
    assert [f.code for f in result.findings] == ["C101"]
    assert "'r'" in result.notes[0].message


# -- hidden state the counts reveal (D202, D203) ---------------------------------------------
def test_defined_only_in_unexecuted_cell() -> None:
    cells = [code_cell("x = 1"), code_cell("print(x)", count=1)]
    assert ("D202", 2, "x") in found(*cells)
    assert not [
        f
        for f in found(code_cell("x = 1", count=1), code_cell("print(x)", count=2))
        if f[0] == "D202"
    ]


def test_defined_only_in_unexecuted_cell_through_a_function() -> None:
    cells = [
        code_cell("def f():\n    return x", count=1),
        code_cell("x = 1"),
        code_cell("f()", count=2),
    ]
    assert ("D202", 3, "x") in found(*cells)


AMBIGUOUS_CASES = [
    ("in order: no finding", [("x = 1", 1), ("x = 2", 2), ("print(x)", 3)], []),
    (
        "later definition ran first",
        [("x = 1", 2), ("x = 2", 1), ("print(x)", 3)],
        [("D203", 3, "x")],
    ),
    (
        "user ran before the second definition",
        [("x = 1", 1), ("print(x)", 3), ("x = 2", 2)],
        [("D203", 2, "x")],
    ),
    ("own definition first", [("x = 1", 2), ("x = 2", 1), ("x = 3\nprint(x)", 3)], []),
    ("single definition", [("x = 1", 2), ("print(x)", 3)], []),
]


@pytest.mark.parametrize(
    "cells,expected", [c[1:] for c in AMBIGUOUS_CASES], ids=[c[0] for c in AMBIGUOUS_CASES]
)
def test_ambiguous_definition(cells: list[tuple[str, int]], expected: list) -> None:
    result = found(
        *(code_cell(s, count=c) for s, c in cells), options=LintOptions(select=("D203",))
    )
    assert result == expected


# -- randomness (opt-in) ---------------------------------------------------------------------
RANDOM_CASES = [
    ("numpy unseeded", ["import numpy as np", "np.random.rand(3)"], [("R301", 2)]),
    ("numpy seeded first", ["import numpy as np\nnp.random.seed(0)", "np.random.rand(3)"], []),
    (
        "seeded after the draw",
        ["import numpy as np\nnp.random.rand(3)", "np.random.seed(0)"],
        [("R301", 1)],
    ),
    ("random module", ["import random\nrandom.shuffle(xs)"], [("R301", 1)]),
    ("from-import", ["from random import randint\nrandint(1, 6)"], [("R301", 1)]),
    ("torch seeded", ["import torch\ntorch.manual_seed(1)\ntorch.randn(2)"], []),
    (
        "default_rng without a seed",
        ["import numpy as np\nrng = np.random.default_rng()"],
        [("R301", 1)],
    ),
    ("default_rng with a seed", ["import numpy as np\nrng = np.random.default_rng(0)"], []),
    ("one finding per library", ["import random\nrandom.random()\nrandom.random()"], [("R301", 1)]),
]


@pytest.mark.parametrize(
    "sources,expected", [c[1:] for c in RANDOM_CASES], ids=[c[0] for c in RANDOM_CASES]
)
def test_unseeded_random(sources: list[str], expected: list[tuple[str, int]]) -> None:
    codes = found(*(code_cell(s) for s in sources), options=LintOptions(select=("R301",)))
    assert [(code, cell) for code, cell, _ in codes] == expected


def test_randomness_is_off_by_default() -> None:
    cells = [code_cell("import random\nrandom.random()")]
    assert found(*cells, options=LintOptions()) == []
    assert found(*cells, options=LintOptions(extend_select=("R",))) == [
        ("R301", 1, "random.random")
    ]


# -- selection and tags ------------------------------------------------------------------------
def test_select_ignore_by_code_prefix_and_name() -> None:
    cells = [code_cell("print(x)", count=2), code_cell("x = 1", count=1)]
    assert {c for c, _, _ in found(*cells, options=LintOptions())} == {"C101", "D201"}
    assert {c for c, _, _ in found(*cells, options=LintOptions(select=("C",)))} == {"C101"}
    assert {c for c, _, _ in found(*cells, options=LintOptions(select=("D201",)))} == {"D201"}
    assert {
        c for c, _, _ in found(*cells, options=LintOptions(ignore=("C1", "used-before-defined")))
    } == set()


def test_unknown_code_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown finding code 'Z999'"):
        LintOptions(select=("Z999",))


def test_lint_ignore_tags() -> None:
    assert found(code_cell("print(x)", count=3), code_cell("x = 1", count=1)) == [
        ("C103", 1, ""),
        ("D201", 1, "x"),
        ("C101", 2, ""),
    ]
    tagged = code_cell("print(x)", count=3, tags=["lint-ignore"])
    assert found(tagged, code_cell("x = 1", count=1)) == [("C101", 2, "")]
    only_d201 = code_cell("print(x)", count=3, tags=["other", "lint-ignore:D201"])
    assert found(only_d201, code_cell("x = 1", count=1)) == [("C103", 1, ""), ("C101", 2, "")]
    two = code_cell("print(x)", count=3, tags=["lint-ignore:d201,C103"])
    assert found(two, code_cell("x = 1", count=1)) == [("C101", 2, "")]


def test_positions_in_the_cell() -> None:
    result = lint_notebook(
        make_notebook(code_cell("%matplotlib inline\n%time y = é + xx"), code_cell("xx = 1")),
        options=ALL,
    )
    (finding,) = result.findings
    assert (finding.cell, finding.line, finding.column, finding.symbol) == (1, 2, 15, "xx")


def test_positions_after_ipython_removes_the_first_lines_indent() -> None:
    # Only lines that carry the first line's indentation lose it; columns stay the cell's.
    cell = code_cell("  a = 1\nb = xx\n  c = yy\n%time  d = zz")
    result = lint_notebook(make_notebook(cell, code_cell("xx = yy = zz = 1")), options=ALL)
    assert [(f.line, f.column) for f in result.findings] == [(2, 5), (3, 7), (4, 12)]
