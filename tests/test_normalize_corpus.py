"""Normalizing every real notebook with outputs: still valid, idempotent, never loses an image."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from helpers import corpus_notebooks, requires_corpus

from nbcollab.clean.normalize import NormalizeOptions, normalize_in_place
from nbcollab.errors import InvalidNotebook
from nbcollab.notebook.codec import parse_notebook, serialize_notebook
from nbcollab.notebook.lines import iter_cells

pytestmark = [requires_corpus, pytest.mark.corpus]
NOTEBOOKS = corpus_notebooks()
EVERYTHING = NormalizeOptions(
    rules=("address", "duration", "temp-path", "timestamp"), renumber=True
)


def images(nb: dict) -> list[str]:
    return [
        value
        for cell in iter_cells(nb)
        for output in cell.get("outputs") or ()
        for mime, value in (output.get("data") or {}).items()
        if mime.startswith("image/") and mime != "image/svg+xml"
    ]


@pytest.mark.parametrize("options", [NormalizeOptions(), EVERYTHING], ids=["defaults", "all-rules"])
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem[-60:])
def test_corpus_notebook_normalizes_validly_and_idempotently(
    path: Path, options: NormalizeOptions
) -> None:
    from nbformat.validator import isvalid

    try:
        nb = parse_notebook(path.read_bytes(), path=str(path))
    except InvalidNotebook:
        pytest.skip("not a notebook nbcollab reads (covered by the clean corpus test)")
    before = copy.deepcopy(nb)
    normalize_in_place(nb, options=options)
    once = serialize_notebook(nb)
    again = parse_notebook(once)
    assert not normalize_in_place(again, options=options), "a second pass changed the notebook"
    assert serialize_notebook(again) == once
    assert images(nb) == images(before)
    raw = json.loads(path.read_bytes())
    try:
        was_valid = isvalid(copy.deepcopy(raw))
    except AssertionError:
        was_valid = False
    if was_valid:
        assert isvalid(json.loads(once))
