"""Outputs restored cell by cell open trusted exactly when the user's own trust carries over.

A filter session records working files with whether the user's Jupyter trusts them, restores
another blob cell by cell, and signs the result only when docs/trust.md's argument holds with the
trusted records as the trusted inputs; the real notary (on this test's own JUPYTER_DATA_DIR)
checks the outcome.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from helpers import code_cell, jupyter_sign, jupyter_trusts, make_notebook, markdown_cell
from helpers import html_output as html

from nbcollab.clean.strip import clean_bytes
from nbcollab.notebook.codec import parse_notebook, serialize_notebook
from nbcollab.options import CleanOptions
from nbcollab.output_cache.keys import RestoreRule
from nbcollab.output_cache.options import CacheOptions
from nbcollab.output_cache.session import CacheSession
from nbcollab.output_cache.store import OutputStore
from nbcollab.trust import signatures

NB = "analysis.ipynb"


def cells(**changes: str) -> list[dict[str, Any]]:
    """A report: HTML in cells 1 and 3, prose and code between, a plain cell below."""
    source = {"a": "show(1)", "m": "## Between", "k": "k = 2", "b": "show(2)", "z": "z = 3"}
    source.update(changes)
    return [
        markdown_cell("# Report", cell_id="intro"),
        code_cell(source["a"], cell_id="a", count=1, outputs=[html("<b>one</b>")]),
        markdown_cell(source["m"], cell_id="m"),
        code_cell(source["k"], cell_id="k", count=2),
        code_cell(source["b"], cell_id="b", count=3, outputs=[html("<i>two</i>")]),
        code_cell(source["z"], cell_id="z", count=4),
    ]


def text_of(nb_cells: list[dict[str, Any]]) -> bytes:
    return serialize_notebook(make_notebook(*nb_cells)).encode()


def blob_of(working: bytes) -> bytes:
    blob = clean_bytes(working, path=NB)
    assert blob is not None
    return blob


class Filter:
    """One git command's filter session over a cache in a temporary folder."""

    def __init__(self, root: Path, rule: RestoreRule = RestoreRule.PREFIX) -> None:
        self.err = io.StringIO()
        self.session = CacheSession(
            self.err,
            cwd=root,
            store=OutputStore(root / "cache"),
            options=CacheOptions(restore=rule),
        )

    def record(self, working: bytes) -> None:
        self.session.record(working, blob_of(working), NB, CleanOptions())

    def restore(self, blob: bytes) -> bytes:
        restored = self.session.restore(blob, NB, lambda path: CleanOptions())
        self.session.close()  # git's command ends
        return restored


def restore_after(
    root: Path, trusted: bool, theirs: list[dict[str, Any]], rule: RestoreRule = RestoreRule.PREFIX
) -> tuple[bytes, str]:
    """Record the user's report (trusted by their Jupyter or not), then restore ``theirs``
    (stripped, as a colleague's commit arrives): the file written and what was said."""
    mine = text_of(cells())
    if trusted:
        jupyter_sign(mine)
    else:
        jupyter_sign(text_of(cells(z="z = 'something else'")))  # Jupyter has signed something
    Filter(root, rule).record(mine)
    restorer = Filter(root, rule)
    restored = restorer.restore(blob_of(text_of(theirs)))
    return restored, restorer.err.getvalue()


def test_a_change_below_the_last_rich_output_keeps_the_notebook_trusted(tmp_path: Path) -> None:
    restored, said = restore_after(tmp_path, True, cells(z="z = 30"))
    assert b"<i>two</i>" in restored and b"z = 30" in restored
    assert jupyter_trusts(restored)
    assert said == ""


def test_a_record_made_while_untrusted_never_becomes_trusted(tmp_path: Path) -> None:
    restored, said = restore_after(tmp_path, False, cells(z="z = 30"))
    assert b"<i>two</i>" in restored
    assert not jupyter_trusts(restored)
    assert said == ""  # nothing the user trusted was lost: nothing to say


