"""Published outputs read back: records, the restore rule, and checks on untrusted data.

In memory (``published_helpers.Objects`` answers as ``git cat-file --batch`` does): what
``outputs push`` writes restores exactly, under the output cache's own rule, and anything else
read from a ref is refused as a whole record (``PublishedDamaged``), never half used: the source
skips it, says it once (``take_problems``) and goes on with the sound ones.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from helpers import code_cell, make_notebook, markdown_cell, stream_output
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from published_helpers import (
    BLOB,
    ORIGIN,
    TREE,
    Objects,
    clean_blob,
    notebook_text,
    outputs_commit,
    published,
    record_tree,
)

from nbcollab.notebook.codec import parse_notebook
from nbcollab.options import CleanOptions
from nbcollab.output_cache.keys import RestoreRule
from nbcollab.output_cache.restore import cleans_to_blob, restore_cells
from nbcollab.output_cache.store import OutputStore
from nbcollab.published.layout import (
    Meta,
    Origin,
    PublishedDamaged,
    decode_meta,
    decode_pruned,
    encode_meta,
    encode_pruned,
    parse_record_name,
    record_name,
    tracking_ref,
)
from nbcollab.published.source import PublishedSource, RefTip, fill_published
from nbcollab.published.validate import decode_outputs, output_problem

PNG = base64.b64encode(bytes(range(256)) * 8).decode()
IMAGE = {
    "output_type": "display_data",
    "data": {"image/png": PNG, "text/plain": "<Figure>"},
    "metadata": {},
}
RESULT = {
    "output_type": "execute_result",
    "execution_count": 3,
    "data": {"text/plain": "42", "application/json": {"a": [1, None]}},
    "metadata": {},
}
ERROR = {"output_type": "error", "ename": "E", "evalue": "v", "traceback": ["line 1", "line 2"]}


def working(second: str = "plot(a)", *, third: str = "print(a + 1)") -> bytes:
    return notebook_text(
        make_notebook(
            code_cell("a = 1\nprint(a)", outputs=[stream_output("1\n")], count=1, cell_id="c1"),
            markdown_cell("# Plot", cell_id="m1"),
            code_cell(second, outputs=[IMAGE], count=2, cell_id="c2"),
            code_cell(third, outputs=[RESULT, ERROR], count=3, cell_id="c3"),
        )
    )


def outputs_of(text: bytes) -> list[tuple[Any, list]]:
    nb = parse_notebook(text)
    return [(c["execution_count"], c["outputs"]) for c in nb["cells"] if c["cell_type"] == "code"]


def restore(source: PublishedSource, blob: bytes, tmp_path: Path, rule=RestoreRule.PREFIX):
    store = OutputStore(tmp_path / "cache")  # empty: everything comes from the published source
    return restore_cells(
        blob, "nb.ipynb", store=store, options=CleanOptions(), rule=rule, others=[source]
    )


# -- what is published comes back -----------------------------------------------------------------


def test_a_published_version_restores_exactly_and_cleans_back_to_its_blob(tmp_path: Path) -> None:
    objects = Objects()
    source = PublishedSource(objects, published(objects, ("nb.ipynb", working())))
    blob = clean_blob(working())
    restored = restore(source, blob, tmp_path)
    assert restored is not None
    assert outputs_of(restored) == outputs_of(working())
    assert clean_blob(restored) == blob  # git status stays clean


def test_an_edited_cell_and_every_code_cell_below_it_come_back_empty(tmp_path: Path) -> None:
    objects = Objects()
    source = PublishedSource(objects, published(objects, ("nb.ipynb", working())))
    edited = clean_blob(working("plot(a * 2)"))
    restored = restore(source, edited, tmp_path)
    assert restored is not None
    first, second, third = outputs_of(restored)
    assert first == outputs_of(working())[0]
    assert second == (None, []) and third == (None, [])


def test_the_unchanged_rule_keeps_cells_below_an_edit(tmp_path: Path) -> None:
    objects = Objects()
    source = PublishedSource(objects, published(objects, ("nb.ipynb", working())))
    restored = restore(source, clean_blob(working("plot(a * 2)")), tmp_path, RestoreRule.UNCHANGED)
    assert restored is not None
    assert [c for c, _ in outputs_of(restored)] == [1, None, 3]


def test_records_of_another_path_are_not_used(tmp_path: Path) -> None:
    objects = Objects()
    source = PublishedSource(objects, published(objects, ("other.ipynb", working())))
    assert not source.has_records("nb.ipynb")
    assert restore(source, clean_blob(working()), tmp_path) is None


def test_the_record_of_the_blob_itself_comes_first() -> None:
    objects = Objects()
    older = Origin("Bob <bob@example.com>", "b" * 40, ORIGIN.date - 100)
    records: dict[str, dict[str, str]] = {"nb.ipynb": {}}
    for text, origin in ((working("plot(b)"), older), (working(), ORIGIN)):
        name, tree = record_tree(objects, text, origin=origin)
        records["nb.ipynb"][name] = tree
    source = PublishedSource(objects, [RefTip("refs/x", outputs_commit(objects, records))])
    nb = parse_notebook(clean_blob(working("plot(b)")))
    key = hashlib.sha256(clean_blob(working("plot(b)"))).hexdigest()
    origins = fill_published(nb, "nb.ipynb", key, source, RestoreRule.PREFIX)
    assert origins == [older]  # every cell from its own record, though another is newer


def test_fill_says_where_outputs_came_from_and_leaves_cells_with_outputs() -> None:
    objects = Objects()
    source = PublishedSource(objects, published(objects, ("nb.ipynb", working())))
    nb = parse_notebook(clean_blob(working()))
    nb["cells"][0]["outputs"] = [stream_output("mine\n")]
    key = hashlib.sha256(clean_blob(working())).hexdigest()
    assert fill_published(nb, "nb.ipynb", key, source, RestoreRule.PREFIX) == [ORIGIN]
    assert nb["cells"][0]["outputs"] == [stream_output("mine\n")]
    assert nb["cells"][2]["outputs"] == [IMAGE]


def test_outputs_two_versions_share_are_stored_once() -> None:
    objects = Objects()
    record_tree(objects, working(third="print(1)"))
    before = set(objects.objects)
    record_tree(objects, working(third="print(2)"))
    new = [objects.objects[oid] for oid in set(objects.objects) - before]
    # The new version's notebook and its record's folder; not one output (nor the meta: the
    # same cells with the same origin).
    assert sorted(kind for kind, _ in new) == ["blob", "tree"]
    assert sum(PNG.encode() in data for _, data in objects.objects.values()) == 1


def test_restored_cells_carry_no_signature_and_no_trust_keys(tmp_path: Path) -> None:
    nb = json.loads(working())
    nb["metadata"]["signature"] = "sha256:" + "0" * 64
    nb["cells"][0]["metadata"]["trusted"] = True
    objects = Objects()
    text = json.dumps(nb, indent=1).encode()
    source = PublishedSource(objects, published(objects, ("nb.ipynb", text)))
    restored = restore(source, clean_blob(text), tmp_path)
    assert restored is not None and b"signature" not in restored and b"trusted" not in restored


# -- names and meta ----------------------------------------------------------------------------


def test_record_names_sort_by_date_and_name_their_blob() -> None:
    key = "ab" * 32
    assert parse_record_name(record_name(5, key)) == (5, key)
    assert record_name(5, key) < record_name(40, key)
    for bad in ("5-" + key, record_name(5, key) + "0", "0000000005_" + key, "../x"):
        assert parse_record_name(bad) is None


def test_meta_round_trips() -> None:
    meta = Meta(ORIGIN, "a/b.ipynb", ((0, 1, 2), (3, None, 1)))
    assert decode_meta(encode_meta(meta)) == meta


BAD_META = {
    "not json": b"{",
    "a list": b"[]",
    "format 2": b'{"format": 2}',
    "no publisher": json.dumps(
        {"format": 1, "path": "p", "commit": "a" * 40, "date": 1, "cells": []}
    ),
    "commit not hex": json.dumps(
        {"format": 1, "path": "p", "publisher": "x", "commit": "HEAD", "date": 1, "cells": []}
    ),
    "cells out of order": json.dumps(
        {
            "format": 1,
            "path": "p",
            "publisher": "x",
            "commit": "a" * 40,
            "date": 1,
            "cells": [[2, 1, 1], [1, 1, 1]],
        }
    ),
    "count of outputs negative": json.dumps(
        {
            "format": 1,
            "path": "p",
            "publisher": "x",
            "commit": "a" * 40,
            "date": 1,
            "cells": [[2, 1, -1]],
        }
    ),
    "a bool for a position": json.dumps(
        {
            "format": 1,
            "path": "p",
            "publisher": "x",
            "commit": "a" * 40,
            "date": 1,
            "cells": [[True, 1, 1]],
        }
    ),
    "too big": b" " * (1 << 21),
}


@pytest.mark.parametrize("data", BAD_META.values(), ids=BAD_META.keys())
def test_a_meta_nbcollab_did_not_write_is_refused(data: Any) -> None:
    with pytest.raises(PublishedDamaged):
        decode_meta(data.encode() if isinstance(data, str) else data)


_KEY = "0" * 32
_NAME = record_name(1_700_000_000, "a" * 64)


@pytest.mark.parametrize(
    "line",
    [
        f"{_KEY}/{_NAME}/extra",
        f"../{_NAME}",
        f"{_KEY}/1700000000-{'A' * 64}",
        f"{_KEY}\\{_NAME}",
        f"\x1b[2J{_KEY}/{_NAME}",
        "",
    ],
    ids=["three parts", "a path out", "upper case", "backslash", "escape", "empty"],
)
def test_a_pruned_list_keeps_only_lines_that_name_a_record(line: str) -> None:
    data = f"{line}\n{_KEY}/{_NAME}\n".encode() + b"\xff\n"
    assert decode_pruned(data) == {(_KEY, _NAME)}


def test_a_pruned_list_keeps_the_newest_records_within_its_cap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import nbcollab.published.layout as layout

    records = {(_KEY, record_name(date, "b" * 64)) for date in range(1, 5)}
    records |= {(_KEY, record_name(10, "c" * 64))}
    monkeypatch.setattr(layout, "MAX_PRUNED", 2)
    kept = decode_pruned(encode_pruned(records))
    assert kept == {(_KEY, record_name(10, "c" * 64)), (_KEY, record_name(4, "b" * 64))}


@pytest.mark.parametrize("name", ["https://example.com/x.git", "../x", "a b", "x.lock", "-x", ""])
def test_only_remote_names_make_tracking_refs(name: str) -> None:
    with pytest.raises(Exception, match="name of a remote"):
        tracking_ref(name)


# -- the output schema ---------------------------------------------------------------------------

VALID = [IMAGE, RESULT, ERROR, stream_output("x"), {**stream_output(""), "text": ["a\n", "b"]}]
INVALID = {
    "unknown type": {"output_type": "pyout", "data": {}, "metadata": {}},
    "missing metadata": {"output_type": "display_data", "data": {}},
    "extra key": {**IMAGE, "transient": {}},
    "negative count": {**RESULT, "execution_count": -1},
    "a bool count": {**RESULT, "execution_count": True},
    "image as a number": {**IMAGE, "data": {"image/png": 3}},
    "text as a dict": {**stream_output(""), "text": {"a": 1}},
    "traceback of numbers": {**ERROR, "traceback": [1]},
    "metadata a list": {**IMAGE, "metadata": []},
    "not an object": [1],
}


@pytest.mark.parametrize("output", VALID)
def test_valid_outputs_pass(output: dict) -> None:
    assert output_problem(output) is None


@pytest.mark.parametrize("output", INVALID.values(), ids=INVALID.keys())
def test_invalid_outputs_are_named(output: Any) -> None:
    assert output_problem(output)
    with pytest.raises(PublishedDamaged, match="output 1"):
        decode_outputs([json.dumps(output).encode()], where="here")


def test_decoding_joins_lines_as_parse_notebook_does() -> None:
    (out,) = decode_outputs(
        [json.dumps({**stream_output(""), "text": ["a\n", "b"]}).encode()], where="x"
    )
    assert out["text"] == "a\nb"


@pytest.mark.parametrize(
    "data",
    [b"{", b"[]", b"1", b'{"output_type": "stream"} {}', b"[" * 200 + b"]" * 200, b"\xff"],
    ids=["truncated", "a list", "a number", "two values", "nested too deep", "not utf-8"],
)
def test_bytes_that_are_no_output_are_refused(data: bytes) -> None:
    with pytest.raises(PublishedDamaged):
        decode_outputs([data], where="x")


_KEYS = st.sampled_from(
    [
        "output_type",
        "data",
        "metadata",
        "execution_count",
        "name",
        "text",
        "ename",
        "evalue",
        "traceback",
        "transient",
    ]
)
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.text(max_size=3))
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(["text/plain", "image/png", "application/json", "x"]), inner, max_size=3
        ),
    ),
    max_leaves=6,
)
_OUTPUTS = st.dictionaries(
    _KEYS,
    st.one_of(_VALUES, st.sampled_from(["stream", "error", "display_data", "execute_result"])),
    max_size=6,
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(output=st.one_of(_OUTPUTS, st.sampled_from(VALID)))
def test_the_check_agrees_with_nbformats_schema(output: dict) -> None:
    from nbformat.validator import get_validator

    nb = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": "a",
                "metadata": {},
                "outputs": [output],
                "source": "",
            }
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    errors = list(get_validator(version=4, version_minor=5).iter_errors(nb))
    assert (output_problem(output) is None) == (not errors), errors


# -- hostile refs ---------------------------------------------------------------------------------


def _record(objects: Objects, **replace: tuple[str, str] | None) -> list[RefTip]:
    """A ref whose one record has entries replaced (None: removed)."""
    name, tree = record_tree(objects, working())
    entries = {}
    data = objects.objects[tree][1]
    at = 0
    while at < len(data):
        space, nul = data.index(b" ", at), data.index(b"\0", at)
        entries[data[space + 1 : nul].decode()] = (
            data[at:space].decode(),
            data[nul + 1 : nul + 21].hex(),
        )
        at = nul + 21
    for entry, value in replace.items():
        entry = entry.replace("_", ".")
        if value is None:
            entries.pop(entry, None)
        else:
            entries[entry] = value
    return [RefTip("refs/x", outputs_commit(objects, {"nb.ipynb": {name: objects.tree(entries)}}))]


HOSTILE = {
    "meta missing": {"meta": None},
    "meta garbage": {"meta": "blob:{not json"},
    "notebook missing": {"notebook": None},
    "notebook of another blob": {"notebook": "blob:" + clean_blob(working("x")).decode()},
    "notebook not a notebook": {"notebook": "blob:[1, 2]"},
    "an output missing": {"2_0": None},
    "an output not JSON": {"2_0": "blob:{{{"},
    "an output of another shape": {"2_0": "blob:" + json.dumps({"output_type": "display_data"})},
    "an output a folder": {"2_0": "tree"},
    "meta a folder": {"meta": "tree"},
}


@pytest.mark.parametrize("change", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_damaged_record_is_refused_whole(change: dict, tmp_path: Path) -> None:
    objects = Objects()
    replace: dict[str, tuple[str, str] | None] = {}
    for entry, value in change.items():
        if value is None:
            replace[entry] = None
        elif value == "tree":
            replace[entry] = (TREE, objects.tree({}))
        else:
            replace[entry] = (BLOB, objects.blob(value.removeprefix("blob:").encode()))
    source = PublishedSource(objects, _record(objects, **replace))
    assert restore(source, clean_blob(working()), tmp_path) is None
    (problem,) = source.take_problems()  # the filter warns once and writes the blob
    assert problem.startswith("refs/x: 1700000000-")  # the ref and the record
    assert restore(source, clean_blob(working()), tmp_path) is None
    assert source.take_problems() == []  # said once


def test_a_ref_without_the_format_mark_is_refused_once_then_left_out(tmp_path: Path) -> None:
    objects = Objects()
    good = published(objects, ("nb.ipynb", working()))
    fake = objects.commit(objects.tree({"x": (BLOB, objects.blob(b"x"))}))
    source = PublishedSource(objects, [RefTip("refs/nbcollab/remotes/evil/outputs", fake), *good])
    assert source.has_records("nb.ipynb")
    (problem,) = source.take_problems()
    assert "evil/outputs: not nbcollab's published outputs" in problem
    assert problem.endswith("replace it: nbcollab outputs prune --reset evil")
    assert restore(source, clean_blob(working()), tmp_path) is not None
    assert source.take_problems() == []


def test_an_oversized_output_is_never_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import nbcollab.published.source as source_module

    monkeypatch.setattr(source_module, "MAX_OUTPUT_BYTES", 100)
    objects = Objects()
    source = PublishedSource(objects, published(objects, ("nb.ipynb", working())))
    assert restore(source, clean_blob(working()), tmp_path) is None
    (problem,) = source.take_problems()
    assert "at most 100" in problem


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_damage_to_a_record_is_refused_or_restores_a_valid_file(
    data: Any, tmp_path: Path
) -> None:
    objects = Objects()
    tips = published(objects, ("nb.ipynb", working()))
    blobs = sorted(oid for oid, (kind, _) in objects.objects.items() if kind == "blob")
    victim = data.draw(st.sampled_from(blobs))
    kind, raw = objects.objects[victim]
    at = data.draw(st.integers(0, max(0, len(raw) - 1)))
    new = (
        raw[:at]
        + data.draw(st.binary(min_size=0, max_size=4))
        + raw[at + data.draw(st.integers(0, 4)) :]
    )
    objects.objects[victim] = (kind, new)  # damaged under its own id, as a hostile ref could
    blob = clean_blob(working())
    source = PublishedSource(objects, tips)
    restored = restore(source, blob, tmp_path)
    if restored is None:
        return  # the damage was found, or left nothing to restore
    assert not source.take_problems()  # damage found is never half used
    if restored is not None:
        nb = parse_notebook(restored)
        assert cleans_to_blob(restored, nb, blob, options=CleanOptions())


def test_a_restore_with_any_published_cell_says_so_and_is_never_signed(tmp_path: Path) -> None:
    from nbcollab.output_cache.restore import fill_cells, record_working_file
    from nbcollab.output_cache.session import CacheSession

    store = OutputStore(tmp_path / "cache")
    own = working("plot(b)")  # the first cell as in the published version, the rest not
    record_working_file(
        own, clean_blob(own), "nb.ipynb", store=store, options=CleanOptions(), trusted=True
    )
    objects = Objects()
    source = PublishedSource(objects, published(objects, ("nb.ipynb", working())))
    options, rule = CleanOptions(), RestoreRule.PREFIX
    blob = clean_blob(working())
    mine = fill_cells(blob, "nb.ipynb", store=store, options=options, rule=rule)
    both = fill_cells(blob, "nb.ipynb", store=store, options=options, rule=rule, others=[source])
    assert mine is not None and not mine.from_others
    assert both is not None and both.from_others
    verdict = CacheSession(io.StringIO())._judge(both, "nb.ipynb", store)
    assert verdict is not None and verdict.digest is None
    assert verdict.problem == (  # own trust was at stake
        "it holds outputs someone else published; check the notebook, then run: "
        "nbcollab trust sign nb.ipynb"
    )
