"""Notebook I/O: clear parse errors, Jupyter-identical output (per nbformat), atomic writes."""

from __future__ import annotations

import copy
import json
import os
import stat
from pathlib import Path

import pytest
from helpers import (
    code_cell,
    corpus_notebooks,
    make_notebook,
    markdown_cell,
    requires_corpus,
    run_nbcollab,
    stream_output,
    write_notebook,
)

from nbcollab.errors import InvalidNotebook, NbcollabError
from nbcollab.files import read_file_bytes, write_atomic
from nbcollab.notebook.codec import parse_notebook, serialize_notebook, serialize_notebook_bytes
from nbcollab.notebook.lines import iter_cells


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"cells": [\n  1,\n]', "nb.ipynb:3:1: not valid JSON"),
        (b"", "nb.ipynb: empty file"),
        (b"  \n", "nb.ipynb: empty file"),
        (b"[]", "nb.ipynb: not a notebook (the JSON is not an object)"),
        (b'{"nbformat": 4}', "nb.ipynb: not a notebook (no 'cells' list)"),
        (b'{"cells": []}', "nb.ipynb: not a notebook (no 'nbformat' key)"),
        (b'{"nbformat": 2, "worksheets": []}', "nb.ipynb: nbformat 2 is not supported"),
        (b'{"nbformat": "4", "cells": []}', "'nbformat' is not an integer"),
        (b'{"nbformat": 4, "nbformat_minor": "5", "cells": []}', "'nbformat_minor' is not an"),
        (b'{"nbformat": 4, "nbformat_minor": null, "cells": []}', "'nbformat_minor' is not an"),
        (b'{"nbformat": 4, "cells": [3]}', "nb.ipynb: cell 1: not an object"),
        (
            b'{"nbformat": 4, "cells": [{"cell_type": "code", "outputs": 1}]}',
            "'outputs' is not a list",
        ),
        (
            b'{"nbformat": 4, "cells": [{"cell_type": "code", "source": 5}]}',
            "'source' is not a string",
        ),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "binary file"),
        (b'{"a": "\xff"}', "nb.ipynb:1:8: not UTF-8"),
        (b"[" * 100_000, "nb.ipynb"),
    ],
    ids=[
        "json",
        "empty",
        "blank",
        "array",
        "no-cells",
        "no-nbformat",
        "v2",
        "str-version",
        "str-minor",
        "null-minor",
        "cell-not-object",
        "outputs",
        "source",
        "binary",
        "utf8",
        "deep",
    ],
)
def test_parse_errors_name_the_file_and_place(data: bytes, message: str) -> None:
    with pytest.raises(InvalidNotebook) as info:
        parse_notebook(data, path="nb.ipynb")
    assert message in str(info.value)


def test_parse_accepts_what_nbformat_accepts() -> None:
    text = (
        '\ufeff{"cells": [{"cell_type": "code", "execution_count": 1, "metadata": {}, '
        '"outputs": [{"output_type": "execute_result", "execution_count": 1, "metadata": {}, '
        '"data": {"application/json": {"x": NaN, "y": Infinity, "big": 123456789012345678901234}'
        ', "text/plain": ["a\\n", "b"]}}], "source": ["x = 1\\n", "x"]}], '
        '"metadata": {}, "nbformat": 4, "nbformat_minor": 2}'
    )
    nb = parse_notebook(text.encode())
    cell = nb["cells"][0]
    assert cell["source"] == "x = 1\nx"
    data = cell["outputs"][0]["data"]
    assert (
        data["text/plain"] == "a\nb" and data["application/json"]["big"] == 123456789012345678901234
    )
    assert data["application/json"]["x"] != data["application/json"]["x"]  # NaN


def test_serialize_splits_only_what_nbformat_splits() -> None:
    cell = code_cell(
        "a\nb",
        cell_id="c",
        outputs=[
            {
                "output_type": "display_data",
                "metadata": {},
                "data": {
                    "text/html": "<b>\n</b>",
                    "image/png": "AAA\nBBB",
                    "image/svg+xml": "<svg>\n</svg>",
                    "application/javascript": "x\ny",
                    "application/json": {"k": "v\nw"},
                },
            },
            {"output_type": "stream", "name": "stdout", "text": "1\n2\n"},
        ],
    )
    out = json.loads(serialize_notebook(make_notebook(cell, markdown_cell("", cell_id="m"))))
    first, stream = out["cells"][0]["outputs"]
    assert out["cells"][0]["source"] == ["a\n", "b"] and out["cells"][1]["source"] == []
    assert first["data"]["text/html"] == ["<b>\n", "</b>"]
    assert first["data"]["image/png"] == "AAA\nBBB"
    assert first["data"]["image/svg+xml"] == ["<svg>\n", "</svg>"]
    assert first["data"]["application/javascript"] == ["x\n", "y"]
    assert first["data"]["application/json"] == {"k": "v\nw"}
    assert stream["text"] == ["1\n", "2\n"]


