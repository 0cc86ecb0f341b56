"""Restoring by copying bytes: where a cell's outputs are in a notebook's text, and that a
restore through those spans writes exactly what encoding the notebook again would."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import code_cell, corpus_notebooks, make_notebook, requires_corpus, stream_output
from hypothesis import given, settings
from hypothesis import strategies as st

import nbcollab.output_cache.restore as restore_module
from nbcollab.clean.strip import clean_bytes
from nbcollab.errors import InvalidNotebook
from nbcollab.notebook.codec import parse_notebook, serialize_notebook
from nbcollab.options import CleanOptions
from nbcollab.output_cache.keys import RestoreRule
from nbcollab.output_cache.restore import record_working_file, restore_working_file
from nbcollab.output_cache.splice import cell_spans, splice
from nbcollab.output_cache.store import OutputStore

HOSTILE = [
    '\n   "outputs": [\n  {\n "cells": [',  # the layout's own line starts, inside a string
    "\n   ]\n ]\n  {",
    '"outputs": []',
    "\\n   ]",
    "é \u2028 \x1b[2J",
]


def spans_agree(text: bytes) -> int:
    """Every cell's spans hold exactly its outputs and count; the number of code cells."""
    raw = json.loads(text)
    table = cell_spans(text)
    assert table is not None and len(table) == len(raw["cells"])
    for index, cell in enumerate(raw["cells"]):
        spans = table[index]
        assert spans.code == (cell["cell_type"] == "code")
        if "outputs" in cell:
            assert spans.outputs is not None
            assert json.loads(text[slice(*spans.outputs)]) == cell["outputs"]
        if "execution_count" in cell:
            assert spans.count is not None
            assert json.loads(text[slice(*spans.count)]) == cell["execution_count"]
    return sum(cell["cell_type"] == "code" for cell in raw["cells"])


def hostile_notebook() -> bytes:
    cells = [
        code_cell(text, outputs=[stream_output(text)], count=i + 1, cell_id=f"c{i}")
        for i, text in enumerate(HOSTILE)
    ]
    nb = make_notebook(*cells)
    nb["metadata"]["aaa"] = {"x": {"outputs": HOSTILE}}  # keys at the cells' depth, elsewhere
    return serialize_notebook(nb).encode()


def test_spans_find_outputs_and_counts_whatever_the_strings_hold() -> None:
    assert spans_agree(hostile_notebook()) == len(HOSTILE)


@pytest.mark.parametrize("indent", [2, 4])
@pytest.mark.parametrize("sort_keys", [True, False])
def test_spans_in_other_indentations(indent: int, sort_keys: bool) -> None:
    nb = json.loads(hostile_notebook())
    nb = {"nbformat": nb.pop("nbformat"), **nb}  # unsorted: "cells" is not the first key
    text = json.dumps(nb, indent=indent, sort_keys=sort_keys, ensure_ascii=False).encode()
    assert spans_agree(text) == len(HOSTILE)
    assert spans_agree(text.replace(b"\n", b"\r\n")) == len(HOSTILE)  # CRLF line ends


def test_no_spans_for_other_layouts() -> None:
    nb = json.loads(hostile_notebook())
    assert cell_spans(json.dumps(nb).encode()) is None  # one line
    assert cell_spans(json.dumps(nb, indent="\t").encode()) is None
    empty = cell_spans(serialize_notebook(make_notebook()).encode())
    assert empty is not None and len(empty) == 0


def test_splice_writes_values_where_the_spans_are() -> None:
    blob = clean_bytes(hostile_notebook(), path="nb.ipynb")
    assert blob is not None
    table = cell_spans(blob)
    assert table is not None
    spliced = splice(blob, table, {1: (b'[\n    {"a": 1}\n   ]', b"7")})
    cells = json.loads(spliced)["cells"]
    assert cells[1]["outputs"] == [{"a": 1}] and cells[1]["execution_count"] == 7
    assert [c["outputs"] for i, c in enumerate(cells) if i != 1] == [[]] * (len(HOSTILE) - 1)


def corpus_v4_texts(limit: int | None = None) -> list[tuple[Path, bytes]]:
    """Corpus notebooks in nbformat 4, as nbcollab writes them."""
    texts = []
    for path in corpus_notebooks()[:limit]:
        try:
            nb = parse_notebook(path.read_bytes(), path=path.name)
        except InvalidNotebook:
            continue
        if nb["nbformat"] == 4:
            texts.append((path, serialize_notebook(nb).encode()))
    return texts


