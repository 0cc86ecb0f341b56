"""The export core: directives, IPython syntax, --defs-only, ``__all__``, markers, determinism."""

from __future__ import annotations

import ast

import pytest
from helpers import code_cell, make_notebook, markdown_cell
from hypothesis import given, settings
from hypothesis import strategies as st

from nbcollab.export.assemble import export_module
from nbcollab.export.directives import parse_directives
from nbcollab.export.ipython import IPythonCell, strip_ipython
from nbcollab.export.model import ExportError
from nbcollab.export.options import ExportOptions, Selection

MARKED = ExportOptions()
ALL = ExportOptions(select=Selection.ALL)
DEFS = ExportOptions(select=Selection.ALL, defs_only=True)


def export(*cells: dict, options: ExportOptions = MARKED, **kwargs: object) -> str:
    nb = make_notebook(*cells, **kwargs)  # type: ignore[arg-type]
    return export_module(nb, options=options, source_name="nbs/core.ipynb").text


def body(text: str) -> list[str]:
    """The module's code lines, without header, markers, blank lines or ``__all__``."""
    return [
        line
        for line in text.splitlines()
        if line.strip()
        and not line.startswith(("# Generated", "# Edit", "# %%", '__all__ = ["'))
        and line != "__all__ = []"
    ]


# --- directives and tags -------------------------------------------------------------------


@pytest.mark.parametrize("marker", ["#| export", "#|export", "# | export", "#| exports"])
def test_export_directives_select_the_cell_and_are_not_written(marker: str) -> None:
    text = export(
        code_cell(f"{marker}\ndef f():\n    return 1", cell_id="a"),
        code_cell("print('side effect')", cell_id="b"),
    )
    assert body(text) == ["def f():", "    return 1"]
    assert "print" not in text


def test_export_tag_selects_the_cell() -> None:
    text = export(code_cell("X = 1", cell_id="a", tags=["export"]), code_cell("y = 2", cell_id="b"))
    assert body(text) == ["X = 1"]


def test_directive_below_code_is_an_ordinary_comment() -> None:
    text = export(code_cell("x = 1\n#| export", cell_id="a"))
    assert body(text) == []


def test_exporti_is_exported_but_stays_out_of_all() -> None:
    text = export(
        code_cell("#| exporti\ndef helper(): pass", cell_id="a"),
        code_cell("#| export\ndef api(): pass", cell_id="b"),
    )
    assert "def helper(): pass" in text
    assert '__all__ = ["api"]' in text


def test_hide_cells_stay_out_even_with_all() -> None:
    text = export(
        code_cell("#| hide\nfrom nbdev.showdoc import *", cell_id="a"),
        code_cell("Z = 3", cell_id="b"),
        options=ALL,
    )
    assert body(text) == ["Z = 3"]


def test_default_exp_names_the_module_and_is_not_code() -> None:
    nb = make_notebook(
        code_cell("#| default_exp data.loaders", cell_id="a"),
        code_cell("#| export\nA = 1", cell_id="b"),
    )
    module = export_module(nb, options=MARKED, source_name="x.ipynb")
    assert module.module_name == "data.loaders"
    assert body(module.text) == ["A = 1"]


def test_export_to_another_module_is_left_to_that_module() -> None:
    text = export(
        code_cell("#| default_exp core", cell_id="a"),
        code_cell("#| export other\nB = 1", cell_id="b"),
        code_cell("#| export core\nC = 1", cell_id="c"),
    )
    assert body(text) == ["C = 1"]


def test_other_leading_comments_are_kept() -> None:
    assert parse_directives("# note\n#| export\nx = 1").code_lines == ((1, "# note"), (3, "x = 1"))


# --- IPython syntax --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("%matplotlib inline", "# nbcollab: removed IPython line magic: %matplotlib inline"),
        ("!pip install pandas", "# nbcollab: removed IPython shell command: !pip install pandas"),
        ("%load_ext autoreload", "# nbcollab: removed IPython line magic: %load_ext autoreload"),
        ("%time y = f(2)", "y = f(2)"),
        ("%timeit f(2)", "f(2)"),
        ("%timeit -n 10 -r 3 f(2)", "f(2)"),
        ("%timeit -q -o f(2)", "f(2)"),
        ("%time", "# nbcollab: removed IPython line magic: %time"),
        ("f?", "# nbcollab: removed IPython help request: f?"),
        ("??os.path", "# nbcollab: removed IPython help request: ??os.path"),
        ("x = 5 % 3", "x = 5 % 3"),
    ],
)
def test_line_forms(line: str, expected: str) -> None:
    assert strip_ipython(((1, line),)) == ((1, expected),)


