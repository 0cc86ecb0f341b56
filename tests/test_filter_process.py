"""The long-running clean filter: pkt-line protocol in memory, then with real git."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import (
    code_cell,
    copy_to,
    corpus_notebooks,
    git,
    make_notebook,
    markdown_cell,
    requires_corpus,
    run_nbcollab,
    stream_output,
    write_notebook,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from nbcollab.clean.strip import clean_bytes, clean_notebook
from nbcollab.errors import ConfigError, InvalidNotebook
from nbcollab.git.filter import (
    MAX_PACKET_DATA,
    ProtocolError,
    read_content,
    read_packet,
    read_text_list,
    serve,
    write_content,
    write_text_list,
)
from nbcollab.notebook.codec import serialize_notebook
from nbcollab.options import CleanOptions


def pkt(text: str) -> bytes:
    data = text.encode()
    return b"%04x" % (len(data) + 4) + data


def request(command: str, path: str, content: bytes) -> bytes:
    out = io.BytesIO()
    write_text_list(out, f"command={command}", f"pathname={path}")
    write_content(out, content)
    return out.getvalue()


HANDSHAKE = (
    pkt("git-filter-client\n")
    + pkt("version=2\n")
    + b"0000"
    + pkt("capability=clean\n")
    + pkt("capability=smudge\n")
    + pkt("capability=delay\n")
    + b"0000"
)


def dirty_notebook_bytes() -> bytes:
    nb = make_notebook(
        code_cell("print(1)", outputs=[stream_output("1\n")], count=3, cell_id="a"),
        markdown_cell("# Title", cell_id="b"),
    )
    return serialize_notebook(nb).encode()


def run_session(payload: bytes, loader=lambda path: CleanOptions()) -> tuple[io.BytesIO, str]:
    out, err = io.BytesIO(), io.StringIO()
    serve(io.BytesIO(HANDSHAKE + payload), out, err, loader)
    out.seek(0)
    return out, err.getvalue()


def read_handshake_reply(out: io.BytesIO) -> tuple[list[str], list[str]]:
    return read_text_list(out), read_text_list(out)


def read_response(out: io.BytesIO) -> tuple[list[str], bytes | None, list[str]]:
    status = read_text_list(out)
    if status != ["status=success"]:
        return status, None, []
    return status, read_content(out), read_text_list(out)


# -- pkt-line framing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "size", [0, 1, MAX_PACKET_DATA, MAX_PACKET_DATA + 1, 3 * MAX_PACKET_DATA + 7]
)
def test_content_spans_as_many_packets_as_needed(size: int) -> None:
    data = bytes(i % 251 for i in range(size))
    out = io.BytesIO()
    write_content(out, data)
    raw = out.getvalue()
    assert raw.endswith(b"0000")
    stream = io.BytesIO(raw)
    sizes = []
    while (packet := read_packet(stream)) is not None:
        sizes.append(len(packet))
    assert all(0 < s <= MAX_PACKET_DATA for s in sizes)
    assert len(sizes) == -(-size // MAX_PACKET_DATA)
    assert read_content(io.BytesIO(raw)) == data


@pytest.mark.parametrize("step", [None, 7, 1000, MAX_PACKET_DATA + 3])
def test_content_written_to_a_pipe_arrives_whole_even_in_partial_writes(
    step: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the filter writes to git's pipe: in big system calls, which may each write only part
    (``step``: at most that many bytes a call, cutting packets and headers anywhere)."""
    import os
    import threading

    if step is not None:

        def short_writev(fd: int, buffers: list[bytes | memoryview]) -> int:
            return os.write(fd, b"".join(bytes(b) for b in buffers)[:step])

        monkeypatch.setattr(os, "writev", short_writev)
    data = bytes(i % 251 for i in range(3 * MAX_PACKET_DATA + 7))
    read_fd, write_fd = os.pipe()
    received = []
    reader = threading.Thread(target=lambda: received.append(os.fdopen(read_fd, "rb").read()))
    reader.start()
    with os.fdopen(write_fd, "wb") as out:
        out.write(b"before")  # buffered: must still come first
        write_content(out, data)
        write_content(out, b"")
    reader.join()
    stream = io.BytesIO(received[0])
    assert stream.read(len(b"before")) == b"before"
    assert read_content(stream) == data
    assert read_content(stream) == b""
    assert stream.read() == b""


