"""Finding and resolving what a merge left: stale records, long markers, bad --cell, many files."""

from __future__ import annotations

import pytest
from conftest import code_cell, make_notebook

from nbcollab.merge import merge_notebooks
from nbcollab.merge_fields import MergeLabels

LABELS = MergeLabels(ours="main", theirs="feature")


# --- the merge summary ------------------------------------------------------------------------


@pytest.mark.parametrize(("cells", "expected"), [(0, "0 of 0"), (2, "2 of 2")])
def test_summary_counts_only_real_cells(cells: int, expected: str) -> None:
    versions = [make_notebook(*(code_cell(str(k), cell_id=f"c{k}") for k in range(cells)))
                for _ in range(3)]
    versions[1]["metadata"]["kernelspec"]["name"] = "k1"
    versions[2]["metadata"]["kernelspec"]["name"] = "k2"
    result = merge_notebooks(*versions, labels=LABELS)
    assert len(result.notebook["cells"]) == cells + 1  # the note cell
    assert result.summary()[0] == f"{expected} cells merged cleanly"
