"""End to end with real git: textconv in git diff / log -p / show, the external driver, revisions."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import (
    code_cell,
    git,
    make_notebook,
    markdown_cell,
    run_nbcollab,
    stream_output,
    write_notebook,
)

from nbcollab.git.textconv import TEXTCONV_FORMAT_VERSION

pytestmark = pytest.mark.git

TEXTCONV = f"{sys.executable} -m nbcollab textconv --format-version {TEXTCONV_FORMAT_VERSION}"
EXTERNAL = f"{sys.executable} -m nbcollab git-diff"


def notebook(x: int, *, output: str = "") -> dict:
    return make_notebook(
        markdown_cell("# Analysis", cell_id="m1"),
        code_cell(
            f"x = {x}\nprint(x)\n",
            outputs=[stream_output(output)] if output else [],
            count=1 if output else None,
            cell_id="c1",
        ),
    )


@pytest.fixture
def repo(git_repo: Path) -> Path:
    git(git_repo, "config", "diff.nbcollab.textconv", TEXTCONV)
    (git_repo / ".gitattributes").write_text("*.ipynb diff=nbcollab\n")
    write_notebook(git_repo / "nb.ipynb", notebook(1))
    git(git_repo, "add", ".")
    git(git_repo, "commit", "-qm", "first")
    write_notebook(git_repo / "nb.ipynb", notebook(2))
    git(git_repo, "commit", "-qam", "second")
    return git_repo


def test_git_log_p_and_show_are_readable(repo: Path) -> None:
    log = git(repo, "log", "-p", "--", "nb.ipynb").stdout
    assert "-x = 1\n+x = 2\n" in log
    assert "=== code cell id c1 [] ===" in log
    assert '"source"' not in log
    assert "+x = 2" in git(repo, "show", "HEAD").stdout


def test_broken_notebook_in_history_does_not_stop_log(repo: Path) -> None:
    (repo / "nb.ipynb").write_text('{"cells": [ broken\n')
    git(repo, "commit", "-qam", "broken")
    write_notebook(repo / "nb.ipynb", notebook(3))
    git(repo, "commit", "-qam", "fixed")
    log = git(repo, "log", "-p", "--", "nb.ipynb")
    assert log.returncode == 0
    assert '+{"cells": [ broken' in log.stdout
    assert "-x = 2" in log.stdout and "+x = 3" in log.stdout


def test_textconv_applies_the_clean_rules_to_the_working_tree(repo: Path) -> None:
    write_notebook(repo / "nb.ipynb", notebook(2, output="secret output\n"))
    assert "secret output" not in git(repo, "diff").stdout
    (repo / "pyproject.toml").write_text("[tool.nbcollab.clean]\nkeep-outputs = true\n")
    assert "+| secret output" in git(repo, "diff").stdout


def test_cachetextconv_keyed_on_the_command(repo: Path) -> None:
    git(repo, "config", "diff.nbcollab.cachetextconv", "true")
    assert "+x = 2" in git(repo, "log", "-p").stdout
    assert "+x = 2" in git(repo, "log", "-p").stdout  # served from the notes cache
    assert git(repo, "notes", "--ref", "textconv/nbcollab", "list").stdout.strip()


def test_external_driver_modified_added_deleted_renamed(repo: Path) -> None:
    git(repo, "config", "diff.nbcollab.command", EXTERNAL)
    write_notebook(repo / "nb.ipynb", notebook(5))
    out = git(repo, "diff")
    assert out.returncode == 0 and "## cell 2 (code, id c1): modified" in out.stdout
    write_notebook(repo / "new.ipynb", notebook(7))
    git(repo, "add", "new.ipynb")
    added = git(repo, "diff", "--cached").stdout
    assert "--- /dev/null\n+++ b/new.ipynb" in added and "+x = 7" in added
    git(repo, "commit", "-qam", "more")
    git(repo, "mv", "new.ipynb", "renamed.ipynb")
    (repo / "nb.ipynb").unlink()
    renamed = git(repo, "diff", "-M", "HEAD")
    assert renamed.returncode == 0
    assert "diff --nbcollab a/new.ipynb b/renamed.ipynb" in renamed.stdout
    assert "--- a/nb.ipynb\n+++ /dev/null" in renamed.stdout


def test_external_driver_on_broken_file_and_unmerged_path(repo: Path) -> None:
    git(repo, "config", "diff.nbcollab.command", EXTERNAL)
    (repo / "nb.ipynb").write_text("not json\n")
    broken = git(repo, "diff")
    assert broken.returncode == 0 and "+not json" in broken.stdout
    git(repo, "checkout", "-q", "nb.ipynb")
    git(repo, "checkout", "-qb", "side")
    write_notebook(repo / "nb.ipynb", notebook(10))
    git(repo, "commit", "-qam", "side")
    git(repo, "checkout", "-q", "main")
    write_notebook(repo / "nb.ipynb", notebook(20))
    git(repo, "commit", "-qam", "main")
    assert git(repo, "merge", "side", check=False).returncode != 0
    unmerged = git(repo, "diff", "--cached")  # git passes the unmerged path alone
    assert unmerged.returncode == 0 and "* Unmerged path nb.ipynb" in unmerged.stdout


def test_nbcollab_diff_between_revisions(repo: Path) -> None:
    proc = run_nbcollab("diff", "HEAD~1", "HEAD", cwd=repo)
    assert proc.returncode == 1
    assert b"--- a/nb.ipynb (HEAD~1)" in proc.stdout and b"+x = 2" in proc.stdout
    assert run_nbcollab("diff", "HEAD", cwd=repo).returncode == 0
    assert run_nbcollab("diff", cwd=repo).returncode == 0
    assert run_nbcollab("diff", "HEAD~1", "--", "other.ipynb", cwd=repo).returncode == 0


def test_nbcollab_diff_working_tree_index_and_json(repo: Path) -> None:
    write_notebook(repo / "nb.ipynb", notebook(4))
    worktree = run_nbcollab("diff", cwd=repo)
    assert worktree.returncode == 1 and b"+x = 4" in worktree.stdout
    git(repo, "add", "nb.ipynb")
    assert run_nbcollab("diff", cwd=repo).returncode == 0
    staged = run_nbcollab("diff", "--cached", "-f", "json", cwd=repo)
    assert staged.returncode == 1
    diff = json.loads(staged.stdout)
    assert list(diff) == ["nb.ipynb"] and diff["nb.ipynb"][0]["key"] == "cells"


def test_one_broken_notebook_in_a_range_is_said_and_the_others_are_compared(repo: Path) -> None:
    write_notebook(repo / "other.ipynb", notebook(1))
    git(repo, "add", "other.ipynb")
    git(repo, "commit", "-qm", "other")
    write_notebook(repo / "nb.ipynb", notebook(3))
    (repo / "other.ipynb").write_text('{"cells": [ oops')
    git(repo, "-c", "filter.nbcollab.required=false", "commit", "-qam", "broken")
    text = run_nbcollab("diff", "HEAD~1", "HEAD", cwd=repo)
    assert text.returncode == 2  # something was not compared
    assert b"+x = 3" in text.stdout
    said = "b/other.ipynb (HEAD):1:13: not valid JSON (Expecting value): not compared; "
    command = "git diff --no-textconv 'HEAD~1' HEAD -- other.ipynb"
    assert f"* {said}see it as text with: {command}\n".encode() in text.stdout
    assert text.stderr.decode().splitlines() == [
        f"nbcollab: error: {said}see it as text with: {command}"
    ]
    # The command said shows the change.
    raw = git(repo, *shlex.split(command)[1:])
    assert '+{"cells": [ oops' in raw.stdout
    page = run_nbcollab("diff", "HEAD~1", "HEAD", "-f", "html", "-o", "page.html", cwd=repo)
    assert page.returncode == 2
    html = (repo / "page.html").read_text()
    assert html.count('<article class="notebook"') == 2
    assert "not read</span> other.ipynb" in html and "1:13: not valid JSON" in html
    # A control byte in a name never reaches the page raw.
    (repo / "ev\x1bil.ipynb").write_text("{ not json")
    git(repo, "-c", "filter.nbcollab.required=false", "add", "-A")
    git(repo, "-c", "filter.nbcollab.required=false", "commit", "-qm", "escape")
    run_nbcollab("diff", "HEAD~1", "HEAD", "-f", "html", "-o", "escaped.html", cwd=repo)
    escaped = (repo / "escaped.html").read_text()
    assert "\x1b" not in escaped and "ev\u241bil.ipynb" in escaped
    git(repo, "reset", "-q", "--hard", "HEAD~1")
    as_json = run_nbcollab("diff", "HEAD~1", "HEAD", "-f", "json", cwd=repo)
    assert as_json.returncode == 2 and list(json.loads(as_json.stdout)) == ["nb.ipynb"]
    # The working tree's broken notebook against the index: the same, with git's own command.
    worktree = run_nbcollab("diff", cwd=repo)
    assert worktree.returncode == 0 and worktree.stdout == b""  # committed as it is
    (repo / "other.ipynb").write_text('{"cells": [ still broken')
    worktree = run_nbcollab("diff", cwd=repo)
    assert worktree.returncode == 2
    assert b"see it as text with: git diff --no-textconv -- other.ipynb" in worktree.stderr


@pytest.mark.parametrize("major, minor", [(4, 1), (4, 4), (4, 5), (3, 0)])
def test_an_added_or_deleted_notebook_shows_no_format_change(
    repo: Path, major: int, minor: int
) -> None:
    """The side that does not exist has no format version of its own."""
    if major == 3:
        nb = {
            "metadata": {},
            "nbformat": 3,
            "nbformat_minor": minor,
            "worksheets": [
                {
                    "cells": [
                        {
                            "cell_type": "code",
                            "input": "y = 1\n",
                            "language": "python",
                            "outputs": [],
                            "metadata": {},
                        }
                    ],
                    "metadata": {},
                }
            ],
        }
    else:
        nb = make_notebook(code_cell("y = 1\n"), minor=minor)
    (repo / "new.ipynb").write_text(json.dumps(nb))
    git(repo, "add", "new.ipynb")
    added = run_nbcollab("diff", "--cached", cwd=repo)
    assert added.returncode == 1 and b"+y = 1" in added.stdout
    assert b"nbformat" not in added.stdout and b"worksheets" not in added.stdout
    git(repo, "commit", "-qm", "add")
    git(repo, "rm", "-q", "new.ipynb")
    deleted = run_nbcollab("diff", "--cached", cwd=repo)
    assert deleted.returncode == 1 and b"-y = 1" in deleted.stdout
    assert b"nbformat" not in deleted.stdout and b"worksheets" not in deleted.stdout
    external = subprocess.run(
        ["git", "-c", f"diff.nbcollab.command={EXTERNAL}", "diff", "--cached"],
        cwd=repo,
        capture_output=True,
        check=True,
    )
    assert b"-y = 1" in external.stdout and b"nbformat" not in external.stdout


def test_nbcollab_diff_cleans_filtered_working_tree(repo: Path) -> None:
    write_notebook(repo / "nb.ipynb", notebook(2, output="only an output\n"))
    assert b"only an output" in run_nbcollab("diff", "HEAD", "--", "nb.ipynb", cwd=repo).stdout
    (repo / ".gitattributes").write_text("*.ipynb diff=nbcollab filter=nbcollab\n")
    proc = run_nbcollab("diff", "HEAD", "--", "nb.ipynb", cwd=repo)
    assert b"only an output" not in proc.stdout


def test_nbcollab_diff_outside_a_repository(tmp_path: Path) -> None:
    proc = run_nbcollab("diff", "HEAD", cwd=tmp_path)
    assert proc.returncode == 2 and b"not inside a git repository" in proc.stderr


@pytest.mark.parametrize(
    ("content", "shown"),
    [
        (b"", b""),
        (b"\x00\x01binary\xff", "\u2400\u2401binary\\xff".encode()),
        (b'{"cells": [', b'{"cells": ['),
        (b'{"nbformat": 9}', b'{"nbformat": 9}'),
    ],
    ids=["empty", "binary", "broken-json", "unsupported"],
)
def test_textconv_never_fails_and_prints_the_file(
    tmp_path: Path, content: bytes, shown: bytes
) -> None:
    path = tmp_path / "x.ipynb"
    path.write_bytes(content)
    proc = run_nbcollab("textconv", str(path), "--format-version", "1", cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout == shown


def test_textconv_with_broken_config_uses_default_clean_rules(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.nbcollab.clean]\nkeep-outputz = 1\n")
    path = write_notebook(tmp_path / "x.ipynb", notebook(1, output="hidden\n"))
    proc = run_nbcollab("textconv", str(path), cwd=tmp_path)
    assert proc.returncode == 0 and b"x = 1" in proc.stdout and b"hidden" not in proc.stdout


def test_textconv_of_missing_file_exits_zero(tmp_path: Path) -> None:
    proc = run_nbcollab("textconv", str(tmp_path / "gone.ipynb"), cwd=tmp_path)
    assert proc.returncode == 0 and b"cannot read" in proc.stderr


def test_git_diff_driver_with_wrong_arguments_exits_zero(tmp_path: Path) -> None:
    proc = run_nbcollab("git-diff", "a", "b", cwd=tmp_path)
    assert proc.returncode == 0 and b"expected 1, 7 or 9 arguments" in proc.stdout


def test_double_dash_makes_two_files_repository_paths(repo: Path) -> None:
    write_notebook(repo / "two.ipynb", notebook(1))
    git(repo, "add", "two.ipynb")
    write_notebook(repo / "nb.ipynb", notebook(8))
    as_paths = run_nbcollab("diff", "--", "nb.ipynb", "two.ipynb", cwd=repo)
    assert as_paths.returncode == 1 and b"--- a/nb.ipynb (index)" in as_paths.stdout
    as_files = run_nbcollab("diff", "nb.ipynb", "two.ipynb", cwd=repo)
    assert as_files.returncode == 1 and b"--- nb.ipynb\n+++ two.ipynb" in as_files.stdout


def test_nbcollab_diff_from_a_subdirectory_takes_paths_relative_to_it(repo: Path) -> None:
    sub = repo / "sub"
    sub.mkdir()
    write_notebook(sub / "a.ipynb", notebook(1))
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "sub")
    write_notebook(sub / "a.ipynb", notebook(5))
    write_notebook(repo / "nb.ipynb", notebook(6))
    one = run_nbcollab("diff", "a.ipynb", cwd=sub)
    assert one.returncode == 1 and b"--- a/sub/a.ipynb (index)" in one.stdout
    assert b"+x = 5" in one.stdout and b"nb.ipynb" not in one.stdout
    assert b"+x = 5" in run_nbcollab("diff", "HEAD", "--", "a.ipynb", cwd=sub).stdout
    # Like git diff: no path means the whole repository, "." the current folder.
    everything = run_nbcollab("diff", cwd=sub).stdout
    assert b"+x = 5" in everything and b"+x = 6" in everything
    assert b"+x = 6" not in run_nbcollab("diff", ".", cwd=sub).stdout


def test_nbcollab_diff_cleans_each_notebook_by_its_folder_config(repo: Path) -> None:
    (repo / ".gitattributes").write_text("*.ipynb diff=nbcollab filter=nbcollab\n")
    sub = repo / "keep"
    sub.mkdir()
    (sub / "pyproject.toml").write_text("[tool.nbcollab.clean]\nkeep-outputs = true\n")
    write_notebook(sub / "a.ipynb", notebook(2))
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "keep")
    write_notebook(sub / "a.ipynb", notebook(2, output="kept output\n"))
    write_notebook(repo / "nb.ipynb", notebook(2, output="stripped output\n"))
    for cwd in (repo, sub):
        proc = run_nbcollab("diff", "HEAD", cwd=cwd)
        assert proc.returncode == 1 and b"kept output" in proc.stdout, cwd
        assert b"stripped output" not in proc.stdout


def test_textconv_clean_options_follow_the_notebook_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nbcollab.git.textconv import clean_options_for
    from nbcollab.options import CleanOptions

    (tmp_path / "keep").mkdir()
    (tmp_path / "keep" / "pyproject.toml").write_text(
        "[tool.nbcollab.clean]\nkeep-outputs = true\n"
    )
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "pyproject.toml").write_text("[tool.nbcollab.clean]\nkeep-outputz = 1\n")
    monkeypatch.chdir(tmp_path)
    warnings: list[str] = []
    assert clean_options_for("keep/a.ipynb", warn=warnings.append).keep_outputs
    assert not clean_options_for("a.ipynb", warn=warnings.append).keep_outputs
    assert warnings == []
    assert clean_options_for("bad/a.ipynb", warn=warnings.append) == CleanOptions()
    assert len(warnings) == 1 and "keep-outputz" in warnings[0]
    # A blob git copied to a temporary file: the rules where git runs (the root) apply.
    (tmp_path / "pyproject.toml").write_text("[tool.nbcollab.clean]\nkeep-outputs = true\n")
    outside = tmp_path.parent / "elsewhere" / "XYZ_a.ipynb"
    assert clean_options_for(str(outside), warn=warnings.append).keep_outputs


def test_textconv_does_not_load_the_diff_machinery(tmp_path: Path) -> None:
    # git runs textconv once per file per side: importing the aligner (rapidfuzz) costs ~25 ms.
    (tmp_path / "pyproject.toml").write_text("[tool.nbcollab.clean]\nkeep-outputs = true\n")
    path = write_notebook(tmp_path / "x.ipynb", notebook(1, output="shown\n"))
    proc = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-m",
            "nbcollab",
            "textconv",
            "--format-version",
            "1",
            str(path),
        ],
        cwd=tmp_path,
        capture_output=True,
        check=True,
    )
    assert b"| shown" in proc.stdout
    imported = {line.split(b"|")[-1].strip() for line in proc.stderr.splitlines()}
    assert b"nbcollab.git.textconv" in imported
    assert not {b"rapidfuzz", b"nbcollab.align.cells", b"nbcollab.diff.compute"} & imported
