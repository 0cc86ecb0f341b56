"""Trust: merged notebooks are re-signed only when every rich output was already trusted.

Every test runs with its own JUPYTER_DATA_DIR (the autouse fixture), so the signature store and
the signing key are fresh and never the user's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import (
    code_cell,
    corpus_notebooks,
    jupyter_sign,
    jupyter_trusts,
    make_notebook,
    markdown_cell,
    requires_corpus,
    run_nbcollab,
    stream_output,
    write_notebook,
)
from typer.testing import CliRunner

from nbcollab.cli.app import app
from nbcollab.errors import InvalidNotebook
from nbcollab.merge.notebook import merge_notebooks
from nbcollab.notebook.codec import parse_notebook, serialize_notebook
from nbcollab.options import MergeOptions, OutputStrategy
from nbcollab.trust.notary import (
    SIGNED,
    check_notebook_text,
    open_notary,
    read_as_jupyter,
    sign_merge_result,
)
from nbcollab.trust.policy import find_collision_risk, find_read_problem, find_untrusted_output


def html(text: str) -> dict[str, Any]:
    return {
        "data": {"text/html": text, "text/plain": "<IPython.core.display.HTML object>"},
        "metadata": {},
        "output_type": "display_data",
    }


SCRIPT = html("<script>document.title = 'owned'</script>")


def picture(name: str) -> dict[str, Any]:
    """A plot: rich output, but no active content (Jupyter shows images untrusted too)."""
    return {
        "data": {"image/png": f"iVBOR{name}", "text/plain": f"<Figure {name}>"},
        "metadata": {},
        "output_type": "display_data",
    }


def three_versions(a_output: Any = picture) -> tuple[dict, dict, dict]:
    """base; local re-ran cell a (a plot); remote re-ran cell b (HTML): each side's own output.

    Only b's output is active, so no notebook cut from a merge's signed bytes can stretch an
    active value from one side's output over the other side's cells (see test_trust_collision).
    """
    base = make_notebook(
        markdown_cell("# Report", cell_id="intro"),
        code_cell("show('a')", cell_id="a", count=1, outputs=[a_output("a0")]),
        code_cell("show('b')", cell_id="b", count=2, outputs=[html("<i>b0</i>")]),
    )
    local, remote = json.loads(json.dumps(base)), json.loads(json.dumps(base))
    local["cells"][1].update(source="show('a', 1)", outputs=[a_output("a1")], execution_count=3)
    remote["cells"][2].update(source="show('b', 2)", outputs=[html("<i>b2</i>")], execution_count=4)
    return base, local, remote


def merged_text(base: dict | None, local: dict, remote: dict, **options: Any) -> str:
    result = merge_notebooks(base, local, remote, options=MergeOptions(**options))
    return serialize_notebook(result.notebook)


def texts(*nbs: dict | None) -> list[str | None]:
    return [None if nb is None else serialize_notebook(nb) for nb in nbs]


# --- the policy, end to end through the real notary -------------------------------------------


def test_both_sides_trusted_different_cells_changed_result_trusted(tmp_path: Path) -> None:
    base, local, remote = three_versions()
    base_t, local_t, remote_t = texts(base, local, remote)
    jupyter_sign(local_t)
    jupyter_sign(remote_t)
    result = merged_text(base, local, remote)
    assert "a1" in result and "b2" in result
    assert not jupyter_trusts(result)  # nobody ever signed this exact content

    outcome = sign_merge_result(result, inputs=[base_t, local_t.encode(), remote_t], path="nb")

    assert outcome == (outcome.__class__(True, SIGNED))
    written = tmp_path / "merged.ipynb"
    written.write_text(result, encoding="utf-8")
    assert jupyter_trusts(written.read_text(encoding="utf-8"))


def test_untrusted_remote_script_output_is_kept_but_not_signed() -> None:
    base, local, remote = three_versions()
    remote["cells"][2]["outputs"] = [SCRIPT]
    base_t, local_t, remote_t = texts(base, local, remote)
    jupyter_sign(local_t)  # the user's own work; the remote branch was never trusted here
    result = merged_text(base, local, remote)

    outcome = sign_merge_result(result, inputs=[base_t, local_t, remote_t], path="nb")

    assert not outcome.signed
    assert outcome.reason == (
        "not signed: cell 3 (id b) has output not found in any trusted input; check it, then "
        "run: nbcollab trust sign nb"
    )
    assert "document.title" in result  # the merge keeps the output; it just stays untrusted
    assert not jupyter_trusts(result)


def test_trust_markers_inside_an_input_file_grant_nothing() -> None:
    base, local, remote = three_versions()
    remote["cells"][2]["outputs"] = [SCRIPT]
    remote["metadata"]["signature"] = "sha256:" + "0" * 64
    remote["cells"][2]["metadata"]["trusted"] = True
    raw_remote = json.dumps(remote, indent=1)  # as a hostile file could carry them on disk
    base_t, local_t = texts(base, local)
    jupyter_sign(local_t)
    result = merged_text(base, local, remote)

    outcome = sign_merge_result(result, inputs=[base_t, local_t, raw_remote], path="nb")

    assert not outcome.signed and "cell 3 (id b)" in outcome.reason


def test_union_with_an_untrusted_side_is_not_signed() -> None:
    base, local, remote = three_versions()
    remote["cells"][1].update(outputs=[html("<b>theirs</b>")], execution_count=9)
    base_t, local_t, remote_t = texts(base, local, remote)
    jupyter_sign(local_t)
    result = merged_text(base, local, remote, outputs=OutputStrategy.UNION)
    assert "a1" in result and "theirs" in result

    outcome = sign_merge_result(result, inputs=[base_t, local_t, remote_t], path="nb")

    assert not outcome.signed and "cell 2 (id a)" in outcome.reason
    assert not jupyter_trusts(result)


def test_conflict_strategy_with_an_untrusted_side_is_not_signed() -> None:
    base, local, remote = three_versions()
    remote["cells"][1].update(outputs=[SCRIPT], execution_count=9)
    base_t, local_t, remote_t = texts(base, local, remote)
    jupyter_sign(base_t)
    jupyter_sign(local_t)
    result = merged_text(base, local, remote, outputs=OutputStrategy.CONFLICT)

    outcome = sign_merge_result(result, inputs=[base_t, local_t, remote_t], path="nb")

    assert not outcome.signed and "cell 2 (id a)" in outcome.reason


def test_output_built_by_the_merge_is_not_signed_even_from_trusted_sides() -> None:
    """A rich output that no input holds (here: two trusted bundles combined) is never trusted."""
    base, local, remote = three_versions()
    base_t, local_t, remote_t = texts(base, local, remote)
    for text in (base_t, local_t, remote_t):
        jupyter_sign(text)
    merged = merge_notebooks(base, local, remote).notebook
    combined = html("<b>a1</b><i>b2</i>")
    merged["cells"][1]["outputs"] = [combined]

    outcome = sign_merge_result(
        serialize_notebook(merged), inputs=[base_t, local_t, remote_t], path="nb"
    )

    assert not outcome.signed
    assert outcome.reason == (
        "not signed: cell 2 (id a) has output not found in any trusted input; check it, then "
        "run: nbcollab trust sign nb"
    )


def test_conflict_markers_are_plain_text_and_trusted_outputs_stay_signable() -> None:
    """Under `conflict` the merge adds only stream markers, which Jupyter always shows as text."""
    base, local, remote = three_versions()
    remote["cells"][1].update(outputs=[picture("theirs")], execution_count=9)
    base_t, local_t, remote_t = texts(base, local, remote)
    for text in (base_t, local_t, remote_t):
        jupyter_sign(text)
    result = merged_text(base, local, remote, outputs=OutputStrategy.CONFLICT)
    cell = read_as_jupyter(result, path="r").cells[1]
    assert {o["output_type"] for o in cell.outputs} == {"stream", "display_data"}

    assert sign_merge_result(result, inputs=[base_t, local_t, remote_t], path="nb").signed
    assert jupyter_trusts(result)


def test_conflict_markers_between_active_outputs_are_not_signed() -> None:
    """Marker text (it names the branches) between two HTML outputs could be cut into one."""
    base, local, remote = three_versions(a_output=lambda name: html(f"<b>{name}</b>"))
    remote["cells"][1].update(outputs=[html("<b>theirs</b>")], execution_count=9)
    base_t, local_t, remote_t = texts(base, local, remote)
    for text in (base_t, local_t, remote_t):
        jupyter_sign(text)
    result = merged_text(base, local, remote, outputs=OutputStrategy.CONFLICT)

    outcome = sign_merge_result(result, inputs=[base_t, local_t, remote_t], path="nb")

    assert outcome.reason == (
        "not signed: cell 2 (id a) changed between the first and last rich output; check it, "
        "then run: nbcollab trust sign nb"
    )


def test_widget_state_from_an_untrusted_side_is_not_signed() -> None:
    """Trusted widget views would draw whatever state the other branch wrote into the metadata."""
    base, local, remote = three_versions()
    state = {"application/vnd.jupyter.widget-state+json": {"state": {"m1": {"value": "<b>x</b>"}}}}
    for nb in (base, local, remote):
        nb["metadata"]["widgets"] = state
    base_t, local_t, remote_t = texts(base, local, remote)
    jupyter_sign(local_t)
    jupyter_sign(remote_t)
    merged = merge_notebooks(base, local, remote).notebook
    assert sign_merge_result(
        serialize_notebook(merged), inputs=[base_t, local_t, remote_t], path="nb"
    ).signed
    merged["metadata"]["widgets"] = json.loads(
        json.dumps(state).replace("<b>x</b>", "<img src=x onerror=alert(1)>")
    )

    outcome = sign_merge_result(
        serialize_notebook(merged), inputs=[base_t, local_t, remote_t], path="nb"
    )

    assert outcome.reason == (
        "not signed: the widget state (metadata.widgets) is not the one of any trusted input; "
        "check the notebook, then run: nbcollab trust sign nb"
    )


def test_trusted_output_moved_to_another_cell_is_not_signed() -> None:
    base, local, remote = three_versions()
    base_t, local_t, remote_t = texts(base, local, remote)
    jupyter_sign(local_t)
    jupyter_sign(remote_t)
    merged = merge_notebooks(base, local, remote).notebook
    cells = merged["cells"]
    cells[1]["outputs"], cells[2]["outputs"] = cells[2]["outputs"], cells[1]["outputs"]

    outcome = sign_merge_result(
        serialize_notebook(merged), inputs=[base_t, local_t, remote_t], path="nb"
    )

    assert not outcome.signed and "cell 2 (id a)" in outcome.reason


def test_notebooks_before_4_5_are_matched_by_alignment_and_signed() -> None:
    base, local, remote = three_versions()
    for nb in (base, local, remote):
        nb["nbformat_minor"] = 4
        for cell in nb["cells"]:
            del cell["id"]
    base_t, local_t, remote_t = texts(base, local, remote)
    jupyter_sign(local_t)
    jupyter_sign(remote_t)
    result = merged_text(base, local, remote)
    assert '"id"' not in result

    assert sign_merge_result(result, inputs=[base_t, local_t, remote_t], path="nb").signed
    assert jupyter_trusts(result)


def test_no_trusted_input_says_so() -> None:
    base, local, remote = three_versions()
    result = merged_text(base, local, remote)

    outcome = sign_merge_result(result, inputs=texts(base, local, remote), path="nb")

    assert outcome.reason == "not signed: no input version is trusted by your Jupyter"


# --- results that must never be signed ------------------------------------------------------


@pytest.mark.slow
def test_result_without_rich_output_needs_no_signature_and_skips_nbformat() -> None:
    code = (
        "import sys\n"
        "from nbcollab.trust.notary import sign_merge_result\n"
        "text = sys.stdin.read()\n"
        "print(sign_merge_result(text, inputs=[None, text, text], path='nb').reason)\n"
        "print('nbformat' in sys.modules)\n"
    )
    nb = make_notebook(code_cell("print(1)", cell_id="p", outputs=[stream_output("1\n")]))
    done = subprocess.run(
        [sys.executable, "-c", code],
        input=serialize_notebook(nb),
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.splitlines() == [
        "not signed: no rich output in the result, so it needs no signature",
        "False",
    ]


def test_result_jupyter_cannot_decode_is_not_signed() -> None:
    base, local, remote = three_versions()
    local["cells"][1]["source"] = "s = '\udc80'"
    base_t, remote_t = texts(base, remote)
    local_t = serialize_notebook(local)
    outcome = sign_merge_result(local_t, inputs=[base_t, local_t, remote_t], path="nb")
    assert outcome == outcome.__class__(
        False,
        "not signed: nb: cell 2 (id a) holds text that is not valid Unicode "
        "(a lone surrogate), which Jupyter can neither check nor sign",
    )


def test_v3_result_is_never_signed() -> None:
    v3 = {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {},
        "worksheets": [
            {
                "metadata": {},
                "cells": [
                    {
                        "cell_type": "code",
                        "input": "1",
                        "language": "python",
                        "metadata": {},
                        "outputs": [{"output_type": "pyout", "html": "<b>1</b>", "metadata": {}}],
                    }
                ],
            }
        ],
    }
    text = json.dumps(v3)
    jupyter_sign(text)

    outcome = sign_merge_result(text, inputs=[None, text, text], path="nb")

    assert not outcome.signed and "nbformat 3" in outcome.reason


@pytest.mark.parametrize(
    ("ids", "expected"),
    [
        (["a", None], "cell 2 has no valid id"),
        (["a", "a"], "cells 1 and 2 share the id 'a'"),
        (["a", "not valid!"], "cell 2 has no valid id"),
    ],
)
def test_result_without_complete_unique_ids_is_refused(ids: list, expected: str) -> None:
    local = make_notebook(*(code_cell(f"x{i}", outputs=[html(f"<b>{i}</b>")]) for i in range(2)))
    for cell, cell_id in zip(local["cells"], ids):
        if cell_id is not None:
            cell["id"] = cell_id
    text = serialize_notebook(local)
    jupyter_sign(text)  # even an input the user trusts cannot make such a result last

    outcome = sign_merge_result(text, inputs=[None, text, text], path="nb")

    assert not outcome.signed and expected in outcome.reason
    assert "random" in outcome.reason


def test_in_memory_signature_store_cannot_sign(isolated_home: Path) -> None:
    base, local, remote = three_versions()
    base_t, local_t, remote_t = texts(base, local, remote)
    jupyter_sign(local_t)
    config_dir = isolated_home / "jupyter-config"
    config_dir.mkdir(exist_ok=True)
    (config_dir / "jupyter_server_config.json").write_text(
        json.dumps({"NotebookNotary": {"db_file": ":memory:"}})
    )
    result = merged_text(base, local, remote)

    outcome = sign_merge_result(result, inputs=[base_t, local_t, remote_t], path="nb")

    assert not outcome.signed and "in memory only" in outcome.reason


def test_notary_follows_the_users_jupyter_config(isolated_home: Path, tmp_path: Path) -> None:
    db = tmp_path / "elsewhere" / "sigs.db"
    db.parent.mkdir()
    config_dir = isolated_home / "jupyter-config"
    config_dir.mkdir(exist_ok=True)
    (config_dir / "jupyter_notebook_config.json").write_text(
        json.dumps({"NotebookNotary": {"db_file": str(db)}})
    )
    with open_notary() as notary:
        assert notary.db_file == str(db)
        assert Path(notary.data_dir) == Path(os.environ["JUPYTER_DATA_DIR"])
    assert db.is_file()


# --- the crafted collision: text that hashes like an output ------------------------------------


def crafted_pair() -> tuple[dict, dict]:
    """A cell with no outputs, and one with a script output, whose signature bytes are equal.

    nbformat hashes sorted keys and values back to back, so the words of an output written into
    the tag and the source of a plain cell read, byte for byte, like a real output.
    """
    payload = "<script>document.title = 'owned'</script><!--"
    plain = code_cell(
        "-->metadataoutput_typedisplay_datasourceprint(1)",
        cell_id="evil",
        tags=["xoutputsdatatext/html" + payload],
    )
    active = code_cell(
        "print(1)",
        cell_id="evil",
        tags=["x"],
        outputs=[
            {
                "data": {"text/html": payload + "outputssource-->"},
                "metadata": {},
                "output_type": "display_data",
            }
        ],
    )
    return plain, active


def test_crafted_cells_really_share_a_signature() -> None:
    plain, active = crafted_pair()
    with open_notary() as notary:
        one = notary.compute_signature(
            read_as_jupyter(serialize_notebook(make_notebook(plain)), path="a")
        )
        two = notary.compute_signature(
            read_as_jupyter(serialize_notebook(make_notebook(active)), path="b")
        )
    assert one == two


def test_crafted_collision_is_refused() -> None:
    """A result holding the plain half would, once signed, also trust the scripted half."""
    base, local, remote = three_versions()
    plain, active = crafted_pair()
    remote["cells"].insert(1, plain)
    base_t, local_t, remote_t = texts(base, local, remote)
    jupyter_sign(local_t)
    jupyter_sign(remote_t)  # even when the user trusts the branch that brought the text
    result = merged_text(base, local, remote)
    twin = json.loads(result)
    twin["cells"][1] = json.loads(serialize_notebook(make_notebook(active)))["cells"][0]
    with open_notary() as notary:
        assert notary.compute_signature(read_as_jupyter(result, path="r")) == (
            notary.compute_signature(read_as_jupyter(json.dumps(twin), path="t"))
        )

    outcome = sign_merge_result(result, inputs=[base_t, local_t, remote_t], path="nb")

    assert outcome.reason == (  # remote, with the crafted cell, is trusted: local's change
        "not signed: cell 3 (id a) changed between the first and last rich output; check it, "
        "then run: nbcollab trust sign nb"
    )
    assert not jupyter_trusts(json.dumps(twin))


X = code_cell("x", outputs=[html("<b>x</b>")])
Y = code_cell("y", outputs=[html("<i>y</i>")])
FAKE_HTML = code_cell("s = 'text/html'")


@pytest.mark.parametrize(
    ("trusted", "result", "risky"),
    [
        ([X, Y], [X, Y], False),
        # a new cell between two active outputs: a cut stretches the first over it
        ([X, Y], [X, code_cell("outputs = model(inputs)"), Y], True),
        ([X, Y], [X, Y, code_cell("outputs = model(inputs)")], False),
        ([X, Y], [code_cell("data = outputs"), X, Y], False),
        # ... unless it spells an active mime type or a closing output_type around them
        ([X, Y], [FAKE_HTML, X, Y], True),
        ([X, Y], [code_cell("r = post('application/json')"), X, Y], True),
        ([X, Y], [X, Y, FAKE_HTML], False),
        ([X, Y], [X, Y, code_cell("s = 'output_typedisplay_data'")], True),
        ([X, Y], [code_cell("s = 'output_typeexecute_result'"), X, Y], False),
        # split across a key and the next value still reads as one run of bytes
        ([X, Y], [code_cell("x", a="...text/", html=""), X, Y], True),
        ([X, Y], [X, Y, markdown_cell("application/vnd.jupyter.widget-state+json")], True),
        # a new stream output between two outputs of one cell
        (
            [code_cell("x", outputs=[html("<b>1</b>"), html("<b>2</b>")])],
            [code_cell("x", outputs=[html("<b>1</b>"), stream_output("s"), html("<b>2</b>")])],
            True,
        ),
        # the trusted input spells a mime type inside the stretch: its own cut is no guide
        ([X, FAKE_HTML, Y], [X, FAKE_HTML, Y], False),
        ([X, FAKE_HTML, Y], [X, FAKE_HTML, Y, markdown_cell("m")], True),
        # outputs under a markdown cell are never shown, so they are text like any other
        ([X, Y], [dict(markdown_cell("m"), outputs=[html("<b>hidden</b>")]), X, Y], True),
        # no active output anywhere: nothing to stretch
        (
            [code_cell("p", outputs=[stream_output("1")])],
            [code_cell("p", outputs=[stream_output("1")]), code_cell("output_typedisplay_data")],
            False,
        ),
    ],
)
def test_collision_check_table(trusted: list[dict], result: list[dict], risky: bool) -> None:
    risk = find_collision_risk(make_notebook(*result, minor=4), [make_notebook(*trusted, minor=4)])
    assert (risk is not None) is risky, risk


def test_collision_check_names_the_stretch() -> None:
    nb = make_notebook(
        X,
        Y,
        minor=4,
        metadata={"widgets": {"application/vnd.jupyter.widget-state+json": {"state": {}}}},
    )
    trusted = make_notebook(X, Y, minor=4)
    assert find_collision_risk(nb, [trusted]) == (
        "cells were moved or removed, or the notebook metadata changed, between cell 1 and the "
        "notebook metadata"
    )


def _pair(trusted_cells: list[dict], result_cells: list[dict], minor: int = 5) -> str | None:
    trusted = make_notebook(*trusted_cells, minor=minor)
    result = make_notebook(*result_cells, minor=minor)
    return find_untrusted_output(result, [trusted])


BOLD, ITALIC = html("<b>b</b>"), html("<i>i</i>")


@pytest.mark.parametrize(
    ("trusted", "result", "minor", "expected"),
    [
        (
            [code_cell("x", cell_id="a", outputs=[BOLD])],
            [code_cell("y", cell_id="a", outputs=[BOLD])],
            5,
            None,
        ),
        (
            [code_cell("x", cell_id="a", outputs=[BOLD])],
            [code_cell("x", cell_id="z", outputs=[BOLD])],
            5,
            "cell 1 (id z) has output not found in any trusted input",
        ),
        (
            [code_cell("x", cell_id="a", outputs=[BOLD, ITALIC])],
            [code_cell("x", cell_id="a", outputs=[ITALIC])],
            5,
            None,
        ),
        (
            [code_cell("x", outputs=[BOLD]), code_cell("y")],
            [code_cell("new"), code_cell("x", outputs=[BOLD]), code_cell("y2")],
            4,
            None,
        ),
        (
            [code_cell("x", outputs=[BOLD]), code_cell("y")],
            [code_cell("x"), code_cell("y", outputs=[BOLD])],
            4,
            "cell 2 has output not found in any trusted input",
        ),
        (
            [code_cell("x", outputs=[BOLD])],
            [code_cell("x", outputs=[dict(BOLD, metadata={"a": 1})])],
            4,
            "cell 1 has output not found in any trusted input",
        ),
        (
            [code_cell("x", outputs=[BOLD])],
            [code_cell("x", outputs=[stream_output("<b>")])],
            4,
            None,
        ),
    ],
    ids=["same-id", "new-id", "subset", "aligned", "moved", "changed-metadata", "plain-only"],
)
def test_untrusted_output_table(
    trusted: list[dict], result: list[dict], minor: int, expected: str | None
) -> None:
    assert _pair(trusted, result, minor) == expected


def test_read_problem_allows_notebooks_without_ids_before_4_5() -> None:
    assert find_read_problem(make_notebook(code_cell("x"), minor=4)) is None
    assert find_read_problem(make_notebook(code_cell("x"), minor=5)) is not None


# --- trust check / trust sign ---------------------------------------------------------------

runner = CliRunner()


@pytest.fixture
def notebooks(tmp_path: Path) -> dict[str, Path]:
    return {
        "rich": write_notebook(
            tmp_path / "rich.ipynb",
            make_notebook(
                markdown_cell("t", cell_id="m"),
                code_cell("x", cell_id="x1", outputs=[SCRIPT]),
                code_cell("y", cell_id="y1", outputs=[stream_output("hi\n")]),
            ),
        ),
        "plain": write_notebook(
            tmp_path / "plain.ipynb",
            make_notebook(code_cell("y", cell_id="y1", outputs=[stream_output("hi\n")])),
        ),
        "no_ids": write_notebook(
            tmp_path / "no_ids.ipynb", make_notebook(code_cell("x", outputs=[SCRIPT]))
        ),
    }


def test_trust_check_names_the_untrusted_cells(notebooks: dict[str, Path]) -> None:
    done = runner.invoke(app, ["trust", "check", str(notebooks["rich"]), str(notebooks["plain"])])
    assert done.exit_code == 1
    assert done.stdout.splitlines() == [
        f"{notebooks['rich']}: not trusted: untrusted output in cell 2 (id x1)",
        f"{notebooks['plain']}: no rich output, nothing to trust",
    ]


def test_trust_sign_then_check_passes(notebooks: dict[str, Path]) -> None:
    signed = runner.invoke(app, ["trust", "sign", str(notebooks["rich"])])
    assert signed.exit_code == 0 and signed.stdout == f"{notebooks['rich']}: signed\n"
    again = runner.invoke(app, ["trust", "sign", str(notebooks["rich"])])
    assert again.stdout == f"{notebooks['rich']}: already signed\n"
    checked = runner.invoke(app, ["trust", "check", str(notebooks["rich"])])
    assert checked.exit_code == 0 and checked.stdout == f"{notebooks['rich']}: trusted\n"


def test_trust_sign_refuses_what_jupyter_cannot_keep_signed(notebooks: dict[str, Path]) -> None:
    done = runner.invoke(app, ["trust", "sign", str(notebooks["no_ids"]), str(notebooks["plain"])])
    assert done.exit_code == 2
    assert "no_ids.ipynb: cannot sign: cell 1 has no valid id" in done.stderr
    assert done.stdout == f"{notebooks['plain']}: signed\n"  # the others are still signed


def test_trust_check_bad_input_exits_2(tmp_path: Path) -> None:
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json")
    done = runner.invoke(app, ["trust", "check", str(broken), str(tmp_path / "missing.ipynb")])
    assert done.exit_code == 2
    assert "broken.ipynb:1:2: not valid JSON" in done.stderr  # as every command says it
    assert "missing.ipynb: cannot read" in done.stderr


def test_trust_sign_with_in_memory_store_exits_2(
    notebooks: dict[str, Path], isolated_home: Path
) -> None:
    config_dir = isolated_home / "jupyter-config"
    config_dir.mkdir(exist_ok=True)
    (config_dir / "jupyter_notebook_config.json").write_text(
        json.dumps({"NotebookNotary": {"db_file": ":memory:"}})
    )
    done = runner.invoke(app, ["trust", "sign", str(notebooks["rich"])])
    assert done.exit_code == 2 and "in memory only" in done.stderr


@pytest.mark.slow
def test_trust_commands_as_a_subprocess(notebooks: dict[str, Path]) -> None:
    rich = str(notebooks["rich"])
    checked = run_nbcollab("trust", "check", rich)
    assert checked.returncode == 1 and b"untrusted output in cell 2 (id x1)" in checked.stdout
    signed = run_nbcollab("trust", "sign", rich)
    assert signed.returncode == 0 and signed.stdout.decode().strip() == f"{rich}: signed"
    with open_notary() as notary:  # the same store Jupyter would open
        assert check_notebook_text(notary, notebooks["rich"].read_text(), path=rich).signed


# --- real notebooks ---------------------------------------------------------------------------


@pytest.fixture
def store_in_ram(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The signature store on a RAM disk where there is one: each sqlite commit is an fsync."""
    if not Path("/dev/shm").is_dir():
        yield
        return
    with tempfile.TemporaryDirectory(dir="/dev/shm", prefix="nbcollab-trust-") as folder:
        monkeypatch.setenv("JUPYTER_DATA_DIR", folder)
        yield


