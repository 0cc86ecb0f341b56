"""The output cache's shortcuts: each answers exactly what the long way answers, or nothing.

- cleaning a recorded working file again is a look-up of the blob it was recorded as cleaning to;
- a notebook restored cell by cell is checked by cleaning the notebook it was written from
  instead of parsing what was written.
"""

from __future__ import annotations

import copy
import io
import zlib
from pathlib import Path
from typing import Any

import pytest
from helpers import (
    code_cell,
    corpus_notebooks,
    make_notebook,
    markdown_cell,
    requires_corpus,
    version_1_line,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from nbcollab.clean.strip import clean_bytes
from nbcollab.errors import InvalidNotebook
from nbcollab.notebook.codec import parse_notebook, serialize_notebook
from nbcollab.options import CleanOptions
from nbcollab.output_cache.lookup import recorded_clean
from nbcollab.output_cache.restore import cleans_to_blob, record_working_file
from nbcollab.output_cache.session import CacheSession
from nbcollab.output_cache.store import CacheDamaged, OutputStore, path_key, read_record, sha256

OUTPUTS = [
    [],
    [{"name": "stdout", "output_type": "stream", "text": "1\n2\n"}],
    [
        {
            "data": {"text/plain": "3", "image/png": "iVBOR\n"},
            "execution_count": 4,
            "metadata": {},
            "output_type": "execute_result",
        }
    ],
    [
        {
            "ename": "E",
            "evalue": "\x1b[31mbad\ud800",
            "output_type": "error",
            "traceback": ["a", "b"],
        }
    ],
]
OPTIONS = [
    CleanOptions(),
    CleanOptions(keep_execution_count=True),
    CleanOptions(keep_outputs=True),
    CleanOptions(normalize=True),
    CleanOptions(drop_empty_cells=True),
    CleanOptions(max_output_bytes=60, keep_outputs=True),
    CleanOptions(extra_keys=("metadata.kernelspec",)),
]

cells = st.lists(
    st.tuples(
        st.sampled_from(["code", "markdown"]),
        st.sampled_from(["a = 1", "", "x\ny\r\n", "print('é')", "  "]),
        st.sampled_from(range(len(OUTPUTS))),
        st.sampled_from([None, 1, 7]),
        st.sampled_from([{}, {"collapsed": True}, {"tags": ["keep_output"]}, {"trusted": True}]),
    ),
    max_size=5,
)


def build(spec: list, *, kernelspec: bool = True) -> dict:
    built = []
    for index, (kind, source, outputs, count, metadata) in enumerate(spec):
        if kind == "markdown":
            cell = markdown_cell(source, cell_id=f"m{index}")
        else:
            cell = code_cell(
                source, outputs=copy.deepcopy(OUTPUTS[outputs]), count=count, cell_id=f"c{index}"
            )
        cell["metadata"] = dict(metadata)
        built.append(cell)
    nb = make_notebook(*built)
    if kernelspec:
        nb["metadata"]["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    return nb


def long_way(text: bytes, options: CleanOptions) -> bytes:
    """What the filter stores for ``text``."""
    return clean_bytes(text, path="nb.ipynb", options=options) or text


@settings(max_examples=150, deadline=None)
@given(
    spec=cells,
    options=st.sampled_from(OPTIONS),
    kernelspec=st.booleans(),
    tweak=st.sampled_from(["none", "other", "compact"]),
)
def test_the_check_answers_what_cleaning_the_written_file_answers(
    spec: list, options: CleanOptions, kernelspec: bool, tweak: str
) -> None:
    nb = build(spec, kernelspec=kernelspec)
    text = serialize_notebook(nb).encode()
    blob = long_way(text, options)
    if tweak == "other":  # a blob that some other notebook cleaned to
        blob = long_way(serialize_notebook(build(spec[:-1])).encode(), options)
    elif tweak == "compact":  # the same notebook, not in Jupyter's layout
        blob = blob.replace(b"\n ", b"\n")
    expected = long_way(text, options) == blob
    assert cleans_to_blob(text, copy.deepcopy(nb), blob, options=options) is expected


@requires_corpus
@pytest.mark.corpus
@pytest.mark.parametrize("options", [CleanOptions(), CleanOptions(keep_outputs=True)])
def test_the_check_agrees_with_cleaning_on_the_corpus(options: CleanOptions) -> None:
    checked = 0
    for path in corpus_notebooks():
        try:
            nb = parse_notebook(path.read_bytes(), path=path.name)
        except InvalidNotebook:
            continue  # the corpus holds broken files on purpose
        text = serialize_notebook(nb).encode()
        for blob in (long_way(text, options), long_way(path.read_bytes(), options)):
            expected = long_way(text, options) == blob
            assert cleans_to_blob(text, parse_notebook(text), blob, options=options) is expected
            checked += 1
    assert checked > 100


def test_a_recorded_working_file_cleans_by_look_up(tmp_path: Path) -> None:
    store = OutputStore(tmp_path)
    working = serialize_notebook(build([("code", "a = 1", 1, 1, {})])).encode()
    blob = long_way(working, CleanOptions())
    record_working_file(working, blob, "nb.ipynb", store=store, options=CleanOptions())
    reader = OutputStore(tmp_path)  # another process: git status after the checkout
    assert recorded_clean(working, "nb.ipynb", store=reader, options=CleanOptions()) == blob
    # Other options, other bytes or another path: clean it the long way.
    assert (
        recorded_clean(working, "nb.ipynb", store=reader, options=CleanOptions(keep_outputs=True))
        is None
    )
    assert recorded_clean(working + b" ", "nb.ipynb", store=reader, options=CleanOptions()) is None
    assert recorded_clean(working, "other.ipynb", store=reader, options=CleanOptions()) is None


@settings(max_examples=80, deadline=None)
@given(spec=cells, recorded_with=st.sampled_from(OPTIONS), cleaned_with=st.sampled_from(OPTIONS))
def test_a_look_up_is_the_clean_or_nothing(
    tmp_path_factory: pytest.TempPathFactory,
    spec: list,
    recorded_with: CleanOptions,
    cleaned_with: CleanOptions,
) -> None:
    store = OutputStore(tmp_path_factory.mktemp("cache"))
    working = serialize_notebook(build(spec)).encode()
    record_working_file(
        working, long_way(working, recorded_with), "nb.ipynb", store=store, options=recorded_with
    )
    found = recorded_clean(working, "nb.ipynb", store=OutputStore(store.root), options=cleaned_with)
    assert found is None or found == long_way(working, cleaned_with)


def test_a_damaged_blob_is_detected_and_the_file_cleaned_the_long_way(tmp_path: Path) -> None:
    store = OutputStore(tmp_path / "cache")
    working = serialize_notebook(build([("code", "a = 1", 1, 1, {})])).encode()
    blob = long_way(working, CleanOptions())
    record_working_file(working, blob, "nb.ipynb", store=store, options=CleanOptions())
    store.close()
    blob_at = store.records_for("nb.ipynb")[0].blob_at
    assert blob_at is not None
    pack = tmp_path / "cache" / "packs" / f"{blob_at.pack}.pack"
    data = bytearray(pack.read_bytes())
    data[blob_at.offset + blob_at.length - 2] ^= 1  # one bit of the blob's last bytes
    pack.write_bytes(bytes(data))
    with pytest.raises(CacheDamaged, match="corrupt"):
        recorded_clean(
            working, "nb.ipynb", store=OutputStore(tmp_path / "cache"), options=CleanOptions()
        )
    err = io.StringIO()
    session = CacheSession(err, cwd=tmp_path, store=OutputStore(tmp_path / "cache"))
    assert session.clean(working, "nb.ipynb", CleanOptions()) is None
    assert "output cache not used" in err.getvalue()


def test_records_without_their_blob_are_read_and_completed_once(tmp_path: Path) -> None:
    working = serialize_notebook(build([("code", "a = 1", 1, 1, {})])).encode()
    blob = long_way(working, CleanOptions())
    old = OutputStore(tmp_path)
    old.add("nb.ipynb", sha256(blob), working, "f")
    old.close()
    idx = next((tmp_path / "packs").glob("*.idx"))
    record = read_record(idx.read_text().strip())
    assert record is not None and record.blob_at is None and record.crc == zlib.crc32(working)
    idx.write_text(version_1_line(record, 7) + "\n")  # as an older nbcollab wrote it
    store = OutputStore(tmp_path)
    assert store.find("nb.ipynb", sha256(blob), "f") is not None
    assert store.find_cleaned("nb.ipynb", working, "f") is None
    assert store.add("nb.ipynb", sha256(blob), working, "f", blob) == len(blob)
    assert store.add("nb.ipynb", sha256(blob), working, "f", blob) == 0
    record = OutputStore(tmp_path).find_cleaned("nb.ipynb", working, "f")
    assert record is not None and record.path_key == path_key("nb.ipynb")
    assert OutputStore(tmp_path).read_blob(record) == blob


def defaults() -> Any:
    """The filter's options: the defaults for every path."""
    from nbcollab.git.filter import FilterOptions

    return FilterOptions(lambda path: CleanOptions(), io.StringIO())


def test_the_filter_answers_a_recorded_working_file_without_cleaning_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nbcollab.git import filter as git_filter

    working = serialize_notebook(build([("code", "a = 1", 1, 1, {})])).encode()
    blob = long_way(working, CleanOptions())
    session = CacheSession(io.StringIO(), cwd=tmp_path, store=OutputStore(tmp_path / "cache"))
    first = git_filter.answer("clean", working, "nb.ipynb", defaults(), io.StringIO(), session)
    assert first == blob  # cleaned the long way, and recorded
    monkeypatch.setattr(git_filter, "clean_for_git", lambda *a: pytest.fail("cleaned again"))
    again = git_filter.answer("clean", working, "nb.ipynb", defaults(), io.StringIO(), session)
    assert again == blob


def test_the_filter_indexes_the_cells_from_the_notebook_it_wrote_not_by_reading_the_blob(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nbcollab.git import filter as git_filter
    from nbcollab.output_cache import cells

    spec = [("code", "a = 1", 1, 1, {}), ("markdown", "# m", 0, None, {}), ("code", "b", 2, 2, {})]
    working = serialize_notebook(build(spec)).encode()
    blob = long_way(working, CleanOptions())

    class NoReading:
        @staticmethod
        def loads(*args: object, **kwargs: object) -> Any:
            pytest.fail("the blob the filter just wrote was parsed again")

    monkeypatch.setattr(cells, "json", NoReading)
    store = OutputStore(tmp_path / "cache")
    session = CacheSession(io.StringIO(), cwd=tmp_path, store=store)
    assert git_filter.answer("clean", working, "nb.ipynb", defaults(), io.StringIO(), session) == (
        blob
    )
    (record,) = store.records_for("nb.ipynb")
    index = store.read_cells(record)
    assert index is not None and index.count(b"\n") == 1 + 2  # a header, a line a code cell


def test_a_notebook_restored_cell_by_cell_is_recorded_so_git_re_reads_it_by_a_look_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nbcollab.git import filter as git_filter

    spec = [("code", "a = 1", 1, 1, {}), ("markdown", "# m", 0, None, {}), ("code", "b", 2, 2, {})]
    working = serialize_notebook(build(spec)).encode()
    session = CacheSession(io.StringIO(), cwd=tmp_path, store=OutputStore(tmp_path / "cache"))
    session.record(working, long_way(working, CleanOptions()), "nb.ipynb", CleanOptions())
    # A blob never seen whole: the last cell was edited, the first keeps its outputs.
    edited = serialize_notebook(build([*spec[:2], ("code", "b = 3", 0, None, {})])).encode()
    blob = long_way(edited, CleanOptions())
    restored = session.restore(blob, "nb.ipynb", lambda p: CleanOptions())
    assert restored != blob and parse_notebook(restored)["cells"][0]["outputs"]
    monkeypatch.setattr(git_filter, "clean_for_git", lambda *a: pytest.fail("cleaned again"))
    another = CacheSession(io.StringIO(), cwd=tmp_path, store=OutputStore(tmp_path / "cache"))
    for reader in (session, another):  # this process, and the next git command's
        answer = git_filter.answer("clean", restored, "nb.ipynb", defaults(), io.StringIO(), reader)
        assert answer == blob
    # The next checkout of that blob gives the same file back, whole.
    assert another.restore(blob, "nb.ipynb", lambda p: CleanOptions()) == restored


def test_a_cache_that_cannot_be_written_still_restores_every_notebook_silently(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = [("code", "a = 1", 1, 1, {}), ("code", "b", 2, 2, {})]
    working = serialize_notebook(build(spec)).encode()
    writer = OutputStore(tmp_path / "cache")
    for path in ("one.ipynb", "two.ipynb"):
        record_working_file(
            working, long_way(working, CleanOptions()), path, store=writer, options=CleanOptions()
        )
    writer.close()
    blob = long_way(
        serialize_notebook(build([spec[0], ("code", "b = 3", 0, None, {})])).encode(),
        CleanOptions(),
    )

    def refuse(self: OutputStore, data: bytes) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(OutputStore, "_append_pack", refuse)  # a cache this user may only read
    err = io.StringIO()
    session = CacheSession(err, cwd=tmp_path, store=OutputStore(tmp_path / "cache"))
    for path in ("one.ipynb", "two.ipynb"):
        restored = session.restore(blob, path, lambda p: CleanOptions())
        assert parse_notebook(restored)["cells"][0]["outputs"], path
    assert err.getvalue() == ""
