"""The nbformat-free pre-check: signatures equal nbformat's, the store is only read, and the
merge driver answers "no input is trusted" without loading nbformat.

Every test runs with its own JUPYTER_DATA_DIR and JUPYTER_CONFIG_DIR (the autouse fixture).
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any

import pytest
from helpers import (
    code_cell,
    corpus_notebooks,
    jupyter_sign,
    make_notebook,
    markdown_cell,
    requires_corpus,
    run_driver_in_child,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nbcollab.errors import InvalidNotebook
from nbcollab.notebook.codec import parse_notebook, serialize_notebook
from nbcollab.trust.notary import NO_TRUSTED_INPUT, sign_merge_result
from nbcollab.trust.store import (
    ALGORITHM,
    DB_FILE,
    NOTARY_SETTINGS,
    SECRET_FILE,
    any_maybe_trusted,
    jupyter_signature,
)

SECRET = b"a secret only these tests know\n"


def html(text: str) -> dict[str, Any]:
    return {
        "data": {"text/html": text, "text/plain": "<HTML>"},
        "metadata": {},
        "output_type": "display_data",
    }


def versions() -> list[str]:
    """base, local, remote texts of a merge where each side re-ran one cell."""

    def nb(a: str, b: str) -> str:
        return serialize_notebook(
            make_notebook(
                markdown_cell("# Report", cell_id="intro"),
                code_cell("show('a')", cell_id="a", count=1, outputs=[html(a)]),
                code_cell("show('b')", cell_id="b", count=2, outputs=[html(b)]),
            )
        )

    return [
        nb("<b>a0</b>", "<i>b0</i>"),
        nb("<b>a1</b>", "<i>b0</i>"),
        nb("<b>a0</b>", "<i>b2</i>"),
    ]


def data_dir() -> Path:
    return Path(os.environ["JUPYTER_DATA_DIR"])


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file in ``folder`` with its bytes and modification time."""
    if not folder.exists():
        return {}
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()}


def parsed(*texts: str) -> list[dict]:
    return [parse_notebook(text, path="t") for text in texts]


def write_jupyter_config(isolated_home: Path, notary_settings: dict[str, Any]) -> None:
    folder = isolated_home / "jupyter-config"
    folder.mkdir(exist_ok=True)
    (folder / "jupyter_notebook_config.json").write_text(
        json.dumps({"NotebookNotary": notary_settings})
    )


# --- the signature equals nbformat's --------------------------------------------------------


@pytest.fixture(scope="module")
def notary() -> Any:
    from nbformat.sign import NotebookNotary

    with NotebookNotary(secret=SECRET, db_file=":memory:", data_dir="unused") as notary:
        yield notary


def nbformat_signature(notary: Any, text: str) -> str | None:
    """What Jupyter's notary computes for this file, or None when nbformat cannot read it."""
    import nbformat

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            nb = nbformat.reads(text, as_version=4)
        except Exception:  # noqa: BLE001 - nbformat refusing the file is an answer too
            return None
    try:
        return notary.compute_signature(nb)
    except UnicodeEncodeError:
        return None


@pytest.mark.slow
@pytest.mark.corpus
@requires_corpus
def test_signature_equals_nbformat_on_the_corpus(notary: Any) -> None:
    compared = unsure = 0
    for path in corpus_notebooks():
        raw = path.read_bytes()
        try:
            nb = parse_notebook(raw, path=path.name)
        except InvalidNotebook:
            continue
        ours = jupyter_signature(nb, SECRET)
        theirs = nbformat_signature(notary, raw.decode("utf-8"))
        if ours is None:
            unsure += 1  # v3 (converted) or a 4.5 notebook whose ids nbformat would invent
            assert nb["nbformat"] == 3 or nb["nbformat_minor"] >= 5, path.name
        elif theirs is not None:
            assert ours == theirs, path.name
            compared += 1
    assert compared >= 150 and unsure <= 15, (compared, unsure)