@pytest.mark.slow
@requires_corpus
@pytest.mark.usefixtures("store_in_ram")
def test_real_notebooks_trusted_on_both_sides_are_re_signed() -> None:
    """Each corpus notebook, trusted as a side of a no-op merge, must come out trusted again.

    This holds the serializer, the read-back and the policy to Jupyter on real files: the only
    refusals allowed are those the policy names (v3, unstable ids, widget state). A result whose
    signed bytes equal a trusted input's is never refused as a collision: the user's store
    already trusts every notebook cut from those bytes.
    """
    outcomes: dict[str, list[str]] = {}
    with open_notary() as notary:
        sides = []
        for path in corpus_notebooks():
            raw = path.read_bytes()
            try:
                nb = parse_notebook(raw, path=path.name)
                notary.sign(read_as_jupyter(raw.decode("utf-8"), path=path.name))
            except (InvalidNotebook, UnicodeDecodeError):
                continue
            sides.append((path, raw, serialize_notebook(nb)))
    for path, raw, text in sides:
        outcome = sign_merge_result(text, inputs=[None, raw, raw], path=path.name)
        kind = "signed" if outcome.signed else outcome.reason.split(": ", 1)[1].split(",")[0]
        outcomes.setdefault(kind, []).append(path.name)
        if outcome.signed:
            assert jupyter_trusts(text), path.name
    allowed = ("signed", "no rich output", "nbformat 3", "cell")
    assert all(kind.startswith(allowed) for kind in outcomes), outcomes.keys()
    assert len(outcomes["signed"]) >= 80


