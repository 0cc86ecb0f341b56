"""The output cache without git: keys, the store, recording and restoring, the session."""

from __future__ import annotations

import gc
import io
import os
import zlib
from pathlib import Path

import pytest
from helpers import code_cell, make_notebook, markdown_cell, stream_output, version_1_line
from hypothesis import given, settings
from hypothesis import strategies as st

from nbcollab.clean.strip import clean_bytes, clean_file
from nbcollab.notebook.codec import parse_notebook, serialize_notebook
from nbcollab.options import CleanOptions
from nbcollab.output_cache.cells import build_index
from nbcollab.output_cache.keys import RestoreRule, cell_keys
from nbcollab.output_cache.restore import record_working_file, restore_working_file
from nbcollab.output_cache.session import CacheSession
from nbcollab.output_cache.store import CacheDamaged, OutputStore, format_record, read_record

PREFIX, UNCHANGED = RestoreRule.PREFIX, RestoreRule.UNCHANGED


def nb_bytes(*sources: str, ran: bool = True) -> bytes:
    cells = []
    for index, source in enumerate(sources):
        if source.startswith("#"):
            cells.append(markdown_cell(source, cell_id=f"m{index}"))
        else:
            outputs = [stream_output(f"out {source}\n")] if ran else []
            cells.append(
                code_cell(
                    source, outputs=outputs, count=index + 1 if ran else None, cell_id=f"c{index}"
                )
            )
    return serialize_notebook(make_notebook(*cells)).encode()


def blob_of(working: bytes) -> bytes:
    return clean_bytes(working, path="nb.ipynb") or working


def restored_outputs(data: bytes) -> list:
    nb = parse_notebook(data)
    return [cell["outputs"] for cell in nb["cells"] if cell["cell_type"] == "code"]


@pytest.mark.parametrize(
    ("rule", "changed"),
    [
        (PREFIX, [False, True, True]),  # the edited cell and every code cell after it
        (UNCHANGED, [False, True, False]),  # only the edited cell
    ],
)
def test_keys_change_as_the_rule_says(rule: RestoreRule, changed: list[bool]) -> None:
    before = parse_notebook(nb_bytes("a = 1", "# note", "b = 2", "c = 3"))
    after = parse_notebook(nb_bytes("a = 1", "# other note", "b = 20", "c = 3"))
    keys = [k for _, k in cell_keys(before, rule)]
    assert [a != b for a, b in zip(keys, [k for _, k in cell_keys(after, rule)])] == changed


def test_keys_name_the_cell_id_too() -> None:
    one = parse_notebook(nb_bytes("a = 1"))
    other = parse_notebook(nb_bytes("a = 1"))
    other["cells"][0]["id"] = "renamed"
    assert cell_keys(one, PREFIX) != cell_keys(other, PREFIX)


def test_a_v3_notebook_has_no_keys() -> None:
    assert (
        cell_keys({"nbformat": 3, "worksheets": [{"cells": [{"cell_type": "code"}]}]}, PREFIX) == []
    )


def test_store_records_round_trip_and_a_corrupt_pack_is_detected(tmp_path: Path) -> None:
    store = OutputStore(tmp_path / "cache")
    assert store.add("nb.ipynb", "b" * 64, b"working", "f") == len(b"working")
    assert store.add("nb.ipynb", "b" * 64, b"working", "f") == 0  # already the newest record
    record = OutputStore(tmp_path / "cache").find("nb.ipynb", "b" * 64, "f")  # another process
    assert record is not None and store.read(record) == b"working"
    store.close()
    pack = next((tmp_path / "cache" / "packs").glob("*.pack"))
    pack.write_bytes(b"workinG")
    with pytest.raises(CacheDamaged, match="corrupt"):
        store.read(record)
    pack.unlink()
    assert store.read(record) is None