_json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False),
    st.text(max_size=12),
)
_json = st.recursive(
    _json_leaf,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
_lines = st.lists(st.text(max_size=8), max_size=3)
_text = st.text(max_size=20) | _lines
_mime = st.sampled_from(
    [
        "text/html",
        "text/plain",
        "application/json",
        "application/vnd.x+json",
        "image/png",
        "application/javascript",
        "image/svg+xml",
    ]
)
_output = st.one_of(
    st.fixed_dictionaries(
        {"output_type": st.just("stream"), "name": st.just("stdout"), "text": _text}
    ),
    st.fixed_dictionaries(
        {
            "output_type": st.sampled_from(["display_data", "execute_result"]),
            "data": st.dictionaries(_mime, _text | _json, max_size=3),
            "metadata": st.dictionaries(st.text(max_size=5), _json, max_size=2),
        }
    ),
    st.fixed_dictionaries(
        {
            "output_type": st.just("error"),
            "ename": st.text(max_size=5),
            "evalue": st.text(max_size=5),
            "traceback": _lines,
        }
    ),
)
_cell_metadata = st.dictionaries(
    st.sampled_from(["trusted", "tags", "x", "collapsed"]), _json, max_size=3
)


@st.composite
def notebook_texts(draw: st.DrawFn) -> str:
    """A v4 notebook file: ids possibly missing or repeated, transient keys, lines split or not."""
    cells = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["code", "markdown", "raw"]))
        cell: dict[str, Any] = {
            "cell_type": kind,
            "metadata": draw(_cell_metadata),
            "source": draw(_text),
        }
        if draw(st.booleans()):
            cell["id"] = draw(st.sampled_from(["a", "b", "c", "d-1", "e_2"]))
        if kind == "code":
            cell.update(
                execution_count=draw(st.none() | st.integers(0, 9)),
                outputs=draw(st.lists(_output, max_size=3)),
            )
        elif draw(st.booleans()):
            cell["attachments"] = {"x.png": draw(st.dictionaries(_mime, _text, max_size=2))}
        cells.append(cell)
    metadata = draw(
        st.dictionaries(
            st.sampled_from(
                ["signature", "orig_nbformat", "orig_nbformat_minor", "kernelspec", "x"]
            ),
            _json,
            max_size=3,
        )
    )
    nb: dict[str, Any] = {"cells": cells, "metadata": metadata, "nbformat": 4}
    minor = draw(st.sampled_from([None, 0, 2, 4, 5, 6]))
    if minor is not None:
        nb["nbformat_minor"] = minor
    return json.dumps(nb, indent=draw(st.sampled_from([None, 1])), ensure_ascii=draw(st.booleans()))


@pytest.mark.slow
def test_signature_equals_nbformat_on_generated_notebooks(notary: Any) -> None:
    compared: list[bool] = []

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(notebook_texts())
    def check(text: str) -> None:
        ours = jupyter_signature(parse_notebook(text, path="gen"), SECRET)
        theirs = nbformat_signature(notary, text)
        if ours is not None and theirs is not None:
            assert ours == theirs
            compared.append(True)

    check()
    assert len(compared) >= 100  # most generated notebooks are really compared, not skipped


def test_nbformat_reads_that_change_a_notebook_are_unsure() -> None:
    no_id = make_notebook(code_cell("x", outputs=[html("<b>1</b>")]))
    twice = make_notebook(code_cell("x", cell_id="a"), code_cell("y", cell_id="a"))
    v3 = {"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": []}
    surrogate = json.dumps(make_notebook(code_cell("'\udc80'", cell_id="a")))
    for nb in (no_id, twice, v3, parse_notebook(surrogate)):
        assert jupyter_signature(nb, SECRET) is None
    assert jupyter_signature(dict(no_id, nbformat_minor=4), SECRET) is not None


def test_the_notary_settings_and_defaults_are_nbformats(tmp_path: Path) -> None:
    """If nbformat grew a setting or changed a default, the pre-check would no longer match it."""
    from nbformat.sign import NotebookNotary

    assert set(NOTARY_SETTINGS) == set(NotebookNotary.class_trait_names(config=True))
    notary = NotebookNotary(data_dir=str(tmp_path), secret=SECRET)
    assert (notary.db_file, notary.secret_file, notary.algorithm) == (
        str(tmp_path / DB_FILE),
        str(tmp_path / SECRET_FILE),
        ALGORITHM,
    )
    notary.close()


# --- the store is read, never written ------------------------------------------------------


def test_fresh_jupyter_trusts_nothing_and_nothing_is_created() -> None:
    assert not any_maybe_trusted(parsed(*versions()))
    assert not data_dir().exists()  # no data dir, no secret, no database