def test_serialize_drops_transient_keys_and_leaves_its_input_alone() -> None:
    nb = make_notebook(
        code_cell("x", cell_id="a", trusted=True),
        metadata={"signature": "sha256:x", "orig_nbformat": 3},
    )
    before = copy.deepcopy(nb)
    out = json.loads(serialize_notebook(nb))
    assert out["metadata"] == {} and out["cells"][0]["metadata"] == {}
    assert nb == before


def test_serialize_bytes_are_the_text_encoded_and_consume_spares_only_the_copy() -> None:
    nb = make_notebook(
        code_cell("a\nb", cell_id="a", count=2, trusted=True, outputs=[stream_output("1\n2")]),
        markdown_cell("é\r\nx", cell_id="b"),
        metadata={"signature": "sha256:x", "kernelspec": {"name": "python3"}},
    )
    before = copy.deepcopy(nb)
    expected = serialize_notebook(nb).encode("utf-8")
    assert serialize_notebook_bytes(nb) == expected and nb == before
    assert serialize_notebook_bytes(copy.deepcopy(nb), consume=True) == expected


def test_a_list_of_lines_holding_something_else_is_read_as_it_is() -> None:
    odd = _output_text(
        '{"output_type": "display_data", "metadata": {}, "data": {"text/plain": ["a", 1]}}'
    )
    assert parse_notebook(odd)["cells"][0]["outputs"][0]["data"] == {"text/plain": ["a", 1]}


def test_lone_surrogates_stay_escaped_so_the_file_is_utf8() -> None:
    # Valid JSON, accepted by nbformat, but a raw lone surrogate cannot be written as UTF-8.
    nb = make_notebook(
        code_cell("x = 1  # \udc80", cell_id="a"), markdown_cell("\ud83d", cell_id="b")
    )
    data = serialize_notebook(nb).encode("utf-8")
    assert b"\\udc80" in data and b"\\ud83d" in data
    assert parse_notebook(data) == nb


@pytest.mark.slow
def test_clean_and_merge_write_such_notebooks(tmp_path: Path) -> None:
    nb = make_notebook(code_cell("x = 1  # \udc80", cell_id="a", count=3))
    path = tmp_path / "s.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    assert run_nbcollab("clean", str(path)).returncode == 0
    merged = tmp_path / "m.ipynb"
    assert run_nbcollab("merge", str(path), str(path), str(path), "-o", str(merged)).returncode == 0
    assert parse_notebook(merged.read_bytes())["cells"][0]["source"] == "x = 1  # \udc80"


def test_serialize_layout() -> None:
    text = serialize_notebook(make_notebook(markdown_cell("é ✓", cell_id="a"), metadata={}))
    assert text.startswith('{\n "cells": [\n  {\n   "cell_type": "markdown",')
    assert "é ✓" in text and text.endswith("}\n") and not text.endswith("\n\n")


def test_v3_round_trip_keeps_v3_form() -> None:
    v3 = {
        "metadata": {"name": "ü"},
        "nbformat": 3,
        "nbformat_minor": 0,
        "worksheets": [
            {
                "metadata": {},
                "cells": [
                    {
                        "cell_type": "code",
                        "input": "a\nb",
                        "language": "python",
                        "metadata": {},
                        "outputs": [],
                    }
                ],
            }
        ],
    }
    text = serialize_notebook(v3)
    written = json.loads(text)["worksheets"][0]["cells"][0]
    assert written["input"] == ["a\n", "b"] and "\\u00fc" in text  # v3 keeps ensure_ascii
    assert parse_notebook(text) == v3
    assert [c["input"] for c in iter_cells(v3)] == ["a\nb"]


# -- the contract: identical to what Jupyter writes, over the real corpus -----------------------


