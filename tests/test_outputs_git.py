"""Shared outputs end to end: two clones of a bare repository, real git, the CLI as a subprocess.

Alice commits with the clean filter and publishes her outputs; Bob clones, fetches them and gets
her outputs in his working notebooks, while the branches hold none and ``git status`` is clean.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
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

from nbcollab.notebook.codec import parse_notebook

pytestmark = [pytest.mark.git, pytest.mark.slow]

NB = "nb.ipynb"
REF = "refs/nbcollab/outputs"
TRACKING = "refs/nbcollab/remotes/origin/outputs"


def png(seed: int) -> str:
    return base64.b64encode(bytes((seed * 7 + i) % 256 for i in range(3000))).decode()


def analysis(step: int = 1, *, html: bool = False) -> dict:
    plot = {
        "output_type": "display_data",
        "data": {"image/png": png(step), "text/plain": "<Figure size 640x480>"},
        "metadata": {},
    }
    if html:
        plot["data"]["text/html"] = "<b>table</b><script>alert(1)</script>"
    return make_notebook(
        code_cell("a = 1\nprint(a)", outputs=[stream_output("1\n")], count=1, cell_id="c1"),
        markdown_cell("# The plot", cell_id="m1"),
        code_cell(f"plot(a * {step})", outputs=[plot], count=2, cell_id="c2"),
    )


def code_outputs(path: Path) -> list:
    nb = parse_notebook(path.read_bytes())
    return [(c["execution_count"], c["outputs"]) for c in nb["cells"] if c["cell_type"] == "code"]


def ok(*args: str, cwd: Path) -> str:
    done = run_nbcollab(*args, cwd=cwd)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout.decode() + done.stderr.decode()


def assert_clean(repo: Path) -> None:
    assert git(repo, "status", "--porcelain").stdout == ""
    os.utime(repo / NB, (1, 1))  # past git's racy window: every file read again
    assert git(repo, "status", "--porcelain").stdout == ""
    assert git(repo, "diff", "--quiet", check=False).returncode == 0


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    return bare


def clone(remote: Path, name: str, *install: str) -> Path:
    repo = remote.parent / name
    subprocess.run(["git", "clone", "-q", str(remote), str(repo)], check=True, capture_output=True)
    ok("install", *install, cwd=repo)
    return repo


def commit(repo: Path, nb: dict, message: str) -> None:
    write_notebook(repo / NB, nb)
    git(repo, "add", NB)
    git(repo, "commit", "-qm", message)


@pytest.fixture
def alice(remote: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Alice")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "alice@example.com")
    repo = clone(remote, "alice")
    git(repo, "add", ".gitattributes")  # the team's set-up, shared with every clone
    commit(repo, analysis(1), "one")
    git(repo, "push", "-q", "origin", "HEAD:main")
    return repo


def test_bob_gets_alices_outputs_and_the_history_holds_none(alice: Path, remote: Path) -> None:
    out = ok("outputs", "push", cwd=alice)
    assert "nb.ipynb" in out and "1 notebook version published" in out
    bob = clone(remote, "bob")
    assert git(bob, "for-each-ref", "refs/nbcollab").stdout == ""  # clone does not fetch them
    assert code_outputs(bob / NB) == [(None, []), (None, [])]
    ok("outputs", "fetch", cwd=bob)
    out = ok("outputs", "restore", cwd=bob)
    assert "Alice <alice@example.com>" in out
    assert code_outputs(bob / NB) == code_outputs(alice / NB)
    assert_clean(bob)
    history = git(bob, "log", "-p", "--branches", "--remotes", "--tags").stdout
    assert "output_type" not in history and png(1)[:40] not in history
    assert "output_type" not in git(remote, "log", "-p", "main").stdout


def test_show_and_restore_say_nothing_is_lost(alice: Path, remote: Path) -> None:
    ok("outputs", "push", cwd=alice)
    bob = clone(remote, "bob")
    ok("outputs", "fetch", cwd=bob)
    shown = ok("show", "--no-pager", "HEAD:nb.ipynb", cwd=bob)
    assert "published by Alice <alice@example.com>" in shown and "image/png" in shown
    write_notebook(bob / NB, analysis(9))  # Bob's own run: his outputs stay
    out = ok("outputs", "restore", cwd=bob)
    assert "of its own" in out and code_outputs(bob / NB) == code_outputs_of(analysis(9), bob)


def code_outputs_of(nb: dict, tmp: Path) -> list:
    path = write_notebook(tmp / "other.ipynb", nb)
    return code_outputs(path)


def test_plain_push_and_pull_carry_outputs_with_share_outputs(alice: Path, remote: Path) -> None:
    ok("install", "--share-outputs", cwd=alice)
    commit(alice, analysis(2), "two")
    pushed = git(alice, "push", "-q", "origin", "HEAD:main")
    assert "published nb.ipynb" in pushed.stdout + pushed.stderr
    assert git(remote, "rev-parse", "-q", "--verify", REF, check=False).returncode == 0
    bob = clone(remote, "bob", "--share-outputs")
    git(bob, "checkout", "-q", "HEAD~1")  # something to pull
    git(bob, "checkout", "-q", "-B", "main", "HEAD")
    git(bob, "branch", "-q", "--set-upstream-to", "origin/main")
    git(bob, "pull", "-q")
    assert code_outputs(bob / NB) == code_outputs(alice / NB)
    assert_clean(bob)


def test_the_review_page_shows_alices_plots_with_where_they_came_from(
    alice: Path, remote: Path
) -> None:
    ok("outputs", "push", cwd=alice)
    commit(alice, analysis(2), "two")
    git(alice, "push", "-q", "origin", "HEAD:main")
    ok("outputs", "push", cwd=alice)
    bob = clone(remote, "bob")
    ok("outputs", "fetch", cwd=bob)
    done = run_nbcollab("diff", "HEAD~1", "HEAD", "--format", "html", "-o", "review.html", cwd=bob)
    assert done.returncode == 1, done.stderr
    page = (bob / "review.html").read_text()
    assert png(1) in page and png(2) in page
    assert page.count('class="badge published"') == 2
    assert "Alice &lt;alice@example.com&gt;" in page


def test_prune_keeps_the_last_commits_outputs_and_rewrites_nothing_else(
    alice: Path, remote: Path
) -> None:
    for step in range(2, 6):
        commit(alice, analysis(step), f"step {step}")
        git(alice, "push", "-q", "origin", "HEAD:main")
        ok("outputs", "push", cwd=alice)
    old_output = _output_blob(alice, 1)
    branches = git(remote, "for-each-ref", "refs/heads").stdout
    out = ok("outputs", "prune", "origin", "--keep", "2", cwd=alice)
    assert "kept 2 of 5 notebook versions" in out
    assert git(remote, "for-each-ref", "refs/heads").stdout == branches
    bob = clone(remote, "bob")
    ok("outputs", "fetch", cwd=bob)
    for rev, published in (("HEAD", True), ("HEAD~1", True), ("HEAD~2", False)):
        shown = ok("show", "--no-pager", f"{rev}:nb.ipynb", cwd=bob)
        # The first cell is unchanged in every version: only the plot tells them apart.
        assert ("[image/png" in shown) is published, rev
    git(remote, "gc", "-q", "--prune=now")
    assert git(remote, "cat-file", "-e", old_output, check=False).returncode != 0


def _output_blob(repo: Path, step: int) -> str:
    listing = git(repo, "ls-tree", "-r", TRACKING).stdout
    for line in listing.splitlines():
        meta, path = line.split("\t")
        if path.endswith("/2.0"):
            oid = meta.split()[2]
            if png(step)[:40] in git(repo, "cat-file", "-p", oid).stdout:
                return oid
    raise AssertionError(f"no output of step {step}")


def test_prune_to_a_size_drops_the_oldest_first(alice: Path, remote: Path) -> None:
    for step in range(2, 5):
        commit(alice, analysis(step), f"step {step}")
        ok("outputs", "push", cwd=alice)
    out = ok("outputs", "prune", "--keep", "100", "--max-size", "9K", cwd=alice)
    assert "kept 2 of 4 notebook versions" in out
    status = ok("outputs", "status", cwd=alice)
    assert "2 versions of 1 notebook," in status and "HEAD: 1 of 1" in status


def test_a_hostile_outputs_ref_never_breaks_a_checkout(alice: Path, remote: Path) -> None:
    ok("outputs", "push", cwd=alice)
    commit(alice, analysis(2), "two")
    ok("outputs", "push", cwd=alice)
    # The same ref, with every output replaced by something that is no output at all.
    tree = git(alice, "rev-parse", f"{REF}^{{tree}}").stdout.strip()
    hostile = _rewrite_outputs(alice, tree, b'{"output_type": "display_data", "x": 1}')
    commit_id = git(alice, "commit-tree", hostile, "-m", "evil").stdout.strip()
    git(alice, "update-ref", TRACKING, commit_id)
    git(alice, "update-ref", "-d", REF)
    ok("cache", "clear", cwd=alice)
    os.utime(alice / NB, (1, 1))
    git(alice, "status")  # reads the working file again: the output cache records it
    done = subprocess.run(
        ["git", "checkout", "-q", "HEAD~1"], cwd=alice, capture_output=True, text=True
    )
    assert done.returncode == 0
    warnings = [line for line in done.stderr.splitlines() if "nbcollab" in line]
    assert len(warnings) == 1 and "published outputs skipped" in warnings[0], done.stderr
    # Nothing of the hostile ref; the first cell (unchanged) from Alice's own output cache.
    assert b'"x": 1' not in (alice / NB).read_bytes()
    assert code_outputs(alice / NB) == [(1, [stream_output("1\n")]), (None, [])]
    assert_clean(alice)


def _rewrite_outputs(repo: Path, tree: str, data: bytes) -> str:
    """``tree`` with every ``<cell>.<k>`` blob replaced by ``data`` (a new tree's id)."""
    evil = (
        subprocess.run(
            ["git", "hash-object", "-w", "--stdin"], cwd=repo, input=data, capture_output=True
        )
        .stdout.decode()
        .strip()
    )
    entries = git(repo, "ls-tree", tree).stdout.splitlines()
    lines = []
    for line in entries:
        meta, name = line.split("\t")
        mode, kind, oid = meta.split()
        if kind == "tree":
            oid = _rewrite_outputs(repo, oid, data)
        elif name[0].isdigit():
            oid = evil
        lines.append(f"{mode} {kind} {oid}\t{name}")
    return subprocess.run(
        ["git", "mktree"], cwd=repo, input="\n".join(lines) + "\n", capture_output=True, text=True
    ).stdout.strip()


def test_restored_outputs_are_never_signed(alice: Path, remote: Path) -> None:
    commit(alice, analysis(3, html=True), "with html")
    git(alice, "push", "-q", "origin", "HEAD:main")
    ok("outputs", "push", cwd=alice)
    bob = clone(remote, "bob")
    ok("outputs", "fetch", cwd=bob)
    ok("outputs", "restore", cwd=bob)
    assert "text/html" in (bob / NB).read_text()
    assert run_nbcollab("trust", "check", NB, cwd=bob).returncode == 1


def test_fetch_and_pull_work_before_anybody_published_with_share_outputs(
    alice: Path, remote: Path
) -> None:
    bob = clone(remote, "bob", "--share-outputs")
    commit(alice, analysis(2), "two")
    git(alice, "push", "-q", "origin", "HEAD:main")  # nothing published: no outputs ref
    assert git(remote, "for-each-ref", "refs/nbcollab").stdout == ""
    git(bob, "fetch", "-q")
    git(bob, "pull", "-q", "--ff-only")
    assert git(bob, "for-each-ref", "refs/nbcollab").stdout == ""
    ok("outputs", "push", cwd=alice)
    git(bob, "pull", "-q")
    assert git(bob, "rev-parse", TRACKING).stdout == git(remote, "rev-parse", REF).stdout
    ok("outputs", "restore", cwd=bob)
    assert code_outputs(bob / NB) == code_outputs(alice / NB)
    # The ref deleted on the remote (a broken one, say): fetching goes on, and prunes nothing.
    git(remote, "update-ref", "-d", REF)
    git(bob, "fetch", "-q")


def test_installing_again_replaces_the_refspec_that_failed_without_a_ref(alice: Path) -> None:
    older = f"+{REF}:{TRACKING}"
    ok("install", "--share-outputs", cwd=alice)  # as an earlier version set it up
    git(alice, "config", "--unset-all", "remote.origin.fetch", "nbcollab")
    git(alice, "config", "--add", "remote.origin.fetch", older)
    done = run_nbcollab("status", cwd=alice)
    assert b"run `nbcollab install --share-outputs`" in done.stdout
    out = ok("install", "--share-outputs", cwd=alice)
    assert f"removed fetch refspec {older} from remote origin" in out
    fetch = git(alice, "config", "--get-all", "remote.origin.fetch").stdout.split()
    assert fetch == ["+refs/heads/*:refs/remotes/origin/*", f"+{REF}*:{TRACKING}*"]
    git(alice, "config", "--add", "remote.origin.fetch", older)
    ok("uninstall", "--keep-output-cache", cwd=alice)
    fetch = git(alice, "config", "--get-all", "remote.origin.fetch").stdout.split()
    assert fetch == ["+refs/heads/*:refs/remotes/origin/*"]


def test_share_outputs_is_removed_exactly_and_a_hook_of_ones_own_is_kept(alice: Path) -> None:
    before = git(alice, "config", "--local", "--list").stdout
    ok("install", "--share-outputs", cwd=alice)
    fetch = git(alice, "config", "--get-all", "remote.origin.fetch").stdout.split()
    assert fetch == ["+refs/heads/*:refs/remotes/origin/*", f"+{REF}*:{TRACKING}*"]
    hook = alice / ".git" / "hooks" / "pre-push"
    assert os.access(hook, os.X_OK) and "outputs push --hook" in hook.read_text()
    status = ok("status", cwd=alice)
    assert "share-outputs: fetched from origin; published on push" in status
    git(alice, "remote", "add", "fork", str(alice.parent / "remote.git"))
    done = run_nbcollab("status", cwd=alice)
    assert done.returncode == 1 and b"git fetch fork does not bring its outputs" in done.stdout
    git(alice, "remote", "remove", "fork")
    ok("uninstall", "--keep-output-cache", cwd=alice)
    assert not hook.exists()
    assert git(alice, "config", "--get-all", "remote.origin.fetch").stdout.split() == fetch[:1]
    ok("install", cwd=alice)
    assert git(alice, "config", "--local", "--list").stdout == before
    # A hook of one's own: kept, nbcollab's beside it, and the line to call it said.
    hook.write_text("#!/bin/sh\necho mine\n")
    out = ok("install", "--share-outputs", cwd=alice)
    beside = hook.with_name("nbcollab-pre-push")
    assert hook.read_text() == "#!/bin/sh\necho mine\n" and beside.is_file()
    assert 'nbcollab-pre-push" "$@"' in out
    done = run_nbcollab("status", cwd=alice)
    assert done.returncode == 1 and b"does not publish outputs" in done.stdout
    line = next(part for part in out.splitlines() if "add this line" in part).split(": ")[-1]
    hook.write_text(f"#!/bin/sh\n{line}\necho mine\n")
    hook.chmod(0o755)
    assert "published on push by" in ok("status", cwd=alice)
    commit(alice, analysis(2), "two")
    pushed = git(alice, "push", "origin", "HEAD:main")
    said = pushed.stdout + pushed.stderr
    assert "published nb.ipynb" in said and "mine" in said
    ok("uninstall", "--keep-output-cache", cwd=alice)
    assert not beside.exists() and hook.read_text().endswith("echo mine\n")


def test_the_hook_never_stops_a_push(
    alice: Path, remote: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok("install", "--share-outputs", cwd=alice)
    commit(alice, analysis(2), "two")
    monkeypatch.setenv("NBCOLLAB", "/nonexistent/nbcollab")  # nbcollab gone
    done = git(alice, "push", "origin", "HEAD:main", check=False)
    assert done.returncode == 0 and "outputs not published" in done.stderr
    assert git(remote, "rev-parse", "main").stdout == git(alice, "rev-parse", "HEAD").stdout


def test_outputs_a_pull_restored_are_left_for_their_author_to_publish(
    alice: Path, remote: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok("outputs", "push", cwd=alice)
    bob = clone(remote, "bob", "--share-outputs")
    # Alice changes the plot, runs it, and pushes without publishing yet.
    commit(alice, analysis(2), "two")
    git(alice, "push", "-q", "--no-verify", "origin", "HEAD:main")
    git(bob, "pull", "-q")
    assert [bool(o) for _, o in code_outputs(bob / NB)] == [True, False]  # from Alice's record
    assert_clean(bob)
    with monkeypatch.context() as as_bob:
        as_bob.setenv("GIT_AUTHOR_NAME", "Bob")
        pushed = ok("outputs", "push", cwd=bob)
    assert "not published, every output it has is published already" in pushed
    assert "no new outputs to publish" in pushed
    # Alice's own record of that version still goes out, whole, in her name.
    assert "1 notebook version published" in ok("outputs", "push", cwd=alice)
    carol = clone(remote, "carol")
    ok("outputs", "fetch", cwd=carol)
    restored = ok("outputs", "restore", cwd=carol)
    assert "Bob" not in restored and "Alice" in restored
    assert code_outputs(carol / NB) == code_outputs(alice / NB)


def test_two_clones_publishing_at_once_keep_both(alice: Path, remote: Path) -> None:
    bob = clone(remote, "bob")
    write_notebook(bob / "other.ipynb", analysis(7))
    git(bob, "add", "other.ipynb")
    git(bob, "commit", "-qm", "bob's")
    git(bob, "pull", "-q", "--rebase", "origin", "main")
    git(bob, "push", "-q", "origin", "HEAD:main")
    command = [sys.executable, "-m", "nbcollab", "outputs", "push"]
    running = [subprocess.Popen(command, cwd=repo, stderr=subprocess.PIPE) for repo in (alice, bob)]
    for process in running:
        assert process.wait() == 0, process.stderr.read() if process.stderr else ""
    carol = clone(remote, "carol")
    ok("outputs", "fetch", cwd=carol)
    status = ok("outputs", "status", cwd=carol)
    assert "2 versions of 2 notebooks" in status and "HEAD: 2 of 2" in status


def test_fetch_from_a_remote_without_outputs_says_so(alice: Path) -> None:
    out = ok("outputs", "fetch", cwd=alice)
    assert "has no published outputs" in out
    done = run_nbcollab("outputs", "push", "https://example.com/x.git", cwd=alice)
    assert done.returncode == 2 and b"name of a remote" in done.stderr


def test_outputs_push_takes_the_work_tree_file_when_the_cache_is_off(remote: Path) -> None:
    repo = clone(remote, "solo", "--no-output-cache")
    git(repo, "add", ".gitattributes")
    commit(repo, analysis(1), "one")
    git(repo, "push", "-q", "origin", "HEAD:main")
    assert "1 notebook version published" in ok("outputs", "push", cwd=repo)
    names = git(repo, "ls-tree", "-r", "--name-only", REF).stdout.splitlines()
    (meta,) = [name for name in names if name.endswith("/meta")]
    record = json.loads(git(repo, "show", f"{REF}:{meta}").stdout)
    assert record["cells"] == [[0, 1, 1], [2, 2, 1]]


def test_restore_writes_through_no_link_and_waits_for_no_fifo(
    alice: Path, remote: Path, tmp_path: Path
) -> None:
    ok("outputs", "push", cwd=alice)
    bob = clone(remote, "bob")
    ok("outputs", "fetch", cwd=bob)
    outside = tmp_path / "outside.ipynb"
    outside.write_bytes((bob / NB).read_bytes())
    (bob / NB).unlink()
    (bob / NB).symlink_to(outside)
    out = ok("outputs", "restore", cwd=bob)
    assert "not a regular file" in out and outside.read_bytes().count(b"image/png") == 0
    (bob / NB).unlink()
    os.mkfifo(bob / NB)
    done = subprocess.run(
        [sys.executable, "-m", "nbcollab", "outputs", "restore"],
        cwd=bob,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0 and b"not a regular file" in done.stderr


def test_a_publishers_name_cannot_drive_the_terminal(
    remote: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Eve\x1b]0;owned\x07 \x1b[2J")
    eve = clone(remote, "eve")
    git(eve, "add", ".gitattributes")
    commit(eve, analysis(1), "one")
    git(eve, "push", "-q", "origin", "HEAD:main")
    ok("outputs", "push", cwd=eve)
    bob = clone(remote, "bob")
    ok("outputs", "fetch", cwd=bob)
    shown = ok("outputs", "restore", cwd=bob) + ok("show", "--no-pager", "HEAD:nb.ipynb", cwd=bob)
    assert "Eve" in shown and "\x1b" not in shown and "\x07" not in shown


def test_restoring_from_published_outputs_imports_nothing_heavy(alice: Path, remote: Path) -> None:
    ok("outputs", "push", cwd=alice)
    bob = clone(remote, "bob")
    ok("outputs", "fetch", cwd=bob)
    script = (
        "import io, sys\n"
        "from pathlib import Path\n"
        "from nbcollab.options import CleanOptions\n"
        "from nbcollab.output_cache.session import CacheSession\n"
        "from nbcollab.git.entry import _published_records\n"
        "blob = open('nb.ipynb', 'rb').read()\n"
        "err = io.StringIO()\n"
        "session = CacheSession(err, others=_published_records)\n"
        "restored = session.restore(blob, 'nb.ipynb', lambda p: CleanOptions())\n"
        "assert b'image/png' in restored and not err.getvalue(), err.getvalue()\n"
        "heavy = ('nbformat', 'pydantic', 'git', 'jsonschema', 'nbdime', 'typer')\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & set(heavy)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=bob, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def runs(tag: str, *, c: str = "z = 3", first: int = 1) -> dict:
    """Three code cells run in order, printing ``<tag>-a``, ``<tag>-b``, ``<tag>-<c>`` (counts
    from ``first``)."""
    cells = (("a", "x = 1", "a"), ("b", "y = 2", "b"), ("c", c, c))
    return make_notebook(
        *(
            code_cell(src, outputs=[stream_output(f"{tag}-{out}\n")], count=first + k, cell_id=cid)
            for k, (cid, src, out) in enumerate(cells)
        )
    )


def printed(path: Path) -> list[str]:
    return ["".join(o["text"] for o in outputs) for _, outputs in code_outputs(path)]


def _mktree(repo: Path, lines: list[str]) -> str:
    done = subprocess.run(
        ["git", "mktree"],
        cwd=repo,
        input="".join(f"{line}\n" for line in lines),
        text=True,
        capture_output=True,
        check=True,
    )
    return done.stdout.strip()


def _damage_newest_record(repo: Path, ref: str, *, copy: bool) -> str:
    """A commit of ``ref``'s tree whose record of HEAD's notebook has outputs that are not JSON
    (``copy``: a newer record of that version is added instead, the older kept)."""
    root = git(repo, "ls-tree", ref).stdout.splitlines()
    (folder_line,) = [line for line in root if " tree " in line]
    meta, key = folder_line.split("\t")
    records = git(repo, "ls-tree", meta.split()[2]).stdout.splitlines()
    head = subprocess.run(["git", "cat-file", "blob", f"HEAD:{NB}"], cwd=repo, capture_output=True)
    version = hashlib.sha256(head.stdout).hexdigest()
    (newest,) = [line for line in records if line.endswith(version)]
    rmeta, name = newest.split("\t")
    bad = _rewrite_outputs(repo, rmeta.split()[2], b"not json")
    date, blob_key = name.split("-")
    renamed = f"{int(date) + 60:010d}-{blob_key}" if copy else name
    kept = records if copy else [line for line in records if line != newest]
    folder = _mktree(repo, [*kept, f"040000 tree {bad}\t{renamed}"])
    others = [line for line in root if line != folder_line]
    tree = _mktree(repo, [*others, f"040000 tree {folder}\t{key}"])
    return git(repo, "commit-tree", tree, "-m", "damaged").stdout.strip()


def push_junk_ref(repo: Path) -> str:
    """Make the remote's outputs ref a blob (a broken tool, anyone with push access)."""
    done = subprocess.run(
        ["git", "hash-object", "-w", "--stdin"], cwd=repo, input=b"junk", capture_output=True
    )
    junk = done.stdout.decode().strip()
    git(repo, "push", "-q", "-f", "origin", f"{junk}:{REF}")
    return junk


def bob_reruns_while_alice_edits(alice: Path, remote: Path) -> Path:
    """Alice publishes runs("A"); Bob re-runs it (recorded by his output cache); Alice edits
    cell c and publishes that too. Bob's clone, not yet pulled."""
    commit(alice, runs("A"), "runs")
    git(alice, "push", "-q", "origin", "HEAD:main")
    ok("outputs", "push", cwd=alice)
    bob = clone(remote, "bob", "--share-outputs")
    write_notebook(bob / NB, runs("B"))
    git(bob, "add", NB)
    commit(alice, runs("A", c="z = 30"), "alice edits c")
    git(alice, "push", "-q", "origin", "HEAD:main")
    ok("outputs", "push", cwd=alice)
    return bob


def test_a_broken_published_ref_leaves_a_pull_its_own_outputs(alice: Path, remote: Path) -> None:
    bob = bob_reruns_while_alice_edits(alice, remote)
    push_junk_ref(alice)
    pulled = git(bob, "pull", "-q")
    assert printed(bob / NB) == ["B-a\n", "B-b\n", ""]
    warnings = [line for line in pulled.stderr.splitlines() if "nbcollab" in line]
    assert len(warnings) == 1 and "published outputs skipped" in warnings[0], pulled.stderr
    assert "nbcollab outputs prune --reset origin" in warnings[0]
    assert_clean(bob)


def test_a_damaged_published_record_skips_only_itself(alice: Path, remote: Path) -> None:
    bob = bob_reruns_while_alice_edits(alice, remote)
    # A newer record of the very version, all junk: the older sound one is still used.
    junk_copy = _damage_newest_record(alice, REF, copy=True)
    git(alice, "push", "-q", "-f", "origin", f"{junk_copy}:{REF}")
    carol = clone(remote, "carol", "--share-outputs")
    git(carol, "fetch", "-q")
    restored = ok("outputs", "restore", cwd=carol)
    assert printed(carol / NB) == ["A-a\n", "A-b\n", "A-z = 30\n"]
    assert restored.count("published outputs skipped") == 1 and "not JSON" in restored
    # The only record of Alice's version damaged: Bob's own outputs stay, cell c comes empty.
    damaged = _damage_newest_record(alice, REF, copy=False)
    git(alice, "push", "-q", "-f", "origin", f"{damaged}:{REF}")
    pulled = git(bob, "pull", "-q")
    assert printed(bob / NB) == ["B-a\n", "B-b\n", ""]
    warnings = [line for line in pulled.stderr.splitlines() if "nbcollab" in line]
    assert len(warnings) == 1 and "not JSON" in warnings[0], pulled.stderr
    assert_clean(bob)


def test_a_prune_is_not_undone_by_the_next_push(alice: Path, remote: Path) -> None:
    ok("outputs", "push", cwd=alice)
    for step in range(2, 6):
        commit(alice, analysis(step), f"step {step}")
        git(alice, "push", "-q", "origin", "HEAD:main")
        ok("outputs", "push", cwd=alice)
    assert "kept 2 of 5" in ok("outputs", "prune", "origin", "--keep", "2", cwd=alice)
    pruned = git(remote, "rev-parse", REF).stdout
    # The usual `git push && nbcollab outputs push`, with nothing new: the cache still has all
    # five versions, within --depth, and publishes none of the pruned ones again.
    out = ok("outputs", "push", cwd=alice)
    assert "no new outputs" in out and "3 notebook versions pruned on origin left out" in out
    assert git(remote, "rev-parse", REF).stdout == pruned
    # A later commit that brings a pruned version back is published, and the list forgets it.
    with pytest.MonkeyPatch.context() as later:
        later.setenv("GIT_COMMITTER_DATE", "2099-01-01T00:00:00Z")
        commit(alice, analysis(1), "back to one")
    git(alice, "push", "-q", "origin", "HEAD:main")
    assert "1 notebook version published" in ok("outputs", "push", cwd=alice)
    assert "3 versions of 1 notebook" in ok("outputs", "status", cwd=alice)
    listed = git(remote, "show", f"{REF}:pruned").stdout.splitlines()
    assert len(listed) == 3 - 1


def test_a_rerun_of_edited_code_with_the_same_outputs_is_published(
    alice: Path, remote: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok("outputs", "push", cwd=alice)
    bob = clone(remote, "bob")
    edited = analysis(1)
    edited["cells"][0]["source"] = "a = 1\nprint(a)  # the same value"
    with monkeypatch.context() as as_bob:
        as_bob.setenv("GIT_AUTHOR_NAME", "Bob")
        commit(bob, edited, "a comment")  # re-run: outputs byte for byte Alice's
        git(bob, "push", "-q", "origin", "HEAD:main")
        pushed = ok("outputs", "push", cwd=bob)
    # Alice's records hold those bytes, but for other cells (the code differs): not held.
    assert "1 notebook version published" in pushed
    assert code_outputs(fresh_clone_restored(remote)) == code_outputs(bob / NB)


def test_a_prune_keeps_the_outputs_of_a_branch_it_had_not_fetched_yet(
    alice: Path, remote: Path
) -> None:
    ok("outputs", "push", cwd=alice)
    bob = clone(remote, "bob")
    git(alice, "switch", "-qc", "feat")
    commit(alice, analysis(2), "on a branch")
    git(alice, "push", "-q", "origin", "feat")
    ok("outputs", "push", cwd=alice)
    ok("outputs", "prune", "origin", "--keep", "1", cwd=bob)  # Bob never fetched feat
    assert code_outputs(fresh_clone_restored(remote, "feat")) == code_outputs(alice / NB)


def fresh_clone_restored(remote: Path, branch: str | None = None) -> Path:
    """Carol's new clone (on ``branch``) with the published outputs fetched and restored: NB."""
    carol = clone(remote, "carol")
    if branch:
        git(carol, "switch", "-q", branch)
    ok("outputs", "fetch", cwd=carol)
    ok("outputs", "restore", cwd=carol)
    return carol / NB


def test_a_damaged_remote_ref_is_described_and_replaced_by_prune_reset(
    alice: Path, remote: Path
) -> None:
    ok("outputs", "push", cwd=alice)
    junk = push_junk_ref(alice)
    fix = "replace it: nbcollab outputs prune --reset origin"
    for command in (("fetch",), ("push",), ("prune", "origin")):
        done = run_nbcollab("outputs", *command, cwd=alice)
        said = done.stderr.decode().splitlines()
        assert done.returncode == 2 and len(said) == 1 and said[0].endswith(fix), command
    status = ok("outputs", "status", cwd=alice)
    assert f"{TRACKING} ({junk[:10]}): damaged: not nbcollab's published outputs" in status
    assert "HEAD: 1 of 1 notebook has published outputs" in status  # its own ref is sound
    out = ok("outputs", "prune", "--reset", "origin", cwd=alice)
    assert f"origin's {REF}: deleted" in out
    assert git(remote, "for-each-ref", "refs/nbcollab").stdout == ""
    assert "1 notebook version published" in ok("outputs", "push", cwd=alice)
    bob = clone(remote, "bob")
    ok("outputs", "fetch", cwd=bob)
    ok("outputs", "restore", cwd=bob)
    assert code_outputs(bob / NB) == code_outputs(alice / NB)


def test_restore_and_push_name_what_does_not_exist(alice: Path) -> None:
    (alice / "README.md").write_text("x\n")
    git(alice, "add", "README.md")
    for path, problem in (
        ("nbb.ipynb", "nbb.ipynb: no such notebook in the repository"),
        ("README.md", "README.md: not a notebook"),
    ):
        done = run_nbcollab("outputs", "restore", path, cwd=alice)
        said = done.stderr.decode().splitlines()
        assert done.returncode == 2 and len(said) == 1 and problem in said[0], said
    assert "no notebook restored" in ok("outputs", "restore", NB, cwd=alice)
    done = run_nbcollab("outputs", "push", "orign", cwd=alice)
    assert done.returncode == 2
    assert (
        done.stderr.decode() == "nbcollab: error: orign: not a remote (`git remote` lists them)\n"
    )


def test_a_restore_from_two_runs_keeps_the_counts_of_one(alice: Path, remote: Path) -> None:
    commit(alice, runs("A"), "runs")
    git(alice, "push", "-q", "origin", "HEAD:main")
    ok("outputs", "push", cwd=alice)
    bob = clone(remote, "bob", "--share-outputs")
    write_notebook(bob / NB, runs("B", first=7))  # Bob's own run, after other work: 7, 8, 9
    git(bob, "add", NB)
    later = runs("A")
    later["cells"].append(
        code_cell("w = 4", outputs=[stream_output("A-d\n")], count=4, cell_id="d")
    )
    commit(alice, later, "alice adds d")
    git(alice, "push", "-q", "origin", "HEAD:main")
    ok("outputs", "push", cwd=alice)
    git(bob, "pull", "-q")
    # Cells a to c from Bob's run with its counts; d from Alice's run, without hers.
    assert printed(bob / NB) == ["B-a\n", "B-b\n", "B-z = 3\n", "A-d\n"]
    assert [count for count, _ in code_outputs(bob / NB)] == [7, 8, 9, None]
    assert_clean(bob)
    linted = run_nbcollab("lint", NB, cwd=bob).stdout.decode()
    assert "C101" not in linted and "C106" in linted  # d's output is another run's


def test_install_in_a_new_repository_says_gitattributes_must_be_committed(remote: Path) -> None:
    first, second = remote.parent / "first", remote.parent / "second"
    for repo in (first, second):
        subprocess.run(
            ["git", "clone", "-q", str(remote), str(repo)], check=True, capture_output=True
        )
    said = ok("install", cwd=first) + ok("install", cwd=second)
    assert said.count("note: .gitattributes is not committed: commit it") == 2
    assert "attributes: .gitattributes is not committed" in ok("status", cwd=second)
    git(first, "add", ".gitattributes")
    commit(first, analysis(1), "first")
    git(first, "push", "-q", "origin", "HEAD:main")
    assert "not committed" not in ok("install", cwd=first) + ok("status", cwd=first)
    # What the note says to do when a teammate committed theirs first.
    assert git(second, "pull", "-q", "origin", "main", check=False).returncode != 0
    (second / ".gitattributes").unlink()
    git(second, "pull", "-q", "origin", "main")
    assert "not committed" not in ok("install", cwd=second) + ok("status", cwd=second)
