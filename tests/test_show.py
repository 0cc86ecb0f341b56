"""``nbcollab show``: a notebook as terminal text, safe against escape sequences in notebooks."""

from __future__ import annotations

import base64
import json
import re
import struct
from pathlib import Path

import pytest
from helpers import (
    code_cell,
    make_notebook,
    markdown_cell,
    run_nbcollab,
    stream_output,
    write_notebook,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from review_fixture import png_base64
from typer.testing import CliRunner

from nbcollab.cli.app import app
from nbcollab.errors import ConfigError
from nbcollab.render.show import ShowOptions, safe_plain, show_notebook
from nbcollab.render.show_images import image_size

GIF = base64.b64encode(b"GIF89a" + struct.pack("<HH", 33, 17) + b"\x00" * 20).decode()
JPEG = base64.b64encode(
    b"\xff\xd8"
    + b"\xff\xe0\x00\x10"
    + b"\x00" * 14
    + b"\xff\xc0\x00\x11\x08"
    + struct.pack(">HH", 48, 64)
    + b"\x00" * 12
).decode()


def sample() -> dict:
    return make_notebook(
        markdown_cell("# Title\n\nSome *text*.", cell_id="intro"),
        code_cell(
            "x = 1\nprint(x)",
            cell_id="calc",
            count=3,
            outputs=[
                stream_output("1\n"),
                {
                    "output_type": "execute_result",
                    "execution_count": 3,
                    "metadata": {},
                    "data": {
                        "text/plain": "<Figure size 640x480>",
                        "image/png": png_base64(64, 32, (1, 2, 3)),
                        "text/html": "<b>hi</b>",
                    },
                },
                {
                    "output_type": "error",
                    "ename": "ValueError",
                    "evalue": "bad",
                    "traceback": ["\x1b[0;31mValueError\x1b[0m: bad"],
                },
            ],
            tags=["setup"],
        ),
        code_cell("y = 2", cell_id="last"),
    )


def test_cells_with_headers_sources_and_outputs() -> None:
    text = show_notebook(sample(), name="nb.ipynb")
    assert text.startswith("nb.ipynb (python, nbformat 4.5, 3 cells)\n")
    assert "── cell 1 · markdown · id intro ──" in text
    assert "── cell 2 · code · id calc · [3] · tags setup ──" in text
    assert "x = 1\nprint(x)\n" in text
    assert "── output 1 · stream stdout ──" in text and "\n1\n" in text
    assert "<Figure size 640x480>\n[image/png 64x32]\n[text/html 9 bytes]" in text
    assert "ValueError: bad" in text and "\x1b" not in text  # the traceback's colours dropped


def test_no_outputs_and_one_cell() -> None:
    text = show_notebook(sample(), name="nb", options=ShowOptions(outputs=False))
    assert "output" not in text and "y = 2" in text
    one = show_notebook(sample(), name="nb", options=ShowOptions(cell="calc"))
    assert one.startswith("── cell 2 · code") and "y = 2" not in one and "Title" not in one
    assert show_notebook(sample(), name="nb", options=ShowOptions(cell="3")) == show_notebook(
        sample(), name="nb", options=ShowOptions(cell="-1")
    )
    message = r"^nb: --cell nope: no such cell \(the notebook has 3 cells; --cell takes N"
    with pytest.raises(ConfigError, match=message):
        show_notebook(sample(), name="nb", options=ShowOptions(cell="nope"))


@pytest.mark.parametrize(
    ("mime", "data", "metadata", "expected"),
    [
        ("image/png", png_base64(640, 480, (0, 0, 0)), None, "640x480"),
        ("image/gif", GIF, None, "33x17"),
        ("image/jpeg", JPEG, None, "64x48"),
        ("image/png", "not base64!", None, "11 bytes"),
        ("image/png", "AAAA", {"width": 10, "height": 20}, "10x20"),
        ("image/svg+xml", '<svg width="100px" height="50" xmlns="x">', None, "100x50"),
        ("image/jpeg", base64.b64encode(b"\xff\xd8\xff").decode(), None, "4 bytes"),
    ],
)
def test_image_sizes(mime: str, data: str, metadata: dict | None, expected: str) -> None:
    assert image_size(mime, data, metadata) == expected


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b]0;pwned\x07title", "\u241b]0;pwned\u2407title"),  # window title (OSC)
        ("\x1b[2J\x1b[Hclear", "\u241b[2J\u241b[Hclear"),  # clear screen, cursor home
        ("\x1b[31mred\x1b[0m", "red"),  # colour: dropped, text kept
        ("\x9b31m", "<U+009B>31m"),  # C1 CSI
        ("abc\u202edef", "abc<U+202E>def"),  # bidi override
        ("tab\tok\nline", "tab\tok\nline"),
        ("back\bspace\x7f", "back\u2408space\u2421"),
    ],
)
def test_safe_plain(raw: str, shown: str) -> None:
    assert safe_plain(raw) == shown


