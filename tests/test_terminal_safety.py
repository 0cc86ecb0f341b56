"""Text from a notebook never reaches a terminal as control sequences (diff, textconv, git-diff)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import code_cell, make_notebook, markdown_cell, run_nbcollab, write_notebook
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nbcollab.diff.compute import diff_notebooks
from nbcollab.git.diff_driver import run_external_diff
from nbcollab.git.textconv import textconv_bytes
from nbcollab.notebook.codec import serialize_notebook
from nbcollab.render.text import TextStyle, render_text
from nbcollab.safe_text import quote_path, terminal_safe

# Anything a terminal acts on: C0 but tab and newline, DEL, C1, bidi overrides and isolates.
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# The only escape sequences nbcollab writes itself: its colours.
OWN_SGR = re.compile("\x1b\\[(?:0|1|2|7|31|32|36)m")

ERASE_LINE = "\x1b[2K"
OSC52 = "\x1b]52;c;ZWNobyBwd25lZA==\x07"
CSI_UP = "\x1b[1A"
C1_CSI = "\x9b31m"
BIDI = "\u202eevil\u202c"
PAYLOADS = [
    ERASE_LINE,
    OSC52,
    CSI_UP,
    "line\roverwrite",
    C1_CSI,
    BIDI,
    "\x7f",
    "\x00",
    "\u2067x\u2069",
]


def unsafe_left(text: str) -> list[str]:
    """The control characters in ``text`` once nbcollab's own colour codes are taken out."""
    return UNSAFE.findall(OWN_SGR.sub("", text))


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[2K", "\u241b[2K"),
        ("\x1b]52;c;eA==\x07", "\u241b]52;c;eA==\u2407"),
        ("a\rb", "a\u240db"),
        ("\x7f", "\u2421"),
        ("\x9b", "<U+009B>"),
        ("\u202eabc", "<U+202E>abc"),
        ("\u2066x", "<U+2066>x"),
        ("tab\tand\nnewline", "tab\tand\nnewline"),
        ("caf\u00e9 \u2603", "caf\u00e9 \u2603"),
        ("not-utf8-\udcff.ipynb", "not-utf8-\\xff.ipynb"),  # a file name's byte (PEP 383)
        ("\ud800", "<U+D800>"),
    ],
)
def test_terminal_safe_shows_controls(raw: str, shown: str) -> None:
    assert terminal_safe(raw) == shown
    assert terminal_safe(shown) == shown  # idempotent: a picture is not a control


def test_terminal_safe_one_line_shows_newlines() -> None:
    assert terminal_safe("a\nb\tc", one_line=True) == "a\u240ab\tc"


@pytest.mark.parametrize(
    ("path", "quoted"),
    [
        ("plain.ipynb", "plain.ipynb"),
        ("with space.ipynb", "with space.ipynb"),
        ("caf\u00e9.ipynb", "caf\u00e9.ipynb"),
        ("a\nb.ipynb", '"a\\nb.ipynb"'),
        ('say "hi".ipynb', '"say \\"hi\\".ipynb"'),
        ("back\\slash.ipynb", '"back\\\\slash.ipynb"'),
        ("esc\x1b[2K.ipynb", '"esc\\033[2K.ipynb"'),
        ("tab\there.ipynb", '"tab\\there.ipynb"'),
        ("bidi\u202e.ipynb", '"bidi\\342\\200\\256.ipynb"'),
        ("latin1-\udce9.ipynb", '"latin1-\\351.ipynb"'),
    ],
)
def test_quote_path_like_git(path: str, quoted: str) -> None:
    assert quote_path(path) == quoted


def hostile_pair(payload: str) -> tuple[dict, dict]:
    """Two notebooks with ``payload`` in every place a notebook can carry text."""

    def nb(version: str) -> dict:
        outputs = [
            {"output_type": "stream", "name": f"stdout{payload}", "text": f"{version} {payload}\n"},
            {
                "output_type": "error",
                "ename": f"E{payload}",
                "evalue": f"{version}{payload}",
                "traceback": [],
            },
            {
                "output_type": "display_data",
                "metadata": {},
                "data": {"text/plain": f"{version}{payload}", f"image/x{payload}": "AAAA"},
            },
        ]
        return make_notebook(
            code_cell(
                f"x = '{version}{payload}'\n",
                outputs=outputs,
                cell_id=f"id{payload}",
                **{f"key{payload}": f"{version}{payload}"},
            ),
            markdown_cell(f"# {version} {payload}"),
            metadata={f"meta{payload}": f"{version}{payload}"},
        )

    return nb("old"), nb("new")