def test_a_signed_merge_parses_each_notebook_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """git's merge driver hands the trust check the notebooks it parsed and the result it built:
    three parses for three inputs, and the same signature as when the check parses them itself."""
    from nbcollab.git import merge_driver
    from nbcollab.notebook import codec

    base, local, remote = three_versions()
    base_t, local_t, remote_t = texts(base, local, remote)
    jupyter_sign(local_t)
    jupyter_sign(remote_t)
    files = []
    for name, text in (("base", base_t), ("ours", local_t), ("theirs", remote_t)):
        files.append(tmp_path / name)
        files[-1].write_text(text, encoding="utf-8")
    parses = []

    original = codec.parse_notebook_repeats

    def counted(data: Any, **kwargs: Any) -> Any:
        parses.append(kwargs.get("path"))
        return original(data, **kwargs)

    # Every parse goes through it: parse_notebook too, wherever it was imported.
    with monkeypatch.context() as patched:
        patched.setattr(codec, "parse_notebook_repeats", counted)
        assert merge_driver.run_git_merge([*map(str, files), "7", "nb.ipynb"]) == 0
    assert len(parses) == 3, parses
    merged = files[1].read_text(encoding="utf-8")
    assert jupyter_trusts(merged)
    again = sign_merge_result(merged, inputs=[base_t, local_t, remote_t], path="nb")
    assert again.signed, again.reason
