"""revisions: which notebooks differ between two sides, and their bytes on each, in real repos."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import code_cell, git, make_notebook

from nbcollab.errors import NotARepository
from nbcollab.git.revisions import (
    INDEX,
    WORKTREE,
    filtered_paths,
    is_revision,
    notebook_pairs,
    open_repo,
    read_side,
    unmerged_paths,
)
from nbcollab.notebook.codec import serialize_notebook

pytestmark = [pytest.mark.git, pytest.mark.slow]


def nb_bytes(source: str) -> bytes:
    return serialize_notebook(make_notebook(code_cell(source))).encode()


def commit(repo: Path, files: dict[str, bytes | None], message: str) -> None:
    for name, data in files.items():
        path = repo / name
        if data is None:
            git(repo, "rm", "-q", name)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        git(repo, "add", name)
    git(repo, "commit", "-q", "-m", message)


@pytest.fixture
def history(git_repo: Path) -> Path:
    """Two commits: v1 of a.ipynb, sub/b.ipynb and notes.txt; then a.ipynb edited, c.ipynb added."""
    commit(
        git_repo,
        {
            "a.ipynb": nb_bytes("a = 1\n"),
            "sub/b.ipynb": nb_bytes("b = 1\n"),
            "notes.txt": b"text\n",
        },
        "one",
    )
    git(git_repo, "tag", "v1")
    commit(
        git_repo,
        {"a.ipynb": nb_bytes("a = 2\n"), "c.ipynb": nb_bytes("c = 1\n"), "notes.txt": b"more\n"},
        "two",
    )
    return git_repo


def summary(pairs: list) -> list[tuple]:
    return [(p.path, p.old, p.new, p.old_label, p.new_label, p.unmerged) for p in pairs]


def test_open_repo_from_a_subfolder_and_outside(history: Path, tmp_path: Path) -> None:
    assert Path(open_repo(history / "sub").working_tree_dir) == history
    outside = tmp_path / "plain"
    outside.mkdir()
    with pytest.raises(NotARepository, match="not inside a git repository"):
        open_repo(outside)


@pytest.mark.parametrize(
    "name, expected",
    [
        ("HEAD", True),
        ("v1", True),
        ("HEAD~1", True),
        ("main", True),
        ("nope", False),
        ("HEAD~5", False),
        ("--all", False),
        ("", False),
    ],
)
def test_is_revision(history: Path, name: str, expected: bool) -> None:
    assert is_revision(open_repo(history), name) is expected


def test_two_revisions(history: Path) -> None:
    pairs = notebook_pairs(open_repo(history), "v1", "HEAD")
    assert summary(pairs) == [
        (
            "a.ipynb",
            nb_bytes("a = 1\n"),
            nb_bytes("a = 2\n"),
            "a/a.ipynb (v1)",
            "b/a.ipynb (HEAD)",
            False,
        ),
        ("c.ipynb", None, nb_bytes("c = 1\n"), "a/c.ipynb (v1)", "b/c.ipynb (HEAD)", False),
    ]


def test_index_to_working_tree_and_head_to_index(history: Path) -> None:
    repo = open_repo(history)
    (history / "a.ipynb").write_bytes(nb_bytes("a = 3\n"))
    (history / "sub" / "b.ipynb").write_bytes(nb_bytes("b = 2\n"))
    git(history, "add", "sub/b.ipynb")
    unstaged = notebook_pairs(repo, None, None)
    assert [(p.path, p.old_label, p.new_label) for p in unstaged] == [
        ("a.ipynb", "a/a.ipynb (index)", "b/a.ipynb (working tree)")
    ]
    assert (unstaged[0].old, unstaged[0].new) == (nb_bytes("a = 2\n"), nb_bytes("a = 3\n"))
    staged = notebook_pairs(repo, None, None, cached=True)
    assert summary(staged) == [
        (
            "sub/b.ipynb",
            nb_bytes("b = 1\n"),
            nb_bytes("b = 2\n"),
            "a/sub/b.ipynb (HEAD)",
            "b/sub/b.ipynb (index)",
            False,
        )
    ]
    against_rev = notebook_pairs(repo, "v1", None)
    assert [p.path for p in against_rev] == ["a.ipynb", "c.ipynb", "sub/b.ipynb"]
    assert against_rev[0].new == nb_bytes("a = 3\n")  # the working tree


def test_paths_are_pathspecs_relative_to_cwd(history: Path) -> None:
    repo = open_repo(history)
    (history / "a.ipynb").write_bytes(nb_bytes("a = 3\n"))
    (history / "sub" / "b.ipynb").write_bytes(nb_bytes("b = 3\n"))
    assert [p.path for p in notebook_pairs(repo, None, None, ["sub"])] == ["sub/b.ipynb"]
    from_sub = notebook_pairs(repo, None, None, ["b.ipynb"], cwd=history / "sub")
    assert [p.path for p in from_sub] == ["sub/b.ipynb"]  # names stay root-relative
    assert [p.path for p in notebook_pairs(repo, None, None, ["*.ipynb"])] == [
        "a.ipynb",
        "sub/b.ipynb",
    ]


def test_a_deleted_notebook_has_no_new_bytes(history: Path) -> None:
    (history / "c.ipynb").unlink()
    (pair,) = notebook_pairs(open_repo(history), None, None)
    assert (pair.path, pair.old, pair.new) == ("c.ipynb", nb_bytes("c = 1\n"), None)


def test_odd_file_names_are_labelled_as_git_quotes_them(git_repo: Path) -> None:
    name = "tab\there.ipynb"
    commit(git_repo, {name: nb_bytes("x = 1\n")}, "odd")
    (git_repo / name).write_bytes(nb_bytes("x = 2\n"))
    (pair,) = notebook_pairs(open_repo(git_repo), None, None)
    assert pair.path == name
    assert (pair.old_label, pair.new_label) == (
        '"a/tab\\there.ipynb" (index)',
        '"b/tab\\there.ipynb" (working tree)',
    )


def test_a_bad_revision_is_a_git_error(history: Path) -> None:
    from nbcollab.errors import GitError

    with pytest.raises(GitError, match="git diff failed"):
        notebook_pairs(open_repo(history), "no-such-rev", None)


def test_read_side_everywhere(history: Path) -> None:
    repo = open_repo(history)
    (history / "a.ipynb").write_bytes(b"working")
    assert read_side(repo, WORKTREE, "a.ipynb", history) == b"working"
    assert read_side(repo, INDEX, "a.ipynb", history) == nb_bytes("a = 2\n")
    assert read_side(repo, "v1", "a.ipynb", history) == nb_bytes("a = 1\n")
    assert read_side(repo, "v1", "c.ipynb", history) is None
    assert read_side(repo, INDEX, "missing.ipynb", history) is None
    assert read_side(repo, WORKTREE, "sub", history) is None  # a folder is not a file


@pytest.fixture
def conflicted(git_repo: Path) -> Path:
    """A merge stopped on nb.ipynb, edited differently on two branches (no merge driver)."""
    commit(git_repo, {"nb.ipynb": nb_bytes("x = 0\n")}, "base")
    git(git_repo, "checkout", "-q", "-b", "other")
    commit(git_repo, {"nb.ipynb": nb_bytes("x = 2\n")}, "theirs")
    git(git_repo, "checkout", "-q", "main")
    commit(git_repo, {"nb.ipynb": nb_bytes("x = 1\n")}, "ours")
    assert git(git_repo, "merge", "-q", "other", check=False).returncode != 0
    return git_repo


def test_an_unmerged_notebook_is_one_pair_with_its_sides(conflicted: Path) -> None:
    repo = open_repo(conflicted)
    assert unmerged_paths(repo) == {"nb.ipynb"}
    (pair,) = notebook_pairs(repo, None, None)
    assert pair.unmerged
    assert (pair.old, pair.theirs) == (nb_bytes("x = 1\n"), nb_bytes("x = 2\n"))
    assert pair.new == (conflicted / "nb.ipynb").read_bytes()  # git's text markers
    assert pair.old_label == "a/nb.ipynb (ours)"
    (cached,) = notebook_pairs(repo, None, None, cached=True)
    assert (cached.unmerged, cached.old, cached.new) == (True, None, None)
    (head,) = notebook_pairs(repo, "HEAD", None)
    assert (head.old, head.old_label) == (nb_bytes("x = 1\n"), "a/nb.ipynb (HEAD)")


def test_no_unmerged_paths_in_a_clean_repository(history: Path) -> None:
    assert unmerged_paths(open_repo(history)) == set()


def test_filtered_paths_follow_the_filter_attribute(history: Path) -> None:
    (history / ".gitattributes").write_text("*.ipynb filter=nbcollab\nsub/*.ipynb -filter\n")
    repo = open_repo(history)
    assert filtered_paths(repo, []) == set()
    assert filtered_paths(repo, ["a.ipynb", "sub/b.ipynb", "notes.txt", "new one.ipynb"]) == {
        "a.ipynb",
        "new one.ipynb",
    }