@requires_corpus
@pytest.mark.corpus
def test_spans_agree_with_json_on_every_corpus_notebook() -> None:
    checked = 0
    for path, text in corpus_v4_texts():
        spans_agree(text)
        spans_agree(clean_bytes(text, path=path.name) or text)
        checked += 1
    assert checked > 150


def restore_both_ways(
    working: bytes, target: bytes, monkeypatch: pytest.MonkeyPatch, tmp: Path, rule: RestoreRule
) -> tuple[bytes | None, bytes | None]:
    """What a restore writes through the spans, and through the parsed notebook."""
    store = OutputStore(tmp)
    options = CleanOptions()
    record_working_file(
        working, clean_bytes(working, path="nb") or working, "nb", store=store, options=options
    )
    fast = restore_working_file(target, "nb", store=store, options=options, rule=rule)
    with monkeypatch.context() as patch:
        patch.setattr(restore_module, "_cut_cells", lambda *args, **kwargs: None)
        patch.setattr(restore_module, "_spliced", lambda *args: None)
        slow = restore_working_file(
            target, "nb", store=OutputStore(tmp), options=options, rule=rule
        )
    return fast, slow


def edited(data: bytes, index: int) -> bytes:
    nb = parse_notebook(data)
    code = [cell for cell in nb["cells"] if cell.get("cell_type") == "code"]
    if code:
        code[index % len(code)]["source"] += "\n# edited"
    text = serialize_notebook(nb).encode()
    return clean_bytes(text, path="nb") or text


def test_the_fast_restore_writes_what_encoding_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    working = hostile_notebook()
    spliced: list[bytes] = []
    real = restore_module.splice
    monkeypatch.setattr(
        restore_module, "splice", lambda *a: spliced.append(real(*a)) or spliced[-1]
    )
    fast, slow = restore_both_ways(
        working, edited(working, 3), monkeypatch, tmp_path, RestoreRule.PREFIX
    )
    assert fast is not None and fast == slow and spliced == [fast]  # bytes copied, not encoded
    assert [bool(c["outputs"]) for c in parse_notebook(fast)["cells"]] == [1, 1, 1, 0, 0]


@pytest.mark.parametrize("indent", [None, 2])
def test_a_working_file_in_another_layout_restores_the_same_notebook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, indent: int | None
) -> None:
    nb = json.loads(hostile_notebook())
    working = (json.dumps(nb, indent=indent, sort_keys=True, ensure_ascii=False) + "\n").encode()
    target = edited(working, 2)
    fast, slow = restore_both_ways(working, target, monkeypatch, tmp_path, RestoreRule.PREFIX)
    assert fast is not None and slow is not None
    # The bytes copied keep their own indentation; the notebook is the same one.
    assert parse_notebook(fast) == parse_notebook(slow)
    assert clean_bytes(fast, path="nb") == clean_bytes(slow, path="nb") == target
    assert (fast == slow) == (indent is None)  # one line: no spans, the parsed way both times


@requires_corpus
@pytest.mark.corpus
def test_fast_and_slow_restores_agree_on_the_corpus(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    restored = 0
    for index, (path, working) in enumerate(corpus_v4_texts(120)):
        target = edited(working, index)
        tmp = tmp_path_factory.mktemp("cache")
        fast, slow = restore_both_ways(working, target, monkeypatch, tmp, RestoreRule.PREFIX)
        assert fast == slow, path.name
        if fast is not None:
            assert clean_bytes(fast, path="nb") == target, path.name
            restored += 1
    assert restored > 40


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.sampled_from(HOSTILE + ["x = 1", "print(2)", ""]), min_size=1, max_size=5),
    st.integers(0, 4),
)
def test_fast_restores_equal_slow_ones(
    tmp_path_factory: pytest.TempPathFactory, sources: list[str], edit: int
) -> None:
    cells: list[Any] = [
        code_cell(s, outputs=[stream_output(s)], count=i + 1, cell_id=f"c{i}")
        for i, s in enumerate(sources)
    ]
    working = serialize_notebook(make_notebook(*cells)).encode()
    with pytest.MonkeyPatch.context() as patch:
        fast, slow = restore_both_ways(
            working,
            edited(working, edit),
            patch,
            tmp_path_factory.mktemp("c"),
            RestoreRule.UNCHANGED,
        )
    assert fast == slow