def test_indented_magic_becomes_pass_so_the_block_stays_valid() -> None:
    lines = strip_ipython(((1, "for i in range(3):"), (2, "    !echo $i")))
    assert lines[1][1].startswith("    pass  # nbcollab: removed")
    compile("\n".join(text for _, text in lines), "<t>", "exec")


def test_magic_like_lines_inside_strings_and_brackets_are_left_alone() -> None:
    source = ['s = """', "%not a magic", "!nor this", '"""', "t = (1,", "   !2)"]
    lines = tuple(enumerate(source, start=1))
    assert strip_ipython(lines) == lines


def test_line_numbers_are_kept() -> None:
    lines = strip_ipython(((1, "import os"), (2, "%pwd"), (3, "x = 1")))
    assert [number for number, _ in lines] == [1, 2, 3]


@pytest.mark.parametrize("magic", ["%%bash", "%%writefile out.py", "%%time", "%%capture out"])
def test_cell_magic_skips_the_cell_with_a_warning(magic: str) -> None:
    nb = make_notebook(code_cell(f"{magic}\nx = 1", cell_id="a"), code_cell("y = 2", cell_id="b"))
    module = export_module(nb, options=ALL, source_name="nb.ipynb")
    assert body(module.text) == ["y = 2"]
    warning = (
        f"nb.ipynb: cell 1 (id a): skipped: cell magic {magic.split()[0]}: the cell is not Python"
    )
    assert module.warnings == (warning,)


@pytest.mark.parametrize("line", ["files = !ls", "x = %pwd", "a, b = !echo 1 2", "out=%sx ls"])
def test_assigned_magic_is_an_error_naming_the_cell(line: str) -> None:
    nb = make_notebook(markdown_cell("# t"), code_cell(f"import os\n{line}", cell_id="k1"))
    with pytest.raises(ExportError, match=r"^nb.ipynb: cell 2 \(id k1\), line 2: .*no Python"):
        export_module(nb, options=ALL, source_name="nb.ipynb")


def test_lenient_skips_the_assigned_magic_cell() -> None:
    nb = make_notebook(code_cell("files = !ls", cell_id="a"), code_cell("y = 2", cell_id="b"))
    module = export_module(
        nb, options=ExportOptions(select=Selection.ALL, lenient=True), source_name="nb.ipynb"
    )
    assert body(module.text) == ["y = 2"]
    assert "skipped" in module.warnings[0]


def test_ipython_cell_error_carries_the_line() -> None:
    with pytest.raises(IPythonCell) as info:
        strip_ipython(((1, "x = 1"), (2, "y = !ls")))
    assert info.value.line == 2 and not info.value.skip


# --- compile check ---------------------------------------------------------------------------


def test_syntax_error_names_notebook_cell_and_line() -> None:
    nb = make_notebook(
        code_cell("x = 1", cell_id="a"), code_cell("#| export\ny = 1\ndef f(:\n", cell_id="b")
    )
    with pytest.raises(ExportError, match=r"^nb.ipynb: cell 2 \(id b\), line 3: "):
        export_module(nb, options=ALL, source_name="nb.ipynb")


def test_compile_time_error_is_caught_too() -> None:
    nb = make_notebook(code_cell("return 5", cell_id="a"))
    with pytest.raises(ExportError, match=r"cell 1 \(id a\), line 1: 'return' outside function"):
        export_module(nb, options=ALL, source_name="nb.ipynb")


def test_cell_without_id_is_named_by_index() -> None:
    nb = make_notebook(code_cell("x = (", cell_id=None), minor=4)
    with pytest.raises(ExportError, match=r"^nb.ipynb: cell 1, line 1: "):
        export_module(nb, options=ALL, source_name="nb.ipynb")


def test_future_import_from_a_later_cell_is_hoisted() -> None:
    text = export(
        code_cell("X = 1", cell_id="a"),
        code_cell("from __future__ import annotations\ndef f(x: Y) -> Y: pass", cell_id="b"),
        options=ALL,
    )
    assert text.splitlines()[3] == "from __future__ import annotations"
    compile(text, "<m>", "exec")


