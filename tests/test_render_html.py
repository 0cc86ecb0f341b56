"""The HTML report: self-contained, and nothing from a notebook can run in it (CVE-2021-41134)."""

from __future__ import annotations

import base64
import copy
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from helpers import (
    CORPUS_MERGES,
    code_cell,
    make_notebook,
    markdown_cell,
    requires_corpus,
    write_notebook,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from nbcollab.cli.app import app
from nbcollab.diff.compute import diff_notebooks
from nbcollab.errors import InvalidNotebook
from nbcollab.notebook.codec import parse_notebook
from nbcollab.render.html import page_csp, render_html
from nbcollab.render.html_assets import page_script

PAYLOAD = (
    '<script>alert(1)</script><img src=x onerror="alert(2)">'
    '<a href="javascript:alert(3)">click</a><iframe src="https://evil.example"></iframe>'
)
SVG = '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(4)"><script>alert(5)</script></svg>'
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n fake").decode()


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.scripts: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        self.in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self.in_script = False

    def handle_data(self, data: str) -> None:
        if self.in_script:
            self.scripts.append(data)


def assert_inert(page: str) -> None:
    """No element or attribute in ``page`` can run code or reach the network."""
    parser = _Tags()
    parser.feed(page)
    names = {tag for tag, _ in parser.tags}
    assert not names & {"iframe", "object", "embed", "svg", "base", "form", "link"}
    # One script: the page's own navigation, exactly, admitted by its hash in the CSP.
    assert [tag for tag, _ in parser.tags].count("script") == 1
    assert parser.scripts == [page_script()]
    assert "unsafe-inline" not in page_csp() and "script-src 'sha256-" in page_csp()
    for tag, attrs in parser.tags:
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            if name in ("src", "href", "action", "formaction", "xlink:href"):
                assert not (value or "").strip().lower().startswith("javascript:"), (tag, value)
            if tag == "img" and name == "src":
                assert (value or "").startswith("data:image/"), value
    metas = [dict(attrs) for tag, attrs in parser.tags if tag == "meta"]
    assert {"http-equiv": "Content-Security-Policy", "content": page_csp()} in metas


def hostile_pair() -> tuple[dict, dict]:
    old = make_notebook(markdown_cell("# Safe"), code_cell("x = 1"))
    new = copy.deepcopy(old)
    new["cells"][0]["source"] = "# Title\n\n" + PAYLOAD + "\n\n[link](javascript:alert(6))"
    new["cells"][1]["outputs"] = [
        {
            "output_type": "display_data",
            "metadata": {},
            "data": {
                "text/html": PAYLOAD,
                "image/svg+xml": SVG,
                "application/javascript": "alert(7)",
                "text/markdown": PAYLOAD,
                "image/png": PNG,
            },
        },
        {
            "output_type": "display_data",
            "metadata": {},
            "data": {"image/png": '"><script>alert(8)</script>'},
        },
        {"output_type": "stream", "name": "stdout", "text": PAYLOAD},
        {
            "output_type": "error",
            "ename": "<script>alert(9)</script>",
            "evalue": PAYLOAD,
            "traceback": [],
        },
    ]
    new["cells"][1]["metadata"]["tags"] = [PAYLOAD]
    new["metadata"]["title"] = PAYLOAD
    return old, new


def test_hostile_outputs_markdown_and_metadata_are_inert() -> None:
    old, new = hostile_pair()
    page = render_html([("<b>a</b>.ipynb", PAYLOAD + ".ipynb", diff_notebooks(old, new))])
    assert_inert(page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # shown as text, not dropped silently
    assert f'src="data:image/png;base64,{PNG}"' in page
    assert "data:image/svg+xml;base64," in page


def test_invalid_image_data_is_not_embedded() -> None:
    old, new = hostile_pair()
    page = render_html([("a", "b", diff_notebooks(old, new))])
    assert 'base64,"><script>' not in page
    assert "data:image/png;base64,&quot;" not in page


def test_report_is_self_contained() -> None:
    old, new = hostile_pair()
    page = render_html([("a", "b", diff_notebooks(old, new))])
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "<link" not in page and "@import" not in page


def test_file_name_payload_through_the_cli(tmp_path: Path) -> None:
    old, new = hostile_pair()
    name = '<img src=x onerror=alert(10)>"javascript:alert(11).ipynb'
    a = write_notebook(tmp_path / "a.ipynb", old)
    b = write_notebook(tmp_path / name, new)
    report = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["diff", str(a), str(b), "-f", "html", "-o", str(report)])
    assert result.exit_code == 1, result.output
    page = report.read_text(encoding="utf-8")
    assert_inert(page)
    assert "&lt;img src=x onerror=alert(10)&gt;" in page


def test_lone_surrogates_in_markdown_and_html_outputs_are_shown_not_fatal(tmp_path: Path) -> None:
    # Valid JSON can hold "\udc80"; the sanitizer takes only valid Unicode.
    old = make_notebook(markdown_cell("# title", cell_id="m"))
    new = make_notebook(
        markdown_cell("# title \udc80", cell_id="m"),
        code_cell(
            "x",
            cell_id="c",
            outputs=[
                {
                    "output_type": "display_data",
                    "metadata": {},
                    "data": {"text/html": "<b>\ud800</b>"},
                }
            ],
        ),
    )
    a, b = tmp_path / "a.ipynb", tmp_path / "b.ipynb"
    a.write_text(json.dumps(old), encoding="utf-8")
    b.write_text(json.dumps(new), encoding="utf-8")  # ensure_ascii: the surrogates as escapes
    report = tmp_path / "r.html"
    result = CliRunner().invoke(app, ["diff", str(a), str(b), "-f", "html", "-o", str(report)])
    assert result.exit_code == 1, result.output
    assert "title \ufffd" in report.read_text(encoding="utf-8")


def test_side_by_side_source_and_rendered_markdown() -> None:
    old = make_notebook(markdown_cell("# Old *title*"), code_cell("a = 1\nb = 2"))
    new = make_notebook(markdown_cell("# New *title*"), code_cell("a = 1\nb = 3"))
    page = render_html([("a", "b", diff_notebooks(old, new))])
    assert "<em>title</em>" in page
    assert "<del>2</del>" in page and "<ins>3</ins>" in page
    assert page.count('class="sides"') >= 1


@requires_corpus
@pytest.mark.corpus
def test_every_corpus_pair_renders_inert() -> None:
    rendered = 0
    for case in sorted(p for p in CORPUS_MERGES.iterdir() if p.is_dir()):
        try:
            old = parse_notebook((case / "base.ipynb").read_bytes())
            new = parse_notebook((case / "p1.ipynb").read_bytes())
        except InvalidNotebook:
            continue  # absent sides (empty files) and deliberately broken ones
        assert_inert(render_html([(case.name, case.name, diff_notebooks(old, new))]))
        rendered += 1
    assert rendered > 80


FRAGMENTS = st.sampled_from(
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(2)>",
        "\n",
        "javascript:alert(3)",
        "<svg onload=alert(4)>",
        "&amp;",
        "x = 1",
        "<a href='javascript:alert(5)'>",
        '"><',
        "</td></tr></table>",
        "é",
    ]
)
HOSTILE = st.lists(FRAGMENTS, max_size=5).map("".join)
MIMES = st.sampled_from(
    [
        "text/html",
        "text/markdown",
        "image/svg+xml",
        "text/plain",
        "application/javascript",
        "image/png",
        "application/json",
    ]
)