@pytest.mark.parametrize(
    "raw", [b"zzzz", b"0003", b"0010abc", b"00"], ids=["not-hex", "too-short", "truncated", "cut"]
)
def test_malformed_packets_are_protocol_errors(raw: bytes) -> None:
    with pytest.raises(ProtocolError):
        read_packet(io.BytesIO(raw))


def test_end_of_stream_is_eof() -> None:
    with pytest.raises(EOFError):
        read_packet(io.BytesIO(b""))


# -- the conversation ---------------------------------------------------------------------------


def test_handshake_answers_version_2_with_clean_and_smudge_only() -> None:
    out, _ = run_session(b"")
    welcome, capabilities = read_handshake_reply(out)
    assert welcome == ["git-filter-server", "version=2"]
    assert capabilities == ["capability=clean", "capability=smudge"]
    assert out.read() == b""


def test_wrong_client_is_refused() -> None:
    with pytest.raises(ProtocolError, match="git-filter-client"):
        serve(io.BytesIO(pkt("hello\n") + b"0000"), io.BytesIO(), io.StringIO(), CleanOptions)


def test_clean_strips_outputs_and_smudge_is_identity() -> None:
    dirty = dirty_notebook_bytes()
    out, err = run_session(request("clean", "a.ipynb", dirty) + request("smudge", "a.ipynb", dirty))
    read_handshake_reply(out)
    status, cleaned, trailer = read_response(out)
    assert status == ["status=success"] and trailer == []
    assert cleaned == clean_bytes(dirty, path="a.ipynb")
    assert json.loads(cleaned)["cells"][0]["outputs"] == []
    status, smudged, _ = read_response(out)
    assert smudged == dirty
    assert err == ""


def test_clean_notebook_passes_through_byte_for_byte() -> None:
    clean = clean_bytes(dirty_notebook_bytes(), path="a.ipynb")
    indented = json.dumps(json.loads(clean), indent=4).encode()  # clean, but not Jupyter's layout
    out, _ = run_session(request("clean", "a.ipynb", indented))
    read_handshake_reply(out)
    assert read_response(out)[1] == indented


@pytest.mark.parametrize(
    "content",
    [b'{"cells": [', b"", b"\x00\x01binary", b'{"nbformat": 2}'],
    ids=["broken-json", "empty", "binary", "nbformat-2"],
)
def test_invalid_notebook_passes_through_with_one_warning(content: bytes) -> None:
    out, err = run_session(request("clean", "dir/bad.ipynb", content))
    read_handshake_reply(out)
    status, data, _ = read_response(out)
    assert status == ["status=success"] and data == content
    assert err.count("\n") == 1 and "dir/bad.ipynb" in err and "not cleaned" in err


@pytest.mark.parametrize(
    "problem",
    [
        ConfigError("broken/pyproject.toml: not valid TOML (Invalid value (at line 2, column 19))"),
        RuntimeError("boom"),
    ],
)
def test_a_config_that_cannot_be_read_gives_the_defaults_and_one_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, problem: Exception
) -> None:
    """git status, diff and switch must keep working when a pulled pyproject.toml is broken."""
    monkeypatch.chdir(tmp_path)  # not a repository: nothing is staged

    def loader(path: str) -> CleanOptions:
        if path.startswith("broken/"):
            raise problem
        return CleanOptions(keep_outputs=True)

    dirty = dirty_notebook_bytes()
    payload = b"".join(
        request("clean", path, dirty) for path in ("broken/a.ipynb", "ok/b.ipynb", "broken/c.ipynb")
    )
    out, err = run_session(payload, loader)
    read_handshake_reply(out)
    defaults = clean_bytes(dirty, path="a.ipynb")
    assert [read_response(out)[:2] for _ in range(3)] == [
        (["status=success"], defaults),
        (
            ["status=success"],
            clean_bytes(dirty, path="b.ipynb", options=CleanOptions(keep_outputs=True)) or dirty,
        ),
        (["status=success"], defaults),
    ]
    assert err.count("\n") == 1 and "default options" in err, err
    assert str(problem).split(":")[0] in err


