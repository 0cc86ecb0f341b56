"""``patch(a, to_nbdime_diff(a, b)) == b`` with nbdime's own patcher: corpus pairs and generated ones."""

from __future__ import annotations

import copy
import json
import warnings
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from helpers import (
    CORPUS_MERGES,
    code_cell,
    corpus_notebooks,
    make_notebook,
    markdown_cell,
    requires_corpus,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nbcollab.diff.compute import diff_notebooks
from nbcollab.options import DiffOptions
from nbcollab.render.nbdime import diff_json, to_nbdime_diff

nbformat = pytest.importorskip("nbformat")
patching = pytest.importorskip("nbdime.patching")
diff_utils = pytest.importorskip("nbdime.diff_utils")


def nbdime_patch(a: Any, diff: list[dict]) -> Any:
    # Round-trip through JSON text: the diff must be plain JSON, as `--format json` prints it.
    return patching.patch(a, diff_utils.to_diffentry_dicts(json.loads(json.dumps(diff))))


def assert_patches(a: Any, b: Any) -> None:
    plain_a, plain_b = json.loads(json.dumps(a)), json.loads(json.dumps(b))
    assert nbdime_patch(a, to_nbdime_diff(plain_a, plain_b)) == b


def read_v4(path: Path) -> Any | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # nbformat warns about real notebooks' missing ids
            return nbformat.read(str(path), as_version=4)
    except Exception:  # noqa: BLE001 - absent sides and broken files are not pairs to test
        return None


def merge_case_pairs() -> list[tuple[str, Path, Path]]:
    if not CORPUS_MERGES.is_dir():
        return []
    pairs = []
    for case in sorted(p for p in CORPUS_MERGES.iterdir() if p.is_dir()):
        for x, y in (("base", "p1"), ("base", "p2"), ("p1", "p2"), ("p2", "result")):
            pairs.append((f"{case.name}:{x}-{y}", case / f"{x}.ipynb", case / f"{y}.ipynb"))
    return pairs


@requires_corpus
@pytest.mark.corpus
def test_patch_reproduces_every_corpus_merge_pair() -> None:
    checked = 0
    for name, x, y in merge_case_pairs():
        a, b = read_v4(x), read_v4(y)
        if a is None or b is None:
            continue
        assert (
            nbdime_patch(a, to_nbdime_diff(json.loads(json.dumps(a)), json.loads(json.dumps(b))))
            == b
        ), name
        checked += 1
    assert checked > 300


@requires_corpus
@pytest.mark.corpus
def test_patch_reproduces_unrelated_corpus_notebooks() -> None:
    notebooks = [nb for nb in map(read_v4, corpus_notebooks()) if nb is not None]
    for a, b in pairwise(notebooks):
        assert_patches(a, b)
    assert len(notebooks) > 150


def test_moves_are_remove_plus_add() -> None:
    a = make_notebook(
        code_cell("a = 1", cell_id="a"),
        code_cell("b = 2", cell_id="b"),
        code_cell("c = 3", cell_id="c"),
    )
    b = copy.deepcopy(a)
    b["cells"].append(b["cells"].pop(0))
    diff = to_nbdime_diff(a, b)
    ops = [(e["op"], e["key"]) for e in diff[0]["diff"]]
    assert ops == [("removerange", 0), ("addrange", 3)]
    assert nbdime_patch(a, diff) == b


def test_ignore_flags_drop_parts() -> None:
    a = make_notebook(code_cell("a = 1", outputs=[], count=1))
    b = copy.deepcopy(a)
    b["cells"][0]["execution_count"] = 2
    assert to_nbdime_diff(a, b, options=DiffOptions(ignore_execution_counts=True)) == []
    assert to_nbdime_diff(a, b)[0]["diff"][0]["diff"] == [
        {"op": "replace", "key": "execution_count", "value": 2}
    ]


def test_type_changes_are_replacements() -> None:
    assert diff_json({"a": 1}, {"a": 1.0}) == [{"op": "replace", "key": "a", "value": 1.0}]
    assert diff_json({"a": [1]}, {"a": [1, True]}) == [
        {"op": "patch", "key": "a", "diff": [{"op": "addrange", "key": 1, "valuelist": [True]}]}
    ]


# --- hypothesis ------------------------------------------------------------------------------

LINES = st.sampled_from(["x = 1\n", "y = 2\n", "print(x)\n", "\n", "# note\n", "z", "é ü\n", ""])
TEXT = st.lists(LINES, max_size=6).map("".join)
JSONISH = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-3, 3), TEXT),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["a", "b", "tags"]), inner, max_size=3),
    ),
    max_leaves=6,
)
OUTPUT = st.one_of(
    st.builds(lambda t: {"output_type": "stream", "name": "stdout", "text": t}, TEXT),
    st.builds(
        lambda t, n: {
            "output_type": "execute_result",
            "execution_count": n,
            "metadata": {},
            "data": {"text/plain": t},
        },
        TEXT,
        st.integers(1, 3),
    ),
)