@st.composite
def hostile_cell(draw: st.DrawFn) -> dict:
    data = draw(st.dictionaries(MIMES, HOSTILE, max_size=3))
    outputs = [{"output_type": "display_data", "metadata": {}, "data": data}]
    if draw(st.booleans()):
        return markdown_cell(draw(HOSTILE))
    return code_cell(draw(HOSTILE), outputs=outputs)


@pytest.mark.slow
@given(st.lists(hostile_cell(), max_size=4), st.lists(hostile_cell(), max_size=4), HOSTILE)
@settings(max_examples=150, deadline=None)
def test_generated_hostile_notebooks_render_inert(old: list, new: list, name: str) -> None:
    diff = diff_notebooks(make_notebook(*old), make_notebook(*new))
    assert_inert(render_html([(name, name, diff)]))


def test_error_outputs_show_their_traceback_plain_and_escaped() -> None:
    from nbcollab.render.html_outputs import output_body

    error = {
        "output_type": "error",
        "ename": "ValueError",
        "evalue": "<b>bad</b>",
        "traceback": ["\x1b[0;31mValueError\x1b[0m: <b>bad</b>", "  File <script>x()</script>"],
    }
    html = output_body(error)
    assert html.startswith('<pre class="error">')
    assert "\x1b" not in html and "<b>" not in html and "<script>" not in html
    assert "ValueError: &lt;b&gt;bad&lt;/b&gt;\n  File &lt;script&gt;" in html
    # Without a traceback: the exception's name and value.
    assert "ValueError: &lt;b&gt;" in output_body({**error, "traceback": []})
    # Streams kept as lists of lines (as a record may hold them) read as one text.
    assert output_body({"output_type": "stream", "text": ["a\n", "b"]}) == (
        '<pre class="stream">a\nb</pre>'
    )
