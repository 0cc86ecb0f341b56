"""The output cache's index lines: a versioned format, and every older line still read.

docs/formats.md ("The output cache") describes the format; the lines of version 2 (no signed
stream) and of version 1 (no version field, 7 to 15 fields as features were added) are upgraded
in one place as they are read.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest
from helpers import code_cell, make_notebook, version_1_line
from hypothesis import given
from hypothesis import strategies as st

from nbcollab.clean.strip import clean_bytes
from nbcollab.notebook.codec import serialize_notebook
from nbcollab.options import CleanOptions
from nbcollab.output_cache.keys import RestoreRule
from nbcollab.output_cache.restore import record_working_file, restore_working_file
from nbcollab.output_cache.store import (
    INDEX_VERSION,
    OutputStore,
    Record,
    Span,
    format_record,
    read_record,
)

KEY, BLOB, WORKING = "a" * 32, "b" * 64, "c" * 64
PACK = "18eedd112fa76fda-11036-6a40bdc1"


FULL = Record(
    KEY,
    BLOB,
    WORKING,
    "0a1b",
    PACK,
    0,
    978,
    Span(PACK, 978, 512),
    Span(PACK, 1490, 265),
    "d" * 64,
    0x768C814E,
)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (7, FULL._replace(blob_at=None, cells_at=None, cells="", crc=None)),
        (8, FULL._replace(blob_at=None, cells_at=None, cells="")),
        (10, FULL._replace(cells_at=None, cells="", crc=None)),
        (11, FULL._replace(cells_at=None, cells="")),
        (14, FULL._replace(crc=None)),
        (15, FULL),
    ],
)
def test_every_line_an_older_nbcollab_wrote_is_read(fields: int, expected: Record) -> None:
    record = read_record(version_1_line(FULL, fields))
    assert record == expected
    assert record is not None and not record.trusted  # trust was not recorded then


spans = st.builds(Span, st.just(PACK), st.integers(0, 2**40), st.integers(0, 2**31)) | st.none()


@given(
    blob_at=spans,
    cells_at=spans,
    signed_at=spans,
    crc=st.integers(0, 2**32 - 1),
    trusted=st.booleans(),
    fingerprint=st.sampled_from(["0", "a48237336aef26fe"]),
)
def test_a_current_line_reads_back_as_written(
    blob_at: Span | None,
    cells_at: Span | None,
    signed_at: Span | None,
    crc: int,
    trusted: bool,
    fingerprint: str,
) -> None:
    cells_at = cells_at if blob_at else None  # a cell index is stored only with its blob
    record = FULL._replace(
        fingerprint=fingerprint,
        blob_at=blob_at,
        cells_at=cells_at,
        cells="d" * 64 if cells_at else "",
        crc=crc,
        trusted=trusted,
        signed_at=signed_at if trusted else None,  # a signed stream only for a trusted file
    )
    line = format_record(record)
    assert line.startswith(f"{INDEX_VERSION} ") and len(line.split(" ")) == 20
    assert read_record(line) == record
    # What the checkout stand-ins match: path key, blob and working file after the version.
    assert line.split(" ")[1:4] == [KEY, BLOB, WORKING]


@pytest.mark.parametrize("trusted", [False, True])
def test_a_line_of_version_2_reads_as_a_record_without_a_signed_stream(trusted: bool) -> None:
    record = FULL._replace(trusted=trusted, signed_at=Span(PACK, 2000, 300))
    line = "2 " + " ".join(format_record(record).split(" ")[1:17])
    assert read_record(line) == record._replace(signed_at=None)


def test_a_signed_stream_is_not_read_for_a_line_not_trusted() -> None:
    line = format_record(FULL._replace(trusted=True, signed_at=Span(PACK, 2000, 300)))
    assert read_record(line.replace(" t ", " - ", 1)) == FULL


@pytest.mark.parametrize(
    "line",
    [
        format_record(FULL)[:-1],  # torn
        format_record(FULL).replace(" - ", " x ", 1),  # a trust flag that is neither t nor -
        format_record(FULL._replace(trusted=True)).replace(" t ", " T ", 1),
        "4" + format_record(FULL)[1:],  # a version this one does not know
        "2" + format_record(FULL)[1:],  # version 2 had three fields fewer
        format_record(FULL) + " extra",
        version_1_line(FULL, 15) + " t",  # version 1 never had a trust field
        "",
    ],
)
def test_a_damaged_or_unknown_line_is_no_record(line: str) -> None:
    assert read_record(line) is None


def test_a_cache_an_older_nbcollab_wrote_still_restores(tmp_path: Path) -> None:
    """Lines of every older shape in one index: whole files and cells come back from them."""
    nb = make_notebook(code_cell("a = 1", outputs=[], count=None, cell_id="x"))
    nb["cells"][0]["outputs"] = [{"name": "stdout", "output_type": "stream", "text": "1\n"}]
    nb["cells"][0]["execution_count"] = 1
    working = serialize_notebook(nb).encode()
    blob = clean_bytes(working, path="nb.ipynb")
    assert blob is not None
    store = OutputStore(tmp_path)
    record_working_file(working, blob, "nb.ipynb", store=store, options=CleanOptions())
    store.close()
    idx = next((tmp_path / "packs").glob("*.idx"))
    current = read_record(idx.read_text().strip())
    assert current is not None and current.crc == zlib.crc32(working)
    tagged = {"tags": ["t"]}
    for fields in (7, 8, 10, 11, 14, 15):
        idx.write_text(version_1_line(current, fields) + "\n")
        reader = OutputStore(tmp_path)
        options = CleanOptions()
        assert (
            restore_working_file(blob, "nb.ipynb", store=reader, options=options, rule=PREFIX)
            == working
        ), fields
        edited = serialize_notebook(dict(nb, cells=[dict(nb["cells"][0], metadata=tagged)]))
        edited = clean_bytes(edited.encode(), path="nb.ipynb")  # one cell tagged: a new blob
        assert edited is not None and edited != blob
        restored = restore_working_file(
            edited, "nb.ipynb", store=reader, options=options, rule=PREFIX
        )
        assert restored is not None and b'"1\\n"' in restored, fields
        reader.close()


PREFIX = RestoreRule.PREFIX
