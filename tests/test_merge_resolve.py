"""Finding and resolving what a merge left: stale records, long markers, bad --cell, many files."""

from __future__ import annotations

import pytest
from conftest import code_cell, make_notebook

from nbcollab.markers import has_markers, marker_sizes
from nbcollab.merge import merge_notebooks
from nbcollab.merge_fields import MergeLabels

LABELS = MergeLabels(ours="main", theirs="feature")


# --- markers longer than 7 characters without a record -----------------------------------------


LONG = "a\n<<<<<<<<<< main\nb1\n==========\nb2\n>>>>>>>>>> feature\nc"


def test_marker_sizes() -> None:
    assert marker_sizes(LONG) == [10]
    assert marker_sizes("<<<<<<< main\nx\n=======\ny\n>>>>>>> f\n" + LONG) == [7, 10]
    assert marker_sizes("<<<<<<<<<< nbcollab: metadata conflict\nx") == [10]
    # Lines of one length only: a ruler, or markers of mixed lengths, are not a conflict.
    assert marker_sizes("<<<<<<<<<<<<<<<<<<<<\ntext\n>>>>>>>>>>>>>>>>>>>>\n") == []
    assert marker_sizes("<<<<<<<<<< a\nx\n=======\ny\n>>>>>>>>>> b\n") == []
    assert not has_markers(LONG)  # the default size alone misses it


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