def test_non_python_notebook_is_refused() -> None:
    nb = make_notebook(
        code_cell("x <- 1"), metadata={"kernelspec": {"language": "R", "name": "ir"}}
    )
    with pytest.raises(ExportError, match="a R notebook, not Python"):
        export_module(nb, options=ALL, source_name="nb.ipynb")


# --- --defs-only ------------------------------------------------------------------------------


def test_defs_only_keeps_definitions_and_drops_side_effects() -> None:
    lines = [
        "import os",
        "from math import pi",
        "LIMIT = 10",
        "A, B = 1, 2",
        "df = load()",
        "print(df)",
        "@cache",
        "def f(x):",
        "    print(x)",
        "    return x",
        "class K:",
        "    y = run()",
        "for i in range(3):",
        "    go(i)",
        "try:",
        "    import numpy as np",
        "except ImportError:",
        "    np = None",
        "if __name__ == '__main__':",
        "    main()",
        "__all__ = ['f']",
        "f(1)",
    ]
    source = "\n".join(lines)
    text = export(code_cell(source, cell_id="a"), options=DEFS)
    assert body(text) == [
        "import os",
        "from math import pi",
        "LIMIT = 10",
        "A, B = 1, 2",
        "@cache",
        "def f(x):",
        "    print(x)",
        "    return x",
        "class K:",
        "    y = run()",
        "try:",
        "    import numpy as np",
        "except ImportError:",
        "    np = None",
        "if __name__ == '__main__':",
        "    main()",
        "__all__ = ['f']",
    ]


def test_defs_only_keeps_a_definition_sharing_a_line_with_a_call() -> None:
    text = export(code_cell("import os; run()\nX = 1", cell_id="a"), options=DEFS)
    assert body(text) == ["import os", "X = 1"]


def test_defs_only_try_with_a_call_is_dropped() -> None:
    text = export(
        code_cell("try:\n    download()\nexcept OSError:\n    pass", cell_id="a"), options=DEFS
    )
    assert body(text) == []


# --- __all__, markers, header -------------------------------------------------------------------


def test_all_lists_public_top_level_names_in_order() -> None:
    text = export(
        code_cell(
            "#| export\nimport os\ndef b(): pass\nclass A: pass\n_p = 1\n"
            "x, (y, z) = 1, (2, 3)\nn: int = 3\nif True:\n    hidden = 1",
            cell_id="a",
        )
    )
    assert '__all__ = ["b", "A", "x", "y", "z", "n"]' in text


def test_all_override_adds_names_as_nbdev_does() -> None:
    text = export(
        code_cell(
            "#| export\nfrom os import path\n_all_ = ['path', '_secret']\ndef _secret(): pass",
            cell_id="a",
        )
    )
    assert '__all__ = ["path", "_secret"]' in text


@pytest.mark.parametrize(
    ("definition", "listed"),
    [
        ("@patch\ndef f(self: A): pass", False),
        ("@patch()\ndef f(self: A): pass", False),
        ("@patch(as_prop=True)\ndef f(self: A): pass", False),
        ("@patch_to(A)\ndef f(self): pass", False),
        ("@patch_to(A, cls_method=True)\nasync def f(cls): pass", False),
        ("@patched\nclass f: pass", False),  # nbdev: any decorator named patch...
        ("@staticmethod\n@patch\ndef f(): pass", False),
        ("@fastcore.patch\ndef f(self: A): pass", True),  # nbdev reads bare names only
        ("@mock.patch('os.getcwd')\ndef f(m): pass", True),
        ("@functools.cache\ndef f(): pass", True),
        ("@dispatch\ndef f(x: int): pass", True),
        ("f = 1\nf += 1", True),
        ("f: int = 0", True),
    ],
)
def test_all_leaves_out_fastcore_patch_definitions_as_nbdev_does(
    definition: str, listed: bool
) -> None:
    text = export(code_cell(f"#| export\nclass A: pass\n{definition}", cell_id="a"))
    assert ('__all__ = ["A", "f"' in text) is listed
    assert ('__all__ = ["A"' in text) or listed


