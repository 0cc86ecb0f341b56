"""`nbcollab install --hooks`: the repository refuses a commit of a stale conflict record, with
the hook shipped inside the package, never over a hook of the user's own; the filter warns."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import code_cell, git, make_notebook, run_nbcollab, write_notebook

from nbcollab.git.conflict_note import conflict_note
from nbcollab.git.hook_files import SCRIPTS, script_text
from nbcollab.merge.notebook import merge_notebooks
from nbcollab.notebook.codec import serialize_notebook


def merged(ours: str = "x = 1", theirs: str = "x = 2") -> dict:
    """A merged notebook with one source conflict, marked and recorded."""
    base, mine, other = (make_notebook(code_cell(s, cell_id="a")) for s in ("x = 0", ours, theirs))
    return merge_notebooks(base, mine, other).notebook


def by_hand(nb: dict, text: str = "x = 3") -> dict:
    """The markers resolved in an editor: the record stays."""
    nb["cells"][0]["source"] = text
    return nb


@pytest.mark.parametrize(
    ("nb", "said"),
    [
        (merged(), "nb.ipynb: still holds 1 unresolved merge conflict(s) (cell 1 (id a)"),
        (by_hand(merged()), "nb.ipynb: 1 conflict(s) resolved by hand are still recorded"),
        (make_notebook(code_cell('d = {"conflicts": [1], "nbcollab": 2}', cell_id="a")), None),
    ],
)
def test_the_filter_says_what_a_record_still_lists(nb: dict, said: str | None) -> None:
    note = conflict_note(serialize_notebook(nb).encode(), "nb.ipynb")
    if said is None:
        assert note is None
    else:
        assert note is not None and note.startswith(said), note
        assert "nbcollab resolve nb.ipynb" in note


def test_the_hooks_ship_inside_the_package_and_are_written_marked() -> None:
    for name in ("pre-commit", "pre-commit-lint", "export-check", "post-merge"):
        assert (SCRIPTS / name).is_file()
    text = script_text("pre-commit")
    assert text.startswith(b"#!/bin/sh\n# nbcollab hook, written by `nbcollab install --hooks`")
    assert text.count(b"\n") == (SCRIPTS / "pre-commit").read_bytes().count(b"\n") + 1


@pytest.mark.slow
def test_the_wheel_holds_the_hooks(tmp_path: Path) -> None:
    """`pip install nbcollab` gets the scripts `install --hooks` writes (built from a copy, so
    the build leaves nothing in the project)."""
    import shutil
    import zipfile

    from helpers import PROJECT_ROOT

    source = tmp_path / "source"
    shutil.copytree(
        PROJECT_ROOT / "nbcollab", source / "nbcollab", ignore=shutil.ignore_patterns("__pycache__")
    )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(PROJECT_ROOT / name, source / name)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
         "-w", str(tmp_path / "dist"), str(source)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (wheel,) = (tmp_path / "dist").glob("nbcollab-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for name in ("pre-commit", "pre-commit-lint", "export-check", "post-merge"):
        assert f"nbcollab/git/hooks/{name}" in names


# -- with real git ---------------------------------------------------------------------------------


def nbcollab(repo: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return run_nbcollab(*args, cwd=repo)


def conflicted_merge(repo: Path) -> Path:
    """main and feature both changed the notebook's one cell: `git merge` stops on it."""
    path = repo / "nb.ipynb"
    write_notebook(path, make_notebook(code_cell("x = 0", cell_id="a")))
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    git(repo, "switch", "-qc", "feature")
    write_notebook(path, make_notebook(code_cell("x = 2", cell_id="a")))
    git(repo, "commit", "-qam", "feature")
    git(repo, "switch", "-q", "main")
    write_notebook(path, make_notebook(code_cell("x = 1", cell_id="a")))
    git(repo, "commit", "-qam", "main")
    assert git(repo, "merge", "-q", "feature", check=False).returncode == 1
    return path


def resolve_in_an_editor(path: Path) -> None:
    nb = json.loads(path.read_text())
    nb["cells"][0]["source"] = "x = 3\n"
    path.write_text(json.dumps(nb, indent=1))


