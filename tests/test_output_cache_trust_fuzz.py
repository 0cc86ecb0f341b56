"""Fuzz the restore's signing against notebooks cut differently from the same signed bytes.

The user trusted a notebook and the filter recorded it; a colleague's commit, built from the words
notebooks are made of, arrives stripped, and the output cache fills the user's outputs back in.
Whenever the restore would sign the result, every active output of every notebook that can be cut
from the result's signed bytes (``recut.Cuts``) must be one a notebook cut from the trusted
record's bytes can already show: signing trusts nothing new.
"""

from __future__ import annotations

import copy
import sqlite3
import tempfile
from pathlib import Path

import pytest
from helpers import make_notebook
from hypothesis import given, settings
from hypothesis import strategies as st
from recut import Cuts
from test_trust_fuzz import trusted_and_merged

from nbcollab.clean.strip import clean_bytes
from nbcollab.notebook.codec import parse_notebook, serialize_notebook
from nbcollab.options import CleanOptions
from nbcollab.output_cache.keys import RestoreRule
from nbcollab.output_cache.restore import fill_cells, record_working_file
from nbcollab.output_cache.signed import judge_recorded
from nbcollab.output_cache.signing import Verdict, judge_restore
from nbcollab.output_cache.store import OutputStore
from nbcollab.trust.signatures import UserStore
from nbcollab.trust.store import as_jupyter_reads
from nbcollab.trust.stream import signature_bytes

SECRET = b"the fuzz test's key"


def user_store(folder: Path, trusted: bytes) -> UserStore:
    """A signature store, as nbformat creates it, holding the signature of ``trusted``."""
    db_file = folder / "nbsignatures.db"
    with sqlite3.connect(db_file) as db:
        db.execute(
            "CREATE TABLE nbsignatures (id integer PRIMARY KEY AUTOINCREMENT, algorithm text, "
            "signature text, path text, last_seen timestamp)"
        )
    user = UserStore(SECRET, db_file)
    digest = user.signature(parse_notebook(trusted))
    assert digest is not None
    user.add([digest])
    return user


def as_stored(pair: tuple[dict, dict]) -> tuple[bytes, bytes]:
    """The trusted notebook as its working file, and the other side's edit of it as git stores
    it (outputs stripped)."""
    working, edited = (serialize_notebook(nb).encode() for nb in pair)
    return working, clean_bytes(edited, path="nb.ipynb") or edited


def judged(
    working: bytes, blob: bytes, rule: RestoreRule, folder: Path, *, signed_stream: bool
) -> tuple[Verdict, bytes | None]:
    """Record the trusted ``working`` (with its signed stream, or without one as an older
    nbcollab did) and judge the restore of ``blob``: the verdict and the text written."""
    options = CleanOptions()
    folder.mkdir()
    store = OutputStore(folder / "cache")
    user = user_store(folder, working)
    trusted, signed = judge_recorded(working, "nb.ipynb", user=user, rule=rule)
    assert trusted
    cleaned = clean_bytes(working, path="nb.ipynb") or working
    record_working_file(
        working,
        cleaned,
        "nb.ipynb",
        store=store,
        options=options,
        rule=rule,
        trusted=True,
        signed=signed if signed_stream else None,
    )
    filled = fill_cells(blob, "nb.ipynb", store=store, options=options, rule=rule)
    if filled is None:
        store.close()
        return Verdict(), None
    verdict = judge_restore(filled, "nb.ipynb", store=store, user=user, rule=rule)
    store.close()
    user.close()
    return verdict, filled.text


def notary_signature(text: bytes) -> str:
    """What Jupyter's own notary computes for ``text`` under the fuzz test's key."""
    import nbformat
    from nbformat.sign import NotebookNotary

    nb = nbformat.reads(text.decode("utf-8"), as_version=4)
    return NotebookNotary(secret=SECRET, db_file=":memory:").compute_signature(nb)


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(trusted_and_merged().map(as_stored), st.sampled_from(list(RestoreRule)))
def test_signed_restores_show_nothing_the_trusted_record_cannot(
    pair: tuple[bytes, bytes], rule: RestoreRule
) -> None:
    """Both ways of reading the trusted record (its signed stream, or the working file parsed)
    reach the same verdict, and what is signed is Jupyter's own signature of the file."""
    working, blob = pair
    with tempfile.TemporaryDirectory() as tmp:
        verdict, text = judged(working, blob, rule, Path(tmp) / "a", signed_stream=True)
        parsed, _ = judged(working, blob, rule, Path(tmp) / "b", signed_stream=False)
    assert verdict.digest == parsed.digest
    assert (verdict.problem is None) == (parsed.problem is None)
    if verdict.digest is None or text is None:
        return
    assert verdict.digest == notary_signature(text)
    view = as_jupyter_reads(parse_notebook(text))
    trusted_view = as_jupyter_reads(parse_notebook(working))
    assert view is not None and trusted_view is not None
    signed, known = signature_bytes(view), signature_bytes(trusted_view)
    already = set(Cuts(known).active_values())
    for mime, value in Cuts(signed).active_values():
        assert value in known, (mime, value)
        assert (mime, value) in already, (mime, value)


def test_the_search_finds_a_stretch_a_restore_would_sign_without_the_rule(tmp_path: Path) -> None:
    """Not blind: prose a colleague put between two trusted outputs is found inside a value
    some cut shows, and that restore is refused."""
    from helpers import code_cell, markdown_cell
    from test_trust_fuzz import html

    mine = make_notebook(
        code_cell("a", outputs=[html("<b>1</b>")]),
        code_cell("b", outputs=[html("<b>2</b>")]),
        minor=4,
    )
    theirs = copy.deepcopy(mine)
    theirs["cells"].insert(1, markdown_cell("<script>x()</script>"))
    working = serialize_notebook(mine).encode()
    blob = clean_bytes(serialize_notebook(theirs).encode(), path="nb.ipynb")
    assert blob is not None
    store = OutputStore(tmp_path / "cache")
    cleaned = clean_bytes(working, path="nb.ipynb")
    assert cleaned is not None
    record_working_file(
        working, cleaned, "nb.ipynb", store=store, options=CleanOptions(), trusted=True
    )
    filled = fill_cells(
        blob, "nb.ipynb", store=store, options=CleanOptions(), rule=RestoreRule.PREFIX
    )
    assert filled is not None
    view = as_jupyter_reads(filled.notebook)
    assert view is not None
    stretched = [v for _, v in Cuts(signature_bytes(view)).active_values() if b"x()" in v]
    assert stretched and all(v not in working for v in stretched)
    verdict = judge_restore(filled, "nb.ipynb", store=store, user=user_store(tmp_path, working))
    assert verdict.digest is None
    assert verdict.problem is not None and "cell 2 was added" in verdict.problem
