"""Merge: a kernelspec both sides switched within one language is a local environment, not a conflict."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import code_cell, make_notebook

from nbcollab.merge.notebook import merge_notebooks


def with_kernel(name: str, language: str | None = "python") -> dict[str, Any]:
    spec: dict[str, Any] = {"name": name, "display_name": name}
    if language is not None:
        spec["language"] = language
    return make_notebook(code_cell("x", cell_id="a"), metadata={"kernelspec": spec})


@pytest.mark.parametrize(
    ("ours", "theirs"), [("python38-azureml", "python3-custom"), ("conda-env-x", "conda-base-py")]
)
def test_same_language_kernels_keep_ours_and_say_so(ours: str, theirs: str) -> None:
    result = merge_notebooks(with_kernel("python3"), with_kernel(ours), with_kernel(theirs))
    assert result.clean
    assert result.notebook["metadata"]["kernelspec"]["name"] == ours
    assert any("kept ours" in line and ours in line and theirs in line for line in result.summary())


def test_a_change_of_language_stays_a_conflict() -> None:
    result = merge_notebooks(with_kernel("python3"), with_kernel("py38"), with_kernel("ir", "R"))
    assert not result.clean
    assert "kernelspec" in " ".join(result.summary())


def test_kernels_without_a_language_stay_a_conflict() -> None:
    result = merge_notebooks(with_kernel("a", None), with_kernel("b", None), with_kernel("c", None))
    assert not result.clean


def test_one_side_changing_the_kernel_takes_it_without_a_note() -> None:
    result = merge_notebooks(with_kernel("python3"), with_kernel("python3"), with_kernel("py38"))
    assert result.clean and result.notes == []
    assert result.notebook["metadata"]["kernelspec"]["name"] == "py38"
