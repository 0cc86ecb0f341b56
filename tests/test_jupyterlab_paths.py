"""The JupyterLab extension's paths: what the browser names stays inside the server's root."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

paths = pytest.importorskip(
    "jupyterlab_nbcollab.paths",
    reason="jupyterlab-nbcollab is not installed (pip install ./jupyterlab-nbcollab)",
)
PathRefused, confine = paths.PathRefused, paths.confine


@pytest.fixture
def root(tmp_path: Path) -> Path:
    top = tmp_path / "root"
    (top / "sub").mkdir(parents=True)
    (top / "sub" / "nb.ipynb").write_text("{}")
    (top / "nb.ipynb").write_text("{}")
    return top


@pytest.mark.parametrize(
    "name",
    [
        "",
        "/",
        "../nb.ipynb",
        "sub/../../nb.ipynb",
        "sub/./nb.ipynb",
        "sub//nb.ipynb",
        "a\0b.ipynb",
        "sub\\..\\..\\nb.ipynb",
        ".hidden/nb.ipynb",
        ".ipynb_checkpoints/nb-checkpoint.ipynb",
        "notes.txt",
        "nb.ipynb/..",
    ],
)
def test_refused(root: Path, name: str) -> None:
    with pytest.raises(PathRefused):
        confine(root, name)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("nb.ipynb", "nb.ipynb"), ("sub/nb.ipynb", "sub/nb.ipynb"), ("/sub/nb.ipynb", "sub/nb.ipynb")],
)
def test_inside_the_root(root: Path, name: str, expected: str) -> None:
    assert confine(root, name) == Path(os.path.realpath(root / expected))


def test_hidden_parts_when_the_contents_manager_allows_them(root: Path) -> None:
    assert confine(root, ".hidden/nb.ipynb", allow_hidden=True).name == "nb.ipynb"


def test_a_symlink_out_of_the_root_is_refused(root: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.ipynb"
    outside.write_text("{}")
    (root / "link.ipynb").symlink_to(outside)
    (root / "away").symlink_to(tmp_path)
    for name in ("link.ipynb", "away/outside.ipynb", "away/root/nb.ipynb"):
        if name == "away/root/nb.ipynb":
            # Out through a link and back in: the real path is inside, and that is what is served.
            assert confine(root, name) == Path(os.path.realpath(root / "nb.ipynb"))
            continue
        with pytest.raises(PathRefused):
            confine(root, name)


def test_a_symlink_inside_the_root_is_followed(root: Path) -> None:
    (root / "alias.ipynb").symlink_to(root / "sub" / "nb.ipynb")
    assert confine(root, "alias.ipynb") == Path(os.path.realpath(root / "sub" / "nb.ipynb"))


def test_the_root_itself_behind_a_symlink(root: Path, tmp_path: Path) -> None:
    (tmp_path / "alias").symlink_to(root)
    assert confine(tmp_path / "alias", "sub/nb.ipynb") == Path(
        os.path.realpath(root / "sub/nb.ipynb")
    )


PIECES = st.sampled_from(["a", "b", ".", "/", "\\", "\0", "~", "-", "..", ".ipynb", "%2e", " "])


@settings(max_examples=200, deadline=None)
@given(st.lists(PIECES, max_size=12).map("".join))
def test_whatever_is_named_is_refused_or_inside(name: str) -> None:
    root = Path(os.path.realpath("/tmp")) / "nbcollab-lab-root-never-created"
    try:
        found = confine(root, name)
    except PathRefused:
        return
    assert os.path.commonpath([str(root), str(found)]) == str(root) and found != root
    assert found.name.endswith(".ipynb")