def test_only_a_signed_version_may_be_trusted_and_the_store_is_untouched() -> None:
    base, local, remote = versions()
    jupyter_sign(local)
    before = snapshot(data_dir())
    assert set(before) == {SECRET_FILE, DB_FILE}

    assert any_maybe_trusted(parsed(base, local, remote))
    assert not any_maybe_trusted(parsed(base, remote))
    assert not any_maybe_trusted([])

    assert snapshot(data_dir()) == before  # no journal, no last_seen update, same bytes


def test_a_secret_without_a_database_trusts_nothing() -> None:
    base, local, _ = versions()
    jupyter_sign(local)
    (data_dir() / DB_FILE).unlink()
    assert not any_maybe_trusted(parsed(base, local))
    assert not (data_dir() / DB_FILE).exists()


def test_a_database_that_does_not_open_is_left_to_nbformat() -> None:
    base, local, _ = versions()
    jupyter_sign(base)
    (data_dir() / DB_FILE).write_bytes(b"not a database, maybe encrypted" * 100)
    before = snapshot(data_dir())
    assert any_maybe_trusted(parsed(local))
    assert snapshot(data_dir()) == before


def test_notebooks_nbformat_would_alter_are_left_to_nbformat() -> None:
    jupyter_sign(versions()[0])
    no_ids = serialize_notebook(make_notebook(code_cell("x", outputs=[html("<b>x</b>")])))
    assert any_maybe_trusted(parsed(no_ids))


@pytest.mark.parametrize(
    "notary_settings",
    [
        {"data_dir": "elsewhere"},
        {"db_file": ":memory:"},
        {"secret_file": "key"},
        {"algorithm": "sha512"},
    ],
)
def test_jupyter_config_for_the_notary_is_left_to_nbformat(
    isolated_home: Path, notary_settings: dict[str, Any]
) -> None:
    write_jupyter_config(isolated_home, notary_settings)
    assert any_maybe_trusted(parsed(*versions()))
    assert not data_dir().exists()


def test_a_configured_secret_is_left_to_nbformat_even_without_a_secret_file(
    isolated_home: Path,
) -> None:
    folder = isolated_home / "jupyter-config"
    folder.mkdir(exist_ok=True)
    (folder / "jupyter_server_config.py").write_text("c.NotebookNotary.secret = b'k'\n")
    assert any_maybe_trusted(parsed(*versions()))


# --- sign_merge_result and the merge driver ------------------------------------------------


def test_both_paths_say_the_same_when_no_input_is_trusted(isolated_home: Path) -> None:
    base, local, remote = versions()
    jupyter_sign(serialize_notebook(make_notebook(code_cell("other", cell_id="o"))))
    result = sign_merge_result(remote, inputs=[base, local, remote], path="nb")
    assert result.reason == NO_TRUSTED_INPUT  # answered by the pre-check

    # The same store named in config: the pre-check is unsure and nbformat's notary answers.
    write_jupyter_config(isolated_home, {"data_dir": str(data_dir())})
    assert sign_merge_result(remote, inputs=[base, local, remote], path="nb").reason == (
        NO_TRUSTED_INPUT
    )
    jupyter_sign(remote)
    assert sign_merge_result(remote, inputs=[base, local, remote], path="nb").signed


def _driver_files(tmp_path: Path) -> list[str]:
    names = []
    for name, text in zip(("base", "ours", "theirs"), versions()):
        (tmp_path / name).write_text(text, encoding="utf-8")
        names.append(str(tmp_path / name))
    return names


@pytest.mark.slow
@pytest.mark.parametrize("store", ["fresh", "other-signatures"])
def test_driver_merging_untrusted_rich_outputs_does_not_load_nbformat(
    tmp_path: Path, store: str
) -> None:
    if store == "other-signatures":  # the user has trusted other notebooks in Jupyter
        jupyter_sign(
            serialize_notebook(
                make_notebook(code_cell("x", cell_id="o", outputs=[html("<b>o</b>")]))
            )
        )
    before = snapshot(data_dir())
    files = _driver_files(tmp_path)
    outcome, done = run_driver_in_child([*files, "7", "nb.ipynb"], ("nbformat", "jsonschema"))
    assert outcome == "0 []", done.stderr
    assert f"nbcollab:   {NO_TRUSTED_INPUT}" in done.stderr.splitlines()
    merged = Path(files[1]).read_text(encoding="utf-8")
    assert "a1" in merged and "b2" in merged
    assert snapshot(data_dir()) == before
