"""clean as nbstripout and nb-clean behave: init cells, dotted keys, tagged cells, selectors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import code_cell, make_notebook, markdown_cell, write_notebook
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from nbcollab.clean.strip import clean_notebook
from nbcollab.cli.app import app
from nbcollab.options import CleanOptions

runner = CliRunner()
STDOUT = {"output_type": "stream", "name": "stdout", "text": "out\n"}
STDERR = {"output_type": "stream", "name": "stderr", "text": "warn\n"}
DATABRICKS = "application/vnd.databricks.v1+cell"


def cleaned(*cells: dict[str, Any], **options: Any) -> dict[str, Any]:
    return clean_notebook(make_notebook(*cells), options=CleanOptions(**options))


# -- init cells ---------------------------------------------------------------------------------


def test_init_cells_keep_their_outputs_by_default_as_nbstripout() -> None:
    nb = cleaned(
        code_cell("x", outputs=[STDOUT], count=1, init_cell=True),
        code_cell("y", outputs=[STDOUT], count=2),
    )
    assert [len(c["outputs"]) for c in nb["cells"]] == [1, 0]
    assert [c["execution_count"] for c in nb["cells"]] == [None, None]


def test_strip_init_cells_drops_them() -> None:
    nb = cleaned(code_cell("x", outputs=[STDOUT], init_cell=True), strip_init_cells=True)
    assert nb["cells"][0]["outputs"] == []


def test_strip_init_cells_on_the_command_line_and_in_the_config(tmp_path: Path) -> None:
    nb = make_notebook(code_cell("x", outputs=[STDOUT], cell_id="a", init_cell=True), metadata={})
    path = write_notebook(tmp_path / "n.ipynb", nb)
    assert runner.invoke(app, ["clean", "--check", str(path)]).exit_code == 0
    assert runner.invoke(app, ["clean", "--check", "--strip-init-cells", str(path)]).exit_code == 1
    (tmp_path / "pyproject.toml").write_text("[tool.nbcollab.clean]\nstrip-init-cells = true\n")
    result = runner.invoke(app, ["clean", str(path)])
    assert result.exit_code == 0, result.output
    assert json.loads(path.read_text())["cells"][0]["outputs"] == []


# -- keys with dots -----------------------------------------------------------------------------


def test_a_key_with_dots_is_stripped_whole() -> None:
    cell = code_cell("x", **{DATABRICKS: {"title": "t"}, "other": 1})
    nb = cleaned(cell, extra_keys=(f"cell.metadata.{DATABRICKS}",))
    assert nb["cells"][0]["metadata"] == {"other": 1}


def test_a_dotted_path_still_reaches_nested_keys() -> None:
    nb = clean_notebook(
        make_notebook(code_cell("x"), metadata={"a": {"b.c": {"d": 1, "e": 2}}}),
        options=CleanOptions(extra_keys=("metadata.a.b.c.d",)),
    )
    assert nb["metadata"] == {"a": {"b.c": {"e": 2}}}


def test_keep_key_names_a_dotted_default_key() -> None:
    nb = clean_notebook(
        make_notebook(code_cell("x"), metadata={"language_info": {"version": "3"}}),
        options=CleanOptions(keep_keys=("metadata.language_info.version",)),
    )
    assert nb["metadata"]["language_info"] == {"version": "3"}


# -- cells dropped by tag -----------------------------------------------------------------------


def test_drop_tagged_cells() -> None:
    tagged = markdown_cell("secret")
    tagged["metadata"]["tags"] = ["solution", "x"]
    nb = cleaned(
        code_cell("a"), tagged, code_cell("b", tags=["other"]), drop_tagged_cells=("solution",)
    )
    assert [c["source"] for c in nb["cells"]] == ["a", "b"]


def test_drop_tagged_cells_on_the_command_line(tmp_path: Path) -> None:
    path = write_notebook(
        tmp_path / "n.ipynb", make_notebook(code_cell("a", tags=["t"]), code_cell("b"))
    )
    result = runner.invoke(app, ["clean", "--drop-tagged-cells", "t", str(path)])
    assert result.exit_code == 0, result.output
    assert ["".join(c["source"]) for c in json.loads(path.read_text())["cells"]] == ["b"]


# -- output selectors ---------------------------------------------------------------------------


def test_stream_name_selector_keeps_one_stream() -> None:
    nb = cleaned(code_cell("x", outputs=[STDOUT, STDERR]), keep_output_types=("stream:stderr",))
    assert nb["cells"][0]["outputs"] == [STDERR]


def test_stream_name_selector_drops_one_stream() -> None:
    nb = cleaned(
        code_cell("x", outputs=[STDOUT, STDERR]),
        keep_outputs=True,
        drop_output_types=("stream:stderr",),
    )
    assert nb["cells"][0]["outputs"] == [STDOUT]


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("strem", "known: display_data"),
        ("image/jpg", "image/jpeg"),
        ("stream:stdrr", "stream:stderr"),
        ("error:x", "stream:stdout"),
    ],
)
def test_a_typo_in_an_output_type_is_an_error(tmp_path: Path, value: str, says: str) -> None:
    path = write_notebook(tmp_path / "n.ipynb", make_notebook(code_cell("x")))
    result = runner.invoke(app, ["clean", "--keep-output-type", value, str(path)])
    assert result.exit_code == 2
    assert says in result.output


@pytest.mark.parametrize(
    "value", ["stream", "stream:stdout", "image/png", "application/vnd.plotly.v1+json"]
)
def test_known_output_types_are_accepted(value: str) -> None:
    assert CleanOptions(keep_output_types=(value,)).keep_output_types == (value,)


# -- whole metadata, as nb-clean ----------------------------------------------------------------


def test_strip_cell_metadata_keeps_only_the_allowlist() -> None:
    cell = code_cell("x", tags=["a"], special=1, collapsed=True, other={"k": 1})
    nb = cleaned(cell, strip_cell_metadata=True, keep_cell_metadata=("tags", "special"))
    assert nb["cells"][0]["metadata"] == {"tags": ["a"], "special": 1}
    assert cleaned(cell, strip_cell_metadata=True)["cells"][0]["metadata"] == {}


def test_strip_cell_metadata_keeps_what_steers_a_second_clean() -> None:
    cell = code_cell("x", outputs=[STDOUT], tags=["keep_output"], other=1)
    once = cleaned(cell, strip_cell_metadata=True)
    twice = clean_notebook(once, options=CleanOptions(strip_cell_metadata=True))
    assert once == twice and once["cells"][0]["outputs"] == [STDOUT]


def test_drop_notebook_metadata() -> None:
    nb = clean_notebook(
        make_notebook(code_cell("x")), options=CleanOptions(drop_notebook_metadata=True)
    )
    assert nb["metadata"] == {}


def test_whole_metadata_options_on_the_command_line(tmp_path: Path) -> None:
    path = write_notebook(tmp_path / "n.ipynb", make_notebook(code_cell("x", tags=["t"], a=1)))
    result = runner.invoke(
        app,
        [
            "clean",
            "--strip-cell-metadata",
            "--keep-cell-metadata",
            "tags",
            "--drop-notebook-metadata",
            str(path),
        ],
    )
    assert result.exit_code == 0, result.output
    nb = json.loads(path.read_text())
    assert nb["metadata"] == {} and nb["cells"][0]["metadata"] == {"tags": ["t"]}


def test_a_dotted_key_and_the_nested_path_it_also_names_go_in_one_clean() -> None:
    nb = make_notebook(code_cell("x"), metadata={"a.b": 1, "a": {"b": 2, "c": 3}})
    once = clean_notebook(nb, options=CleanOptions(extra_keys=("metadata.a.b",)))
    assert once["metadata"] == {"a": {"c": 3}}
    assert clean_notebook(once, options=CleanOptions(extra_keys=("metadata.a.b",))) == once


_META = st.dictionaries(
    st.sampled_from(["init_cell", "keep_output", "tags", "a.b", "a", "other"]),
    st.one_of(
        st.booleans(),
        st.lists(st.sampled_from(["keep_output", "t", "x"]), max_size=2),
        st.dictionaries(st.sampled_from(["b", "c"]), st.integers(0, 2), max_size=2),
    ),
    max_size=4,
)
_OPTIONS = st.fixed_dictionaries(
    {},
    optional={
        "strip_init_cells": st.booleans(),
        "strip_cell_metadata": st.booleans(),
        "keep_cell_metadata": st.just(("other",)),
        "drop_notebook_metadata": st.booleans(),
        "drop_tagged_cells": st.just(("t",)),
        "keep_output_types": st.just(("stream:stderr",)),
        "extra_keys": st.just(("cell.metadata.a.b", "metadata.a.b")),
        "keep_outputs": st.booleans(),
    },
)


@settings(max_examples=60, deadline=None)
@given(metas=st.lists(_META, min_size=1, max_size=4), notebook_meta=_META, options=_OPTIONS)
def test_cleaning_twice_is_cleaning_once(
    metas: list[dict[str, Any]], notebook_meta: dict[str, Any], options: dict[str, Any]
) -> None:
    cells = [
        code_cell(f"x{n}", cell_id=f"c{n}", outputs=[STDOUT, STDERR], count=n, **meta)
        for n, meta in enumerate(metas)
    ]
    opts = CleanOptions(**options)
    once = clean_notebook(make_notebook(*cells, metadata=dict(notebook_meta)), options=opts)
    assert clean_notebook(once, options=opts) == once