def test_a_working_file_is_checked_by_its_crc_and_one_from_an_older_line_by_its_sha256(
    tmp_path: Path,
) -> None:
    store = OutputStore(tmp_path)
    store.add("nb.ipynb", "b" * 64, b"working", "f")
    store.close()
    idx = next((tmp_path / "packs").glob("*.idx"))
    pack = next((tmp_path / "packs").glob("*.pack"))
    record = read_record(idx.read_text().strip())
    assert record is not None and record.crc == zlib.crc32(b"working")
    # As written now, and as an older nbcollab wrote it (no CRC-32).
    for line in (format_record(record), version_1_line(record, 7)):
        idx.write_text(line + "\n")
        pack.write_bytes(b"working")
        reader = OutputStore(tmp_path)
        record = reader.records_for("nb.ipynb")[0]
        assert reader.read(record) == b"working"
        pack.write_bytes(b"workinG")  # the same file, which the reader holds open
        with pytest.raises(CacheDamaged, match="corrupt"):
            reader.read(record)
        reader.close()


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts descriptors in /proc")
def test_a_process_holds_a_bounded_number_of_packs_open(tmp_path: Path) -> None:
    for n in range(40):  # 40 processes, 40 packs
        writer = OutputStore(tmp_path)
        writer.add(f"nb{n}.ipynb", "b" * 64, b"working %d" % n, "f")
        writer.close()
    gc.collect()  # files an earlier test left to the collector close now, not mid-count
    before = len(os.listdir("/proc/self/fd"))
    reader = OutputStore(tmp_path)
    for _ in range(2):
        for n in range(40):
            record = reader.records_for(f"nb{n}.ipynb")[0]
            assert reader.read(record) == b"working %d" % n
            assert len(os.listdir("/proc/self/fd")) - before <= 32
    assert reader.evict(0).packs == 40  # eviction closes what it removes
    assert len(os.listdir("/proc/self/fd")) == before


def test_a_torn_index_line_is_ignored(tmp_path: Path) -> None:
    store = OutputStore(tmp_path)
    store.add("nb.ipynb", "b" * 64, b"one", "f")
    store.close()
    idx = next((tmp_path / "packs").glob("*.idx"))
    idx.write_bytes(idx.read_bytes() + idx.read_bytes()[:40])
    assert len(OutputStore(tmp_path).records_for("nb.ipynb")) == 1


def test_records_are_newest_first_and_shared_bytes_are_stored_once(tmp_path: Path) -> None:
    store = OutputStore(tmp_path)
    store.add("nb.ipynb", "1" * 64, b"first", "f")
    store.add("nb.ipynb", "2" * 64, b"second", "f")
    assert store.add("copy.ipynb", "2" * 64, b"second", "f") == 0
    store.close()
    reader = OutputStore(tmp_path)
    assert [r.blob for r in reader.records_for("nb.ipynb")] == ["2" * 64, "1" * 64]
    assert reader.find("copy.ipynb", "2" * 64, "f") is not None
    assert reader.find("copy.ipynb", "2" * 64, "other options") is None
    # Another process that has only looked at one notebook still stores known bytes once.
    later = OutputStore(tmp_path)
    assert later.records_for("other.ipynb") == []
    assert later.add("third.ipynb", "2" * 64, b"first", "f") == 0
    assert later.add("third.ipynb", "3" * 64, b"third", "f") == len(b"third")


def test_eviction_removes_the_least_recently_used_packs_first(tmp_path: Path) -> None:
    records = []
    for age in range(5):
        store = OutputStore(tmp_path)  # one process, one pack
        store.add(f"nb{age}.ipynb", "b" * 64, bytes([age]) * 100, "f")
        store.close()
        for path in (tmp_path / "packs").glob("*"):
            if path.stat().st_mtime > 2000:
                os.utime(path, (1000 + age, 1000 + age))
        records.append(OutputStore(tmp_path).records_for(f"nb{age}.ipynb")[0])
    store = OutputStore(tmp_path)
    store.read(records[0])  # read now: the most recently used
    pack_and_index = store.usage().bytes // 5
    freed = store.evict(3 * pack_and_index)
    assert freed.packs == 2
    kept = [age for age, record in enumerate(records) if store.read(record) is not None]
    assert kept == [0, 3, 4]


def test_the_whole_working_file_comes_back_for_its_own_blob(tmp_path: Path) -> None:
    store = OutputStore(tmp_path)
    working = nb_bytes("a = 1", "# note", "b = 2")
    blob = blob_of(working)
    assert record_working_file(working, blob, "nb.ipynb", store=store, options=CleanOptions()) > 0
    assert (
        restore_working_file(blob, "nb.ipynb", store=store, options=CleanOptions(), rule=PREFIX)
        == working
    )


