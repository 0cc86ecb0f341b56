"""clean: the core on dicts (table-driven), its invariants (hypothesis) and the CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from helpers import code_cell, git, make_notebook, markdown_cell, run_nbcollab, write_notebook
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from nbcollab.clean.strip import (
    DEFAULT_STRIP_KEYS,
    clean_bytes,
    clean_notebook,
    needs_cleaning,
    repair_cell_ids,
)
from nbcollab.cli.app import app
from nbcollab.errors import InvalidNotebook
from nbcollab.notebook.codec import parse_notebook, serialize_notebook
from nbcollab.options import CleanOptions

runner = CliRunner()

PNG = {
    "output_type": "display_data",
    "metadata": {},
    "data": {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"},
}
STREAM = {"output_type": "stream", "name": "stdout", "text": "hello\n"}
ERROR = {"output_type": "error", "ename": "E", "evalue": "x", "traceback": []}
RESULT = {
    "output_type": "execute_result",
    "execution_count": 4,
    "metadata": {},
    "data": {"text/plain": "4"},
}


def one_cell(**options: Any) -> dict[str, Any]:
    """The single cell of a cleaned one-cell notebook with every kind of output."""
    nb = make_notebook(
        code_cell(
            "x",
            count=4,
            cell_id="a",
            outputs=[PNG, STREAM, ERROR, RESULT],
            **options.pop("metadata", {}),
        )
    )
    return clean_notebook(nb, options=CleanOptions(**options))["cells"][0]


def kinds(cell: dict[str, Any]) -> list[str]:
    return [o["output_type"] + ":" + ",".join(sorted(o.get("data", {}))) for o in cell["outputs"]]


# -- outputs and counts: one table --------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, []),
        (
            {"keep_outputs": True},
            ["display_data:image/png,text/plain", "stream:", "error:", "execute_result:text/plain"],
        ),
        (
            {"metadata": {"tags": ["keep_output"]}},
            ["display_data:image/png,text/plain", "stream:", "error:", "execute_result:text/plain"],
        ),
        (
            {
                "metadata": {"tags": ["mine"]},
                "keep_output_tag": "mine",
                "drop_output_types": ("error",),
            },
            ["display_data:image/png,text/plain", "stream:", "execute_result:text/plain"],
        ),
        (
            {"keep_outputs": True, "drop_output_types": ("image/png",)},
            ["display_data:text/plain", "stream:", "error:", "execute_result:text/plain"],
        ),
        ({"keep_output_types": ("stream",)}, ["stream:"]),
        (
            {"keep_output_types": ("text/plain",)},
            ["display_data:text/plain", "execute_result:text/plain"],
        ),
        ({"keep_output_types": ("image/png", "error")}, ["display_data:image/png", "error:"]),
        ({"keep_outputs": True, "max_output_bytes": 90}, ["stream:", "error:"]),
    ],
    ids=[
        "default",
        "keep-all",
        "tag",
        "custom-tag-drop-error",
        "drop-mime",
        "keep-stream",
        "keep-mime",
        "keep-mixed",
        "size-limit",
    ],
)
def test_outputs_kept_and_dropped(options: dict[str, Any], expected: list[str]) -> None:
    assert kinds(one_cell(**options)) == expected


def test_execution_counts_are_cleared_unless_kept() -> None:
    cleaned = one_cell(keep_outputs=True)
    assert cleaned["execution_count"] is None and cleaned["outputs"][3]["execution_count"] is None
    kept = one_cell(keep_outputs=True, keep_execution_count=True)
    assert kept["execution_count"] == 4 and kept["outputs"][3]["execution_count"] == 4


def test_notebook_level_opt_out_keeps_outputs_unless_a_cell_says_otherwise() -> None:
    nb = make_notebook(
        code_cell("x", outputs=[STREAM], cell_id="a"),
        code_cell("y", outputs=[STREAM], cell_id="b", keep_output=False),
        metadata={"keep_output": True},
    )
    cleaned = clean_notebook(nb)["cells"]
    assert cleaned[0]["outputs"] == [STREAM] and cleaned[1]["outputs"] == []


def test_a_cells_own_keep_output_wins_over_its_tag() -> None:
    nb = make_notebook(
        code_cell("x", outputs=[STREAM], cell_id="a", tags=["keep_output"], keep_output=False),
        code_cell("y", outputs=[STREAM], cell_id="b", keep_output=True),
    )
    cleaned = clean_notebook(nb)["cells"]
    assert cleaned[0]["outputs"] == [] and cleaned[1]["outputs"] == [STREAM]


# -- metadata ----------------------------------------------------------------------------------

VOLATILE_CELL = {
    "collapsed": True,
    "scrolled": "auto",
    "ExecuteTime": {"end_time": "x"},
    "execution": {"iopub.status.idle": "x"},
    "heading_collapsed": True,
    "hidden": True,
}
KEPT_CELL = {"tags": ["keep_output", "a"], "jupyter": {"source_hidden": True}, "slideshow": {}}


def dirty_metadata_notebook() -> dict[str, Any]:
    return make_notebook(
        code_cell("x", cell_id="a", **VOLATILE_CELL, **KEPT_CELL),
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python", "version": "3.11.7", "mimetype": "text/x-python"},
            "signature": "sha256:abc",
            "widgets": {"application/vnd.jupyter.widget-state+json": {"state": {}}},
            "celltoolbar": "Tags",
        },
    )


def test_volatile_metadata_goes_and_meaningful_metadata_stays() -> None:
    cleaned = clean_notebook(dirty_metadata_notebook())
    assert cleaned["cells"][0]["metadata"] == KEPT_CELL
    assert cleaned["cells"][0]["id"] == "a"
    assert cleaned["metadata"] == {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python", "mimetype": "text/x-python"},
        "celltoolbar": "Tags",
    }


def test_extra_keys_and_keep_keys() -> None:
    options = CleanOptions(
        extra_keys=("metadata.celltoolbar", "cell.metadata.jupyter.source_hidden"),
        keep_keys=("metadata.widgets", "cell.metadata.collapsed"),
    )
    cleaned = clean_notebook(dirty_metadata_notebook(), options=options)
    assert "celltoolbar" not in cleaned["metadata"] and "widgets" in cleaned["metadata"]
    assert cleaned["cells"][0]["metadata"]["collapsed"] is True
    assert cleaned["cells"][0]["metadata"]["jupyter"] == {}


def test_default_strip_keys_name_cell_or_notebook_metadata() -> None:
    assert all(key.startswith(("cell.metadata.", "metadata.")) for key in DEFAULT_STRIP_KEYS)


def test_attachments_survive() -> None:
    cell = markdown_cell("![x](attachment:x.png)", cell_id="m")
    cell["attachments"] = {"x.png": {"image/png": "iVBOR"}}
    assert clean_notebook(make_notebook(cell))["cells"][0]["attachments"] == cell["attachments"]


def test_drop_empty_cells() -> None:
    nb = make_notebook(
        code_cell("  \n", cell_id="a", outputs=[STREAM]),
        markdown_cell("", cell_id="b"),
        code_cell("x", cell_id="c"),
    )
    cleaned = clean_notebook(nb, options=CleanOptions(drop_empty_cells=True))
    assert [c["id"] for c in cleaned["cells"]] == ["c"]


def test_clean_does_not_touch_its_input() -> None:
    nb = dirty_metadata_notebook()
    before = json.dumps(nb, sort_keys=True)
    clean_notebook(nb)
    assert json.dumps(nb, sort_keys=True) == before


# -- cell ids ----------------------------------------------------------------------------------


def test_ids_are_repaired_deterministically_in_4_5() -> None:
    nb = make_notebook(
        code_cell("x"),
        code_cell("x"),
        markdown_cell("y", cell_id="dup"),
        markdown_cell("z", cell_id="dup"),
        code_cell("w", cell_id="bad id!"),
    )
    first, second = clean_notebook(nb), clean_notebook(nb)
    ids = [c["id"] for c in first["cells"]]
    assert ids == [c["id"] for c in second["cells"]]
    assert len(set(ids)) == 5 and ids[2] == "dup"
    assert ids[1] == ids[0] + "-1"


def test_a_new_id_does_not_depend_on_other_cells() -> None:
    alone = clean_notebook(make_notebook(code_cell("x = 1")))["cells"][0]["id"]
    edited = clean_notebook(make_notebook(markdown_cell("new", cell_id="n"), code_cell("x = 1")))
    assert edited["cells"][1]["id"] == alone


@pytest.mark.parametrize("minor", [0, 4])
def test_ids_are_never_added_before_4_5(minor: int) -> None:
    cleaned = clean_notebook(make_notebook(code_cell("x"), minor=minor))
    assert "id" not in cleaned["cells"][0]


def test_repair_keeps_valid_ids() -> None:
    cells = [{"cell_type": "code", "id": "keep-me_1", "source": ""}]
    repair_cell_ids(cells)
    assert cells[0]["id"] == "keep-me_1"


# -- v3 ----------------------------------------------------------------------------------------


def v3_notebook() -> dict[str, Any]:
    return {
        "metadata": {"name": "", "signature": "sha256:x"},
        "nbformat": 3,
        "nbformat_minor": 0,
        "worksheets": [
            {
                "metadata": {},
                "cells": [
                    {
                        "cell_type": "code",
                        "collapsed": False,
                        "input": "1",
                        "language": "python",
                        "metadata": {"scrolled": True},
                        "prompt_number": 1,
                        "outputs": [
                            {
                                "output_type": "pyout",
                                "prompt_number": 1,
                                "metadata": {},
                                "text": "1",
                            }
                        ],
                    },
                    {"cell_type": "markdown", "metadata": {}, "source": "# t"},
                ],
            }
        ],
    }


def test_v3_is_cleaned_in_v3_form() -> None:
    cleaned = clean_notebook(v3_notebook())
    code = cleaned["worksheets"][0]["cells"][0]
    assert cleaned["nbformat"] == 3 and "cells" not in cleaned
    assert code["outputs"] == [] and "prompt_number" not in code and code["metadata"] == {}
    assert "signature" not in cleaned["metadata"]


def test_v3_kept_outputs_keep_the_prompt_number_their_schema_requires() -> None:
    cleaned = clean_notebook(v3_notebook(), options=CleanOptions(keep_outputs=True))
    code = cleaned["worksheets"][0]["cells"][0]
    assert "prompt_number" not in code and code["outputs"][0]["prompt_number"] == 1


# -- bytes: only what changes is rewritten, idempotence ----------------------------------------


def test_clean_bytes_is_none_for_a_clean_file_in_any_layout() -> None:
    cleaned = clean_bytes(serialize_notebook(dirty_metadata_notebook()).encode(), path="a")
    assert cleaned is not None and clean_bytes(cleaned, path="a") is None
    reindented = json.dumps(json.loads(cleaned), indent=2).encode()
    assert clean_bytes(reindented, path="a") is None


def test_needs_cleaning_says_what_clean_bytes_would_do() -> None:
    dirty = serialize_notebook(dirty_metadata_notebook()).encode()
    cleaned = clean_bytes(dirty, path="a")
    assert cleaned is not None and needs_cleaning(dirty, path="a")
    assert not needs_cleaning(cleaned, path="a")
    with pytest.raises(InvalidNotebook, match="a:1:2: not valid JSON"):
        needs_cleaning(b"{", path="a")


def test_a_dotted_key_is_stripped_however_the_metadata_holds_it() -> None:
    options = CleanOptions(extra_keys=("cell.metadata.a.b.c",))
    for metadata, kept in [
        ({"a.b.c": 1, "x": 2}, {"x": 2}),  # the whole key, as nbstripout tries first
        ({"a": {"b.c": 1, "d": 2}}, {"a": {"d": 2}}),
        ({"a.b": {"c": 1}}, {"a.b": {}}),
        ({"a": {"b": {"c": 1}}}, {"a": {"b": {}}}),
        ({"x": {"a": {"b": {"c": 1}}}}, {"x": {"a": {"b": {"c": 1}}}}),  # not below the top
    ]:
        nb = make_notebook(code_cell("x", cell_id="i", **metadata))
        assert clean_notebook(nb, options=options)["cells"][0]["metadata"] == kept, metadata


text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)
outputs = st.lists(st.sampled_from([PNG, STREAM, ERROR, RESULT]), max_size=3)
cell_ids = st.one_of(st.none(), st.sampled_from(["a", "b", "bad id", ""]))
cells = st.lists(
    st.one_of(
        st.builds(
            lambda s, o, n, i, m: code_cell(s, outputs=o, count=n, cell_id=i, **m),
            text,
            outputs,
            st.one_of(st.none(), st.integers(0, 99)),
            cell_ids,
            st.fixed_dictionaries(
                {},
                optional={
                    "collapsed": st.booleans(),
                    "tags": st.lists(st.sampled_from(["keep_output", "x"]), max_size=2),
                },
            ),
        ),
        st.builds(lambda s, i: markdown_cell(s, cell_id=i), text, cell_ids),
    ),
    max_size=6,
)
option_sets = st.builds(
    CleanOptions,
    keep_outputs=st.booleans(),
    keep_execution_count=st.booleans(),
    keep_output_types=st.lists(
        st.sampled_from(["stream", "text/plain", "image/png"]), max_size=2
    ).map(tuple),
    drop_empty_cells=st.booleans(),
    max_output_bytes=st.one_of(st.none(), st.integers(0, 200)),
)


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cells=cells, minor=st.sampled_from([4, 5]), options=option_sets)
def test_clean_is_idempotent_on_bytes(cells: list, minor: int, options: CleanOptions) -> None:
    data = serialize_notebook(make_notebook(*cells, minor=minor)).encode()
    before = parse_notebook(data)
    unchanged = clean_notebook(before, options=options) == before
    assert (clean_bytes(data, path="x", options=options) is None) == unchanged
    assert needs_cleaning(data, path="x", options=options) == (not unchanged)
    once = clean_bytes(data, path="x", options=options) or data
    assert clean_bytes(once, path="x", options=options) is None
    parsed = parse_notebook(once)
    assert clean_notebook(parsed, options=options) == parsed
    if minor == 5:
        ids = [c["id"] for c in parsed["cells"]]
        assert len(set(ids)) == len(ids)


# -- the command line --------------------------------------------------------------------------


def invoke(cwd: Path, *args: str, input: bytes | None = None) -> Any:
    old = Path.cwd()
    os.chdir(cwd)
    try:
        return runner.invoke(app, list(args), input=input)
    finally:
        os.chdir(old)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write_notebook(tmp_path / "dirty.ipynb", dirty_metadata_notebook())
    (tmp_path / "sub" / ".ipynb_checkpoints").mkdir(parents=True)
    clean_nb = clean_notebook(make_notebook(code_cell("x", cell_id="a")))
    write_notebook(tmp_path / "sub" / "clean.ipynb", clean_nb)
    write_notebook(tmp_path / "sub" / ".ipynb_checkpoints" / "x.ipynb", dirty_metadata_notebook())
    return tmp_path


@pytest.mark.slow
def test_check_lists_what_would_change_and_changes_nothing(folder: Path) -> None:
    before = (folder / "dirty.ipynb").read_bytes()
    result = invoke(folder, "clean", "--check", ".")
    assert result.exit_code == 1
    assert result.output == "would clean dirty.ipynb\n"
    assert (folder / "dirty.ipynb").read_bytes() == before


def test_clean_rewrites_only_changed_files(folder: Path) -> None:
    clean_file = folder / "sub" / "clean.ipynb"
    os.utime(clean_file, (1, 1))
    result = invoke(folder, "clean", ".")
    assert result.exit_code == 0 and result.output == "cleaned dirty.ipynb\n"
    assert clean_file.stat().st_mtime == 1
    assert invoke(folder, "clean", "--check", ".").exit_code == 0


@pytest.mark.slow
def test_stdin_to_stdout() -> None:
    data = serialize_notebook(dirty_metadata_notebook()).encode()
    done = run_nbcollab("clean", "--stdin", input=data)
    assert done.returncode == 0 and done.stdout == clean_bytes(data, path="-")
    assert run_nbcollab("clean", "-", input=done.stdout).stdout == done.stdout


@pytest.mark.slow
def test_invalid_json_exits_2_and_leaves_the_file_alone(folder: Path) -> None:
    bad = folder / "bad.ipynb"
    bad.write_bytes(b'{"cells": [1,\n  ]')
    result = run_nbcollab("clean", "bad.ipynb", "dirty.ipynb", cwd=folder)
    assert result.returncode == 2
    assert b"bad.ipynb:2:3: not valid JSON" in result.stderr
    assert bad.read_bytes() == b'{"cells": [1,\n  ]'
    assert b"cleaned dirty.ipynb" in result.stdout  # the other files are still cleaned
    assert run_nbcollab("clean", "--stdin", input=b"nope").returncode == 2


def test_options_from_pyproject_and_flags(folder: Path) -> None:
    (folder / "pyproject.toml").write_text("[tool.nbcollab.clean]\nkeep-outputs = true\n")
    nb = make_notebook(code_cell("x", cell_id="a", count=1, outputs=[STREAM]))
    write_notebook(folder / "out.ipynb", nb)
    invoke(folder, "clean", "out.ipynb")
    assert json.loads((folder / "out.ipynb").read_text())["cells"][0]["outputs"]
    (folder / "pyproject.toml").write_text("[tool.nbcollab.clean]\nkeep-outptus = true\n")
    result = invoke(folder, "clean", "out.ipynb")
    assert result.exit_code == 2 and "keep-outptus" in result.output


def test_bad_key_path_is_a_usage_error(folder: Path) -> None:
    result = invoke(folder, "clean", "--extra-key", "outputs", "dirty.ipynb")
    assert result.exit_code == 2 and "cell.metadata.NAME" in result.output


def test_staged_needs_check(folder: Path) -> None:
    assert invoke(folder, "clean", "--staged").exit_code == 2


@pytest.mark.slow
def test_stdin_with_paths_is_a_usage_error(folder: Path) -> None:
    before = (folder / "dirty.ipynb").read_bytes()
    result = run_nbcollab("clean", "--stdin", "dirty.ipynb", cwd=folder, input=b"")
    assert result.returncode == 2 and b"--stdin" in result.stderr
    assert (folder / "dirty.ipynb").read_bytes() == before


@pytest.mark.slow
def test_check_on_stdin_says_and_writes_nothing(folder: Path) -> None:
    dirty = (folder / "dirty.ipynb").read_bytes()
    result = run_nbcollab("clean", "--check", "--stdin", input=dirty)
    assert result.returncode == 1 and result.stdout == b"would clean <stdin>\n"
    clean = run_nbcollab("clean", "-", input=dirty).stdout
    assert run_nbcollab("clean", "--check", "-", input=clean).returncode == 0


@pytest.mark.slow
def test_staged_check_outside_a_repository_says_so(folder: Path) -> None:
    result = run_nbcollab("clean", "--check", "--staged", cwd=folder)
    assert result.returncode == 2
    assert (
        result.stderr.decode().strip() == f"nbcollab: error: {folder}: not inside a git repository"
    )


@pytest.mark.git
def test_check_staged_reads_the_index_not_the_working_file(git_repo: Path) -> None:
    nb = dirty_metadata_notebook()
    write_notebook(git_repo / "a.ipynb", clean_notebook(nb))
    write_notebook(git_repo / "b.ipynb", nb)
    git(git_repo, "add", ".")
    write_notebook(git_repo / "a.ipynb", nb)  # dirty working file, clean blob
    write_notebook(git_repo / "b.ipynb", clean_notebook(nb))  # clean working file, dirty blob
    result = run_nbcollab("clean", "--check", "--staged", cwd=git_repo)
    assert result.returncode == 1 and result.stdout == b"would clean b.ipynb (staged)\n"
    (git_repo / "sub").mkdir()
    result = run_nbcollab(
        "clean", "--check", "--staged", "../a.ipynb", "../missing.ipynb", cwd=git_repo / "sub"
    )
    assert result.returncode == 2 and b"../missing.ipynb: not staged" in result.stderr
    # A folder means the staged notebooks below it, as without --staged.
    (git_repo / "sub" / "deep").mkdir()
    write_notebook(git_repo / "sub" / "deep" / "c.ipynb", nb)
    git(git_repo, "add", "sub")
    result = run_nbcollab("clean", "--check", "--staged", "sub", cwd=git_repo)
    assert result.returncode == 1
    assert result.stdout == b"would clean sub/deep/c.ipynb (staged)\n", result.stderr


def test_each_notebook_follows_its_own_folders_pyproject(folder: Path) -> None:
    (folder / "sub" / "pyproject.toml").write_text("[tool.nbcollab.clean]\nkeep-outputs = true\n")
    nb = make_notebook(code_cell("x", cell_id="a", count=1, outputs=[STREAM]))
    write_notebook(folder / "top.ipynb", nb)
    write_notebook(folder / "sub" / "kept.ipynb", nb)
    invoke(folder, "clean", "top.ipynb", "sub/kept.ipynb")
    assert not json.loads((folder / "top.ipynb").read_text())["cells"][0]["outputs"]
    assert json.loads((folder / "sub" / "kept.ipynb").read_text())["cells"][0]["outputs"]
    # Flags still override every folder's file.
    invoke(folder, "clean", "--drop-output-type", "stream", "sub/kept.ipynb")
    assert not json.loads((folder / "sub" / "kept.ipynb").read_text())["cells"][0]["outputs"]


@pytest.mark.git
def test_staged_check_agrees_with_the_filter_in_every_folder(git_repo: Path) -> None:
    """The hook must not refuse what the filter stored under a folder's own options."""
    assert run_nbcollab("install", "--no-diff", "--no-merge", cwd=git_repo).returncode == 0
    (git_repo / "keep").mkdir()
    (git_repo / "keep" / "pyproject.toml").write_text(
        "[tool.nbcollab.clean]\nkeep-outputs = true\n"
    )
    nb = make_notebook(code_cell("x", cell_id="a", count=1, outputs=[STREAM]))
    write_notebook(git_repo / "keep" / "nb.ipynb", nb)
    write_notebook(git_repo / "nb.ipynb", nb)
    git(git_repo, "add", ".")
    result = run_nbcollab("clean", "--check", "--staged", cwd=git_repo)
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_output_at_the_size_cap_is_measured_as_written() -> None:
    # Its execution count is cleared by the clean: measured before that, a second clean dropped it.
    output = {
        "data": {"text/plain": "4"},
        "execution_count": 4,
        "metadata": {},
        "output_type": "execute_result",
    }
    written = len(json.dumps({**output, "execution_count": None}, ensure_ascii=False).encode())
    nb = make_notebook(code_cell("", outputs=[output], count=None, cell_id="a"))
    options = CleanOptions(keep_outputs=True, max_output_bytes=written)
    once = clean_bytes(json.dumps(nb).encode(), path="x", options=options)
    assert once is not None and json.loads(once)["cells"][0]["outputs"]
    assert clean_bytes(once, path="x", options=options) is None
