"""Fuzz the signing rule against notebooks cut differently from the same signed bytes.

A user trusts a notebook; the other side of a merge edits it with text built from the words
notebooks are made of. Whenever the policy would sign the result, every active output of every
notebook that can be cut from the result's signed bytes (``recut.Cuts``) must be one a notebook
cut from the trusted input's bytes can already show, so signing changes nothing Jupyter shows.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from helpers import code_cell, make_notebook, markdown_cell, stream_output
from hypothesis import given, settings
from hypothesis import strategies as st
from recut import Cuts
from test_trust_collision import crafted_cell_versions, script_twin

from nbcollab.trust.policy import find_collision_risk, find_untrusted_output
from nbcollab.trust.stream import signature_bytes

WORDS = (
    "data",
    "text/html",
    "<script>x()</script>",
    "output_type",
    "display_data",
    "execute_result",
    "outputs",
    "metadata",
    "source",
    "cell_type",
    "code",
    "markdown",
    "execution_count",
    "1",
    "None",
    "name",
    "stdout",
    "stream",
    "text",
    "text/plain",
    "<b>ok</b>",
    "print(1)",
    "x",
    "application/javascript",
    "image/svg+xml",
    "nbformat",
)
texts = st.lists(st.sampled_from(WORDS), max_size=5).map("".join)


def html(value: str, kind: str = "display_data") -> dict[str, Any]:
    output = {"data": {"text/html": value}, "metadata": {}, "output_type": kind}
    if kind == "execute_result":
        output["execution_count"] = 1
    return output


outputs = st.one_of(
    texts.map(html), texts.map(lambda v: html(v, "execute_result")), texts.map(stream_output)
)
cells = st.one_of(
    st.builds(
        lambda src, outs, count, tag: code_cell(
            src, outputs=outs, count=count, **({"tags": [tag]} if tag else {})
        ),
        texts,
        st.lists(outputs, max_size=2),
        st.sampled_from([None, 1, 2]),
        texts,
    ),
    texts.map(markdown_cell),
)


@st.composite
def trusted_and_merged(draw: st.DrawFn) -> tuple[dict, dict]:
    """A trusted notebook, and a result holding its outputs with the other side's edits."""
    trusted = make_notebook(*draw(st.lists(cells, min_size=1, max_size=4)), minor=4)
    result = copy.deepcopy(trusted)
    for _ in range(draw(st.integers(1, 2))):
        where = draw(st.integers(0, len(result["cells"])))
        edit = draw(st.sampled_from(["insert", "source", "stream"]))
        if edit == "insert" or where == len(result["cells"]):
            result["cells"].insert(
                where, draw(cells.map(lambda c: dict(c, outputs=[]) if "outputs" in c else c))
            )
        elif edit == "source":
            result["cells"][where]["source"] = draw(texts)
        elif "outputs" in result["cells"][where]:
            result["cells"][where]["outputs"].append(stream_output(draw(texts)))
    return trusted, result


def would_sign(result: dict, trusted: dict) -> bool:
    return (
        find_untrusted_output(result, [trusted]) is None
        and find_collision_risk(result, [trusted]) is None
    )


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(trusted_and_merged())
def test_signed_results_show_nothing_the_trusted_input_cannot(pair: tuple[dict, dict]) -> None:
    trusted, result = pair
    if not would_sign(result, trusted):
        return
    signed, known = signature_bytes(result), signature_bytes(trusted)
    already = set(Cuts(known).active_values())
    for mime, value in Cuts(signed).active_values():
        assert value in known, (mime, value)
        assert (mime, value) in already, (mime, value)


def test_the_search_finds_the_crafted_script() -> None:
    """The search is not blind: on the crafted result it finds the twin's script."""
    _, local, remote = crafted_cell_versions()
    result = make_notebook(remote["cells"][0], *local["cells"], minor=4)
    script = script_twin(result)["cells"][0]["outputs"][1]["data"]["text/html"]
    found = set(Cuts(signature_bytes(result)).active_values())
    assert (b"text/html", script.encode()) in found
    assert not would_sign(result, local)


def test_stretching_a_trusted_output_over_new_text_is_found_and_refused() -> None:
    """Two trusted outputs around a new cell: a cut can stretch the first over the new cell."""
    trusted = make_notebook(
        code_cell("a", outputs=[html("<b>1</b>")]),
        code_cell("b", outputs=[html("<b>2</b>")]),
        minor=4,
    )
    result = copy.deepcopy(trusted)
    result["cells"].insert(1, code_cell("<script>x()</script>"))
    stretched = [v for m, v in Cuts(signature_bytes(result)).active_values() if b"x()" in v]
    assert stretched and all(v not in signature_bytes(trusted) for v in stretched)
    assert find_untrusted_output(result, [trusted]) is None  # every output is a trusted one
    assert find_collision_risk(result, [trusted]) is not None


@pytest.mark.slow
@settings(max_examples=25, deadline=None)
@given(trusted_and_merged(), st.sampled_from([None, "sha256:" + "0" * 64]))
def test_the_searched_bytes_are_the_bytes_the_notary_hashes(
    pair: tuple[dict, dict], signature: str | None
) -> None:
    """What the rule and the search look at is exactly what Jupyter's signature covers."""
    import hmac

    from nbcollab.trust.notary import open_notary, read_as_jupyter

    nb = pair[1]
    if signature:
        nb["metadata"]["signature"] = signature
    node = read_as_jupyter(json.dumps(nb), path="nb")
    with open_notary() as notary:
        expected = notary.compute_signature(node)
        secret = notary.secret
    assert hmac.new(secret, signature_bytes(node), "sha256").hexdigest() == expected