@pytest.mark.parametrize("payload", PAYLOADS, ids=repr)
@pytest.mark.parametrize(
    "style",
    [
        TextStyle(),
        TextStyle(color=True),
        TextStyle(color=True, word_diff=True),
        TextStyle(word_diff=True),
    ],
    ids=["plain", "color", "color-words", "words"],
)
def test_render_text_shows_controls_visibly(payload: str, style: TextStyle) -> None:
    old, new = hostile_pair(payload)
    text = render_text(
        diff_notebooks(old, new), old_name=f"a{payload}", new_name=f"b{payload}", style=style
    )
    assert text and unsafe_left(text) == []
    assert terminal_safe(payload, one_line=True) in text


def test_render_text_shows_added_and_removed_cells_safely() -> None:
    old, new = hostile_pair(OSC52)
    added = render_text(
        diff_notebooks(make_notebook(), new),
        old_name="a",
        new_name="b",
        style=TextStyle(color=True),
    )
    removed = render_text(diff_notebooks(old, make_notebook()), old_name="a", new_name="b")
    assert "\u241b]52;c;" in added and "\u241b]52;c;" in removed
    assert unsafe_left(added) == [] and unsafe_left(removed) == []


def test_a_carriage_return_is_shown_not_obeyed() -> None:
    old = make_notebook(code_cell("print('ok')\n", cell_id="c"))
    new = make_notebook(code_cell("print('ok')\rrm -rf ~\n", cell_id="c"))
    text = render_text(diff_notebooks(old, new), old_name="a", new_name="b")
    assert "+print('ok')\u240drm -rf ~\n" in text


@pytest.mark.parametrize("payload", PAYLOADS, ids=repr)
def test_textconv_shows_controls_visibly(payload: str) -> None:
    _, nb = hostile_pair(payload)
    nb["cells"][1]["attachments"] = {f"img{payload}.png": {f"image/png{payload}": "AAAA"}}
    data = serialize_notebook(nb).encode()
    text = textconv_bytes(data, path="nb.ipynb").decode()
    assert "=== code cell id id" in text
    assert unsafe_left(text) == []
    assert terminal_safe(payload, one_line=True) in text


def test_textconv_of_a_broken_file_is_safe_too() -> None:
    data = f'{{"cells": [ broken {OSC52}\n'.encode() + b"\xff\xfe latin \xe9\n"
    text = textconv_bytes(data, path="nb.ipynb").decode()
    assert text == '{"cells": [ broken \u241b]52;c;ZWNobyBwd25lZA==\u2407\n\\xff\\xfe latin \\xe9\n'


def test_textconv_of_a_plain_broken_file_is_unchanged() -> None:
    data = b'{"cells": [ broken\n\twith a tab\n'
    assert textconv_bytes(data, path="nb.ipynb") == data


def driver_files(tmp_path: Path, payload: str) -> tuple[Path, Path]:
    old, new = hostile_pair(payload)
    return (
        write_notebook(tmp_path / "old.ipynb", old),
        write_notebook(tmp_path / "new.ipynb", new),
    )


@pytest.mark.parametrize("payload", PAYLOADS, ids=repr)
def test_external_driver_shows_controls_visibly(tmp_path: Path, payload: str) -> None:
    old, new = driver_files(tmp_path, payload)
    path = f"dir/nb{payload}.ipynb"
    for color in (False, True):
        text = run_external_diff(
            [path, str(old), "0" * 40, "100644", str(new), "1" * 40, "100644"], color=color
        )
        assert unsafe_left(text) == []
        assert text.startswith(f"diff --nbcollab {quote_path('a/' + path)} ")


def test_external_driver_line_diff_fallback_is_safe(tmp_path: Path) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    old.write_bytes(b"not json\n")
    new.write_bytes(f"not json {ERASE_LINE}{OSC52}\n".encode() + b"\x9b2J\n")
    text = run_external_diff(
        ["nb.ipynb", str(old), "0" * 40, "100644", str(new), "1" * 40, "100644"]
    )
    assert "line diff" in text
    assert unsafe_left(text) == []
    assert "+not json \u241b[2K\u241b]52;c;" in text and "+\\x9b2J" in text


