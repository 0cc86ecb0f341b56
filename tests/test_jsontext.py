"""``dumps_indent1`` writes exactly what ``json.dumps`` writes with nbformat's settings."""

from __future__ import annotations

import enum
import json
import math
from typing import Any

import pytest
from helpers import corpus_notebooks, requires_corpus
from hypothesis import given, settings
from hypothesis import strategies as st

from nbcollab.notebook.jsontext import dumps_indent1


def reference(value: Any, ensure_ascii: bool) -> str:
    return json.dumps(
        value, indent=1, sort_keys=True, separators=(",", ": "), ensure_ascii=ensure_ascii
    )


TEXT = st.text(st.characters(codec="utf-8") | st.sampled_from(["\ud800", "\x00", "\u2028", '"']))
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from([0.0, -0.0, 1e300, 5e-324, math.nan, -math.inf])
    | TEXT
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(TEXT, max_size=4)
        | st.dictionaries(TEXT, inner, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(JSON, st.booleans())
def test_the_same_text_as_json_dumps(value: Any, ensure_ascii: bool) -> None:
    assert dumps_indent1(value, ensure_ascii=ensure_ascii) == reference(value, ensure_ascii)


class _Text(str):
    pass


class _Count(enum.IntEnum):
    ONE = 1


@pytest.mark.parametrize(
    "value",
    [
        {2: "int keys", 1: 2},  # json.dumps turns the keys into strings
        {"t": (1, 2)},  # a tuple is written as a list
        [True, 1, 1.0, None, "", [], {}],
        {"nested": [[[]], [{}], [{"a": [1, "x"]}]]},
        {"lines": ["a\n", "b", 1, None, ["c"]]},  # lines of text, then something else
        {"sub": _Text("x"), "lines": [_Text("y\n"), "z"]},  # str subclasses, as strings
        {"count": _Count.ONE, "counts": [_Count.ONE]},  # json.dumps writes an IntEnum its way
        {_Text("key"): 1},
    ],
)
def test_values_json_dumps_writes_its_own_way(value: Any) -> None:
    assert dumps_indent1(value, ensure_ascii=False) == reference(value, False)


def test_a_file_of_many_keys_is_written_alike_and_leaves_no_more_than_a_bounded_memory() -> None:
    from nbcollab.notebook import jsontext

    many = {f"widget-{n}": {"state": {}, "n": n} for n in range(jsontext._MAX_NAMES + 100)}
    for _ in range(2):  # the second time, with the key texts the first one kept
        assert dumps_indent1(many, ensure_ascii=False) == reference(many, False)
    assert all(len(names) <= jsontext._MAX_NAMES for names in jsontext._NAMES.values())


def test_keys_that_cannot_be_sorted_are_refused_as_json_dumps_refuses_them() -> None:
    with pytest.raises(TypeError):
        dumps_indent1({1: "a", "b": 2}, ensure_ascii=False)


def test_a_circular_value_is_refused_as_json_dumps_refuses_it() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(ValueError, match="Circular"):
        dumps_indent1(loop, ensure_ascii=False)


@requires_corpus
@pytest.mark.corpus
def test_every_corpus_notebook_reads_back_as_json_dumps_writes_it() -> None:
    checked = 0
    for path in corpus_notebooks():
        try:
            value = json.loads(path.read_bytes())
        except ValueError:
            continue
        for ensure_ascii in (False, True):
            assert dumps_indent1(value, ensure_ascii=ensure_ascii) == reference(
                value, ensure_ascii
            ), path.name
        checked += 1
    assert checked > 150
