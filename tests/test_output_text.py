"""output_text: one output as readable, terminal-safe lines."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nbcollab.render.output_text import OutputStyle, describe_output, mime_lines, output_text

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"


def sha(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:12]


DESCRIBE = {
    "stream": ({"output_type": "stream", "name": "stderr", "text": "x"}, "stream stderr"),
    "stream-without-name": ({"output_type": "stream", "text": "x"}, "stream"),
    "error": ({"output_type": "error", "ename": "ValueError", "evalue": "bad"}, "error ValueError"),
    "error-without-name": ({"output_type": "error"}, "error"),
    "result-mimes-sorted": (
        {"output_type": "execute_result", "data": {"text/plain": "1", "image/png": PNG}},
        "execute_result [image/png, text/plain]",
    ),
    "display-without-data": ({"output_type": "display_data"}, "display_data"),
    "data-not-a-dict": ({"output_type": "display_data", "data": ["text/plain"]}, "display_data"),
    "no-type": ({}, "?"),
    "type-not-a-string": ({"output_type": 3}, "3"),
    "escape-in-name": ({"output_type": "stream", "name": "out\x1b[2K\nx"}, "stream out␛[2K␊x"),
}


@pytest.mark.parametrize("output, expected", DESCRIBE.values(), ids=DESCRIBE.keys())
def test_describe_output(output: dict, expected: str) -> None:
    assert describe_output(output) == expected


TEXT = {
    "stream-lines": ({"output_type": "stream", "name": "stdout", "text": "a\nb\n"}, ["a", "b"]),
    "empty-stream": ({"output_type": "stream", "name": "stdout", "text": ""}, []),
    "error-name-and-value": (
        {
            "output_type": "error",
            "ename": "KeyError",
            "evalue": "'k'",
            "traceback": ["\x1b[31mred\x1b[0m"],
        },
        ["KeyError: 'k'"],
    ),
    "text-mime": (
        {"output_type": "execute_result", "data": {"text/plain": "1\n2"}},
        ["text/plain:", "1", "2"],
    ),
    "json-mime-pretty": (
        {"output_type": "display_data", "data": {"application/json": {"b": 1, "a": [2]}}},
        ["application/json:", "{", ' "a": [', "  2", " ],", ' "b": 1', "}"],
    ),
    "vendor-json-suffix": (
        {"output_type": "display_data", "data": {"application/vnd.x+json": {"k": 1}}},
        ["application/vnd.x+json:", "{", ' "k": 1', "}"],
    ),
    "svg-is-text": (
        {"output_type": "display_data", "data": {"image/svg+xml": "<svg/>"}},
        ["image/svg+xml:", "<svg/>"],
    ),
    "binary-summarised": (
        {"output_type": "display_data", "data": {"image/png": PNG}},
        [f"image/png: {len(PNG)} bytes, sha1 {sha(PNG)}"],
    ),
    "mimes-in-order": (
        {"output_type": "execute_result", "data": {"text/plain": "t", "image/png": PNG}},
        [f"image/png: {len(PNG)} bytes, sha1 {sha(PNG)}", "text/plain:", "t"],
    ),
    "no-data": ({"output_type": "display_data"}, []),
    "unknown-type": ({"output_type": "weird"}, []),
}


@pytest.mark.parametrize("output, expected", TEXT.values(), ids=TEXT.keys())
def test_output_text(output: dict, expected: list[str]) -> None:
    assert output_text(output) == expected


def test_binary_that_is_not_a_string_is_summarised_from_its_json() -> None:
    value = {"bytes": [1, 2, 3]}
    raw = json.dumps(value, sort_keys=True)
    assert mime_lines("application/octet-stream", value) == [
        f"application/octet-stream: {len(raw)} bytes, sha1 {sha(raw)}"
    ]


def test_a_lone_surrogate_in_binary_data_is_hashed_not_an_error() -> None:
    (line,) = mime_lines("image/png", "a\udc80b")
    assert line.startswith("image/png: 3 bytes, sha1 ")


def test_a_carriage_return_does_not_rewrite_the_line_before() -> None:
    lines = output_text({"output_type": "stream", "text": "progress 10%\rprogress 100%\n"})
    assert lines == ["progress 10%␍progress 100%"]


def test_a_hostile_mime_type_is_shown_not_obeyed() -> None:
    lines = mime_lines("text/\x1b]52;c;payload\x07\nfake: 1", "x")
    assert lines[0] == "text/␛]52;c;payload␇␊fake: 1:"


CONTROL = [chr(c) for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)] if chr(c) not in "\t\n"] + [
    "\u202e",
    "\u2066",
]
ANY_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@given(
    st.dictionaries(
        st.sampled_from(["output_type", "name", "text", "ename", "evalue", "data"]),
        st.one_of(
            st.sampled_from(["stream", "error", "execute_result"]),
            st.text(),
            st.dictionaries(st.text(max_size=20), ANY_VALUE, max_size=3),
        ),
    )
)
@settings(max_examples=150, deadline=None)
def test_no_control_character_survives_in_any_output(output: dict[str, Any]) -> None:
    shown = [describe_output(output), *output_text(output)]
    for line in shown:
        assert not any(char in line for char in CONTROL), repr(line)
        assert "\n" not in line


@pytest.mark.slow
def test_output_text_imports_no_diff_machinery() -> None:
    # The textconv runs once per file and side: it must not pay for alignment or rapidfuzz.
    code = (
        "import sys, nbcollab.render.output_text; "
        "print(sorted(m for m in ('rapidfuzz', 'nbcollab.align.cells', 'nbcollab.diff.compute', 'nbformat')"
        " if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


# --- nbformat 3 outputs read as their nbformat 4 forms --------------------------------------

TRACEBACK = [
    "\x1b[0;31mTraceback\x1b[0m (most recent call last)",
    "\x1b[0;31mValueError\x1b[0m: bad",
]
V3_AND_V4 = {
    "pyout": (
        {"output_type": "pyout", "prompt_number": 1, "text": "2", "png": PNG, "metadata": {}},
        {
            "output_type": "execute_result",
            "execution_count": 1,
            "data": {"text/plain": "2", "image/png": PNG},
            "metadata": {},
        },
    ),
    "display_data": (
        {"output_type": "display_data", "html": "<b>x</b>", "metadata": {}},
        {"output_type": "display_data", "data": {"text/html": "<b>x</b>"}, "metadata": {}},
    ),
    "pyerr": (
        {"output_type": "pyerr", "ename": "ValueError", "evalue": "bad", "traceback": TRACEBACK},
        {"output_type": "error", "ename": "ValueError", "evalue": "bad", "traceback": TRACEBACK},
    ),
    "stream": (
        {"output_type": "stream", "stream": "stdout", "text": "10%\r100%\ndone\n"},
        {"output_type": "stream", "name": "stdout", "text": "10%\r100%\ndone\n"},
    ),
}


@pytest.mark.parametrize("style", list(OutputStyle))
@pytest.mark.parametrize(("v3", "v4"), V3_AND_V4.values(), ids=V3_AND_V4.keys())
def test_an_nbformat_3_output_reads_as_its_nbformat_4_form(
    v3: dict, v4: dict, style: OutputStyle
) -> None:
    assert output_text(v3, style=style) == output_text(v4, style=style)
    assert output_text(v3, style=style)  # never empty: each of these shows something
    kind_3, kind_4 = describe_output(v3).split(" ", 1), describe_output(v4).split(" ", 1)
    assert kind_3[1:] == kind_4[1:]  # the same mime types, stream or error name


SHOWN = {
    "result-text-first": (
        V3_AND_V4["pyout"][1],
        ["2", "[image/png 1x1]"],
    ),
    "traceback-without-colours": (
        V3_AND_V4["pyerr"][0],
        ["Traceback (most recent call last)", "ValueError: bad"],
    ),
    "progress-bar-as-it-ends": (V3_AND_V4["stream"][0], ["100%", "done"]),
    "html-by-size": (V3_AND_V4["display_data"][0], ["[text/html 8 bytes]"]),
    "error-without-traceback": (
        {"output_type": "error", "ename": "KeyError", "evalue": "'k'"},
        ["KeyError: 'k'"],
    ),
}


@pytest.mark.parametrize(("output", "expected"), SHOWN.values(), ids=SHOWN.keys())
def test_show_style(output: dict, expected: list[str]) -> None:
    assert output_text(output, style=OutputStyle.SHOW) == expected


def test_a_diff_of_nbformat_3_notebooks_shows_what_changed_in_each_output() -> None:
    from nbcollab.diff.compute import diff_notebooks
    from nbcollab.render.text import render_text

    def v3(outputs: list[dict]) -> dict:
        cell = {"cell_type": "code", "input": "f()", "language": "python", "metadata": {}}
        sheet = {"cells": [{**cell, "outputs": outputs, "prompt_number": 1}], "metadata": {}}
        return {"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [sheet]}

    old = v3([{"output_type": "pyout", "text": "2", "metadata": {}, "prompt_number": 1}])
    new = v3([{"output_type": "pyout", "text": "3", "metadata": {}, "prompt_number": 1}])
    text = render_text(diff_notebooks(old, new), old_name="a", new_name="b")
    assert "~  output 1: pyout [text/plain] (changed)\n" in text
    assert "   -2\n   +3\n" in text
    assert "text:" not in text  # the changed key is the text shown, not a raw value change