def test_external_driver_unmerged_and_rename_headers_are_quoted(tmp_path: Path) -> None:
    assert run_external_diff(["a\nb.ipynb"]) == '* Unmerged path "a\\nb.ipynb"\n'
    old, new = driver_files(tmp_path, "x")
    text = run_external_diff(
        [
            "a\nb.ipynb",
            str(old),
            "0" * 40,
            "100644",
            str(new),
            "1" * 40,
            "100644",
            "c.ipynb",
            f"similarity index 90%\nrename from {OSC52}\n",
        ]
    )
    assert text.startswith('diff --nbcollab "a/a\\nb.ipynb" b/c.ipynb\nsimilarity index 90%\n')
    assert unsafe_left(text) == []
    assert '--- "a/a\\nb.ipynb"\n+++ b/c.ipynb\n' in text


hostile_text = st.lists(
    st.one_of(
        st.characters(max_codepoint=0xA0),
        st.sampled_from(
            ["\u202a", "\u202e", "\u2066", "\u2069", "\x1b[2K", "\x1b]52;c;", "\r\n", "\u2028", "é"]
        ),
    ),
    max_size=12,
).map("".join)


@st.composite
def hostile_notebooks(draw: st.DrawFn) -> dict:
    cells = []
    for index in range(draw(st.integers(0, 3))):
        text = draw(hostile_text)
        if draw(st.booleans()):
            outputs = [
                {"output_type": "stream", "name": draw(hostile_text), "text": draw(hostile_text)},
                {
                    "output_type": "execute_result",
                    "execution_count": 1,
                    "metadata": {},
                    "data": {"text/plain": draw(hostile_text), draw(hostile_text): "AA"},
                },
            ]
            cells.append(
                code_cell(
                    text,
                    outputs=outputs,
                    cell_id=f"c{index}{draw(hostile_text)}",
                    **{draw(hostile_text): draw(hostile_text)},
                )
            )
        else:
            cells.append(markdown_cell(text, cell_id=f"m{index}"))
    return make_notebook(*cells, metadata={draw(hostile_text): draw(hostile_text)})


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    old=hostile_notebooks(),
    new=hostile_notebooks(),
    name=hostile_text,
    color=st.booleans(),
    words=st.booleans(),
)
def test_no_control_character_reaches_the_terminal(
    old: dict, new: dict, name: str, color: bool, words: bool
) -> None:
    text = render_text(
        diff_notebooks(old, new),
        old_name=name,
        new_name=name,
        style=TextStyle(color=color, word_diff=words),
    )
    assert unsafe_left(text) == []
    if not color:
        assert "\x1b" not in text
    for nb in (old, new):
        assert unsafe_left(textconv_bytes(serialize_notebook(nb).encode(), path="x").decode()) == []


@pytest.mark.slow
def test_cli_diff_and_textconv_print_no_control_bytes(tmp_path: Path) -> None:
    old, new = driver_files(tmp_path, OSC52 + ERASE_LINE + C1_CSI + BIDI)
    for args in (
        ["diff", str(old), str(new), "--color", "always"],
        ["diff", str(old), str(new)],
        ["textconv", str(new)],
        ["diff", str(old), str(new), "--format", "json"],
    ):
        done = run_nbcollab(*args, cwd=tmp_path)
        assert done.returncode in (0, 1), done.stderr
        assert done.stdout and unsafe_left(done.stdout.decode()) == [], args


def test_two_files_with_odd_names_are_quoted(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from nbcollab.cli.app import app

    old, new = driver_files(tmp_path, "x")
    odd = tmp_path / f"new\n{ERASE_LINE}.ipynb"
    new.rename(odd)
    result = CliRunner().invoke(app, ["diff", str(old), str(odd), "--color", "never"])
    assert result.exit_code == 1, result.output
    assert f"+++ {quote_path(str(odd))}\n" in result.output
    assert quote_path(str(odd)).endswith('new\\n\\033[2K.ipynb"')
    assert unsafe_left(result.output) == []