@pytest.mark.parametrize(
    ("theirs", "message"),
    [
        (
            cells(m="## Between, reworded"),
            "analysis.ipynb: not re-signed: cell 3 (id m) changed between the first and last "
            "rich output; check it, then run: nbcollab trust sign analysis.ipynb",
        ),
        (  # crafted: text that a re-cut would read as an output holding a script
            [
                *cells()[:2],
                markdown_cell("outputsdatatext/html<script>steal()</script>", cell_id="evil"),
                *cells()[2:],
            ],
            "analysis.ipynb: not re-signed: cell 3 (id evil) was added between the first and "
            "last rich output; check it, then run: nbcollab trust sign analysis.ipynb",
        ),
        (  # no crafted text at all: a cut could stretch the first output over the new prose
            [*cells()[:3], markdown_cell("more", cell_id="new"), *cells()[3:]],
            "analysis.ipynb: not re-signed: cell 4 (id new) was added between the first and "
            "last rich output; check it, then run: nbcollab trust sign analysis.ipynb",
        ),
    ],
)
def test_a_change_inside_the_rich_stretch_is_not_signed_and_said(
    tmp_path: Path, theirs: list[dict[str, Any]], message: str
) -> None:
    restored, said = restore_after(tmp_path, True, theirs)
    assert b"<b>one</b>" in restored and b"<i>two</i>" in restored  # the outputs come back
    assert not jupyter_trusts(restored)
    assert said == f"nbcollab: {message}\n"


def test_code_changed_above_a_rich_output(tmp_path: Path) -> None:
    """Under the prefix rule nothing below the change is restored; under `unchanged` the
    output below comes back, and the changed code between the rich outputs refuses trust."""
    theirs = cells(k="k = 20")
    restored, said = restore_after(tmp_path, True, theirs)
    assert b"<b>one</b>" in restored and b"<i>two</i>" not in restored
    assert jupyter_trusts(restored) and said == ""  # only cell 1's output: the user's own
    restored, said = restore_after(tmp_path / "unchanged", True, theirs, RestoreRule.UNCHANGED)
    assert b"<i>two</i>" in restored and not jupyter_trusts(restored)
    assert "cell 4 (id k) changed between the first and last rich output" in said


def test_another_clones_outputs_in_the_blob_are_never_trusted(tmp_path: Path) -> None:
    """A colleague's outputs reach the blob only where cleaning keeps them (here, the whole
    notebook's, by ``keep_output``): a restore around them is not signed."""
    mine = text_of(cells())
    jupyter_sign(mine)
    Filter(tmp_path).record(mine)
    theirs = make_notebook(*cells(z="z = 30"), metadata={"keep_output": True})
    theirs["cells"][5]["outputs"] = [html("<script>theirs()</script>")]
    blob = serialize_notebook(theirs).encode()
    restorer = Filter(tmp_path)
    restored = restorer.restore(blob)
    assert b"theirs()" in restored and not jupyter_trusts(restored)


def test_records_remember_trust_and_a_signed_restore_is_recorded_trusted(tmp_path: Path) -> None:
    # Untrusted first: signing the report (same content) would make it trusted everywhere.
    restore_after(tmp_path / "untrusted", False, cells(z="z = 30"))
    records = OutputStore(tmp_path / "untrusted" / "cache").records_for(NB)
    assert [r.trusted for r in records] == [False, False]  # the restore, then the user's file
    restore_after(tmp_path / "trusted", True, cells(z="z = 30"))
    records = OutputStore(tmp_path / "trusted" / "cache").records_for(NB)
    assert [r.trusted for r in records] == [True, True]