def _jupyter_authority(data: bytes) -> str | None:
    """nbformat's own bytes for a notebook this contract covers, or None when it does not."""
    import nbformat
    from nbformat.validator import isvalid

    raw = json.loads(data)
    if raw.get("nbformat") != 4:
        return None
    try:
        if not isvalid(copy.deepcopy(raw)):
            return None
    except AssertionError:
        return None
    ids = [cell.get("id") for cell in raw["cells"]]
    if raw.get("nbformat_minor", 0) >= 5 and (None in ids or len(set(ids)) != len(ids)):
        return None  # nbformat would invent random ids
    return (
        nbformat.writes(nbformat.reads(data.decode("utf-8-sig"), as_version=nbformat.NO_CONVERT))
        + "\n"
    )


@requires_corpus
@pytest.mark.corpus
def test_serialize_equals_nbformat_writes_on_every_covered_corpus_notebook() -> None:
    covered, differ = 0, []
    for path in corpus_notebooks():
        data = path.read_bytes()
        try:
            nb = parse_notebook(data, path=str(path))
        except InvalidNotebook:
            continue
        expected = _jupyter_authority(data)
        if expected is None:
            continue
        covered += 1
        before = copy.deepcopy(nb)
        if serialize_notebook(nb) != expected or nb != before:
            differ.append(path.name)
    assert differ == []
    assert covered >= 150, f"only {covered} corpus notebooks are covered by the contract"


# -- files --------------------------------------------------------------------------------------


def test_write_atomic_replaces_and_keeps_the_mode(tmp_path: Path) -> None:
    target = tmp_path / "nb.ipynb"
    target.write_bytes(b"old")
    os.chmod(target, 0o640)
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["nb.ipynb"]


def test_write_atomic_leaves_no_temp_file_on_failure(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        write_atomic(tmp_path / "nb.ipynb", "not bytes")  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_write_atomic_follows_a_symlink_and_keeps_it(tmp_path: Path) -> None:
    target = tmp_path / "real.ipynb"
    target.write_bytes(b"old")
    link = tmp_path / "link.ipynb"
    link.symlink_to(target.name)
    write_atomic(link, b"new")
    assert link.is_symlink()
    assert target.read_bytes() == b"new"


@pytest.mark.parametrize("where", ["missing-folder/nb.ipynb", "a-folder"])
def test_write_errors_name_the_file_and_leave_nothing(tmp_path: Path, where: str) -> None:
    (tmp_path / "a-folder").mkdir()
    with pytest.raises(NbcollabError, match=f"{where}: (cannot write|is a directory)"):
        write_atomic(tmp_path / where, b"new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-folder"]
    assert list((tmp_path / "a-folder").iterdir()) == []


@pytest.mark.slow
def test_unwritable_output_is_exit_2_and_one_line(tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "a.ipynb", make_notebook(code_cell("x")))
    for args in (
        ["merge", str(nb), str(nb), str(nb), "-o", str(tmp_path / "no" / "m.ipynb")],
        ["diff", str(nb), str(nb), "--format", "html", "-o", str(tmp_path)],
    ):
        proc = run_nbcollab(*args, cwd=tmp_path)
        assert proc.returncode == 2, (args, proc.stderr)
        assert proc.stderr.decode().count("\n") == 1 and b"Traceback" not in proc.stderr


def test_read_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidNotebook, match=r"missing\.ipynb: cannot read"):
        read_file_bytes(tmp_path / "missing.ipynb")
    with pytest.raises(InvalidNotebook, match="is a directory"):
        read_file_bytes(tmp_path)


def _nb_text(cells: str = "[]", metadata: str = "{}") -> bytes:
    return (
        f'{{"cells": {cells}, "metadata": {metadata}, "nbformat": 4, "nbformat_minor": 5}}'
    ).encode()


