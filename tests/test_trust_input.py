"""Trust on odd but parseable input: lone surrogates, v3 and v2 files, duplicate ids.

Each such file must get a one-line answer naming it, never a traceback, and what `trust check`
prints must be the same on every run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import (
    code_cell,
    jupyter_sign,
    make_notebook,
    markdown_cell,
    run_nbcollab,
    write_notebook,
)
from typer.testing import CliRunner

from nbcollab.cli.app import app
from nbcollab.notebook.codec import parse_notebook, serialize_notebook
from nbcollab.trust.notary import SIGNED, sign_merge_result

runner = CliRunner()
LONE = "\udc80"  # valid in JSON as the escape \udc80, but not Unicode: UTF-8 cannot encode it


def html(text: str) -> dict[str, Any]:
    return {"data": {"text/html": text}, "metadata": {}, "output_type": "display_data"}


def rich_notebook(markdown: str = "# t") -> dict[str, Any]:
    return make_notebook(
        markdown_cell(markdown, cell_id="intro"),
        code_cell("show()", cell_id="show", count=1, outputs=[html("<b>hi</b>")]),
    )


def escaped_text(nb: dict[str, Any]) -> str:
    """The notebook as JSON with every non-ASCII character escaped (lone surrogates included)."""
    return json.dumps(nb, indent=1, sort_keys=True) + "\n"


def write_escaped(path: Path, nb: dict[str, Any]) -> Path:
    path.write_text(escaped_text(nb), encoding="utf-8")
    return path


def assert_one_line_error(done: Any, *needles: str) -> None:
    assert done.exit_code == 2, (done.stdout, done.stderr, done.exception)
    assert not isinstance(done.exception, Exception) or isinstance(done.exception, SystemExit)
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("nbcollab: error: "), done.stderr
    assert all(needle in lines[0] for needle in needles), lines[0]


# --- lone surrogates ---------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["check", "sign"])
@pytest.mark.parametrize(
    ("where", "nb"),
    [
        (
            "cell 2 (id out)",
            make_notebook(
                code_cell("x", cell_id="plain"),
                code_cell("y", cell_id="out", outputs=[html(f"<b>{LONE}</b>")]),
            ),
        ),
        ("cell 1 (id intro)", rich_notebook(markdown=f"# {LONE}")),
        ("the notebook", make_notebook(markdown_cell("x", cell_id="m"), metadata={"k": LONE})),
    ],
    ids=["in-rich-output", "in-markdown", "in-metadata"],
)
def test_lone_surrogate_is_a_one_line_error(
    tmp_path: Path, command: str, where: str, nb: dict[str, Any]
) -> None:
    path = write_escaped(tmp_path / "odd.ipynb", nb)
    done = runner.invoke(app, ["trust", command, str(path)])
    assert_one_line_error(done, f"{path}: {where} holds text that is not valid Unicode")
    assert done.stdout == ""


def test_lone_surrogate_does_not_stop_the_other_files(tmp_path: Path) -> None:
    odd = write_escaped(tmp_path / "odd.ipynb", rich_notebook(markdown=LONE))
    good = write_notebook(tmp_path / "good.ipynb", rich_notebook())
    done = runner.invoke(app, ["trust", "sign", str(odd), str(good)])
    assert done.exit_code == 2 and done.stdout == f"{good}: signed\n"
    checked = runner.invoke(app, ["trust", "check", str(odd), str(good)])
    assert checked.exit_code == 2 and checked.stdout == f"{good}: trusted\n"


@pytest.mark.slow
def test_lone_surrogate_as_a_subprocess_prints_no_traceback(tmp_path: Path) -> None:
    path = write_escaped(tmp_path / "odd.ipynb", rich_notebook(markdown=LONE))
    for command in ("check", "sign"):
        done = run_nbcollab("trust", command, str(path))
        assert done.returncode == 2, done.stderr
        assert b"Traceback" not in done.stderr and len(done.stderr.splitlines()) == 1
        assert b"odd.ipynb: cell 1 (id intro) holds text that is not valid Unicode" in done.stderr


def test_escaped_surrogate_pair_is_ordinary_text(tmp_path: Path) -> None:
    path = write_escaped(tmp_path / "emoji.ipynb", rich_notebook(markdown="# \U0001f600"))
    assert "\\ud83d\\ude00" in path.read_text()
    signed = runner.invoke(app, ["trust", "sign", str(path)])
    assert signed.exit_code == 0 and signed.stdout == f"{path}: signed\n"


def test_find_lone_surrogate_table() -> None:
    from nbcollab.trust.policy import find_lone_surrogate

    assert find_lone_surrogate(rich_notebook()) is None
    assert find_lone_surrogate(rich_notebook(markdown="\U0001f600")) is None
    keyed = make_notebook(markdown_cell("x", cell_id="m"))
    keyed["cells"][0]["metadata"] = {LONE: 1}  # keys are text too
    assert find_lone_surrogate(keyed) == "cell 1 (id m)"
    deep: Any = LONE
    for _ in range(5000):  # deeper than Python's recursion limit
        deep = [deep]
    assert find_lone_surrogate(make_notebook(metadata={"deep": deep})) == "the notebook"


def test_merge_with_an_escaped_surrogate_in_the_result_names_the_cell() -> None:
    local = serialize_notebook(rich_notebook())
    jupyter_sign(local)
    result = escaped_text(rich_notebook(markdown=f"# {LONE}"))  # escaped, so it encodes as UTF-8

    outcome = sign_merge_result(result, inputs=[None, local, local], path="nb")

    assert not outcome.signed
    assert outcome.reason.startswith(
        "not signed: nb: cell 1 (id intro) holds text that is not valid Unicode"
    ), outcome.reason


def test_merge_ignores_an_input_with_a_surrogate_and_signs_from_the_trusted_one() -> None:
    odd_base = escaped_text(rich_notebook(markdown=f"# {LONE}"))
    local = serialize_notebook(rich_notebook())
    jupyter_sign(local)

    outcome = sign_merge_result(local, inputs=[odd_base, local, odd_base], path="nb")

    assert outcome.reason == SIGNED


def test_merge_of_a_raw_surrogate_result_names_the_cell() -> None:
    local = serialize_notebook(rich_notebook())
    jupyter_sign(local)
    # What serializing a merged notebook holding a lone surrogate gives (ensure_ascii off).
    result = serialize_notebook(rich_notebook(markdown=LONE))

    outcome = sign_merge_result(result, inputs=[None, local, local], path="nb")

    assert outcome.reason.startswith(
        "not signed: nb: cell 1 (id intro) holds text that is not valid Unicode"
    ), outcome.reason


# --- v3 and v2 files ---------------------------------------------------------------------------


V3_CELLS = [
    {"cell_type": "heading", "level": 1, "metadata": {}, "source": "Title"},
    {
        "cell_type": "code",
        "input": "1",
        "language": "python",
        "metadata": {},
        "prompt_number": 1,
        "outputs": [
            {"output_type": "pyout", "html": "<b>1</b>", "metadata": {}, "prompt_number": 1}
        ],
    },
]


def v3_notebook() -> dict[str, Any]:
    return {
        "metadata": {"name": ""},
        "nbformat": 3,
        "nbformat_minor": 0,
        "worksheets": [
            {"metadata": {}, "cells": [V3_CELLS[0]]},
            {"metadata": {}, "cells": [V3_CELLS[1]]},
        ],
    }


def test_trust_check_names_v3_cells_by_index_the_same_every_run(tmp_path: Path) -> None:
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps(v3_notebook()), encoding="utf-8")
    runs = [runner.invoke(app, ["trust", "check", str(path)]) for _ in range(3)]
    assert all(done.exit_code == 1 for done in runs)
    assert [done.stdout for done in runs] == [
        f"{path}: not trusted: untrusted output in cell 2\n"
    ] * 3


def test_trust_check_names_duplicate_ids_as_written(tmp_path: Path) -> None:
    # Jupyter replaces a repeated id with a random one on each read; the report uses the file's.
    nb = make_notebook(
        code_cell("a", cell_id="same", outputs=[html("<b>a</b>")]),
        code_cell("b", cell_id="same", outputs=[html("<b>b</b>")]),
    )
    path = write_notebook(tmp_path / "dup.ipynb", nb)
    runs = {runner.invoke(app, ["trust", "check", str(path)]).stdout for _ in range(3)}
    assert runs == {
        f"{path}: not trusted: untrusted output in cell 1 (id same), cell 2 (id same)\n"
    }


@pytest.mark.parametrize("command", ["check", "sign"])
def test_nbformat_2_is_refused_like_every_other_command(tmp_path: Path, command: str) -> None:
    v2 = {
        "metadata": {"name": ""},
        "nbformat": 2,
        "nbformat_minor": 0,
        "worksheets": [
            {
                "cells": [
                    {
                        "cell_type": "code",
                        "input": "1",
                        "language": "python",
                        "outputs": [{"output_type": "pyout", "html": "<b>1</b>"}],
                    }
                ]
            }
        ],
    }
    path = tmp_path / "v2.ipynb"
    path.write_text(json.dumps(v2), encoding="utf-8")
    done = runner.invoke(app, ["trust", command, str(path)])
    assert_one_line_error(done, f"{path}: nbformat 2 is not supported")
    assert done.stdout == ""
    with pytest.raises(Exception, match="nbformat 2 is not supported"):
        parse_notebook(path.read_bytes(), path=str(path))  # the message other commands give
