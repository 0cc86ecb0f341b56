"""Normalizing kept outputs: one table of cases per rule, idempotence, and what is never touched."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nbcollab.clean.normalize import (
    DEFAULT_RULES,
    RULE_NAMES,
    NormalizeOptions,
    Replacement,
    apply_overwrites,
    normalize_in_place,
    normalize_outputs,
    renumber_execution_counts,
    text_rewriter,
)


def stream(text: str, name: str = "stdout") -> dict[str, Any]:
    return {"name": name, "output_type": "stream", "text": text}


def result(plain: str, count: int | None = 1, **more: Any) -> dict[str, Any]:
    return {
        "data": {"text/plain": plain, **more},
        "execution_count": count,
        "metadata": {},
        "output_type": "execute_result",
    }


def notebook(*cells: dict[str, Any], metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"cells": list(cells), "metadata": metadata or {}, "nbformat": 4, "nbformat_minor": 5}


def code(outputs: list[Any], count: int | None = 1, **metadata: Any) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "execution_count": count,
        "id": "c",
        "metadata": metadata,
        "outputs": outputs,
        "source": "x",
    }


OVERWRITES = [
    ("plain\n", "plain\n"),
    ("10%\r50%\r100%\n", "100%\n"),
    ("loading...\rdone\n", "doneing...\n"),  # a shorter line overwrites only its own columns
    ("abc\bd\n", "abd\n"),
    ("\b\bab\n", "ab\n"),
    ("a\r\nb\n", "a\nb\n"),
    ("first\nsecond\rSECOND\n", "first\nSECOND\n"),
    ("trailing  \n", "trailing  \n"),  # trailing whitespace is what the program printed
    ("no newline\r", "no newline"),
]


@pytest.mark.parametrize(("text", "expected"), OVERWRITES)
def test_overwrites_are_applied_as_jupyter_shows_them(text: str, expected: str) -> None:
    assert apply_overwrites(text) == expected


RULE_CASES = [
    ("address", "<__main__.Foo object at 0x7f3b2c1d0e80>", "<__main__.Foo object at 0x<address>>"),
    ("address", "&lt;function f at 0x10a2b3c4d&gt;", "&lt;function f at 0x<address>&gt;"),
    ("address", "checksum 0x7f3b2c1d0e80", "checksum 0x7f3b2c1d0e80"),  # data, not a repr
    ("address", "<Foo at 0x1f>", "<Foo at 0x1f>"),  # too short to be an address
    (
        "duration",
        "CPU times: user 1.2 ms, sys: 31 µs, total: 1.23 ms\nWall time: 1.5 s\n",
        "CPU times: user <duration>, sys: <duration>, total: <duration>\nWall time: <duration>\n",
    ),
    ("duration", "Wall time: 1min 2s\n", "Wall time: <duration>\n"),
    (
        "duration",
        "1.23 ms ± 45.6 µs per loop (mean ± std. dev. of 7 runs, 1,000 loops each)\n",
        "<duration> ± <duration> per loop (mean ± std. dev. of 7 runs, <n> loops each)\n",
    ),
    (
        "duration",
        "100%|██████████| 10/10 [00:01<00:00,  9.52it/s]\n",
        "100%|██████████| 10/10 [<elapsed>, <rate>]\n",
    ),
    (
        "duration",
        "  0%|          | 0/3 [00:00<?, ?it/s]",
        "  0%|          | 0/3 [<elapsed>, <rate>]",
    ),
    ("duration", "epoch 3 [01:02:03, 1.50s/it]", "epoch 3 [<elapsed>, <rate>]"),
    ("duration", "took 5 ms to load", "took 5 ms to load"),  # prose is content
    (
        "temp-path",
        "File /tmp/ipykernel_4242/3102841129.py:3",
        "File /tmp/ipykernel_<pid>/<cell>.py:3",
    ),
    ("temp-path", "C:\\Temp\\ipykernel_12\\99.py", "C:\\Temp\\ipykernel_<pid>\\<cell>.py"),
    ("temp-path", "wrote /tmp/tmpk3j_x9a2/out.csv", "wrote /tmp/tmp<random>/out.csv"),
    ("temp-path", "/home/me/tmpfiles/a", "/home/me/tmpfiles/a"),
    ("timestamp", "run at 2024-05-01T12:30:00.123Z", "run at <timestamp>"),
]


@pytest.mark.parametrize(("rule", "text", "expected"), RULE_CASES)
def test_each_rule_replaces_only_its_volatile_tokens(rule: str, text: str, expected: str) -> None:
    assert text_rewriter(NormalizeOptions(rules=(rule,)))(text) == expected
    # Every other rule leaves the example alone, so each can be switched off on its own.
    others = tuple(name for name in RULE_NAMES if name != rule)
    assert text_rewriter(NormalizeOptions(rules=others))(text) == text


def test_timestamps_are_content_unless_asked_for() -> None:
    assert "timestamp" not in DEFAULT_RULES
    rewrite = text_rewriter(NormalizeOptions())
    assert rewrite("2024-05-01 12:30:00") == "2024-05-01 12:30:00"


def test_user_rules_run_after_the_built_in_ones() -> None:
    options = NormalizeOptions(
        rules=(), replace=(Replacement(regex=r"\d{1,2}/\d{1,2}/\d{4}", replace="DATE-STAMP"),)
    )
    assert text_rewriter(options)("on 1/2/2024") == "on DATE-STAMP"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"rules": ("adress",)}, "unknown normalize rule 'adress'")],
)
def test_bad_rules_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        NormalizeOptions(**kwargs)


def test_a_bad_user_regex_is_refused() -> None:
    with pytest.raises(ValueError, match="bad regular expression"):
        Replacement(regex="(", replace="x")


def test_consecutive_chunks_of_one_stream_are_joined_and_overwritten() -> None:
    outputs = [
        stream(" 50%|#####     | 1/2 [00:01<00:01,  1.0it/s]", "stderr"),
        stream("\r100%|##########| 2/2 [00:02<00:00,  1.0it/s]", "stderr"),
        stream("\n", "stderr"),
        stream("done\n"),
        stream("more\n"),
        stream("warn\n", "stderr"),
    ]
    assert normalize_outputs(outputs) == [
        stream("100%|##########| 2/2 [<elapsed>, <rate>]\n", "stderr"),
        stream("done\nmore\n"),
        stream("warn\n", "stderr"),
    ]


def test_streams_are_not_joined_across_other_outputs() -> None:
    outputs = [stream("a\n"), result("1"), stream("b\n")]
    assert normalize_outputs(outputs) == outputs


def test_images_json_and_scripts_are_never_rewritten() -> None:
    untouched = {
        "image/png": "iVBORw0KGgo at 0x7f3b2c1d0e80",
        "application/json": {"repr": "<Foo at 0x7f3b2c1d0e80>"},
        "application/javascript": "// <Foo at 0x7f3b2c1d0e80>",
    }
    out = normalize_outputs([result("<Foo at 0x7f3b2c1d0e80>", **untouched)])
    assert out[0]["data"] == {"text/plain": "<Foo at 0x<address>>", **untouched}


def test_error_outputs_lose_temp_paths_but_keep_their_colours() -> None:
    error = {
        "ename": "ValueError",
        "evalue": "bad <X at 0xdeadbeefcafe>",
        "output_type": "error",
        "traceback": ["\x1b[0;31mFile \x1b[0;32m/tmp/ipykernel_77/123.py:1\x1b[0m"],
    }
    (out,) = normalize_outputs([error])
    assert out["evalue"] == "bad <X at 0x<address>>"
    assert out["traceback"] == ["\x1b[0;31mFile \x1b[0;32m/tmp/ipykernel_<pid>/<cell>.py:1\x1b[0m"]


def test_widget_views_without_saved_state_are_dropped() -> None:
    view = {"model_id": "abc", "version_major": 2, "version_minor": 0}
    with_text = result("IntSlider(value=3)", **{"application/vnd.jupyter.widget-view+json": view})
    only_view = {
        "data": {"application/vnd.jupyter.widget-view+json": view},
        "metadata": {},
        "output_type": "display_data",
    }
    nb = notebook(code([with_text, only_view]))
    assert normalize_in_place(nb)
    assert nb["cells"][0]["outputs"] == [result("IntSlider(value=3)")]

    state = {"application/vnd.jupyter.widget-state+json": {"state": {"abc": {}}}}
    saved = notebook(code([copy.deepcopy(only_view)]), metadata={"widgets": state})
    assert not normalize_in_place(saved)


def test_run_records_are_dropped_from_cell_and_notebook_metadata() -> None:
    cell = code(
        [],
        ExecuteTime={"end_time": "2024"},
        execution={"iopub.status.idle": "x"},
        papermill={"duration": 1.5, "status": "completed", "start_time": "t"},
        tags=["a"],
    )
    nb = notebook(cell, metadata={"papermill": {"duration": 9, "parameters": {"n": 1}}})
    assert normalize_in_place(nb)
    assert nb["cells"][0]["metadata"] == {"papermill": {"status": "completed"}, "tags": ["a"]}
    assert nb["metadata"] == {"papermill": {"parameters": {"n": 1}}}


def test_execution_counts_are_renumbered_only_on_request() -> None:
    nb = notebook(code([result("1", 7)], 7), code([], None), code([result("2", 3)], 3))
    assert not normalize_in_place(copy.deepcopy(nb))
    assert renumber_execution_counts(nb)
    counts = [
        (c["execution_count"], [o["execution_count"] for o in c["outputs"]]) for c in nb["cells"]
    ]
    assert counts == [(1, [1]), (None, []), (2, [2])]


def test_nbformat_3_streams_of_different_names_stay_apart() -> None:
    v3 = [
        {"output_type": "stream", "stream": "stdout", "text": "a\n"},
        {"output_type": "stream", "stream": "stderr", "text": "b\n"},
    ]
    assert normalize_outputs(v3) == v3


_PIECES = list("ab 0x7f3b2c1d0e80\r\b\n%|[]:<>?,.sitmµ±") + [" at ", "Wall time: ", "00:01"]
_TEXT = st.lists(st.sampled_from(_PIECES), max_size=30).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["stdout", "stderr"]), _TEXT), max_size=6))
def test_normalizing_twice_changes_nothing(chunks: list[tuple[str, str]]) -> None:
    once = normalize_outputs([stream(text, name) for name, text in chunks])
    assert normalize_outputs(once) == once
    assert not any("\r" in o["text"] or "\b" in o["text"] for o in once)


def test_a_timing_split_between_chunks_is_still_replaced() -> None:
    outputs = [stream("Wall time: 1."), stream("5 s\n")]
    assert normalize_outputs(outputs) == [stream("Wall time: <duration>\n")]


def test_backspaces_are_erased_before_carriage_returns_as_jupyterlab_does() -> None:
    # JupyterLab removes "X\b" first, then applies "\r": the line still reads "abc".
    assert apply_overwrites("abc\rX\b\n") == "abc\n"


def test_a_long_run_of_backspaces_erases_back_to_the_carriage_return() -> None:
    # Erasing used to shift the rest of the line for every backspace (quadratic on such streams).
    text = "x" * 200_000 + "\r" + "y" * 100_000 + "\b" * 100_000
    assert apply_overwrites(text) == "x" * 200_000