def _output_text(output: str) -> bytes:
    return _nb_text(
        '[{"cell_type": "code", "execution_count": null, "metadata": {}, '
        f'"outputs": [{output}], "source": ""}}]'
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_nb_text(metadata='{"n": ' + "1" * 5000 + "}"), "nb.ipynb: a number too long to read"),
        (_output_text('{"output_type": ["stream"]}'), "cell 1: output 1: 'output_type' is not a"),
        (_output_text('{"output_type": {"a": 1}}'), "cell 1: output 1: 'output_type' is not a"),
        (_output_text('{"text": "a"}'), "cell 1: output 1: no 'output_type'"),
        (
            _output_text('{"output_type": "stream", "name": "stdout", "text": ["a", 1]}'),
            "cell 1: output 1: 'text' is not a string or a list of strings",
        ),
        (_output_text('{"output_type": "error", "ename": 1}'), "'ename' is not a string"),
        (_output_text('{"output_type": "stream", "metadata": []}'), "'metadata' is not an object"),
        (
            _nb_text('[{"cell_type": "markdown", "source": "", "attachments": {"a.png": 1}}]'),
            "cell 1: attachment 'a.png': not an object",
        ),
        (_nb_text('[{"cell_type": 1}]'), "cell 1: 'cell_type' is not a string"),
        (_nb_text('[{"cell_type": "raw", "metadata": []}]'), "cell 1: 'metadata' is not an"),
        (_nb_text(metadata='{"nbcollab": []}'), "nb.ipynb: metadata: 'nbcollab' is not an object"),
        (_nb_text(metadata='{"n": ' + "[" * 400 + "]" * 400 + "}"), "nested more than 100 levels"),
        (_nb_text(metadata='{"n": ' + "[" * 700 + "]" * 700 + "}"), "nested more than 100 levels"),
        (
            _output_text(
                '{"output_type": "display_data", "data": {"application/json": '
                + '{"a": ' * 150
                + "1"
                + "}" * 150
                + "}}"
            ),
            "nb.ipynb: cell 1: output 1: 'data': 'application/json': JSON nested more than 100",
        ),
    ],
    ids=[
        "huge-int",
        "output-type-list",
        "output-type-dict",
        "no-output-type",
        "text-items",
        "ename",
        "output-metadata",
        "attachment",
        "cell-type",
        "cell-metadata",
        "record",
        "deep-400",
        "deep-700",
        "deep-json-mime",
    ],
)
def test_parse_refuses_what_the_core_cannot_take(data: bytes, message: str) -> None:
    with pytest.raises(InvalidNotebook) as info:
        parse_notebook(data, path="nb.ipynb")
    assert message in str(info.value)
    assert str(info.value).startswith("nb.ipynb")


def test_nesting_up_to_the_limit_is_accepted_and_every_command_takes_it(tmp_path: Path) -> None:
    from nbcollab.notebook.check import MAX_NESTING

    # The notebook itself is level 1, its metadata level 2: the value adds the rest.
    deep = "[" * (MAX_NESTING - 2) + "]" * (MAX_NESTING - 2)
    nb = parse_notebook(_nb_text(metadata=f'{{"n": {deep}}}'), path="nb.ipynb")
    path = write_notebook(tmp_path / "nb.ipynb", nb)
    with pytest.raises(InvalidNotebook, match="nested more than"):
        parse_notebook(_nb_text(metadata=f'{{"n": [{deep}]}}'), path="nb.ipynb")
    from typer.testing import CliRunner

    from nbcollab.cli.app import app

    for args in (
        ["clean", "--check"],
        ["diff", str(path)],
        ["merge", str(path), str(path)],
        ["conflicts"],
        ["trust", "check"],
        ["textconv"],
        ["resolve", "--ours"],
    ):
        result = CliRunner().invoke(app, [*args, str(path)])
        assert result.exit_code in (0, 1), (args, result.output)
    # A merge's conflict record holds such values deeper still: the result reads back.
    sides = []
    for leaf in (1, 2, 3):
        value = "[" * (MAX_NESTING - 3) + str(leaf) + "]" * (MAX_NESTING - 3)
        sides.append(tmp_path / f"{leaf}.ipynb")
        sides[-1].write_bytes(_nb_text(metadata=f'{{"n": {value}}}'))
    merged = tmp_path / "merged.ipynb"
    result = CliRunner().invoke(app, ["merge", *map(str, sides), "-o", str(merged)])
    assert result.exit_code == 1, result.output
    assert CliRunner().invoke(app, ["conflicts", str(merged)]).exit_code == 1
    assert CliRunner().invoke(app, ["resolve", "--theirs", str(merged)]).exit_code == 0
    assert parse_notebook(merged.read_bytes()) == parse_notebook(sides[2].read_bytes())


