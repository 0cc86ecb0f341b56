"""The output cache end to end, with real git: outputs survive switch, stash, merge, rebase."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest
from helpers import (
    code_cell,
    git,
    jupyter_sign,
    jupyter_trusts,
    make_notebook,
    markdown_cell,
    run_nbcollab,
    stream_output,
    write_notebook,
)

from nbcollab.clean.strip import clean_notebook
from nbcollab.notebook.codec import parse_notebook

pytestmark = [pytest.mark.git, pytest.mark.slow]

NB = "nb.ipynb"


def notebook(second: str = "b = a + 1\nprint(b)", *, ran: bool = True) -> dict:
    def out(text: str) -> list:
        return [stream_output(text)] if ran else []

    return make_notebook(
        code_cell("a = 1\nprint(a)", outputs=out("1\n"), count=1 if ran else None, cell_id="c1"),
        markdown_cell("# Middle", cell_id="m1"),
        code_cell(second, outputs=out("2\n"), count=2 if ran else None, cell_id="c2"),
        code_cell("print(a + b)", outputs=out("3\n"), count=3 if ran else None, cell_id="c3"),
    )


def outputs(repo: Path) -> list:
    nb = parse_notebook((repo / NB).read_bytes())
    return [
        (c.get("execution_count"), c["outputs"]) for c in nb["cells"] if c["cell_type"] == "code"
    ]


def assert_status_clean(repo: Path) -> None:
    assert git(repo, "status", "--porcelain").stdout == ""
    assert git(repo, "diff", "--quiet", check=False).returncode == 0
    # Past git's racy-stat window, a re-read of every file must still find nothing.
    os.utime(repo / NB, (1, 1))
    assert git(repo, "status", "--porcelain").stdout == ""
    assert git(repo, "diff", "--quiet", check=False).returncode == 0


@pytest.fixture
def repo(git_repo: Path) -> Path:
    done = run_nbcollab("install", cwd=git_repo)
    assert done.returncode == 0, done.stderr
    write_notebook(git_repo / NB, notebook())
    git(git_repo, "add", ".")
    git(git_repo, "commit", "-qm", "one")
    return git_repo


def commit_edit_elsewhere(repo: Path, branch: str) -> None:
    """A branch whose edit the cache never saw, as if pulled from someone else."""
    git(repo, "switch", "-qc", branch)
    # Written exactly as the filter stores it, so no working file with outputs is ever recorded.
    edited = clean_notebook(notebook("b = a + 10\nprint(b)", ran=False))
    write_notebook(repo / NB, edited)
    git(repo, "commit", "-qam", "edit")


def test_switch_away_and_back_restores_every_output(repo: Path) -> None:
    original = (repo / NB).read_bytes()
    commit_edit_elsewhere(repo, "other")
    git(repo, "switch", "-q", "main")
    assert (repo / NB).read_bytes() == original
    assert_status_clean(repo)


def test_on_the_edited_branch_only_cells_before_the_edit_get_outputs(repo: Path) -> None:
    commit_edit_elsewhere(repo, "other")
    git(repo, "switch", "-q", "main")
    git(repo, "switch", "-q", "other")
    assert outputs(repo) == [(1, [stream_output("1\n")]), (None, []), (None, [])]
    assert_status_clean(repo)


def test_the_unchanged_rule_restores_cells_after_the_edit_too(repo: Path) -> None:
    (repo / "pyproject.toml").write_text('[tool.nbcollab.cache]\nrestore = "unchanged"\n')
    git(repo, "add", "pyproject.toml")
    git(repo, "commit", "-qm", "config")
    commit_edit_elsewhere(repo, "other")
    git(repo, "switch", "-q", "main")
    git(repo, "switch", "-q", "other")
    assert outputs(repo) == [(1, [stream_output("1\n")]), (None, []), (3, [stream_output("3\n")])]
    assert_status_clean(repo)


def test_stash_and_pop_keep_outputs_on_both_sides(repo: Path) -> None:
    original = (repo / NB).read_bytes()
    write_notebook(repo / NB, notebook("b = a + 5\nprint(b)"))
    edited = (repo / NB).read_bytes()
    git(repo, "stash", "-q")
    assert (repo / NB).read_bytes() == original
    assert_status_clean(repo)
    git(repo, "stash", "pop", "-q")
    assert (repo / NB).read_bytes() == edited
    assert git(repo, "status", "--porcelain").stdout == " M nb.ipynb\n"


def test_checkout_of_the_file_restores_the_committed_outputs(repo: Path) -> None:
    original = (repo / NB).read_bytes()
    write_notebook(repo / NB, notebook("b = 99\nprint(b)", ran=False))
    git(repo, "checkout", "--", NB)
    assert (repo / NB).read_bytes() == original
    assert_status_clean(repo)


def test_a_merge_fills_outputs_of_the_cells_the_rule_recognises(repo: Path) -> None:
    commit_edit_elsewhere(repo, "other")
    git(repo, "switch", "-q", "main")
    nb = notebook()
    nb["cells"].append(markdown_cell("# Appendix", cell_id="m2"))
    write_notebook(repo / NB, nb)
    git(repo, "commit", "-qam", "appendix")
    done = git(repo, "merge", "-q", "--no-edit", "other", check=False)
    assert done.returncode == 0, done.stderr
    assert outputs(repo) == [(1, [stream_output("1\n")]), (None, []), (None, [])]
    assert "Appendix" in (repo / NB).read_text()
    assert_status_clean(repo)
    # The merge commit itself stores no outputs.
    stored = json.loads(git(repo, "show", f"HEAD:{NB}").stdout)
    assert all(not c.get("outputs") for c in stored["cells"])


def test_a_conflicted_merge_still_gets_outputs_above_the_conflict(repo: Path) -> None:
    commit_edit_elsewhere(repo, "other")
    git(repo, "switch", "-q", "main")
    write_notebook(repo / NB, notebook("b = a + 20\nprint(b)"))
    git(repo, "commit", "-qam", "ours")
    done = git(repo, "merge", "-q", "--no-edit", "other", check=False)
    assert done.returncode == 1, done.stdout + done.stderr
    # A valid notebook that says where the conflict is; the cell above it ran as recorded.
    assert outputs(repo)[0] == (1, [stream_output("1\n")])
    assert "<<<<<<<" in (repo / NB).read_text()
    listed = run_nbcollab("conflicts", NB, cwd=repo)
    assert listed.returncode == 1 and b"cell" in listed.stdout, listed.stdout + listed.stderr
    assert "UU nb.ipynb" in git(repo, "status", "--porcelain").stdout


def conflict_after_our_own_commit(repo: Path) -> dict:
    """A merge stopped on a conflict in NB, ours a commit this clone made (its outputs cached);
    our notebook as we committed it, with its outputs."""
    commit_edit_elsewhere(repo, "other")
    git(repo, "switch", "-q", "main")
    ours = notebook("b = a + 20\nprint(b)")
    write_notebook(repo / NB, ours)
    git(repo, "commit", "-qam", "ours")
    assert git(repo, "merge", "-q", "--no-edit", "other", check=False).returncode == 1
    assert [bool(o) for _, o in outputs(repo)] == [True, False, False]  # above the conflict
    return ours


def assert_our_commit_back_with_its_outputs(repo: Path, ours: dict) -> None:
    """Our own commit's notebook, with every output it had when we committed it; committed, the
    merge stores our blob and leaves nothing to commit."""
    assert outputs(repo) == [
        (c.get("execution_count"), c["outputs"]) for c in ours["cells"] if c["cell_type"] == "code"
    ]
    git(repo, "add", NB)
    git(repo, "commit", "-qm", "merged")
    assert (
        git(repo, "rev-parse", f"HEAD:{NB}").stdout == git(repo, "rev-parse", f"HEAD^1:{NB}").stdout
    )
    assert_status_clean(repo)


def test_resolving_to_our_side_brings_our_outputs_back(repo: Path) -> None:
    ours = conflict_after_our_own_commit(repo)
    done = run_nbcollab("resolve", "--ours", NB, cwd=repo)
    assert done.returncode == 0, done.stderr
    assert b"nb.ipynb: outputs restored from the output cache" in done.stderr
    assert_our_commit_back_with_its_outputs(repo, ours)


def test_outputs_put_back_keep_what_the_filter_leaves_out_of_the_blob(repo: Path) -> None:
    ours = conflict_after_our_own_commit(repo)
    merged = json.loads((repo / NB).read_text())
    widgets = {"application/vnd.jupyter.widget-state+json": {"state": {}, "version_major": 2}}
    merged["metadata"]["widgets"] = widgets  # saved by Jupyter meanwhile; never in the blob
    (repo / NB).write_text(json.dumps(merged, indent=1) + "\n")
    done = run_nbcollab("resolve", "--ours", NB, cwd=repo)
    assert b"outputs restored from the output cache" in done.stderr
    resolved = json.loads((repo / NB).read_text())
    assert resolved["metadata"]["widgets"] == widgets
    assert outputs(repo) == [
        (c.get("execution_count"), c["outputs"]) for c in ours["cells"] if c["cell_type"] == "code"
    ]


def test_no_outputs_are_put_back_where_the_filter_does_not_clean(repo: Path) -> None:
    conflict_after_our_own_commit(repo)
    (repo / ".git" / "info").mkdir(exist_ok=True)
    (repo / ".git" / "info" / "attributes").write_text("*.ipynb -filter\n")
    done = run_nbcollab("resolve", "--ours", NB, cwd=repo)
    assert done.returncode == 0 and b"outputs restored" not in done.stderr
    # Only the cell above the conflict kept the output the merge's checkout gave it.
    assert [bool(o) for _, o in outputs(repo)] == [True, False, False]


def test_saving_the_mergetool_with_our_side_brings_our_outputs_back(repo: Path) -> None:
    import sys

    from mergetool_helpers import choose_all, running

    ours = conflict_after_our_own_commit(repo)
    with running([sys.executable, "-m", "nbcollab", "mergetool", NB], repo) as tool:
        choose_all(tool, "ours")
        code, reply = tool.call("api/save", {})
        assert code == 200, reply
        code, said = tool.finish()
    assert code == 0, said
    assert "nb.ipynb: outputs restored from the output cache" in said
    assert_our_commit_back_with_its_outputs(repo, ours)


def test_marking_resolved_in_jupyterlab_brings_our_outputs_back(repo: Path) -> None:
    library = pytest.importorskip(
        "jupyterlab_nbcollab.library", reason="jupyterlab-nbcollab is not installed"
    )
    from nbcollab.notebook.codec import serialize_notebook

    ours = conflict_after_our_own_commit(repo)
    # What the editor does: each conflict's "Use ours" (the record kept), then "Mark resolved"
    # clears the record, applies the outputs and saves.
    nb = parse_notebook((repo / NB).read_bytes())
    while views := library.describe_conflicts(nb)["conflicts"]:
        nb = library.resolve_one(nb, views[0]["number"], "ours").notebook
    before = library.clear_stale(nb)  # no file: the record cleared, nothing more
    assert not before.restored
    done = library.clear_stale(nb, repo / NB)
    assert done.restored
    assert {k for k, cell in done.changed.items() if cell.get("outputs")} == {2, 3}
    (repo / NB).write_text(serialize_notebook(done.notebook), encoding="utf-8")
    assert_our_commit_back_with_its_outputs(repo, ours)


def test_fast_forward_pull_and_rebase_keep_outputs(repo: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    git(repo.parent, "clone", "-q", str(repo), str(clone))
    assert run_nbcollab("install", cwd=clone).returncode == 0
    git(clone, "checkout", "-q", "--", NB)  # the clone has no cache yet: no outputs
    write_notebook(clone / NB, notebook())
    git(clone, "add", NB)  # records this clone's outputs
    assert_status_clean(clone)
    nb = notebook()
    nb["cells"].append(markdown_cell("# Upstream note", cell_id="m9"))
    write_notebook(repo / NB, nb)
    git(repo, "commit", "-qam", "upstream")
    git(clone, "pull", "-q", "--ff-only")
    assert outputs(clone)[0] == (1, [stream_output("1\n")])
    assert outputs(clone)[2] == (3, [stream_output("3\n")])
    assert_status_clean(clone)
    (clone / "other.txt").write_text("x\n")
    git(clone, "add", "other.txt")
    git(clone, "commit", "-qm", "local")
    nb["cells"].append(markdown_cell("# Second note", cell_id="m8"))
    write_notebook(repo / NB, nb)
    git(repo, "commit", "-qam", "upstream 2")
    git(clone, "pull", "-q", "--rebase")
    assert outputs(clone)[2] == (3, [stream_output("3\n")])
    assert_status_clean(clone)


@pytest.mark.parametrize(
    "layout",
    [
        pytest.param({"indent": 1}, id="no final newline"),
        pytest.param({"indent": 2}, id="indent 2"),
        pytest.param({"indent": 1, "sources": "one string"}, id="sources as one string"),
    ],
)
def test_a_pull_of_a_notebook_written_in_another_layout_restores_outputs(
    repo: Path, tmp_path: Path, layout: dict
) -> None:
    # A teammate's tool writes the notebook (no outputs, so clean already) in a layout other
    # than Jupyter's: the filter commits those bytes as they are. A restore into them writes
    # Jupyter's layout, a file whose clean is the same notebook in other bytes: it must still
    # restore, and git must see no change.
    clone = tmp_path / "teammate"
    git(repo.parent, "clone", "-q", str(repo), str(clone))
    assert run_nbcollab("install", cwd=clone).returncode == 0
    nb = json.loads((clone / NB).read_text(encoding="utf-8"))
    nb["cells"][3]["source"] = ["print(a + b)\n", "# checked"]  # below every code cell's key
    if layout.get("sources") == "one string":
        for cell in nb["cells"]:
            cell["source"] = "".join(cell["source"])
    (clone / NB).write_text(json.dumps(nb, indent=layout["indent"]), encoding="utf-8")
    git(clone, "commit", "-qam", "teammate")
    assert not git(clone, "show", f"HEAD:{NB}").stdout.endswith("}\n")  # kept as written
    git(repo, "pull", "-q", str(clone), "HEAD")
    assert outputs(repo)[:2] == [(1, [stream_output("1\n")]), (2, [stream_output("2\n")])]
    assert_status_clean(repo)


def test_two_worktrees_share_the_cache(repo: Path, tmp_path: Path) -> None:
    other = tmp_path / "wt2"
    git(repo, "worktree", "add", "-q", str(other), "-b", "second")
    assert outputs(other)[1] == (2, [stream_output("2\n")])
    assert_status_clean(other)
    assert not (repo / ".git" / "worktrees" / "wt2" / "nbcollab").exists()


def test_a_corrupt_cache_file_means_the_blob_and_one_warning(repo: Path) -> None:
    root = repo / ".git" / "nbcollab" / "output-cache"
    for path in root.rglob("*.pack"):
        path.write_bytes(b"garbage")
    write_notebook(repo / NB, notebook("x = 1", ran=False))
    git(repo, "add", NB)  # records a working file with no outputs: nothing to restore later
    done = git(repo, "checkout", "-q", "HEAD", "--", NB)
    assert done.stderr.count("warning") == 1, done.stderr
    assert outputs(repo) == [(None, []), (None, []), (None, [])]
    assert_status_clean(repo)


def test_an_unusable_cache_folder_never_fails_a_checkout(repo: Path) -> None:
    root = repo / ".git" / "nbcollab" / "output-cache"
    shutil.rmtree(root)
    root.write_text("not a folder")  # every read and write in it fails
    commit_edit_elsewhere(repo, "other")
    done = git(repo, "switch", "main", check=False)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("nbcollab: warning") <= 1, done.stderr
    assert_status_clean(repo)


def test_the_cap_evicts_the_least_recently_used(repo: Path) -> None:
    (repo / "pyproject.toml").write_text("[tool.nbcollab.cache]\nmax-size = 6000\n")
    git(repo, "add", "pyproject.toml")
    big = "x" * 2500
    for index in range(4):
        nb = notebook(f"b = {index}\nprint(b)")
        nb["cells"][2]["outputs"] = [stream_output(big + str(index))]
        write_notebook(repo / NB, nb)
        git(repo, "add", NB)
    packs = repo / ".git" / "nbcollab" / "output-cache" / "packs"
    sizes = [p.stat().st_size for p in packs.iterdir()]
    assert 0 < sum(sizes) <= 6000
    # The newest working file survived eviction and comes back; the oldest ones are gone.
    git(repo, "commit", "-qm", "last")
    (repo / NB).unlink()
    git(repo, "checkout", "-q", "--", NB)
    assert outputs(repo)[1] == (2, [stream_output(big + "3")])
    assert_status_clean(repo)
    git(repo, "checkout", "-q", "HEAD~1", "--", NB)  # a blob recorded first, since evicted
    assert outputs(repo)[1] == (None, [])
    usage = run_nbcollab("cache", "status", cwd=repo).stdout.decode()
    assert "of 5.9 KiB" in usage


def test_no_output_cache_records_nothing(git_repo: Path) -> None:
    assert run_nbcollab("install", "--no-output-cache", cwd=git_repo).returncode == 0
    write_notebook(git_repo / NB, notebook())
    git(git_repo, "add", ".")
    git(git_repo, "commit", "-qm", "one")
    (git_repo / NB).unlink()
    git(git_repo, "checkout", "-q", "HEAD", "--", NB)
    assert outputs(git_repo) == [(None, []), (None, []), (None, [])]
    assert not (git_repo / ".git" / "nbcollab" / "output-cache").exists()


def test_cache_commands_and_uninstall(repo: Path) -> None:
    status = run_nbcollab("cache", "status", cwd=repo)
    assert status.returncode == 0 and b"on" in status.stdout and b"1 packs" in status.stdout
    assert run_nbcollab("cache", "gc", cwd=repo).returncode == 0
    done = run_nbcollab("uninstall", "--remove-output-cache", cwd=repo)
    assert b"removed the output cache" in done.stdout
    assert not (repo / ".git" / "nbcollab" / "output-cache").exists()
    assert run_nbcollab("cache", "clear", cwd=repo).stdout == b"no output cache to remove\n"


def html_notebook() -> dict:
    nb = notebook()
    nb["cells"][0]["outputs"] = [
        {
            "data": {"text/html": "<b>one</b>", "text/plain": "one"},
            "metadata": {},
            "output_type": "display_data",
        }
    ]
    nb["cells"][1]["source"] = "# Middle, with HTML above"  # something to commit
    return nb


def test_restored_outputs_are_trusted_as_they_were_when_recorded(repo: Path) -> None:
    write_notebook(repo / NB, html_notebook())
    git(repo, "commit", "-qam", "html, not trusted")  # recorded while untrusted
    commit_edit_elsewhere(repo, "other")
    git(repo, "switch", "-q", "main")
    git(repo, "switch", "-q", "other")
    assert outputs(repo)[0][1][0]["data"]["text/html"] == "<b>one</b>"
    assert not jupyter_trusts(repo / NB)  # never trusted: a restore does not trust it either
    git(repo, "switch", "-q", "main")
    nb = html_notebook()
    nb["cells"][0]["outputs"][0]["data"]["text/html"] = "<b>one, again</b>"
    write_notebook(repo / NB, nb)  # the user ran it again in Jupyter, which signed it on save
    jupyter_sign(repo / NB)
    git(repo, "add", NB)  # recorded trusted (the blob is the same: nothing to commit)
    git(repo, "switch", "-qc", "later")  # a cell below the HTML, edited by someone else
    write_notebook(repo / NB, clean_notebook(notebook("b = a + 20\nprint(b)", ran=False)))
    git(repo, "commit", "-qam", "edit")
    git(repo, "switch", "-q", "main")
    git(repo, "switch", "-q", "later")
    assert outputs(repo)[0][1][0]["data"]["text/html"] == "<b>one, again</b>"
    assert jupyter_trusts(repo / NB)  # the HTML is the user's own, the edit below it
    assert_status_clean(repo)


def test_an_untrusted_notebook_comes_back_untrusted_and_without_a_signature(repo: Path) -> None:
    write_notebook(repo / NB, html_notebook())  # with a signature key someone wrote in:
    (repo / NB).write_text(
        (repo / NB)
        .read_text()
        .replace('"metadata": {\n', '"metadata": {\n  "signature": "sha256:' + "0" * 64 + '",\n', 1)
    )
    assert '"signature"' in (repo / NB).read_text()
    git(repo, "commit", "-qam", "html")
    (repo / NB).unlink()
    git(repo, "checkout", "-q", "--", NB)
    assert outputs(repo)[0][1][0]["data"]["text/html"] == "<b>one</b>"
    assert '"signature"' not in (repo / NB).read_text()
    assert not jupyter_trusts(repo / NB)
    assert_status_clean(repo)


def test_recording_and_restoring_import_nothing_heavy(repo: Path) -> None:
    import subprocess
    import sys

    script = (
        "import io, subprocess, sys\n"
        "from nbcollab.options import CleanOptions\n"
        "from nbcollab.output_cache.session import CacheSession\n"
        "from nbcollab.clean.strip import clean_bytes\n"
        "working = open('nb.ipynb', 'rb').read()\n"
        "blob = clean_bytes(working, path='nb.ipynb')\n"
        "session = CacheSession(io.StringIO())\n"
        "session.record(working, blob, 'nb.ipynb', CleanOptions())\n"
        "edited = blob.replace(b'a + 1', b'a + 2')\n"
        "assert session.restore(blob, 'nb.ipynb', lambda p: CleanOptions()) == working\n"
        "assert session.restore(edited, 'nb.ipynb', lambda p: CleanOptions()) != edited\n"
        "heavy = ('nbformat', 'pydantic', 'git', 'jsonschema', 'nbdime')\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & set(heavy)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=repo, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_whole_file_restore_parses_nothing(repo: Path) -> None:
    """A recorded blob comes back by a hash look-up and a read: what parses notebooks (and
    its import time) is left for the cells of blobs never recorded whole."""
    import subprocess
    import sys

    record = (
        "import io\n"
        "from nbcollab.options import CleanOptions\n"
        "from nbcollab.output_cache.session import CacheSession\n"
        "from nbcollab.clean.strip import clean_bytes\n"
        "working = open('nb.ipynb', 'rb').read()\n"
        "blob = clean_bytes(working, path='nb.ipynb')\n"
        "CacheSession(io.StringIO()).record(working, blob, 'nb.ipynb', CleanOptions())\n"
        "open('blob', 'wb').write(blob)\n"
    )
    restore = (
        "import io, sys\n"
        "from nbcollab.options import CleanOptions\n"
        "from nbcollab.output_cache.session import CacheSession\n"
        "blob = open('blob', 'rb').read()\n"
        "restored = CacheSession(io.StringIO()).restore(blob, 'nb.ipynb', lambda p: CleanOptions())\n"
        "assert restored == open('nb.ipynb', 'rb').read()\n"
        "parsers = ('json', 'nbcollab.notebook.codec', 'nbcollab.output_cache.restore')\n"
        "print(sorted(set(parsers) & set(sys.modules)))\n"
    )
    for script in (record, restore):
        done = subprocess.run(
            [sys.executable, "-c", script], cwd=repo, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    (repo / "blob").unlink()


def filter_starts(repo: Path, *args: str, tmp: Path) -> int:
    """How many filter processes one git command starts (from git's own trace)."""
    import subprocess

    trace = tmp / "trace.json"
    trace.unlink(missing_ok=True)
    subprocess.run(
        ["git", *args],
        cwd=repo,
        capture_output=True,
        check=True,
        env={**os.environ, "GIT_TRACE2_EVENT": str(trace)},
    )
    return sum(
        '"child_start"' in line and "filter-process" in line
        for line in trace.read_text().splitlines()
    )


def test_a_restore_costs_git_at_most_one_re_read(repo: Path, tmp_path: Path) -> None:
    commit_edit_elsewhere(repo, "other")
    git(repo, "switch", "-q", "main")
    # git re-reads files written in the same second as the index until an index is written
    # in a later second (racy git); after that, restored files must look unchanged by stat.
    time.sleep(1.1)
    filter_starts(repo, "status", "--porcelain", tmp=tmp_path)
    assert filter_starts(repo, "status", "--porcelain", tmp=tmp_path) == 0
    assert filter_starts(repo, "diff", "--quiet", tmp=tmp_path) == 0


def test_install_switches_the_cache_declaratively(git_repo: Path) -> None:
    def key() -> str:
        return git(git_repo, "config", "--get", "nbcollab.outputcache", check=False).stdout

    assert run_nbcollab("install", cwd=git_repo).returncode == 0
    assert key() == "true\n"
    assert b"outputcache" not in run_nbcollab("install", cwd=git_repo).stdout
    assert run_nbcollab("install", "--no-output-cache", cwd=git_repo).returncode == 0
    assert key() == "false\n"
    assert run_nbcollab("install", "--no-filter", cwd=git_repo).returncode == 0
    assert key() == ""  # no filter, no cache
    assert run_nbcollab("install", cwd=git_repo).returncode == 0
    done = run_nbcollab("uninstall", cwd=git_repo)  # no terminal: the cache is kept, and said so
    assert key() == "" and b"unset nbcollab.outputcache" in done.stdout


def test_switching_back_and_forth_adds_nothing_to_the_cache(repo: Path) -> None:
    write_notebook(repo / NB, notebook("b = a + 7\nprint(b)"))
    git(repo, "switch", "-qc", "other")
    git(repo, "commit", "-qam", "edit")
    packs = repo / ".git" / "nbcollab" / "output-cache" / "packs"
    before = sorted(p.name for p in packs.iterdir())
    for _ in range(3):
        for branch in ("main", "other"):
            git(repo, "switch", "-q", branch)
            os.utime(repo / NB, (1, 1))  # make git re-read (and so re-clean) the restored file
            assert git(repo, "status", "--porcelain").stdout == ""
    assert sorted(p.name for p in packs.iterdir()) == before
