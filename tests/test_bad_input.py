"""Bad input never crashes, hangs or escapes: every command names the file, exits 2, writes nothing.

Git's entry points have their own contract: the filter and the textconv pass what they cannot read
through unchanged (one warning), the merge driver falls back to a line merge.
"""

from __future__ import annotations

import copy
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
from helpers import (
    code_cell,
    git,
    make_notebook,
    markdown_cell,
    run_nbcollab,
    stream_output,
    write_notebook,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from nbcollab.cli.app import app
from nbcollab.git.filter import read_content, read_text_list, serve, write_content
from nbcollab.git.filter import write_text_list as write_list
from nbcollab.git.textconv import textconv_bytes
from nbcollab.options import CleanOptions

# -- the inputs reported as escaping -------------------------------------------------------------


def _nb(cells: str = "[]", metadata: str = "{}") -> bytes:
    return (
        f'{{"cells": {cells}, "metadata": {metadata}, "nbformat": 4, "nbformat_minor": 5}}'.encode()
    )


def _with_output(output: str) -> bytes:
    return _nb(
        '[{"cell_type": "code", "execution_count": null, "id": "a", "metadata": {}, '
        f'"outputs": [{output}], "source": "x"}}]'
    )


BAD_NOTEBOOKS = {
    "huge-int": (_nb(metadata='{"n": ' + "1" * 5000 + "}"), "a number too long"),
    "output-type-list": (_with_output('{"output_type": ["stream"], "text": "a"}'), "output 1"),
    "output-type-dict": (_with_output('{"output_type": {"a": 1}}'), "output 1"),
    "stream-text-items": (
        _with_output('{"output_type": "stream", "name": "stdout", "text": ["a", 1]}'),
        "'text'",
    ),
    "nested-400": (_nb(metadata='{"n": ' + "[" * 400 + "]" * 400 + "}"), "nested more than"),
    "nested-1000": (_nb(metadata='{"n": ' + "[" * 1000 + "]" * 1000 + "}"), "nested more than"),
    "record-not-object": (_nb(metadata='{"nbcollab": ["x"]}'), "'nbcollab' is not an object"),
}


def _commands(path: Path, good: Path) -> list[list[str]]:
    """Every command that reads notebooks, with ``path`` in the place of the broken one."""
    return [
        ["clean", str(path)],
        ["clean", "--check", str(path)],
        ["diff", str(path), str(good)],
        ["diff", str(good), str(path)],
        ["merge", str(good), str(path), str(good)],
        ["merge", str(path), str(good), str(good)],
        ["conflicts", str(path)],
        ["resolve", "--ours", str(path)],
        ["trust", "check", str(path)],
        ["trust", "sign", str(path)],
    ]


def _assert_one_error_line(args: list[str], result: Any, path: Path) -> None:
    output = result.output
    assert result.exit_code == 2, (args, output)
    assert output.count("\n") == 1, (args, output)
    assert output.startswith(f"nbcollab: error: {path}"), (args, output)
    assert "internal error" not in output and "Traceback" not in output, (args, output)


@pytest.mark.parametrize("name", sorted(BAD_NOTEBOOKS))
def test_each_command_names_the_file_and_exits_2(tmp_path: Path, name: str) -> None:
    data, message = BAD_NOTEBOOKS[name]
    path = tmp_path / "bad.ipynb"
    path.write_bytes(data)
    good = write_notebook(tmp_path / "good.ipynb", make_notebook(code_cell("x", cell_id="a")))
    for args in _commands(path, good):
        result = CliRunner().invoke(app, args)
        _assert_one_error_line(args, result, path)
        assert message in result.output, (args, result.output)
        assert path.read_bytes() == data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.ipynb", "good.ipynb"]


@pytest.mark.parametrize("name", sorted(BAD_NOTEBOOKS))
def test_filter_passes_it_through_with_one_warning_and_textconv_shows_it(name: str) -> None:
    data, message = BAD_NOTEBOOKS[name]
    (status, content), err = _filter([data])[0], _filter([data], err_only=True)
    assert status == ["status=success"] and content == data
    assert err.count("\n") == 1 and "bad0.ipynb" in err and message in err
    assert textconv_bytes(data, path="bad.ipynb", options=CleanOptions()) == data


@pytest.mark.slow
@pytest.mark.parametrize("name", ["huge-int", "output-type-list"])
def test_one_file_filter_passes_it_through(tmp_path: Path, name: str) -> None:
    data, message = BAD_NOTEBOOKS[name]
    done = run_nbcollab("filter-clean", "bad.ipynb", cwd=tmp_path, input=data)
    assert done.returncode == 0 and done.stdout == data
    assert done.stderr.decode().count("\n") == 1 and b"Traceback" not in done.stderr
    assert message.encode() in done.stderr


@pytest.mark.git
@pytest.mark.slow
def test_git_add_diff_and_stash_keep_working_on_such_files(git_repo: Path) -> None:
    assert run_nbcollab("install", cwd=git_repo).returncode == 0
    files = {f"{name}.ipynb": data for name, (data, _) in BAD_NOTEBOOKS.items()}
    for name, data in files.items():
        (git_repo / name).write_bytes(data)
    added = git(git_repo, "add", ".")
    assert added.stderr.count("nbcollab: warning:") == len(files)
    git(git_repo, "commit", "-qm", "odd files")
    for name, data in files.items():
        (git_repo / name).write_bytes(data.replace(b"}", b"} ", 1))
    assert git(git_repo, "diff").returncode == 0
    git(git_repo, "stash", "-q")
    assert all((git_repo / name).read_bytes() == data for name, data in files.items())
    assert git(git_repo, "status", "--porcelain").stdout == ""


def test_a_filter_bug_passes_the_file_through_with_one_warning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import nbcollab.clean.strip

    def broken(data: bytes, **_: Any) -> Any:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(nbcollab.clean.strip, "clean_file", broken)  # what the filter calls
    data = _nb()
    assert _filter([data])[0] == (["status=success"], data)
    err = _filter([data], err_only=True)
    assert err.count("\n") == 1 and "internal error" in err and "not cleaned" in err


# -- the filter protocol, in memory ---------------------------------------------------------------


def _pkt(text: str) -> bytes:
    return b"%04x" % (len(text) + 4) + text.encode()


_HANDSHAKE = (
    _pkt("git-filter-client\n")
    + _pkt("version=2\n")
    + b"0000"
    + _pkt("capability=clean\n")
    + b"0000"
)


def _filter(contents: list[bytes], *, err_only: bool = False) -> Any:
    """Send ``contents`` through one filter session: [(status, content)], or its stderr."""
    payload = io.BytesIO()
    payload.write(_HANDSHAKE)
    for index, content in enumerate(contents):
        write_list(payload, "command=clean", f"pathname=bad{index}.ipynb")
        write_content(payload, content)
    out, err = io.BytesIO(), io.StringIO()
    serve(io.BytesIO(payload.getvalue()), out, err, lambda path: CleanOptions())
    if err_only:
        return err.getvalue()
    out.seek(0)
    read_text_list(out), read_text_list(out)
    answers = []
    for _ in contents:
        status = read_text_list(out)
        answers.append((status, read_content(out) if status == ["status=success"] else None))
        if status == ["status=success"]:
            read_text_list(out)
    return answers


# -- property tests: arbitrary bytes, arbitrary JSON, notebooks with one field broken -------------

_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=6)
)
json_values = st.recursive(
    _leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=10,
)
_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12) | st.sampled_from(
    ["<<<<<<< ours\na\n=======\nb\n>>>>>>> theirs\n", "\x1b[31mred\x1b[0m\n", "line\r\n"]
)
_outputs = st.lists(
    st.one_of(
        _text.map(stream_output),
        st.builds(
            lambda t: {
                "output_type": "display_data",
                "metadata": {},
                "data": {"text/plain": t, "image/png": "iVBOR"},
            },
            _text,
        ),
        st.builds(
            lambda t, n: {
                "output_type": "execute_result",
                "execution_count": n,
                "metadata": {},
                "data": {"text/plain": [t, "x"]},
            },
            _text,
            st.integers(0, 9),
        ),
        st.just({"output_type": "error", "ename": "E", "evalue": "v", "traceback": ["t"]}),
    ),
    max_size=2,
)
_cells = st.lists(
    st.one_of(
        st.builds(
            lambda s, o, i: code_cell(s, outputs=o, count=1, cell_id=i, tags=["t"]),
            _text,
            _outputs,
            st.sampled_from(["a", "b", "c"]),
        ),
        st.builds(lambda s, i: markdown_cell(s, cell_id=i), _text, st.sampled_from(["a", "d"])),
    ),
    max_size=3,
)
valid_notebooks = st.builds(lambda cells: make_notebook(*cells), _cells)