@pytest.fixture
def hooked(git_repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NBCOLLAB", f"{sys.executable} -m nbcollab")
    done = nbcollab(git_repo, "install", "--hooks")
    assert done.returncode == 0, done.stderr
    assert b"wrote the pre-commit hook" in done.stdout
    return git_repo


@pytest.mark.git
def test_a_stale_record_is_refused_at_commit_and_warned_of_at_add(hooked: Path) -> None:
    hook = hooked / ".git" / "hooks" / "pre-commit"
    assert os.access(hook, os.X_OK) and hook.read_bytes() == script_text("pre-commit")
    status = nbcollab(hooked, "status")
    assert status.returncode == 0 and f"hooks: pre-commit {hook}".encode() in status.stdout
    path = conflicted_merge(hooked)
    resolve_in_an_editor(path)
    added = git(hooked, "add", "nb.ipynb")
    assert "nbcollab: warning: nb.ipynb: 1 conflict(s) resolved by hand" in added.stderr
    refused = git(hooked, "commit", "-qm", "merged", check=False)
    assert refused.returncode != 0 and "still recorded" in refused.stdout + refused.stderr
    assert git(hooked, "rev-parse", "-q", "--verify", "MERGE_HEAD", check=False).returncode == 0
    # The way out the messages name.
    assert nbcollab(hooked, "resolve", "nb.ipynb").returncode == 0
    git(hooked, "add", "nb.ipynb")
    git(hooked, "commit", "-qm", "merged")
    stored = json.loads(git(hooked, "cat-file", "blob", "HEAD:nb.ipynb").stdout)
    assert "nbcollab" not in stored["metadata"]


@pytest.mark.git
def test_uninstall_removes_exactly_the_hook_it_wrote(hooked: Path) -> None:
    hook = hooked / ".git" / "hooks" / "pre-commit"
    again = nbcollab(hooked, "install", "--hooks")
    assert b"pre-commit" not in again.stdout  # already there: nothing to do
    assert b"nbcollab is already installed" in again.stdout
    done = nbcollab(hooked, "uninstall", "--keep-output-cache")
    assert f"removed the pre-commit hook {hook}".encode() in done.stdout
    assert not hook.exists()
    nbcollab(hooked, "install", "--hooks")
    hook.write_bytes(hook.read_bytes() + b"echo mine\n")  # now partly the user's
    done = nbcollab(hooked, "uninstall", "--keep-output-cache")
    assert b"kept" in done.stdout and hook.read_bytes().endswith(b"echo mine\n")
    status = nbcollab(hooked, "status")
    assert b"(nbcollab's, changed since)" in status.stdout


def older_hook() -> bytes:
    """A pre-commit hook as another version of nbcollab would have written it."""
    import hashlib

    body = b"#!/bin/sh\nexit 0\n"
    marked = script_text("pre-commit").split(b"\n")[1].rsplit(b" ", 1)[0]
    return (
        b"#!/bin/sh\n" + marked + b" " + hashlib.sha256(body).hexdigest().encode() + b"\nexit 0\n"
    )


@pytest.mark.git
def test_an_older_hook_is_renewed_by_install_and_reported_by_status(hooked: Path) -> None:
    hook = hooked / ".git" / "hooks" / "pre-commit"
    hook.write_bytes(older_hook())
    status = nbcollab(hooked, "status")
    assert status.returncode == 1 and b"is an older nbcollab's" in status.stdout
    done = nbcollab(hooked, "install")
    assert f"updated the pre-commit hook {hook}".encode() in done.stdout
    assert hook.read_bytes() == script_text("pre-commit")
    assert nbcollab(hooked, "install", "--no-hooks").returncode == 0 and not hook.exists()


@pytest.mark.git
def test_a_hook_of_the_users_own_is_never_touched(git_repo: Path) -> None:
    own = git_repo / ".git" / "hooks" / "pre-commit"
    own.write_text("#!/bin/sh\necho 'my own checks'\n")
    own.chmod(0o755)
    before = own.read_bytes()
    done = nbcollab(git_repo, "install", "--hooks")
    assert done.returncode == 0 and own.read_bytes() == before
    chained = git_repo / ".git" / "hooks" / "nbcollab-pre-commit"
    assert chained.read_bytes() == script_text("pre-commit")
    line = done.stdout.decode().split("add this line to it: ")[1].strip()
    status = nbcollab(git_repo, "status")
    assert status.returncode == 1 and b"does not run nbcollab's checks" in status.stdout
    own.write_text(own.read_text() + line + "\n")
    assert nbcollab(git_repo, "status").returncode == 0
    path = conflicted_merge(git_repo)
    resolve_in_an_editor(path)
    git(git_repo, "add", "nb.ipynb")
    refused = git(git_repo, "commit", "-qm", "merged", check=False)
    assert refused.returncode != 0 and "my own checks" in refused.stdout + refused.stderr
    assert "still recorded" in refused.stdout + refused.stderr
    done = nbcollab(git_repo, "uninstall", "--keep-output-cache")
    assert not chained.exists() and own.read_bytes() == (before + line.encode() + b"\n")
    assert b"still names it" in done.stdout
    git(git_repo, "commit", "-qm", "merged")  # the line does nothing now that it is gone


@pytest.mark.git
@pytest.mark.parametrize("kind", ["fifo", "link out", "broken link"])
def test_a_hook_that_is_no_plain_file_is_left_alone(
    git_repo: Path, tmp_path: Path, kind: str
) -> None:
    hook = git_repo / ".git" / "hooks" / "pre-commit"
    outside = tmp_path / "outside"
    older = older_hook()  # even one that looks like an older nbcollab's
    outside.write_bytes(older)
    if kind == "fifo":
        os.mkfifo(hook)
    else:
        hook.symlink_to(outside if kind == "link out" else tmp_path / "gone")
    for args in (["install", "--hooks"], ["status"], ["uninstall", "--keep-output-cache"]):
        done = subprocess.run(
            [sys.executable, "-m", "nbcollab", *args], cwd=git_repo, capture_output=True,
            timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode in (0, 1), (args, done.stderr)
    assert hook.is_symlink() or hook.is_fifo()
    assert outside.read_bytes() == older


@pytest.mark.git
def test_core_hooks_path_is_where_the_hook_goes(git_repo: Path) -> None:
    git(git_repo, "config", "core.hooksPath", "shared hooks")
    assert nbcollab(git_repo, "install", "--hooks").returncode == 0
    assert (git_repo / "shared hooks" / "pre-commit").read_bytes() == script_text("pre-commit")
    assert not (git_repo / ".git" / "hooks" / "pre-commit").exists()


@pytest.mark.git
def test_a_hooks_folder_shared_outside_the_repository_gets_nothing(
    git_repo: Path, tmp_path: Path
) -> None:
    shared = tmp_path / "my hooks"
    git(git_repo, "config", "core.hooksPath", str(shared))
    done = nbcollab(git_repo, "install", "--hooks")
    assert done.returncode == 2 and b"is outside this repository" in done.stderr
    assert not shared.exists()
    assert git(git_repo, "config", "--get", "filter.nbcollab.process", check=False).stdout == ""


@pytest.mark.git
def test_hooks_belong_to_a_repository(git_repo: Path) -> None:
    done = nbcollab(git_repo, "install", "--global", "--hooks")
    assert done.returncode == 2 and b"hooks belong to a repository" in done.stderr