def test_progress_bars_show_their_last_state() -> None:
    nb = make_notebook(code_cell("run()", outputs=[stream_output("10%\r50%\r100%\ndone\r\n")]))
    text = show_notebook(nb, name="nb")
    assert "\n100%\ndone\n" in text and "10%" not in text and "\u240d" not in text


def test_nbformat_3_cells_and_outputs() -> None:
    nb = {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {},
        "worksheets": [
            {
                "cells": [
                    {
                        "cell_type": "code",
                        "input": "1 + 1",
                        "language": "python",
                        "prompt_number": 1,
                        "metadata": {},
                        "outputs": [
                            {
                                "output_type": "pyout",
                                "prompt_number": 1,
                                "text": "2",
                                "png": png_base64(3, 4, (0, 0, 0)),
                                "metadata": {},
                            }
                        ],
                    }
                ]
            }
        ],
    }
    text = show_notebook(nb, name="old.ipynb")
    assert "── cell 1 · code · [1] ──" in text and "1 + 1\n" in text
    assert "\n2\n[image/png 3x4]\n" in text


SAFE_TEXT = st.text(
    alphabet=st.sampled_from(list("ab\n\t\r\x1b[]0;m\x07\x9b\u202e\x00é#")), max_size=30
)


@given(SAFE_TEXT, SAFE_TEXT, SAFE_TEXT, st.booleans())
@settings(max_examples=150, deadline=None)
def test_nothing_from_a_notebook_reaches_the_terminal_raw(
    source: str, out: str, tag: str, color: bool
) -> None:
    nb = make_notebook(
        code_cell(
            source,
            cell_id="c",
            outputs=[
                stream_output(out),
                {
                    "output_type": "display_data",
                    "metadata": {},
                    "data": {"text/plain": out, out or "x": out},
                },
            ],
            tags=[tag],
        )
    )
    nb["metadata"]["language_info"]["name"] = tag or "python"
    text = show_notebook(nb, name=tag, options=ShowOptions(color=color))
    # Only our own colour sequences may remain; no other control character at all.
    plain = re.sub(r"\x1b\[[0-9;]*m", "", text) if color else text
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", plain)


def test_cli_prints_and_exits_0(tmp_path: Path) -> None:
    path = write_notebook(tmp_path / "nb.ipynb", sample())
    result = CliRunner().invoke(app, ["show", str(path), "--no-outputs", "--color", "never"])
    assert result.exit_code == 0, result.output
    assert "── cell 2 · code · id calc" in result.output and "output 1" not in result.output
    coloured = CliRunner().invoke(app, ["show", str(path), "--color", "always", "--no-pager"])
    assert "\x1b[36m── cell 1" in coloured.output
    source = coloured.output.split("── cell 2")[1].split("── output 1")[0]
    assert "\x1b[" in source.split("\n", 1)[1]  # the source itself is coloured by Pygments


def test_cli_errors_exit_2(tmp_path: Path) -> None:
    path = write_notebook(tmp_path / "nb.ipynb", sample())
    missing = CliRunner().invoke(app, ["show", str(path), "--cell", "nope"])
    assert (
        missing.exit_code == 2
        and "--cell nope: no such cell (the notebook has 3 cells;" in missing.output
    )
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json", encoding="utf-8")
    result = CliRunner().invoke(app, ["show", str(broken)])
    assert result.exit_code == 2 and "broken.ipynb:1:2" in result.output


@pytest.mark.slow
def test_cli_subprocess_and_stdin(tmp_path: Path) -> None:
    data = json.dumps(sample()).encode()
    done = run_nbcollab("show", "-", "--cell", "intro", input=data)
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().startswith("── cell 1 · markdown · id intro")