def _places(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    places = [prefix]
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, child in items:
        places.extend(_places(child, (*prefix, key)))
    return places


@st.composite
def broken_notebooks(draw: st.DrawFn) -> dict[str, Any]:
    """A valid notebook with one value, anywhere in it, replaced by arbitrary JSON."""
    nb = copy.deepcopy(draw(valid_notebooks))  # drawn values may be shared (st.just)
    place = draw(st.sampled_from(_places(nb)[1:]))
    holder = nb
    for key in place[:-1]:
        holder = holder[key]
    holder[place[-1]] = draw(json_values)
    return nb


def _dump(nb: Any) -> bytes:
    return json.dumps(nb).encode()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    contents=st.lists(
        st.one_of(st.binary(max_size=200), json_values.map(_dump), broken_notebooks().map(_dump)),
        min_size=1,
        max_size=4,
    )
)
def test_the_filter_and_textconv_never_fail(contents: list[bytes]) -> None:
    for (status, content), data in zip(_filter(contents), contents):
        assert status == ["status=success"]
        assert content is not None
        if content != data:  # cleaned: what the cleaner makes of it, and a notebook again
            from nbcollab.notebook.codec import parse_notebook

            parse_notebook(content, path="cleaned.ipynb")
        assert isinstance(textconv_bytes(data, path="x.ipynb", options=CleanOptions()), bytes)
    assert _filter(contents, err_only=True).count("\n") <= len(contents)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    data=st.one_of(st.binary(max_size=100), json_values.map(_dump), broken_notebooks().map(_dump))
)
def test_every_command_exits_0_1_or_names_the_file(tmp_path_factory: Any, data: bytes) -> None:
    folder = tmp_path_factory.mktemp("nb")
    path = folder / "nb.ipynb"
    path.write_bytes(data)
    good = write_notebook(folder / "good.ipynb", make_notebook(code_cell("x", cell_id="a")))
    for args in [*_commands(path, good), ["textconv", str(path)]]:
        before = path.read_bytes()
        result = CliRunner().invoke(app, args)
        assert result.exit_code in (0, 1, 2), (args, result.output)
        assert "internal error" not in result.output and "Traceback" not in result.output
        if result.exit_code == 2:
            _assert_one_error_line(args, result, path)
            assert path.read_bytes() == before, args
    assert {p.name for p in folder.iterdir()} == {"nb.ipynb", "good.ipynb"}