def test_a_store_that_cannot_be_written_is_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def busy(self: object, digests: object) -> None:
        raise signatures.SignatureStoreBusy("nbsignatures.db: cannot be written (locked)")

    monkeypatch.setattr(signatures.UserStore, "add", busy)
    restored, said = restore_after(tmp_path, True, cells(z="z = 30"))
    assert b"<i>two</i>" in restored and not jupyter_trusts(restored)
    assert said == (
        "nbcollab: analysis.ipynb: not re-signed: nbsignatures.db: cannot be written (locked)\n"
    )


def test_a_whole_file_restore_keeps_the_trust_it_had(tmp_path: Path) -> None:
    mine = text_of(cells())
    jupyter_sign(mine)
    Filter(tmp_path).record(mine)
    assert Filter(tmp_path).restore(blob_of(mine)) == mine
    assert jupyter_trusts(mine)
    assert parse_notebook(mine)["cells"][1]["outputs"] == [html("<b>one</b>")]


def test_outputs_from_an_untrusted_record_are_signed_only_as_a_trusted_one_has_them(
    tmp_path: Path,
) -> None:
    """The newest record was saved by a tool that never signs. Where its outputs are those of
    an older trusted record, the restore is signed; where they differ, it stays unsigned, and
    quietly: the user had not trusted them."""
    mine = text_of(cells())
    jupyter_sign(mine)
    Filter(tmp_path).record(mine)
    Filter(tmp_path).record(text_of(cells(z="z = 'edited elsewhere'")))  # same outputs, unsigned
    restorer = Filter(tmp_path)
    restored = restorer.restore(blob_of(text_of(cells(z="z = 30"))))
    assert jupyter_trusts(restored) and restorer.err.getvalue() == ""
    rerun = cells(z="z = 'rerun elsewhere'")
    rerun[4]["outputs"] = [html("<i>rerun</i>")]
    Filter(tmp_path).record(text_of(rerun))
    restorer = Filter(tmp_path)
    restored = restorer.restore(blob_of(text_of(cells(z="z = 40"))))
    assert b"<i>rerun</i>" in restored and not jupyter_trusts(restored)
    assert restorer.err.getvalue() == ""


def test_a_refusal_is_said_once_a_notebook_in_one_git_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = text_of(cells())
    jupyter_sign(mine)
    Filter(tmp_path).record(mine)
    # A cache that cannot be written: each restore fills from the user's trusted record again.
    monkeypatch.setattr(CacheSession, "_remember", lambda *args, **kwargs: None)
    restorer = Filter(tmp_path)
    for wording in ("reworded", "reworded again"):  # a rebase writes each commit's version
        blob = blob_of(text_of(cells(m=f"## Between, {wording}")))
        restorer.session.restore(blob, NB, lambda path: CleanOptions())
    restorer.session.close()
    assert restorer.err.getvalue().count("not re-signed") == 1


def test_a_trusted_record_keeps_its_signed_stream_and_the_restore_parses_no_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Recording a trusted file stores its signed stream; the restore judges from it alone
    (no recorded working file is read or parsed) and Jupyter's notary trusts the result."""
    from nbcollab.output_cache import signing

    mine = text_of(cells())
    jupyter_sign(mine)
    Filter(tmp_path).record(mine)
    (record,) = OutputStore(tmp_path / "cache").records_for(NB)
    assert record.trusted and record.signed_at is not None

    def no_parsing(self: object, record: object) -> None:
        raise AssertionError("a record was parsed")

    monkeypatch.setattr(signing._Judge, "_read_parsed", no_parsing)
    restored = Filter(tmp_path).restore(blob_of(text_of(cells(z="z = 30"))))
    assert b"<i>two</i>" in restored and jupyter_trusts(restored)


