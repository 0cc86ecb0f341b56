"""Signature collisions: notebooks cut differently from the same signed bytes.

nbformat's signature hashes keys and values back to back with no separators, so a signature
covers a byte stream, not a notebook: every notebook whose keys and values concatenate to the
same bytes is trusted by it. These tests build such re-cut notebooks against real merge results
and the real notary (each test has its own JUPYTER_DATA_DIR, from the autouse fixture).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from helpers import (
    code_cell,
    jupyter_sign,
    jupyter_trusts,
    make_notebook,
    markdown_cell,
    run_nbcollab,
    stream_output,
)
from typer.testing import CliRunner

from nbcollab.cli.app import app
from nbcollab.notebook.codec import parse_notebook, serialize_notebook
from nbcollab.trust.notary import sign_merge_result
from nbcollab.trust.stream import signature_bytes

runner = CliRunner()
SCRIPT = "<script>document.title='owned'</script>"


def html_output(text: str) -> dict[str, Any]:
    return {"data": {"text/html": text}, "metadata": {}, "output_type": "display_data"}


def crafted_cell_versions() -> tuple[dict, dict, dict]:
    """base and local hold one trusted HTML output; remote only adds a code cell before it."""
    base = make_notebook(code_cell("show()", count=1, outputs=[html_output("<b>ok</b>")]), minor=4)
    local = copy.deepcopy(base)
    local["cells"].append(markdown_cell("notes"))
    remote = copy.deepcopy(base)
    source = "outputsnamestdoutoutput_typestreamtextdatatext/html" + SCRIPT
    remote["cells"].insert(0, code_cell(source))
    return base, local, remote


def script_twin(result: dict) -> dict:
    """The result's first two cells re-cut into one cell whose second output runs a script."""
    twin = copy.deepcopy(result)
    twin["cells"][0:2] = [
        {
            "cell_type": "code",
            "execution_count": None,
            "metadata": {"outputssource": ""},
            "outputs": [
                stream_output(""),
                html_output(
                    SCRIPT + "cell_typecodeexecution_count1metadataoutputsdatatext/html<b>ok</b>"
                ),
            ],
            "source": "show()",
        }
    ]
    return twin


def write_versions(tmp_path: Path, *nbs: dict) -> list[Path]:
    paths = []
    for name, nb in zip(("base", "local", "remote"), nbs):
        path = tmp_path / f"{name}.ipynb"
        path.write_text(serialize_notebook(nb), encoding="utf-8")
        paths.append(path)
    return paths


def test_script_twin_really_shares_the_result_signature() -> None:
    _base, local, remote = crafted_cell_versions()
    result = make_notebook(remote["cells"][0], *local["cells"], minor=4)
    assert signature_bytes(script_twin(result)) == signature_bytes(result)


def test_text_spelling_a_stream_and_a_script_output_is_not_signed(tmp_path: Path) -> None:
    """base+local trusted; remote adds a cell; signing the merge result must not trust the twin."""
    paths = write_versions(tmp_path, *crafted_cell_versions())
    jupyter_sign(paths[0].read_text())
    jupyter_sign(paths[1].read_text())
    out = tmp_path / "merged.ipynb"

    done = runner.invoke(app, ["merge", *map(str, paths), "-o", str(out)])

    assert done.exit_code == 0, done.stderr
    result = json.loads(out.read_text())
    twin = script_twin(result)
    assert signature_bytes(twin) == signature_bytes(result)
    assert "nbcollab: not signed:" in done.stderr
    assert not jupyter_trusts(result)
    assert not jupyter_trusts(twin)
    twin_path = tmp_path / "twin.ipynb"
    twin_path.write_text(json.dumps(twin), encoding="utf-8")
    checked = runner.invoke(app, ["trust", "check", str(twin_path)])
    assert checked.exit_code == 1 and "not trusted" in checked.stdout