def test_the_cell_index_is_written_on_record_and_read_back(tmp_path: Path) -> None:
    from nbcollab.output_cache.cells import read_index

    working = hostile_notebook()
    blob = clean_bytes(working, path="nb") or working
    store = OutputStore(tmp_path)
    record_working_file(working, blob, "nb", store=store, options=CleanOptions())
    record = OutputStore(tmp_path).records_for("nb")[0]
    data = OutputStore(tmp_path).read_cells(record)
    assert data is not None and data.startswith(b"nbcollab-cells 1 prefix\n")
    index = read_index(data, RestoreRule.PREFIX, len(working))
    assert index is not None
    keys = [line.split(b" ")[0].decode() for line in data.splitlines()[1:]]
    assert len(keys) == len(HOSTILE)
    for key in keys:
        spans = index.get(key)
        assert spans is not None
        outputs, count = spans
        assert json.loads(working[slice(*outputs)])[0]["output_type"] == "stream"
        assert count is not None and int(working[slice(*count)]) >= 1
    # Under another rule the index is not used (the keys differ): the cells are indexed again.
    assert read_index(data, RestoreRule.UNCHANGED, len(working)) is None


@pytest.mark.parametrize(
    "damage",
    [
        b"nbcollab-cells 2 prefix\n",
        b"nbcollab-cells 1 unchanged\nkey 1 2 0 0\n",  # written under another rule
        b"nbcollab-cells 1 prefix\nkey 1 2 0 0",  # torn: no last newline
    ],
)
def test_an_index_that_does_not_read_right_is_not_used(damage: bytes) -> None:
    from nbcollab.output_cache.cells import read_index

    assert read_index(damage, RestoreRule.PREFIX, 100) is None


@pytest.mark.parametrize(
    "line",
    [
        b"key 5 3 0 0",  # an end before its start
        b"key 1 99999 0 0",  # past the end of the file
        b"key 1 -2 0 0",
        b"key -1 2 0 0",
        b"key 1 2 3 1",
        b"key 1 2",
        b"key 1 x 0 0",
    ],
)
def test_a_line_that_does_not_read_right_is_not_used(line: bytes) -> None:
    from nbcollab.output_cache.cells import read_index

    index = read_index(b"nbcollab-cells 1 prefix\n" + line + b"\n", RestoreRule.PREFIX, 100)
    assert index is not None and "key" in index and index.get("key") is None
    assert index.get("other") is None
    sound = read_index(b"nbcollab-cells 1 prefix\nkey 1 2 3 4\n", RestoreRule.PREFIX, 100)
    assert sound is not None and sound.get("key") == ((1, 2), (3, 4))


def test_a_record_under_another_rule_still_restores_by_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    working = hostile_notebook()
    store = OutputStore(tmp_path)
    options = CleanOptions()
    record_working_file(
        working,
        clean_bytes(working, path="nb") or working,
        "nb",
        store=store,
        options=options,
        rule=RestoreRule.UNCHANGED,
    )
    spliced: list[bytes] = []
    real = restore_module.splice
    monkeypatch.setattr(
        restore_module, "splice", lambda *a: spliced.append(real(*a)) or spliced[-1]
    )
    target = edited(working, 3)
    fast = restore_working_file(
        target, "nb", store=OutputStore(tmp_path), options=options, rule=RestoreRule.PREFIX
    )
    assert fast is not None and spliced == [fast] and clean_bytes(fast, path="nb") == target


def test_a_damaged_cell_index_means_the_blob_and_one_warning(tmp_path: Path) -> None:
    import io

    from nbcollab.output_cache.session import CacheSession

    working = hostile_notebook()
    store = OutputStore(tmp_path)
    record_working_file(
        working,
        clean_bytes(working, path="nb") or working,
        "nb",
        store=store,
        options=CleanOptions(),
    )
    store.close()
    cells_at = OutputStore(tmp_path).records_for("nb")[0].cells_at
    assert cells_at is not None
    pack = tmp_path / "packs" / f"{cells_at.pack}.pack"
    data = bytearray(pack.read_bytes())
    data[cells_at.offset + cells_at.length - 3] ^= 1  # one digit of an offset
    pack.write_bytes(bytes(data))
    target = edited(working, 3)
    err = io.StringIO()
    session = CacheSession(err, cwd=tmp_path, store=OutputStore(tmp_path))
    assert session.restore(target, "nb", lambda _: CleanOptions()) == target
    assert err.getvalue().count("output cache not used") == 1
    assert "corrupt" in err.getvalue()