@pytest.mark.git
def test_what_git_holds_is_answered_whatever_fails(
    filtered_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file that is byte for byte its staged blob needs no cleaning: a bug, a broken config,
    nothing makes it fail; any other file is refused loudly rather than stored uncleaned."""
    import nbcollab.git.filter as filter_module

    staged_bytes = dirty_notebook_bytes()  # staged as it is, outputs and all
    (filtered_repo / "nb.ipynb").write_bytes(staged_bytes)
    blob = git(filtered_repo, "hash-object", "-w", "--no-filters", "nb.ipynb").stdout.strip()
    git(filtered_repo, "update-index", "--add", "--cacheinfo", f"100644,{blob},nb.ipynb")
    monkeypatch.chdir(filtered_repo)

    def broken(*args: object, **kwargs: object) -> bytes:
        raise RuntimeError("boom")

    monkeypatch.setattr(filter_module, "clean_for_git", broken)
    changed = staged_bytes.replace(b"print(1)", b"print(2)")
    out, err = run_session(
        request("clean", "nb.ipynb", staged_bytes) + request("clean", "nb.ipynb", changed)
    )
    read_handshake_reply(out)
    assert read_response(out)[:2] == (["status=success"], staged_bytes)
    assert read_response(out)[0] == ["status=error"]
    assert "internal error" in err and "boom" in err


@pytest.mark.parametrize(
    "raw", [b"garbage", b"", b"0016git-filter-client\n0000", b"0016git-filter-client\n"]
)
def test_bad_protocol_input_is_one_line_and_exit_1(raw: bytes) -> None:
    proc = run_nbcollab("filter-process", input=raw)
    assert proc.returncode == 1
    assert proc.stderr.decode().count("\n") == 1 and b"Traceback" not in proc.stderr
    assert proc.stdout == b""


def test_process_writes_only_protocol_on_stdout() -> None:
    """As a real process: every byte on stdout parses as protocol, even with a warning."""
    payload = HANDSHAKE + request("clean", "a.ipynb", dirty_notebook_bytes())
    payload += request("clean", "bad.ipynb", b"{not json")
    done = subprocess.run(
        [sys.executable, "-m", "nbcollab", "filter-process"],
        input=payload,
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = io.BytesIO(done.stdout)
    read_handshake_reply(out)
    assert read_response(out)[0] == ["status=success"]
    assert read_response(out)[1] == b"{not json"
    assert out.read() == b""
    assert b"bad.ipynb" in done.stderr


# -- with real git ------------------------------------------------------------------------------


def notebook_with_outputs(size: int = 0) -> dict:
    return make_notebook(
        code_cell(
            "x = 1\n" + "# padding\n" * (size // 10),
            cell_id="c1",
            count=1,
            outputs=[stream_output("out\n" * 50)],
        ),
        code_cell(
            "x",
            cell_id="c2",
            count=2,
            outputs=[
                {
                    "output_type": "execute_result",
                    "execution_count": 2,
                    "metadata": {},
                    "data": {"text/plain": "1", "image/png": "iVBORw0KGgo=" * (size // 12)},
                }
            ],
        ),
    )


@pytest.fixture
def filtered_repo(git_repo: Path) -> Path:
    result = run_nbcollab("install", "--no-diff", "--no-merge", cwd=git_repo)
    assert result.returncode == 0, result.stderr
    return git_repo


def staged(repo: Path, name: str) -> bytes:
    return subprocess.run(
        ["git", "cat-file", "blob", f":{name}"], cwd=repo, capture_output=True, check=True
    ).stdout


@pytest.mark.git
def test_git_add_stores_the_cleaned_notebook_and_keeps_the_working_file(
    filtered_repo: Path,
) -> None:
    path = write_notebook(filtered_repo / "nb.ipynb", notebook_with_outputs())
    working = path.read_bytes()
    git(filtered_repo, "add", "nb.ipynb")
    assert staged(filtered_repo, "nb.ipynb") == clean_bytes(working, path="nb.ipynb")
    assert path.read_bytes() == working
    git(filtered_repo, "commit", "-qm", "add")
    path.touch()
    assert git(filtered_repo, "status", "--porcelain").stdout == "?? .gitattributes\n"
    # An output-only change is no change at all for git.
    nb = notebook_with_outputs()
    nb["cells"][0]["outputs"] = [stream_output("other\n")]
    nb["cells"][0]["execution_count"] = 42
    write_notebook(path, nb)
    assert git(filtered_repo, "diff", "--stat").stdout == ""
    # git status trusts a changed file size without reading the file; `git add` settles it and
    # stages nothing.
    git(filtered_repo, "add", "nb.ipynb")
    assert git(filtered_repo, "status", "--porcelain", "nb.ipynb").stdout == ""
    assert git(filtered_repo, "diff", "--cached", "--stat").stdout == ""


@pytest.mark.git
def test_notebooks_larger_than_one_packet_pass_intact(filtered_repo: Path) -> None:
    dirty = write_notebook(filtered_repo / "dirty.ipynb", notebook_with_outputs(400_000))
    clean_nb = clean_notebook(notebook_with_outputs(300_000))
    clean = write_notebook(filtered_repo / "clean.ipynb", clean_nb)
    assert dirty.stat().st_size > 5 * MAX_PACKET_DATA and clean.stat().st_size > 4 * MAX_PACKET_DATA
    git(filtered_repo, "add", ".")
    assert staged(filtered_repo, "clean.ipynb") == clean.read_bytes()
    assert staged(filtered_repo, "dirty.ipynb") == clean_bytes(dirty.read_bytes(), path="d")
    assert len(staged(filtered_repo, "dirty.ipynb")) > MAX_PACKET_DATA


@pytest.mark.git
def test_invalid_notebook_is_stored_unchanged_and_git_keeps_working(filtered_repo: Path) -> None:
    bad = filtered_repo / "broken.ipynb"
    bad.write_bytes(b'{"cells": [\n<<<<<<< HEAD\n')
    added = git(filtered_repo, "add", "broken.ipynb")
    assert "broken.ipynb" in added.stderr and "not cleaned" in added.stderr
    assert staged(filtered_repo, "broken.ipynb") == bad.read_bytes()
    git(filtered_repo, "commit", "-qm", "broken")
    bad.write_bytes(b'{"cells": [\n=======\n')
    assert git(filtered_repo, "status", "--porcelain", "broken.ipynb").stdout == " M broken.ipynb\n"
    assert "=======" in git(filtered_repo, "diff").stdout
    git(filtered_repo, "stash", "-q")
    assert bad.read_bytes() == b'{"cells": [\n<<<<<<< HEAD\n'
    check = run_nbcollab("clean", "--check", "broken.ipynb", cwd=filtered_repo)
    assert check.returncode == 2 and b"broken.ipynb:2: holds git's conflict markers" in check.stderr
    staged_check = run_nbcollab("clean", "--check", "--staged", cwd=filtered_repo)
    assert staged_check.returncode == 0  # nothing staged now
    git(filtered_repo, "stash", "pop", "-q")
    git(filtered_repo, "add", "broken.ipynb")
    staged_check = run_nbcollab("clean", "--check", "--staged", cwd=filtered_repo)
    assert staged_check.returncode == 2 and b"broken.ipynb" in staged_check.stderr


@pytest.mark.git
def test_each_folder_follows_its_own_pyproject(filtered_repo: Path) -> None:
    (filtered_repo / "keep").mkdir()
    (filtered_repo / "keep" / "pyproject.toml").write_text(
        "[tool.nbcollab.clean]\nkeep-outputs = true\n"
    )
    for folder in ("keep", "."):
        write_notebook(filtered_repo / folder / "nb.ipynb", notebook_with_outputs())
    git(filtered_repo, "add", ".")
    assert json.loads(staged(filtered_repo, "keep/nb.ipynb"))["cells"][0]["outputs"]
    assert not json.loads(staged(filtered_repo, "nb.ipynb"))["cells"][0]["outputs"]


@pytest.mark.git
def test_a_bad_config_cleans_with_the_defaults_and_warns(filtered_repo: Path) -> None:
    (filtered_repo / "pyproject.toml").write_text("[tool.nbcollab.clean]\nkeep-outptus = true\n")
    write_notebook(filtered_repo / "nb.ipynb", notebook_with_outputs())
    added = git(filtered_repo, "add", "nb.ipynb")
    assert "keep-outptus" in added.stderr and "default options" in added.stderr
    assert not json.loads(staged(filtered_repo, "nb.ipynb"))["cells"][0]["outputs"]
    check = run_nbcollab("clean", "--check", "--staged", cwd=filtered_repo)
    assert check.returncode == 2 and b"keep-outptus" in check.stderr  # the hook refuses it


@pytest.mark.git
def test_per_file_clean_filter_serves_clients_without_the_process(filtered_repo: Path) -> None:
    git(filtered_repo, "config", "--unset", "filter.nbcollab.process")
    write_notebook(filtered_repo / "my nb.ipynb", notebook_with_outputs())
    (filtered_repo / "bad.ipynb").write_bytes(b"{oops")
    added = git(filtered_repo, "add", ".")
    assert "bad.ipynb" in added.stderr
    assert not json.loads(staged(filtered_repo, "my nb.ipynb"))["cells"][0]["outputs"]
    assert staged(filtered_repo, "bad.ipynb") == b"{oops"


@pytest.mark.git
def test_uninstall_restores_plain_git(filtered_repo: Path) -> None:
    path = write_notebook(filtered_repo / "nb.ipynb", notebook_with_outputs())
    assert run_nbcollab("uninstall", cwd=filtered_repo).returncode == 0
    git(filtered_repo, "add", "nb.ipynb")
    assert staged(filtered_repo, "nb.ipynb") == path.read_bytes()
    assert git(filtered_repo, "check-attr", "filter", "nb.ipynb").stdout.endswith("unspecified\n")


@settings(max_examples=60, deadline=None)
@given(contents=st.lists(st.binary(max_size=3 * MAX_PACKET_DATA), max_size=4))
def test_smudge_is_the_identity_for_any_bytes(contents: list[bytes]) -> None:
    out, err = run_session(b"".join(request("smudge", f"f{i}", c) for i, c in enumerate(contents)))
    read_handshake_reply(out)
    assert [read_response(out)[1] for _ in contents] == contents
    assert out.read() == b"" and err == ""


@requires_corpus
@pytest.mark.corpus
@pytest.mark.git
def test_git_add_of_the_whole_corpus_through_the_filter(filtered_repo: Path) -> None:
    """One git add, one filter process: every blob is the cleaned file, or the file untouched."""
    notebooks = corpus_notebooks()
    for path in notebooks:
        copy_to(filtered_repo, path)
    added = git(filtered_repo, "add", ".")
    unreadable = 0
    for path in notebooks:
        data = path.read_bytes()
        try:
            expected = clean_bytes(data, path=path.name) or data
        except InvalidNotebook:
            expected, unreadable = data, unreadable + 1
            assert path.name in added.stderr
        assert staged(filtered_repo, path.name) == expected, path.name
    assert added.stderr.count("nbcollab: warning:") == unreadable