@pytest.mark.slow
def test_text_spelling_a_script_output_as_a_subprocess(tmp_path: Path) -> None:
    paths = write_versions(tmp_path, *crafted_cell_versions())
    jupyter_sign(paths[0].read_text())
    jupyter_sign(paths[1].read_text())
    out = tmp_path / "merged.ipynb"

    done = run_nbcollab("merge", *map(str, paths), "-o", str(out))

    assert done.returncode == 0 and b"nbcollab: not signed:" in done.stderr
    twin_path = tmp_path / "twin.ipynb"
    twin_path.write_text(json.dumps(script_twin(json.loads(out.read_text()))))
    checked = run_nbcollab("trust", "check", str(twin_path))
    assert checked.returncode == 1 and b"not trusted" in checked.stdout


def test_same_merge_without_the_crafted_text_is_still_signed(tmp_path: Path) -> None:
    """The refusal comes from the crafted text, not from the added cell as such."""
    base, local, remote = crafted_cell_versions()
    remote["cells"][0]["source"] = "print('hello')"
    paths = write_versions(tmp_path, base, local, remote)
    jupyter_sign(paths[0].read_text())
    jupyter_sign(paths[1].read_text())
    out = tmp_path / "merged.ipynb"

    done = runner.invoke(app, ["merge", *map(str, paths), "-o", str(out)])

    assert "nbcollab: signed" in done.stderr
    assert jupyter_trusts(json.loads(out.read_text()))


def stretch_versions() -> tuple[dict, dict, dict]:
    """Two trusted HTML outputs; remote inserts a plain code cell between them."""
    base = make_notebook(
        code_cell("show('a')", cell_id="a", count=1, outputs=[html_output("<b>a</b>")]),
        code_cell("show('b')", cell_id="b", count=2, outputs=[html_output("<i>b</i>")]),
    )
    local = copy.deepcopy(base)
    local["cells"][0]["source"] = "show('a')  # checked"
    remote = copy.deepcopy(base)
    remote["cells"].insert(1, code_cell(SCRIPT, cell_id="x"))
    return base, local, remote


def stretched_twin(result: dict) -> dict:
    """The first output stretched over the inserted cell up to the second output's closing keys."""
    first, inserted, last = result["cells"]
    value = (
        "<b>a</b>metadataoutput_typedisplay_datasource"
        + first["source"]
        + "cell_typecodeexecution_countNoneidxmetadataoutputssource"
        + inserted["source"]
        + "cell_typecodeexecution_count2idbmetadataoutputsdatatext/html<i>b</i>"
    )
    cell = dict(first, outputs=[html_output(value)], source=last["source"])
    return dict(result, cells=[cell])


def test_stretching_a_trusted_output_over_an_inserted_cell_is_not_signed(tmp_path: Path) -> None:
    """No crafted text at all: a re-cut stretches the first trusted output over the new cell."""
    paths = write_versions(tmp_path, *stretch_versions())
    jupyter_sign(paths[1].read_text())
    out = tmp_path / "merged.ipynb"

    done = runner.invoke(app, ["merge", *map(str, paths), "-o", str(out)])

    result = parse_notebook(out.read_text(), path="merged")
    twin = stretched_twin(result)
    assert signature_bytes(twin) == signature_bytes(result)
    assert SCRIPT in twin["cells"][0]["outputs"][0]["data"]["text/html"]
    assert done.stderr.splitlines()[-1] == (
        "nbcollab: not signed: cell 2 (id x) was added between the first and last rich output; "
        f"check it, then run: nbcollab trust sign {out}"
    )
    assert not jupyter_trusts(twin)


def test_both_sides_trusted_still_sign_when_no_stretch_mixes_them() -> None:
    """The same insertion after the last rich output leaves every cut inside local's bytes."""
    base, local, remote = stretch_versions()
    remote["cells"].append(remote["cells"].pop(1))
    texts = [serialize_notebook(nb) for nb in (base, local, remote)]
    jupyter_sign(texts[1])
    result = make_notebook(local["cells"][0], base["cells"][1], remote["cells"][2])

    outcome = sign_merge_result(serialize_notebook(result), inputs=texts, path="nb")

    assert outcome.signed, outcome.reason
    assert jupyter_trusts(result)