def test_star_import_of_a_patching_module_keeps_the_importers_names() -> None:
    # Shaped like fastcore's notebooks: @patch returns the global it replaced (None when new),
    # so a patched method named like a builtin or an itertools function would rebind it.
    patch = (
        "#| export\n"
        "def patch(f):\n"
        "    cls = next(iter(f.__annotations__.values()))\n"
        "    setattr(cls, f.__name__, f)\n"
        "    return globals().get(f.__name__)\n"
    )
    nb = make_notebook(
        code_cell("#| default_exp core", cell_id="a"),
        code_cell(patch, cell_id="b"),
        code_cell("#| export\nclass L(list): pass", cell_id="c"),
        code_cell("#| export\n@patch\ndef takewhile(self: L, f):\n    return 'L'", cell_id="d"),
        code_cell("#| export\n@patch\ndef relpath(self: L):\n    return '.'", cell_id="e"),
    )
    module: dict[str, object] = {}
    text = export_module(nb, options=MARKED, source_name="core.ipynb").text
    exec(compile(text, "core.py", "exec", dont_inherit=True), module)  # noqa: S102
    assert module["__all__"] == ["patch", "L"]
    from itertools import takewhile

    importer = {"takewhile": takewhile}
    importer.update({name: module[name] for name in module["__all__"]})  # from core import *
    assert importer["takewhile"] is takewhile
    assert module["L"]().takewhile(bool) == "L"  # type: ignore[operator]


def test_user_defined_all_is_respected() -> None:
    text = export(
        code_cell("#| export\n__all__ = ['f']\ndef f(): pass\ndef g(): pass", cell_id="a")
    )
    assert text.count("__all__") == 1


def test_long_all_is_one_name_per_line() -> None:
    names = [f"function_number_{i}" for i in range(10)]
    text = export(
        code_cell("#| export\n" + "\n".join(f"def {n}(): pass" for n in names), cell_id="a")
    )
    assert '__all__ = [\n    "function_number_0",\n' in text


def test_markers_name_the_notebook_and_the_cell_id_not_its_position() -> None:
    a = code_cell("#| export\nA = 1", cell_id="first")
    b = code_cell("#| export\nB = 2", cell_id="second")
    text = export(a, b)
    assert "# %% nbs/core.ipynb id=first\nA = 1\n" in text
    moved = export(markdown_cell("new"), b, a)
    assert "# %% nbs/core.ipynb id=first\nA = 1" in moved  # the marker moved with the cell


def test_marker_uses_the_index_without_ids() -> None:
    assert "# %% nbs/core.ipynb index=0\n" in export(code_cell("#| export\nA = 1"), minor=4)


def test_header_says_generated_and_from_what() -> None:
    lines = export(code_cell("#| export\nA = 1", cell_id="a")).splitlines()
    assert lines[0] == (
        "# Generated by nbcollab export from nbs/core.ipynb (cells marked for export): do not edit."
    )


def test_control_characters_in_the_notebook_name_cannot_escape_the_comment() -> None:
    nb = make_notebook(code_cell("#| export\nA = 1", cell_id="a"))
    text = export_module(nb, options=MARKED, source_name="x\nimport evil\r.ipynb").text
    assert "\nimport evil" not in text and "\r" not in text
    compile(text, "<m>", "exec")


def test_magic_text_with_escapes_stays_in_its_comment() -> None:
    text = export(code_cell("!echo \x1b[31m\x0b", cell_id="a"), options=ALL)
    assert "\x1b" not in text and "\x0b" not in text


def test_export_is_byte_identical_across_runs() -> None:
    cells = [code_cell(f"#| export\nV{i} = {i}", cell_id=f"c{i}") for i in range(5)]
    assert len({export(*cells) for _ in range(3)}) == 1


# --- properties ------------------------------------------------------------------------------

_LINE = st.one_of(
    st.sampled_from(
        [
            "import os",
            "X = 1",
            "def f():\n    return 1",
            "print(1)",
            "%matplotlib inline",
            "!ls",
            "%time y = 2",
            "f?",
            "for i in range(2):\n    %time i",
            "s = '''\n%x\n'''",
            "#| export",
            "# comment",
            "",
            "class A:\n    !echo",
        ]
    ),
)


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(_LINE, max_size=6), min_size=1, max_size=5), st.sampled_from([ALL, DEFS]))
def test_any_mix_of_python_and_line_magics_exports_to_compiling_code(
    cells: list[list[str]], options: ExportOptions
) -> None:
    nb = make_notebook(
        *(code_cell("\n".join(lines), cell_id=f"c{i}") for i, lines in enumerate(cells))
    )
    first = export_module(nb, options=options, source_name="p.ipynb").text
    ast.parse(first)
    assert first == export_module(nb, options=options, source_name="p.ipynb").text