@pytest.mark.parametrize("rule", [PREFIX, UNCHANGED])
def test_the_index_from_the_notebook_the_filter_wrote_is_the_index_from_the_blob(
    rule: RestoreRule,
) -> None:
    working = nb_bytes("a = 1", "# note", "b = 2", "c = 3")
    cleaned = clean_file(working, path="nb.ipynb")
    assert cleaned is not None
    from_blob = build_index(working, cleaned.data, rule)
    assert from_blob is not None and from_blob.count(b"\n") == 4
    assert build_index(working, cleaned.data, rule, written=cleaned.notebook) == from_blob


def test_other_clean_options_restore_cell_by_cell_and_verify(tmp_path: Path) -> None:
    store = OutputStore(tmp_path)
    working = nb_bytes("a = 1", "b = 2")
    record_working_file(working, blob_of(working), "nb.ipynb", store=store, options=CleanOptions())
    keep = CleanOptions(keep_execution_count=True)
    blob = clean_bytes(working, path="nb.ipynb", options=keep)
    assert blob is not None
    restored = restore_working_file(blob, "nb.ipynb", store=store, options=keep, rule=PREFIX)
    assert restored is not None and clean_bytes(restored, path="x", options=keep) == blob


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (PREFIX, [True, False, False]),
        (UNCHANGED, [True, False, True]),
    ],
)
def test_an_edited_notebook_gets_outputs_as_the_rule_says(
    tmp_path: Path, rule: RestoreRule, expected: list[bool]
) -> None:
    store = OutputStore(tmp_path)
    working = nb_bytes("a = 1", "b = 2", "c = 3")
    record_working_file(working, blob_of(working), "nb.ipynb", store=store, options=CleanOptions())
    edited = blob_of(nb_bytes("a = 1", "b = 20", "c = 3", ran=False))
    restored = restore_working_file(
        edited, "nb.ipynb", store=store, options=CleanOptions(), rule=rule
    )
    assert restored is not None
    assert [bool(o) for o in restored_outputs(restored)] == expected
    assert clean_bytes(restored, path="nb.ipynb") == edited
    assert parse_notebook(restored)["cells"][0]["execution_count"] == 1


def test_a_blob_not_in_jupyter_form_is_left_as_it_is(tmp_path: Path) -> None:
    store = OutputStore(tmp_path)
    working = nb_bytes("a = 1")
    record_working_file(working, blob_of(working), "nb.ipynb", store=store, options=CleanOptions())
    compact = serialize_notebook(parse_notebook(blob_of(working))).replace("\n ", "\n").encode()
    compact = compact.replace(b'"a = 1"', b'"a = 1"')  # same cells, other indentation
    assert (
        restore_working_file(compact, "nb.ipynb", store=store, options=CleanOptions(), rule=PREFIX)
        is None
    )
    # Unless the caller records the restored file as cleaning to that blob (the filter does):
    # the blob is then the same notebook, cleaned, in another layout.
    restored = restore_working_file(
        compact, "nb.ipynb", store=store, options=CleanOptions(), rule=PREFIX, recorded=True
    )
    assert restored is not None and [bool(o) for o in restored_outputs(restored)] == [True]
    assert parse_notebook(clean_bytes(restored, path="nb.ipynb") or b"") == parse_notebook(compact)


def test_the_session_never_raises_and_warns_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "nbcollab").mkdir()
    (tmp_path / "nbcollab" / "output-cache").write_text("a file where the cache should be")
    monkeypatch.setattr(
        "nbcollab.output_cache.session.find_store",
        lambda cwd: OutputStore(tmp_path / "nbcollab" / "output-cache"),
    )
    monkeypatch.setattr("nbcollab.output_cache.session.read_enabled", lambda cwd: True)
    err = io.StringIO()
    session = CacheSession(err, cwd=tmp_path)
    working = nb_bytes("a = 1")
    blob = blob_of(working)
    session.record(working, blob, "nb.ipynb", CleanOptions())
    session.record(working, blob, "other.ipynb", CleanOptions())
    assert session.restore(blob, "nb.ipynb", lambda path: CleanOptions()) == blob
    assert err.getvalue().count("warning") == 1
    assert "output cache not used" in err.getvalue()


def test_the_session_outside_a_repository_passes_everything_through(tmp_path: Path) -> None:
    err = io.StringIO()
    session = CacheSession(err, cwd=tmp_path)
    blob = blob_of(nb_bytes("a = 1"))
    assert session.restore(blob, "nb.ipynb", lambda path: CleanOptions()) == blob
    assert err.getvalue().count("warning") <= 1