@pytest.mark.slow
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.one_of(st.binary(max_size=100), broken_notebooks().map(_dump)))
def test_the_merge_driver_never_dies(tmp_path_factory: Any, data: bytes) -> None:
    from nbcollab.git.merge_driver import run_git_merge

    folder = tmp_path_factory.mktemp("merge")
    good = write_notebook(folder / "good.ipynb", make_notebook(code_cell("x", cell_id="a")))
    ours = folder / "ours.ipynb"
    ours.write_bytes(data)
    cwd = os.getcwd()
    try:
        os.chdir(folder)
        assert run_git_merge([str(good), str(ours), str(good), "7", "nb.ipynb"]) in (0, 1)
    finally:
        os.chdir(cwd)


@pytest.mark.slow
@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.one_of(st.binary(max_size=100), broken_notebooks().map(_dump)))
def test_as_processes_the_entry_points_pass_through_and_commands_say_one_line(
    tmp_path_factory: Any, data: bytes
) -> None:
    folder = tmp_path_factory.mktemp("proc")
    path = folder / "nb.ipynb"
    path.write_bytes(data)
    filtered = run_nbcollab("filter-clean", "nb.ipynb", cwd=folder, input=data)
    assert filtered.returncode == 0 and b"Traceback" not in filtered.stderr
    assert filtered.stderr.count(b"\n") <= 1
    textconv = run_nbcollab("textconv", "nb.ipynb", cwd=folder)
    assert textconv.returncode == 0 and textconv.stderr == b""
    check = run_nbcollab("clean", "--check", "nb.ipynb", cwd=folder)
    assert check.returncode in (0, 1, 2) and b"Traceback" not in check.stderr
    if check.returncode == 2:
        assert check.stderr.startswith(b"nbcollab: error: nb.ipynb")
        assert check.stderr.count(b"\n") == 1 and b"internal error" not in check.stderr
    assert path.read_bytes() == data
