"""The user's signature store without nbformat: what it finds and adds is what Jupyter's own
notary finds and adds, and it creates nothing.

Every test runs with its own JUPYTER_DATA_DIR and JUPYTER_CONFIG_DIR (the autouse fixture).
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from helpers import (
    code_cell,
    jupyter_sign,
    jupyter_trusts,
    make_notebook,
    markdown_cell,
    stream_output,
)
from helpers import html_output as html

from nbcollab.notebook.codec import parse_notebook, serialize_notebook
from nbcollab.trust import signatures
from nbcollab.trust.signatures import (
    SignatureStoreBusy,
    find_untrusted,
    may_hold_rich_output,
    open_user_store,
)
from nbcollab.trust.store import DB_FILE, SECRET_FILE


def notebook_text(output: str = "<b>one</b>") -> str:
    return serialize_notebook(
        make_notebook(
            markdown_cell("# N", cell_id="m"), code_cell("x", cell_id="x", outputs=[html(output)])
        )
    )


def data_dir() -> Path:
    return Path(os.environ["JUPYTER_DATA_DIR"])


def test_nothing_signed_yet_means_no_store_and_nothing_is_created() -> None:
    assert open_user_store() is None
    assert not data_dir().exists()
    data_dir().mkdir()
    (data_dir() / SECRET_FILE).write_bytes(b"key")
    assert open_user_store() is None  # a key but no database: nothing was ever stored
    assert sorted(p.name for p in data_dir().iterdir()) == [SECRET_FILE]


def test_what_it_finds_and_adds_is_what_jupyter_finds() -> None:
    trusted, other = notebook_text(), notebook_text("<i>two</i>")
    jupyter_sign(trusted)
    user = open_user_store()
    assert user is not None
    assert user.trusts_text(trusted.encode(), path="nb")
    assert not user.trusts_text(other.encode(), path="nb")
    digest = user.signature(parse_notebook(other))
    assert digest is not None
    user.add([digest, digest])
    user.add([digest])  # once a row, as the notary keeps it
    assert jupyter_trusts(other)
    with sqlite3.connect(data_dir() / DB_FILE) as db:
        rows = db.execute("SELECT algorithm, path FROM nbsignatures WHERE signature = ?", (digest,))
        assert rows.fetchall() == [("sha256", None)]


def test_looking_up_leaves_the_database_byte_for_byte() -> None:
    jupyter_sign(notebook_text())
    before = (data_dir() / DB_FILE).read_bytes()
    user = open_user_store()
    assert user is not None and user.trusts_text(notebook_text().encode(), path="nb")
    assert (data_dir() / DB_FILE).read_bytes() == before


def test_a_locked_database_is_said_not_waited_for(monkeypatch: pytest.MonkeyPatch) -> None:
    jupyter_sign(notebook_text())
    user = open_user_store()
    assert user is not None
    monkeypatch.setattr(signatures, "_WAIT_SECONDS", 0.05)
    with sqlite3.connect(data_dir() / DB_FILE, isolation_level=None) as db:
        db.execute("BEGIN EXCLUSIVE")  # Jupyter in the middle of its own write
        with pytest.raises(SignatureStoreBusy, match="cannot be written"):
            user.add(["0" * 64])
        db.execute("ROLLBACK")


@pytest.mark.parametrize(
    ("config", "default"),
    [
        ({"NotebookNotary": {"db_file": ":memory:"}}, False),
        ({"NotebookNotary": {"secret_file": "/elsewhere/key"}}, False),
        ({"LoggingConfigurable": {"data_dir": "/elsewhere"}}, False),  # a base class of it
        ({"ServerApp": {"port": 9999}, "LabApp": {"dev_mode": False}}, True),
        # mentions an option for another class: asks traitlets, which says it is not the notary's
        ({"FileContentsManager": {"root_dir": "/data_dir"}}, True),
    ],
)
def test_jupyter_config_that_sets_up_the_notary_is_left_to_nbformat(
    config: dict, default: bool
) -> None:
    jupyter_sign(notebook_text())
    folder = Path(os.environ["JUPYTER_CONFIG_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "jupyter_server_config.json").write_text(json.dumps(config))
    assert (open_user_store() is not None) is default
    assert signatures.uses_default_notary() is default


@pytest.mark.parametrize(
    ("text", "rich"),
    [
        (b'"output_type": "display_data"', True),
        (b'"output_type":"execute_result"', True),
        (b'"output_type": "update_display_data"', True),
        (b'"output_type": "stream"', False),
        (b'"output_type": "error"', False),
        (b'"output_type": "streams"', True),  # an odd type: treated as rich, as the policy does
        (b'"source": "\\"output_type\\": \\"display_data\\""', False),  # inside a string
        (b"{}", False),
    ],
)
def test_rich_output_is_recognised_in_json_text(text: bytes, rich: bool) -> None:
    assert may_hold_rich_output(text) is rich


def test_find_untrusted_names_the_notebooks_jupyter_would_blank() -> None:
    trusted, untrusted = notebook_text(), notebook_text("<i>two</i>")
    plain = serialize_notebook(make_notebook(code_cell("p", outputs=[stream_output("1\n")])))
    notebooks = [
        ("a.ipynb", trusted.encode()),
        ("b.ipynb", untrusted.encode()),
        ("c.ipynb", plain.encode()),
        ("d.ipynb", b"not json"),
    ]
    assert find_untrusted(None, notebooks) == ["a.ipynb", "b.ipynb"]  # Jupyter never signed
    jupyter_sign(trusted)
    assert find_untrusted(open_user_store(), notebooks) == ["b.ipynb"]


def _answers_in_time(call: Any) -> Any:
    """``call()``'s result, failing the test rather than hanging when it blocks."""
    import threading

    box: list[Any] = []
    worker = threading.Thread(target=lambda: box.append(call()), daemon=True)
    worker.start()
    worker.join(timeout=20)
    assert box, "blocked"
    return box[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs")
def test_a_fifo_where_the_key_or_a_config_file_should_be_never_blocks() -> None:
    jupyter_sign(notebook_text())
    folder = Path(os.environ["JUPYTER_CONFIG_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    os.mkfifo(folder / "jupyter_server_config.json")
    assert _answers_in_time(open_user_store) is not None
    (data_dir() / SECRET_FILE).unlink()
    os.mkfifo(data_dir() / SECRET_FILE)
    assert _answers_in_time(open_user_store) is None


def test_the_merge_summary_shows_a_path_s_control_characters_visibly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The refusal names the notebook in the command to run: a file name holding an escape
    sequence must not reach the terminal as one."""
    from nbcollab.git.merge_driver import run_git_merge

    mine = notebook_text()
    jupyter_sign(mine)
    theirs = notebook_text("<script>x()</script>")
    files = []
    for name, text in (("base", mine), ("ours", mine), ("theirs", theirs)):
        files.append(tmp_path / name)
        files[-1].write_text(text)
    run_git_merge([*map(str, files), "7", "evil\x1b]0;owned\x07.ipynb"])
    err = capsys.readouterr().err
    assert "not signed: cell 2 (id x) has output not found in any trusted input" in err
    assert "\x1b" not in err and "\x07" not in err
