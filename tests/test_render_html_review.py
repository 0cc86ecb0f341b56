"""The review page's content: summary, contents, folding, highlighting, images, chips."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
from helpers import code_cell, make_notebook, markdown_cell
from hypothesis import given, settings
from hypothesis import strategies as st
from review_fixture import png_base64, report_pair
from test_render_html import assert_inert

from nbcollab.diff.compute import diff_notebooks
from nbcollab.render.html import count_changes, render_html
from nbcollab.render.html_source import highlight_lines, source_diff_table, split_lines


def _page(old: dict, new: dict, name: str = "nb.ipynb") -> str:
    return render_html([(f"a/{name} (HEAD~1)", f"b/{name} (HEAD)", diff_notebooks(old, new))])


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def test_summary_counts_every_kind_of_change() -> None:
    counts = count_changes(diff_notebooks(*report_pair()))
    assert (
        counts.notebooks,
        counts.added,
        counts.removed,
        counts.modified,
        counts.moved,
        counts.outputs,
    ) == (1, 1, 1, 4, 0, 3)
    summary = _text(_page(*report_pair()).split('<div class="summary">')[1].split("</div>")[0])
    assert "1 notebook changed" in summary and "4 cells modified" in summary
    assert "3 outputs changed" in summary and "0 cells moved" in summary


def test_one_page_lists_every_notebook_with_contents_and_anchors() -> None:
    old, new = report_pair()
    same = make_notebook(code_cell("x", cell_id="x"))
    page = render_html(
        [
            ("a/one.ipynb (main)", "b/one.ipynb (feature)", diff_notebooks(old, new)),
            ("a/two.ipynb (main)", "b/two.ipynb (feature)", diff_notebooks(same, same)),
        ]
    )
    assert '<a href="#nb1">one.ipynb</a>' in page and '<a href="#nb2">two.ipynb</a>' in page
    assert 'id="nb1"' in page and 'id="nb2"' in page and "main → feature" in page
    for anchor in re.findall(r'href="#(nb1-c\d+)"', page):
        assert f'id="{anchor}"' in page
    assert "1 without differences" in page and "No differences." in page
    # Each changed cell in the contents, with the first line of its source to recognise it.
    assert (
        '<a href="#nb1-c1">cell 2: modified</a><span class="snip">import pandas as pd</span>'
        in page
    )


def test_unchanged_cells_are_folded_and_the_source_of_an_output_only_change_too() -> None:
    page = _page(*report_pair())
    assert '<details class="unchanged"><summary>1 unchanged cell (cell 1)</summary>' in page
    assert "Sales report" in page.split('<details class="unchanged">')[1]
    # cell 3 changed only its output: its source is there, folded.
    cell2 = page.split('id="nb1-c2"')[1].split("</section>")[0]
    assert "<details><summary>source unchanged (1 line)</summary>" in cell2
    assert "head" in _text(cell2)


def test_sources_are_highlighted_and_changed_characters_marked_inside_tokens() -> None:
    page = _page(*report_pair())
    assert '<span class="kn">import</span>' in page  # Pygments' class for "import"
    assert "<ins>_2026</ins>" in page
    # The mark sits inside the string token's span: highlighting and marks combine.
    assert re.search(r'<span class="s1">[^<]*sales<ins>_2026</ins>', page)


def test_images_side_by_side_with_a_badge() -> None:
    old, new = report_pair()
    page = _page(old, new)
    assert '<span class="badge changed">image/png changed</span>' in page
    same = copy.deepcopy(old)
    same["cells"][3]["outputs"][0]["data"]["text/plain"] = "<Figure 2>"
    page = _page(old, same)
    assert '<span class="badge identical">image/png identical</span>' in page
    assert page.count(png_base64(120, 60, (200, 60, 60))) == 2  # shown on both sides


def test_tags_and_metadata_as_chips() -> None:
    page = _page(*report_pair())
    assert '<span class="chip tag">figure</span><span class="chip tag">report</span>' in page
    assert '<span class="key">metadata.tags</span> added <ins>[&quot;figure&quot;, ' in page
    assert '<span class="key">execution_count</span> <del>4</del> → <ins>5</ins>' in page


def test_dataframe_tables_are_kept_as_tables() -> None:
    page = _page(*report_pair())
    assert '<div class="html"><table' in page and "<th>region</th>" in page


def test_added_notebook_against_an_empty_side() -> None:
    empty = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    page = _page(empty, make_notebook(markdown_cell("# hi", cell_id="m")))
    assert '<h2><span class="badge added">added</span> nb.ipynb</h2>' in page
    assert '<span class="sub">(added) +1</span>' in page
    # An added markdown cell is rendered across the page, not beside an empty column.
    assert '<div class="md"><h1>hi</h1>' in page and '<div class="side"></div>' not in page
    assert_inert(page)
    page = _page(make_notebook(markdown_cell("# hi", cell_id="m")), empty)
    assert '<h2><span class="badge removed">deleted</span> nb.ipynb</h2>' in page


def test_unknown_language_and_odd_line_ends_keep_every_line() -> None:
    text = "a = 1\r\nb = 2\rc = '''x\n\ty'''\n\n"
    assert ["".join(t for _, t in seg) for seg in highlight_lines(text, "python")] == split_lines(
        text
    )
    assert highlight_lines("x <- 1", "no-such-language") == [[("", "x <- 1")]]
    table = source_diff_table("a\r\nb", "a\r\nc", "python")
    assert table.count("<tr>") == 2


@given(
    st.text(alphabet=st.sampled_from(list("ab =\n\r\t'\"#\\(){}é\x0c\u2028")), max_size=40),
    st.sampled_from(["python", "markdown", "r", "julia", ""]),
)
@settings(max_examples=200, deadline=None)
def test_highlighting_never_changes_or_shifts_text(text: str, language: str) -> None:
    lines = highlight_lines(text, language)
    assert ["".join(t for _, t in seg) for seg in lines] == split_lines(text)


@given(
    st.text(alphabet=st.sampled_from(list("ab=<>&\"'\n x")), max_size=30),
    st.text(alphabet=st.sampled_from(list("ab=<>&\"'\n x")), max_size=30),
)
@settings(max_examples=150, deadline=None)
def test_source_diff_shows_both_sides_exactly(old: str, new: str) -> None:
    import html

    table = source_diff_table(old, new, "python")
    left = [html.unescape(_text(m)) for m in re.findall(r'<td class="left[^"]*">(.*?)</td>', table)]
    right = [
        html.unescape(_text(m)) for m in re.findall(r'<td class="right[^"]*">(.*?)</td>', table)
    ]
    rows = re.findall(r'<td class="lno">(\d*)</td><td class="left', table)
    assert [line for line, n in zip(left, rows) if n] == split_lines(old)
    new_rows = re.findall(r'<td class="lno">(\d*)</td><td class="right', table)
    assert [line for line, n in zip(right, new_rows) if n] == split_lines(new)


def test_an_image_replaced_by_another_type_is_one_row() -> None:
    old, new = report_pair()
    data = new["cells"][3]["outputs"][0]["data"]
    data["image/jpeg"] = data.pop("image/png")
    page = _page(old, new)
    assert '<span class="badge changed">image/png → image/jpeg</span>' in page
    assert "image/png removed" not in page


def test_nbformat_3_image_outputs_are_shown_as_images() -> None:
    png = png_base64(4, 4, (9, 9, 9))
    cell = {
        "cell_type": "code",
        "input": "show()",
        "language": "python",
        "metadata": {},
        "outputs": [{"output_type": "pyout", "prompt_number": 1, "png": png, "metadata": {}}],
    }
    old = {"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [{"cells": [cell]}]}
    new = copy.deepcopy(old)
    new["worksheets"][0]["cells"][0]["outputs"][0]["png"] = png_base64(4, 4, (1, 1, 1))
    page = _page(old, new)
    assert f'src="data:image/png;base64,{png}"' in page
    assert '<span class="badge changed">image/png changed</span>' in page
    assert_inert(page)


def test_a_long_minified_line_replaced_is_marked_whole_without_lexing_or_comparing_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Lexing 180,000 characters or comparing two such lines character by character (quadratic)
    # takes seconds (tests/benchmarks/bench_review.py times it): the page shows the lines plain
    # and marks them whole.
    import difflib

    from nbcollab.render import html_source

    old_line, new_line = "x = [" + "1, " * 60_000 + "]", "x = [" + "2, " * 60_000 + "]"
    compared: list[int] = []

    class Recording(difflib.SequenceMatcher):
        def __init__(self, isjunk: Any = None, a: Any = "", b: Any = "", autojunk: bool = True):
            compared.append(max(len(a), len(b)))
            if compared[-1] >= len(old_line):
                pytest.fail("the long lines were compared character by character")
            super().__init__(isjunk, a, b, autojunk)

    monkeypatch.setattr(html_source.difflib, "SequenceMatcher", Recording)
    monkeypatch.setattr(html_source, "_lexer", lambda language: pytest.fail("lexed"))
    page = _page(
        make_notebook(code_cell(old_line, cell_id="c")),
        make_notebook(code_cell(new_line, cell_id="c")),
    )
    assert compared  # the cell's lines were compared, as lines
    assert f"<del>{old_line}</del>" in page and f"<ins>{new_line}</ins>" in page


def test_a_page_with_no_notebook_says_so() -> None:
    page = render_html([])
    assert "<title>nbcollab review: no notebook changed</title>" in page
    assert "No notebook differs between the two sides." in page
    assert_inert(page)


def test_the_cli_highlights_each_notebook_in_its_kernels_language(tmp_path: Path) -> None:
    from helpers import write_notebook
    from typer.testing import CliRunner

    from nbcollab.cli.app import app

    r_meta = {
        "kernelspec": {"name": "ir", "language": "R", "display_name": "R"},
        "language_info": {"name": "R"},
    }
    old = make_notebook(code_cell("x <- c(1, 2)", cell_id="c"), metadata=r_meta)
    new = make_notebook(code_cell("x <- c(1, 3)", cell_id="c"), metadata=r_meta)
    a, b = write_notebook(tmp_path / "a.ipynb", old), write_notebook(tmp_path / "b.ipynb", new)
    out = tmp_path / "r.html"
    result = CliRunner().invoke(app, ["diff", str(a), str(b), "-f", "html", "-o", str(out)])
    assert result.exit_code == 1, result.output
    page = out.read_text(encoding="utf-8")
    assert '<span class="o">&lt;-</span>' in page  # R's assignment arrow is one operator token