# --- forms found in real notebooks ------------------------------------------------------------


def test_shell_line_continued_by_backslashes_is_removed_whole() -> None:
    source = "if True:\n    ! curl \\\n        -O x \\\n        -O y\n    print('done')"
    text = export(code_cell(source, cell_id="a"), options=ALL)
    assert body(text) == [
        "if True:",
        "    pass  # nbcollab: removed IPython shell command: ! curl \\",
        "    # nbcollab: (continued) -O x \\",
        "    # nbcollab: (continued) -O y",
        "    print('done')",
    ]


def test_help_at_the_end_of_an_assignment_is_removed() -> None:
    assert strip_ipython(((1, "a = b??"),)) == (
        (1, "# nbcollab: removed IPython help request: a = b??"),
    )


def test_first_line_indentation_is_removed_as_ipython_does() -> None:
    text = export(code_cell(" for x in range(2):\n   print(x)", cell_id="a"), options=ALL)
    assert body(text) == ["for x in range(2):", "  print(x)"]


def test_timed_statement_spanning_lines_keeps_its_continuation() -> None:
    lines = strip_ipython(((1, "%time x = (1,"), (2, "%notmagic)")))
    assert lines == ((1, "x = (1,"), (2, "%notmagic)"))


def test_top_level_await_cell_is_skipped_or_reduced_to_its_definitions() -> None:
    cells = (
        code_cell("async def go():\n    return 1\nresult = await go()", cell_id="a"),
        code_cell("Y = 2", cell_id="b"),
    )
    nb = make_notebook(*cells)
    module = export_module(nb, options=ALL, source_name="nb.ipynb")
    assert body(module.text) == ["Y = 2"]
    assert module.warnings == (
        "nb.ipynb: cell 1 (id a): skipped: top-level await runs only in IPython",
    )
    assert body(export(*cells, options=DEFS)) == ["async def go():", "    return 1", "Y = 2"]


_PIECES = st.sampled_from(
    list("%!?#|=:() \n\t\\'\"abxy_AB09.,[]{}-*@;")
    + [
        "\r",
        "\x00",
        "\u2028",
        "\x1b",
        "await ",
        "async ",
        "def ",
        "class ",
        "if ",
        "else:",
        "import ",
        "from __future__ import annotations\n",
        "%%",
        "#| export\n",
        "#| exporti\n",
        "_all_ = ",
        "__all__ = ",
    ]
)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.lists(_PIECES, max_size=40).map("".join), min_size=1, max_size=4),
    st.sampled_from([MARKED, ALL, DEFS, ExportOptions(select=Selection.ALL, lenient=True)]),
)
def test_any_cell_text_gives_a_compiling_module_or_an_export_error(
    cells: list[str], options: ExportOptions
) -> None:
    nb = make_notebook(*(code_cell(text, cell_id=f"c{i}") for i, text in enumerate(cells)))
    try:
        text = export_module(nb, options=options, source_name="f.ipynb").text
    except ExportError:
        return
    compile(text, "<m>", "exec")


def test_nbformat_3_notebooks_export_by_cell_index() -> None:
    nb = {
        "metadata": {},
        "nbformat": 3,
        "nbformat_minor": 0,
        "worksheets": [
            {
                "cells": [
                    {"cell_type": "code", "input": "%pylab inline\nA = 1", "metadata": {}},
                    {"cell_type": "markdown", "source": "text", "metadata": {}},
                    {"cell_type": "code", "input": "def f(): pass", "metadata": {}},
                ]
            }
        ],
    }
    text = export_module(nb, options=ALL, source_name="old.ipynb").text
    assert (
        "# %% old.ipynb index=0\n# nbcollab: removed IPython line magic: %pylab inline\nA = 1"
        in text
    )
    assert "# %% old.ipynb index=2\ndef f(): pass" in text
