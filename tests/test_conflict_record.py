"""The conflict record as a format: versioned, documented by a JSON Schema, older ones upgraded.

Real records (every kind of conflict a merge writes) validate against the schema shipped in the
package; the schema and the typed model reject the same malformed entries; a record of the
version before versions is upgraded when read, and written back in this version once a
conflict of it is resolved; positions in the record follow every rewrite.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import jsonschema
import pytest
from helpers import code_cell, make_notebook, markdown_cell, stream_output

from nbcollab.errors import InvalidNotebook
from nbcollab.merge.conflicts import find_conflicts, read_record
from nbcollab.merge.markers import find_hunks
from nbcollab.merge.notebook import merge_notebooks
from nbcollab.merge.record import RECORD_VERSION, OlderConflict, SourceConflict, parse_record
from nbcollab.merge.resolve import Resolution, resolve_conflicts, set_cell_text
from nbcollab.merge.values import MergeLabels
from nbcollab.notebook.codec import parse_notebook, serialize_notebook
from nbcollab.options import MergeOptions, OutputStrategy

LABELS = MergeLabels(ours="main", theirs="feature")
SCHEMA = json.loads(
    resources.files("nbcollab.merge").joinpath("conflict-record.schema.json").read_text()
)
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def _every_kind(minor: int = 5) -> dict[str, Any]:
    """A merge with a conflict of every kind, through the file format and back."""

    def version(k: int) -> dict[str, Any]:
        ids = minor >= 5
        cells = [
            code_cell(f"x = {k}\nkeep = 1\ny = {k}", cell_id="src" if ids else None, count=k),
            markdown_cell("typed", cell_id="typed" if ids else None),
            code_cell("gone = 1", cell_id="gone" if ids else None),
            markdown_cell("pictures", cell_id="pics" if ids else None),
            code_cell("print(k)", cell_id="out" if ids else None, count=k),
        ]
        cells[0]["metadata"]["owner"] = ["base", "ann", "bob"][k]
        cells[4]["outputs"] = [stream_output(f"{k}\n")]
        cells[3]["attachments"] = {"a.png": {"image/png": f"AAA{k}"}}
        if k == 1:
            cells[1]["cell_type"] = "raw"
            cells[2]["source"] = "gone = 2"
        if k == 2:
            cells[1] = code_cell("typed", cell_id="typed" if ids else None)
            del cells[2]
        nb = make_notebook(*cells, minor=minor)
        nb["metadata"]["kernelspec"]["language"] = ["python", "python", "R"][k]
        nb["metadata"]["kernelspec"]["name"] = ["python3", "k1", "ir"][k]
        return nb

    merged = merge_notebooks(
        version(0),
        version(1),
        version(2),
        options=MergeOptions(outputs=OutputStrategy.CONFLICT),
        labels=LABELS,
    ).notebook
    return parse_notebook(serialize_notebook(merged), path="merged.ipynb")


@pytest.mark.parametrize("minor", [4, 5])
def test_real_records_of_every_kind_validate_against_the_schema(minor: int) -> None:
    nb = _every_kind(minor)
    own = nb["metadata"]["nbcollab"]
    assert own["record_version"] == RECORD_VERSION
    assert sorted(entry["kind"] for entry in own["conflicts"]) == sorted(
        [
            "notebook-metadata",
            "source",
            "metadata",
            "cell-type",
            "delete-edit",
            "attachments",
            "outputs",
        ]
    )
    VALIDATOR.validate(own)
    # each resolution rewrites the record: what is left is still a valid record
    for number in range(len(own["conflicts"]) - 1):
        nb = resolve_conflicts(nb, Resolution.THEIRS, entry=0).notebook
        left = nb["metadata"]["nbcollab"]
        assert len(left["conflicts"]) == len(own["conflicts"]) - number - 1
        VALIDATOR.validate(left)


def test_the_model_reads_back_what_it_writes() -> None:
    nb = _every_kind()
    entries = read_record(nb)
    from nbcollab.merge.record import entry_to_json

    assert [entry_to_json(e) for e in entries] == nb["metadata"]["nbcollab"]["conflicts"]


SOURCE = {
    "kind": "source",
    "cell": "c",
    "index": 0,
    "marker_size": 7,
    "markers": ["<<<<<<< a\n", "=======\n", ">>>>>>> b\n"],
    "hunks": [{"base": "", "ours": "x\n", "theirs": "y\n", "at": 0}],
    "length": 30,
}
MALFORMED = {
    "no markers": {k: v for k, v in SOURCE.items() if k != "markers"},
    "no length": {k: v for k, v in SOURCE.items() if k != "length"},
    "a marker is no marker line": {**SOURCE, "markers": ["", "=======\n", ">>>>>>> b\n"]},
    "a hunk without offset": {**SOURCE, "hunks": [{"base": "", "ours": "x", "theirs": "y"}]},
    "a negative offset": {**SOURCE, "hunks": [{"base": "", "ours": "", "theirs": "", "at": -1}]},
    "a hunk as a string": {**SOURCE, "hunks": ["x\n"]},
    "an unknown key": {**SOURCE, "around": []},
    "an unknown kind": {"kind": "sauce"},
    "marker size zero": {**SOURCE, "marker_size": 0},
    "a negative index": {**SOURCE, "index": -2},
    "no note": {"kind": "metadata", "values": []},
    "a note that is no marker line": {"kind": "metadata", "values": [], "note": "x"},
    "no wrapper": {"kind": "delete-edit", "deleted_by": "ours"},
    "deleted by nobody": {"kind": "delete-edit", "deleted_by": "x", "wrapper": ["<", ">"]},
    "three sections expected": {"kind": "outputs", "sections": [1, 2], "counts": [1, 2, 3]},
    "negative sections": {"kind": "outputs", "sections": [-1, 0, 0], "counts": [1, 2, 3]},
    "no counts": {"kind": "outputs", "sections": [0, 0, 0]},
}


@pytest.mark.parametrize("entry", MALFORMED.values(), ids=MALFORMED.keys())
def test_the_schema_and_the_model_refuse_the_same_entries(entry: dict[str, Any]) -> None:
    record = {"record_version": RECORD_VERSION, "conflicts": [entry]}
    assert not VALIDATOR.is_valid(record)
    with pytest.raises(InvalidNotebook, match=r"record\[0\]"):
        parse_record(record, [code_cell("x", cell_id="c")], place="record")
    VALIDATOR.validate({"record_version": RECORD_VERSION, "conflicts": [SOURCE]})
    parse_record({"record_version": RECORD_VERSION, "conflicts": [SOURCE]}, [], place="record")


def test_a_record_of_a_newer_version_is_an_error_saying_so() -> None:
    with pytest.raises(InvalidNotebook, match="newer nbcollab"):
        parse_record({"record_version": RECORD_VERSION + 1, "conflicts": []}, [], place="r")


# --- records written before records had a version ---------------------------------------------


def _version_one(nb: dict[str, Any]) -> dict[str, Any]:
    """``nb``'s record as the first nbcollab versions wrote it: no version, none of the exact
    marks (notes, wrappers, output places, hunk offsets, lengths), sides with the newline the
    merge gave the last line."""
    own = nb["metadata"]["nbcollab"]
    del own["record_version"]
    for entry in own["conflicts"]:
        for key in ("note", "wrapper", "sections", "counts", "length"):
            entry.pop(key, None)
        for hunk in entry.get("hunks", []):
            del hunk["at"]
            for side in ("base", "ours", "theirs"):
                if hunk[side] and not hunk[side].endswith("\n"):
                    hunk[side] += "\n"
    return nb


def test_an_older_record_is_upgraded_when_read_and_resolves() -> None:
    nb = _version_one(_every_kind())
    assert not VALIDATOR.is_valid(nb["metadata"]["nbcollab"])
    entries = read_record(nb)
    assert not any(isinstance(e, OlderConflict) for e in entries)
    assert len(find_conflicts(nb)) == 7
    outcome = resolve_conflicts(nb, Resolution.THEIRS)
    assert (outcome.resolved, outcome.failed) == (7, [])
    expected = resolve_conflicts(_every_kind(), Resolution.THEIRS).notebook
    for got, want in zip(outcome.notebook["cells"], expected["cells"]):
        if got.get("id") == "out":  # those versions recorded no execution counts but ours
            assert got["execution_count"] is None and want["execution_count"] == 2
            got = {**got, "execution_count": 2}
        assert got == want


def test_an_older_record_is_written_back_in_this_version_once_rewritten() -> None:
    nb = _version_one(_every_kind())
    one = resolve_conflicts(nb, Resolution.OURS, entry=1).notebook
    own = one["metadata"]["nbcollab"]
    assert own["record_version"] == RECORD_VERSION and len(own["conflicts"]) == 6
    VALIDATOR.validate(own)


def test_an_older_entry_without_each_sides_lines_is_listed_and_kept_as_it_was() -> None:
    nb = _every_kind()
    own = nb["metadata"]["nbcollab"]
    del own["record_version"]
    number = next(k for k, e in enumerate(own["conflicts"]) if e["kind"] == "source")
    old = {"kind": "source", "cell": "src", "index": own["conflicts"][number]["index"]}
    old["hunks"] = ["x = 0\n"]
    own["conflicts"][number] = old
    (entry,) = [e for e in read_record(nb) if isinstance(e, OlderConflict)]
    assert entry.marked and entry.raw == old
    outcome = resolve_conflicts(nb, Resolution.THEIRS)
    assert outcome.resolved == 6 and "older nbcollab" in outcome.failed[0]
    # kept as it was (its cell moved up, the note cell above it gone), so the record stays one
    # of the older version
    assert outcome.notebook["metadata"]["nbcollab"] == {"conflicts": [{**old, "index": 0}]}


OLDER_MALFORMED = {
    "hunks not a list": {"kind": "source", "cell": "c", "hunks": 3},
    "hunks of numbers": {"kind": "source", "cell": "c", "hunks": [1, None]},
    "values not a list": {"kind": "metadata", "cell": "c", "values": "xx"},
    "deleted by nobody": {"kind": "delete-edit", "cell": "c", "deleted_by": "nobody"},
    "two sections": {"kind": "outputs", "cell": "c", "sections": [1, 2]},
    "an unknown key": {"kind": "cell-type", "cell": "c", "mystery": 1},
    "a cell that is no id": {"kind": "source", "cell": 5, "hunks": ["x\n"]},
}


@pytest.mark.parametrize("entry", OLDER_MALFORMED.values(), ids=OLDER_MALFORMED.keys())
def test_a_malformed_older_entry_is_an_error_not_an_older_conflict(entry: dict[str, Any]) -> None:
    cells = [code_cell("<<<<<<< a\nx\n=======\ny\n>>>>>>> b\n", cell_id="c")]
    with pytest.raises(InvalidNotebook, match=r"record\[0\]"):
        parse_record({"conflicts": [entry]}, cells, place="record")


# --- positions follow every rewrite ------------------------------------------------------------


def _source_entry(nb: dict[str, Any]) -> SourceConflict:
    (entry,) = [e for e in read_record(nb) if isinstance(e, SourceConflict)]
    return entry


def _written_where_recorded(nb: dict[str, Any], entry: SourceConflict, index: int) -> bool:
    from nbcollab.merge.markers import hunk_block

    text = nb["cells"][index]["source"]
    closed = text if text.endswith("\n") else text + "\n"
    return len(text) == entry.length and all(
        closed.startswith(hunk_block(entry.markers, hunk), hunk.at) for hunk in entry.hunks
    )


def test_resolving_the_note_above_a_source_conflict_moves_its_recorded_offsets() -> None:
    nb = _every_kind()
    index = next(k for k, c in enumerate(nb["cells"]) if c.get("id") == "src")
    assert _written_where_recorded(nb, _source_entry(nb), index)
    metadata = next(n for n, e in enumerate(read_record(nb)) if e.kind.value == "metadata")
    after = resolve_conflicts(nb, Resolution.THEIRS, entry=metadata).notebook
    assert "nbcollab: metadata conflict" in nb["cells"][index]["source"]
    assert "nbcollab: metadata conflict" not in after["cells"][index]["source"]
    assert _written_where_recorded(after, _source_entry(after), index)


def test_deleting_the_note_cell_moves_the_recorded_index_of_cells_without_ids() -> None:
    nb = _every_kind(minor=4)
    assert "id" not in nb["cells"][0]
    entries = read_record(nb)
    note = next(n for n, e in enumerate(entries) if e.kind.value == "notebook-metadata")
    after = resolve_conflicts(nb, Resolution.OURS, entry=note).notebook
    assert len(after["cells"]) == len(nb["cells"]) - 1
    assert [e.index for e in read_record(after)] == [
        e.index - 1
        for n, e in enumerate(entries)
        if n != note  # type: ignore[operator]
    ]
    assert len(find_conflicts(after)) == len(entries) - 1
    rest = resolve_conflicts(after, Resolution.THEIRS)
    assert rest.failed == [] and rest.resolved == len(entries) - 1


def test_an_edit_by_hand_keeps_the_other_hunks_found_where_they_are() -> None:
    versions = [make_notebook(code_cell(f"a = {k}\nkeep\nb = {k}", cell_id="c")) for k in range(3)]
    nb = merge_notebooks(*versions, labels=LABELS).notebook
    entry = _source_entry(nb)
    assert len(entry.hunks) == 2
    text = nb["cells"][0]["source"]
    first = text.index("keep")
    edited = set_cell_text(nb, 0, "a = 'mine, longer than the hunk was'\n" + text[first:])
    moved = _source_entry(edited)
    assert moved.hunks[1].at == entry.hunks[1].at + len(edited["cells"][0]["source"]) - len(text)
    places = find_hunks(edited["cells"][0]["source"], moved.markers, moved.hunks, moved.length)
    assert places == [None, moved.hunks[1].at]
    resolved = resolve_conflicts(edited, Resolution.THEIRS).notebook["cells"][0]["source"]
    assert resolved == "a = 'mine, longer than the hunk was'\nkeep\nb = 2"


def test_the_documented_record_follows_the_schema() -> None:
    import re

    from helpers import PROJECT_ROOT

    page = (PROJECT_ROOT / "docs" / "formats.md").read_text(encoding="utf-8")
    (example,) = re.findall(r"^```json\n(.*?)^```", page, re.DOTALL | re.MULTILINE)
    record = json.loads(example)
    VALIDATOR.validate(record)
    assert parse_record(record, [code_cell("y = x\n", cell_id="5c1a3e2b")], place="docs")