def test_legal_oddities_jupyter_reads_still_parse() -> None:
    # Legal JSON that Jupyter reads: v3 prompt numbers of running cells ("*"), unknown keys.
    v3 = (
        b'{"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [{"cells": ['
        b'{"cell_type": "code", "input": "x", "prompt_number": "*", "outputs": [], "x": [1]}]}]}'
    )
    assert parse_notebook(v3)["worksheets"][0]["cells"][0]["prompt_number"] == "*"
    # A mime bundle entry that is not text (nbformat reads it, with a validation warning).
    odd = _output_text('{"output_type": "display_data", "data": {"text/html": null}}')
    assert parse_notebook(odd)["cells"][0]["outputs"][0]["data"] == {"text/html": None}


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="no /proc")
def test_a_file_longer_than_its_size_says_is_read_to_the_end() -> None:
    # /proc files are regular files of size 0: like a file that grew after its size was taken.
    data = read_file_bytes("/proc/self/status")
    assert data.startswith(b"Name:") and data.endswith(b"\n") and len(data) > 100
    with pytest.raises(InvalidNotebook, match="larger than 10 bytes"):
        read_file_bytes("/proc/self/status", limit=10)


def test_a_fifo_or_device_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "x.ipynb"
    os.mkfifo(fifo)
    with pytest.raises(InvalidNotebook, match=r"x\.ipynb: not a regular file"):
        read_file_bytes(fifo)  # no writer: a plain open() would wait forever
    if Path("/dev/zero").exists():
        with pytest.raises(InvalidNotebook, match="/dev/zero: not a regular file"):
            read_file_bytes("/dev/zero")


def test_reads_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from nbcollab import files as notebook_io

    big = tmp_path / "big.ipynb"
    big.write_bytes(b" " * 11)
    assert read_file_bytes(big, limit=11) == b" " * 11
    with pytest.raises(InvalidNotebook, match=r"big\.ipynb: larger than 10 bytes"):
        read_file_bytes(big, limit=10)
    monkeypatch.setattr(notebook_io, "MAX_NOTEBOOK_BYTES", 10)
    with pytest.raises(InvalidNotebook, match=r"big\.ipynb: larger than 10 bytes"):
        read_file_bytes(big)
    with pytest.raises(InvalidNotebook, match="<stdin>: larger than 10 bytes"):
        notebook_io.read_stream_bytes(io.BytesIO(b"x" * 11), path="<stdin>")


_SLOW_WRITE = """
import os, sys, time
from nbcollab import files as notebook_io

def slow_fsync(fd):
    print("writing", flush=True)
    time.sleep(60)

notebook_io.os.fsync = slow_fsync
if sys.argv[2] == "held":  # as the clean command holds it, around a loop of writes
    with notebook_io.cleanup_on_signals():
        notebook_io.write_atomic(sys.argv[1], b"new")
else:
    notebook_io.write_atomic(sys.argv[1], b"new")
"""


@pytest.mark.slow
@pytest.mark.parametrize("held", ["held", "alone"])
@pytest.mark.parametrize("name", ["SIGTERM", "SIGINT", "SIGHUP"])
def test_a_signal_during_a_write_leaves_no_temp_file(tmp_path: Path, name: str, held: str) -> None:
    import signal
    import subprocess
    import sys

    target = tmp_path / "nb.ipynb"
    target.write_bytes(b"old")
    child = subprocess.Popen(
        [sys.executable, "-c", _SLOW_WRITE, str(target), held],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdout is not None and child.stdout.readline() == b"writing\n"
    assert len(list(tmp_path.iterdir())) == 2  # the temp file exists while writing
    child.send_signal(getattr(signal, name))
    _, err = child.communicate(timeout=30)
    assert [p.name for p in tmp_path.iterdir()] == ["nb.ipynb"]
    assert target.read_bytes() == b"old"
    # Still dies of the signal (SIGINT: Python's KeyboardInterrupt, which exits by SIGINT).
    assert child.returncode == -getattr(signal, name), err
    assert (b"KeyboardInterrupt" in err) == (name == "SIGINT")


def test_write_atomic_restores_the_signal_handlers(tmp_path: Path) -> None:
    import signal

    before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    write_atomic(tmp_path / "nb.ipynb", b"new")
    assert {s: signal.getsignal(s) for s in before} == before


def test_writes_inside_one_cleanup_on_signals_set_nothing_up_again(tmp_path: Path) -> None:
    import signal

    from nbcollab.files import cleanup_on_signals

    before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    with cleanup_on_signals():
        held = {s: signal.getsignal(s) for s in before}
        assert held != before
        for name in ("a", "b"):
            write_atomic(tmp_path / f"{name}.ipynb", name.encode())
            assert {s: signal.getsignal(s) for s in before} == held
    assert {s: signal.getsignal(s) for s in before} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.ipynb", "b.ipynb"]
