"""git_diff_driver: what git's external diff prints, for every shape of arguments git passes."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from helpers import code_cell, make_notebook, stream_output, write_notebook
from hypothesis import given, settings
from hypothesis import strategies as st

from nbcollab.git.diff_driver import run_external_diff
from nbcollab.options import CleanOptions, DiffOptions
from nbcollab.render import diffs as diff_output

OID_A, OID_B = "1" * 40, "2" * 40


def args(path: str, old: Path | str, new: Path | str) -> list[str]:
    """The 7 arguments git passes: path, old-file, old-hex, old-mode, new-file, new-hex, new-mode."""
    return [path, str(old), OID_A, "100644", str(new), OID_B, "100644"]


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    old = write_notebook(
        tmp_path / "old.ipynb",
        make_notebook(
            code_cell("import os\n", count=1),
            code_cell("x = 1\n", count=2, outputs=[stream_output("1\n")]),
        ),
    )
    new = write_notebook(
        tmp_path / "new.ipynb",
        make_notebook(code_cell("import os\n", count=1), code_cell("x = 2\n", count=3)),
    )
    return old, new


@pytest.mark.parametrize("count", [0, 2, 6, 8, 10])
def test_unexpected_argument_counts_are_a_message_not_a_crash(count: int) -> None:
    text = run_external_diff(["x"] * count)
    assert text == f"nbcollab git-diff: expected 1, 7 or 9 arguments from git, got {count}\n"


def test_one_argument_is_an_unmerged_path() -> None:
    assert run_external_diff(["nb.ipynb"]) == "* Unmerged path nb.ipynb\n"
    assert run_external_diff(['we"ird.ipynb']) == '* Unmerged path "we\\"ird.ipynb"\n'


def test_a_notebook_diff_shows_the_changed_cell_only(pair: tuple[Path, Path]) -> None:
    text = run_external_diff(args("nb.ipynb", *pair))
    assert text.startswith(
        "diff --nbcollab a/nb.ipynb b/nb.ipynb\n--- a/nb.ipynb\n+++ b/nb.ipynb\n"
    )
    assert "-x = 1\n+x = 2\n" in text
    assert "import os" not in text  # an unchanged cell is not shown
    assert "cell 2" in text and "cell 1 " not in text


def test_clean_options_hide_what_the_filter_would_strip(pair: tuple[Path, Path]) -> None:
    raw = run_external_diff(args("nb.ipynb", *pair))
    cleaned = run_external_diff(args("nb.ipynb", *pair), clean=CleanOptions(repair_ids=False))
    assert "output 1" in raw and "execution_count" in raw
    assert "output" not in cleaned and "execution_count" not in cleaned
    assert "-x = 1\n+x = 2\n" in cleaned


def test_diff_options_are_applied(pair: tuple[Path, Path]) -> None:
    text = run_external_diff(
        args("nb.ipynb", *pair),
        options=DiffOptions(ignore_outputs=True, ignore_execution_counts=True),
    )
    assert "output" not in text and "execution_count" not in text


@pytest.mark.parametrize("side", ["old", "new"])
def test_dev_null_is_an_absent_side(pair: tuple[Path, Path], side: str) -> None:
    old, new = pair
    text = run_external_diff(
        args("nb.ipynb", "/dev/null", new) if side == "old" else args("nb.ipynb", old, "/dev/null")
    )
    lines = text.splitlines()
    assert lines[0] == "diff --nbcollab a/nb.ipynb b/nb.ipynb"
    if side == "old":
        assert lines[1:3] == ["--- /dev/null", "+++ b/nb.ipynb"]
        assert "+x = 2" in lines and "+import os" in lines
    else:
        assert lines[1:3] == ["--- a/nb.ipynb", "+++ /dev/null"]
        assert "-x = 1" in lines


def test_a_rename_shows_both_paths_and_gits_rename_lines(pair: tuple[Path, Path]) -> None:
    old, new = pair
    header = "similarity index 90%\nrename from a.ipynb\nrename to b\x1b[2K.ipynb\n"
    text = run_external_diff([*args("a.ipynb", old, new), "b.ipynb", header])
    lines = text.splitlines()
    assert lines[:6] == [
        "diff --nbcollab a/a.ipynb b/b.ipynb",
        "similarity index 90%",
        "rename from a.ipynb",
        "rename to b␛[2K.ipynb",
        "--- a/a.ipynb",
        "+++ b/b.ipynb",
    ]


def test_identical_sides_print_only_the_header(pair: tuple[Path, Path]) -> None:
    old, _ = pair
    text = run_external_diff(args("nb.ipynb", old, old))
    assert "## " not in text and text.startswith("diff --nbcollab a/nb.ipynb b/nb.ipynb\n")


def test_an_unreadable_file_is_named_in_the_output(tmp_path: Path, pair: tuple[Path, Path]) -> None:
    missing = tmp_path / "gone\n.ipynb"
    text = run_external_diff(args("nb.ipynb", pair[0], missing))
    assert text.endswith(f'cannot read "{tmp_path}/gone\\n.ipynb": No such file or directory\n')


def test_a_file_that_is_not_a_notebook_falls_back_to_a_safe_line_diff(
    tmp_path: Path, pair: tuple[Path, Path]
) -> None:
    broken = tmp_path / "broken.ipynb"
    broken.write_bytes(b"<<<<<<< HEAD\n\x1b]52;c;aGk=\x07\xff\xfe\n")
    text = run_external_diff(args("nb.ipynb", pair[0], broken))
    assert "\x1b" not in text and "\x07" not in text
    lines = text.splitlines()
    assert (
        lines[1] == "# not a notebook (b/nb.ipynb:2:13: not UTF-8 text, not a notebook): line diff"
    )
    assert "--- a/nb.ipynb" in lines and "+++ b/nb.ipynb" in lines
    assert "+<<<<<<< HEAD" in lines and "+␛]52;c;aGk=␇\\xff\\xfe" in lines


def test_a_line_diff_without_final_newlines_is_still_whole_lines(tmp_path: Path) -> None:
    old, new = tmp_path / "a", tmp_path / "b"
    old.write_bytes(b"one")
    new.write_bytes(b"two")
    text = run_external_diff(args("nb.ipynb", old, new))
    assert text.endswith("-one\n+two\n")


def test_any_failure_inside_the_diff_ends_as_a_line_diff(
    pair: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*_args: object, **_kw: object) -> None:
        raise RuntimeError("boom\x1b[2J")

    monkeypatch.setattr(diff_output, "render_diffs", boom)
    text = run_external_diff(args("nb.ipynb", *pair))
    assert "# nbcollab could not diff it (RuntimeError: boom␛[2J): line diff\n" in text
    assert '-    "x = 1\\n"\n' in text


def test_paths_are_quoted_as_git_quotes_them(pair: tuple[Path, Path]) -> None:
    text = run_external_diff(args("dir/new\nline \\ \x1b.ipynb", *pair))
    first = text.splitlines()[0]
    assert first == (
        'diff --nbcollab "a/dir/new\\nline \\\\ \\033.ipynb" "b/dir/new\\nline \\\\ \\033.ipynb"'
    )


def test_colour_codes_are_nbcollabs_only(tmp_path: Path) -> None:
    old = write_notebook(tmp_path / "o.ipynb", make_notebook(code_cell("a = 1\n")))
    new = write_notebook(tmp_path / "n.ipynb", make_notebook(code_cell("a = '\x1b[8m'\n")))
    text = run_external_diff(args("nb.ipynb", old, new), color=True)
    assert "\x1b[" in text  # coloured
    assert "\x1b[8m" not in text and "␛[8m" in text


@given(st.binary(max_size=200), st.binary(max_size=200))
@settings(max_examples=60, deadline=None)
def test_any_bytes_give_text_and_never_raise(old: bytes, new: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        a, b = os.path.join(folder, "a"), os.path.join(folder, "b")
        Path(a).write_bytes(old)
        Path(b).write_bytes(new)
        text = run_external_diff(args("nb.ipynb", a, b))
    assert text.startswith("diff --nbcollab a/nb.ipynb b/nb.ipynb\n")
    assert "\x1b" not in text and "\r" not in text


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(
                st.sampled_from(
                    ["cells", "cell_type", "source", "outputs", "metadata", "nbformat", "id"]
                ),
                inner,
                max_size=4,
            )
        ),
        max_leaves=12,
    )
)
@settings(max_examples=30, deadline=None)
def test_notebook_shaped_json_never_raises(value: object) -> None:
    import json

    with tempfile.TemporaryDirectory() as folder:
        a = os.path.join(folder, "a")
        Path(a).write_text(
            json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [value]})
        )
        text = run_external_diff(args("nb.ipynb", "/dev/null", a))
    assert text.startswith("diff --nbcollab a/nb.ipynb b/nb.ipynb\n")