@pytest.mark.parametrize("where", ["table", "bytes", "seal"])
def test_a_signed_stream_changed_on_disk_is_not_used(tmp_path: Path, where: str) -> None:
    """Its seal no longer checks out: the restore reads the record itself, and still signs only
    what the user's own record shows."""
    mine = text_of(cells())
    jupyter_sign(mine)
    Filter(tmp_path).record(mine)
    store = OutputStore(tmp_path / "cache")
    (record,) = store.records_for(NB)
    signed = store.read_signed(record)
    store.close()
    assert signed is not None and record.signed_at is not None
    at = {
        "table": signed.index(b"\nkeys ") + 7,
        "bytes": len(signed) - 2,
        "seal": signed.index(b"\n") - 3,
    }[where]
    pack = tmp_path / "cache" / "packs" / f"{record.signed_at.pack}.pack"
    data = bytearray(pack.read_bytes())
    offset = record.signed_at.offset + at
    data[offset] = ord("1") if data[offset] != ord("1") else ord("2")
    pack.write_bytes(bytes(data))
    restored = Filter(tmp_path).restore(blob_of(text_of(cells(z="z = 30"))))
    assert b"<i>two</i>" in restored and jupyter_trusts(restored)
    evil = cells(m="## Between, reworded")
    restorer = Filter(tmp_path)
    restored = restorer.restore(blob_of(text_of(evil)))
    assert not jupyter_trusts(restored) and "not re-signed" in restorer.err.getvalue()


def test_a_signed_stream_sealed_under_another_key_is_not_used(tmp_path: Path) -> None:
    from nbcollab.output_cache.signed import judge_recorded, read_signed

    mine = text_of(cells())
    jupyter_sign(mine)
    session = Filter(tmp_path).session
    user = session._user_store()
    assert user is not None
    trusted, signed = judge_recorded(mine, NB, user=user, rule=RestoreRule.PREFIX)
    assert trusted and signed is not None
    assert read_signed(signed, rule=RestoreRule.PREFIX, user=user) is not None
    assert read_signed(signed, rule=RestoreRule.UNCHANGED, user=user) is None
    other = signatures.UserStore(b"someone else's key", user.db_file)
    assert read_signed(signed, rule=RestoreRule.PREFIX, user=other) is None


def _outputs_text(nb: dict[str, Any]) -> bytes:
    return serialize_notebook(nb).encode()


@pytest.mark.parametrize(
    "text",
    [
        _outputs_text(make_notebook(*cells())),
        _outputs_text(make_notebook(*cells())).replace(b"\n", b"").replace(b"  ", b""),  # compact
        # outputs whose text spells what the two pieces are made of
        _outputs_text(
            make_notebook(
                code_cell(
                    "x",
                    cell_id="x",
                    outputs=[html('}, {"cell_type": "raw", "metadata": {}, "source": "x"}], "')],
                )
            )
        ),
        # an outputs key twice: not a notebook Jupyter reads, so no places are given
        _outputs_text(make_notebook(*cells())).replace(
            b'"outputs": [', b'"outputs": [], "outputs": [', 1
        ),
    ],
)
def test_the_places_of_outputs_are_exact_or_not_given(text: bytes) -> None:
    """``read_with_outputs`` reads a file as ``parse_notebook`` does, and each place it gives
    is exactly its cell's outputs list."""
    from nbcollab.errors import InvalidNotebook
    from nbcollab.output_cache.signed import read_with_outputs

    try:
        expected = parse_notebook(text)
    except InvalidNotebook:
        with pytest.raises(InvalidNotebook):
            read_with_outputs(text, NB)
        return
    nb, spans = read_with_outputs(text, NB)
    assert nb == expected
    if text.startswith(b'{\n "cells": [\n  {\n'):  # as Jupyter writes it: the places are found
        assert spans
    for index, (start, end) in spans.items():
        alone = (
            b'{"cells": [{"cell_type": "code", "execution_count": null, "metadata": {}, '
            + b'"source": "", "outputs": '
            + text[start:end]
            + b'}], "metadata": {}, "nbformat": 4, "nbformat_minor": 4}'
        )
        assert parse_notebook(alone)["cells"][0]["outputs"] == nb["cells"][index]["outputs"]