sources = st.lists(
    st.sampled_from(
        [
            "a = 1",
            "b = 2",
            "# note",
            "print(a)",
            "",
            "x\ny",
            "s = 'é\r\n\x1b[31m'",
            "t = '\ud800'",
            "  ",
        ]
    ),
    min_size=0,
    max_size=6,
)


@settings(max_examples=60, deadline=None)
@given(
    before=sources,
    after=sources,
    rule=st.sampled_from(list(RestoreRule)),
    keep_counts=st.booleans(),
    drop_empty=st.booleans(),
)
def test_whatever_is_restored_cleans_back_to_the_blob(
    tmp_path_factory: pytest.TempPathFactory,
    before: list[str],
    after: list[str],
    rule: RestoreRule,
    keep_counts: bool,
    drop_empty: bool,
) -> None:
    store = OutputStore(tmp_path_factory.mktemp("cache"))
    options = CleanOptions(keep_execution_count=keep_counts, drop_empty_cells=drop_empty)
    working = nb_bytes(*before)
    blob = clean_bytes(working, path="nb.ipynb", options=options) or working
    record_working_file(working, blob, "nb.ipynb", store=store, options=options)
    other = nb_bytes(*after, ran=False)
    target = clean_bytes(other, path="nb.ipynb", options=options) or other
    restored = restore_working_file(target, "nb.ipynb", store=store, options=options, rule=rule)
    if restored is not None:
        assert (clean_bytes(restored, path="nb.ipynb", options=options) or restored) == target


def _record_many(root: str, worker: int) -> None:
    store = OutputStore(Path(root))
    for index in range(40):
        data = f"worker {worker} file {index} ".encode() * (index + 1)
        store.add(f"nb{index}.ipynb", f"{worker:02x}{index:062x}", data, "f")
        for record in store.records_for(f"nb{(index * 7) % 40}.ipynb")[:2]:
            store.read(record)  # reading what others are appending must never fail


@pytest.mark.slow  # four Python processes
def test_concurrent_processes_never_corrupt_the_store(tmp_path: Path) -> None:
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_record_many, args=(str(tmp_path), w)) for w in range(4)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(600)  # a loaded CI machine starts four interpreters slowly
    assert [p.exitcode for p in workers] == [0, 0, 0, 0]
    store = OutputStore(tmp_path)
    for index in range(40):
        records = store.records_for(f"nb{index}.ipynb")
        assert len(records) == 4
        assert all(store.read(r) is not None for r in records)


def test_a_fifo_in_the_cache_is_damage_not_a_hang(tmp_path: Path) -> None:
    store = OutputStore(tmp_path)
    store.add("nb.ipynb", "b" * 64, b"working", "f")
    store.close()
    for path in (tmp_path / "packs").iterdir():
        path.unlink()
        os.mkfifo(path)
    assert OutputStore(tmp_path).records_for("nb.ipynb") == []  # the index is a FIFO too
    record = store.records_for("nb.ipynb")[0]  # as read before the files were replaced
    with pytest.raises(CacheDamaged, match="not a regular file"):
        store.read(record)


def test_cache_commands_outside_a_repository_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from nbcollab.cli.app import app

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    for command in ("status", "gc", "clear"):
        result = CliRunner().invoke(app, ["cache", command])
        assert result.exit_code == 2, result.output
        assert "not inside a git repository" in result.output


def test_a_working_file_with_trust_keys_is_never_restored_whole(tmp_path: Path) -> None:
    # As old Jupyter wrote it (nbcollab and nbformat drop the key when they write).
    working = nb_bytes("a = 1", "b = 2").replace(
        b'"metadata": {},', b'"metadata": {\n    "trusted": true\n   },', 1
    )
    assert b'"trusted": true' in working
    blob = blob_of(working)
    store = OutputStore(tmp_path)
    record_working_file(working, blob, "nb.ipynb", store=store, options=CleanOptions())
    restored = restore_working_file(
        blob, "nb.ipynb", store=OutputStore(tmp_path), options=CleanOptions(), rule=PREFIX
    )
    assert restored is not None and restored != working and b'"trusted"' not in restored
    assert [bool(o) for o in restored_outputs(restored)] == [True, True]
    assert clean_bytes(restored, path="nb.ipynb") == blob