@st.composite
def cells(draw: st.DrawFn) -> dict[str, Any]:
    cell_id = draw(st.one_of(st.none(), st.sampled_from(["i1", "i2", "i3", "i4"])))
    if draw(st.booleans()):
        cell = code_cell(
            draw(TEXT),
            outputs=draw(st.lists(OUTPUT, max_size=3)),
            count=draw(st.one_of(st.none(), st.integers(1, 5))),
            cell_id=cell_id,
        )
    else:
        cell = markdown_cell(draw(TEXT), cell_id=cell_id)
    cell["metadata"] = draw(st.dictionaries(st.sampled_from(["tags", "a"]), JSONISH, max_size=2))
    return cell


@st.composite
def notebook_pairs(draw: st.DrawFn) -> tuple[dict, dict]:
    a = make_notebook(*draw(st.lists(cells(), max_size=8)))
    b = copy.deepcopy(a)
    for _ in range(draw(st.integers(0, 4))):
        action = draw(st.sampled_from(["edit", "insert", "delete", "move", "meta"]))
        n = len(b["cells"])
        if action == "insert" or n == 0:
            b["cells"].insert(draw(st.integers(0, n)), draw(cells()))
        elif action == "delete":
            del b["cells"][draw(st.integers(0, n - 1))]
        elif action == "move":
            b["cells"].insert(
                draw(st.integers(0, n - 1)), b["cells"].pop(draw(st.integers(0, n - 1)))
            )
        elif action == "edit":
            b["cells"][draw(st.integers(0, n - 1))]["source"] += draw(TEXT)
        else:
            b["metadata"][draw(st.sampled_from(["kernelspec", "x"]))] = draw(JSONISH)
    return a, b


@pytest.mark.slow
@given(notebook_pairs())
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_patch_reproduces_generated_pairs(pair: tuple[dict, dict]) -> None:
    a, b = pair
    assert nbdime_patch(a, to_nbdime_diff(a, b)) == b


FLAGS = st.builds(
    DiffOptions,
    ignore_sources=st.booleans(),
    ignore_outputs=st.booleans(),
    ignore_metadata=st.booleans(),
    ignore_execution_counts=st.booleans(),
    ignore_ids=st.booleans(),
    ignore_attachments=st.booleans(),
)


@pytest.mark.slow
@given(notebook_pairs(), FLAGS)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_patch_under_ignore_flags_leaves_only_ignored_parts(
    pair: tuple[dict, dict], options: DiffOptions
) -> None:
    """What the flags ignore is left out of the JSON diff, and nothing else is."""
    a, b = pair
    patched = json.loads(json.dumps(nbdime_patch(a, to_nbdime_diff(a, b, options=options))))
    assert diff_notebooks(patched, b, options=options).equal, options


@pytest.mark.slow
@given(JSONISH, JSONISH)
@settings(max_examples=300, deadline=None)
def test_patch_reproduces_generated_json(a: Any, b: Any) -> None:
    wrapped_a, wrapped_b = {"v": a}, {"v": b}
    assert nbdime_patch(wrapped_a, diff_json(wrapped_a, wrapped_b)) == wrapped_b


def test_ignore_flags_apply_to_v3_cells() -> None:
    def v3(count: int, source: str) -> dict[str, Any]:
        output = {"output_type": "pyout", "prompt_number": count, "metadata": {}, "text": "1"}
        cell = {
            "cell_type": "code",
            "input": source,
            "metadata": {},
            "outputs": [output],
            "prompt_number": count,
        }
        return {
            "nbformat": 3,
            "nbformat_minor": 0,
            "metadata": {},
            "worksheets": [{"cells": [cell], "metadata": {}}],
        }

    counts_only = DiffOptions(ignore_execution_counts=True)
    sources = DiffOptions(ignore_sources=True)
    assert to_nbdime_diff(v3(1, "a = 1"), v3(2, "a = 1"), options=counts_only) == []
    # An edited cell (paired by similarity, as in a v4 notebook without ids) is not a change.
    assert to_nbdime_diff(v3(1, "a = 1"), v3(1, "a = 2"), options=sources) == []
    assert to_nbdime_diff(v3(1, "a = 1"), v3(2, "a = 2"), options=counts_only) != []
    assert_patches(v3(1, "a"), v3(2, "b"))
    two_sheets = v3(1, "a = 1")
    two_sheets["worksheets"].append({"cells": [v3(3, "c")["worksheets"][0]["cells"][0]]})
    assert_patches(v3(1, "a"), two_sheets)
    assert_patches(two_sheets, v3(2, "b"))
