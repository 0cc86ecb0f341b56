"""End to end: with the default set-up (filter, output cache, drivers), your own outputs open
trusted after switch, pull, merge, rebase and stash pop, and nothing else ever does.

Two clones of one origin: the user's, whose Jupyter (this test's JUPYTER_DATA_DIR) signs what
they save, and a colleague's, with a Jupyter store of their own. The real notary checks trust.
"""

from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest
from helpers import (
    code_cell,
    git,
    jupyter_sign,
    jupyter_trusts,
    make_notebook,
    markdown_cell,
    run_nbcollab,
    write_notebook,
)
from helpers import html_output as html

from nbcollab.notebook.codec import parse_notebook

pytestmark = [pytest.mark.git, pytest.mark.slow]

NB = "analysis.ipynb"


def report(**changes: str) -> dict[str, Any]:
    """HTML in cells 1 and 3 (the rich stretch runs from the first to the second), prose
    between them, a plain cell below."""
    text = {"top": "# Report", "a": "show(1)", "m": "## Between", "b": "show(2)", "z": "z = 3"}
    text.update(changes)
    return make_notebook(
        markdown_cell(text["top"], cell_id="top"),
        code_cell(text["a"], cell_id="a", count=1, outputs=[html(f"<b>{text['a']}</b>")]),
        markdown_cell(text["m"], cell_id="m"),
        code_cell(text["b"], cell_id="b", count=2, outputs=[html(f"<i>{text['b']}</i>")]),
        code_cell(text["z"], cell_id="z", count=3),
    )


def jupyter_save(repo: Path, nb: dict[str, Any], *, trusted: bool = True) -> None:
    """What saving in the user's Jupyter does: write the file, and sign it when trusted."""
    write_notebook(repo / NB, nb)
    if trusted:
        jupyter_sign(repo / NB)


def trusted(repo: Path) -> bool:
    """Whether the user's Jupyter trusts the notebook in ``repo``."""
    return jupyter_trusts(repo / NB)


def html_outputs(repo: Path) -> list[str]:
    nb = parse_notebook((repo / NB).read_bytes())
    return [
        output["data"]["text/html"]
        for cell in nb["cells"]
        for output in cell.get("outputs", [])
        if "data" in output
    ]


class Colleague:
    """The other clone, run with a Jupyter store of its own (never the user's)."""

    def __init__(self, root: Path, origin: Path, *, filtered: bool = True) -> None:
        self.env = {**os.environ, "JUPYTER_DATA_DIR": str(root / "colleague-jupyter")}
        self.repo = root / "colleague"
        self.git("clone", "-q", str(origin), str(self.repo), cwd=root)
        if filtered:
            done = subprocess.run(
                [*run_nbcollab_argv(), "install"], cwd=self.repo, env=self.env, capture_output=True
            )
            assert done.returncode == 0, done.stderr

    def git(self, *args: str, cwd: Path | None = None) -> None:
        subprocess.run(
            ["git", *args], cwd=cwd or self.repo, env=self.env, check=True, capture_output=True
        )

    def commit(self, nb: dict[str, Any], message: str) -> None:
        write_notebook(self.repo / NB, nb)
        self.git("commit", "-qam", message)
        self.git("push", "-q", "origin", "main")


def run_nbcollab_argv() -> list[str]:
    import sys

    return [sys.executable, "-m", "nbcollab"]


@pytest.fixture
def clones(tmp_path: Path) -> tuple[Path, Path]:
    """The origin and the user's clone (installed, the report committed trusted and pushed)."""
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(origin))
    user = tmp_path / "user"
    git(tmp_path, "clone", "-q", str(origin), str(user))
    assert run_nbcollab("install", cwd=user).returncode == 0
    jupyter_save(user, report())
    git(user, "add", ".")
    git(user, "commit", "-qm", "report")
    git(user, "push", "-q", "origin", "HEAD:main")
    return origin, user


def test_switch_away_and_back_and_to_a_branch_edited_below(clones: tuple[Path, Path]) -> None:
    _, user = clones
    git(user, "switch", "-qc", "elsewhere")
    jupyter_save(user, report(z="z = 30"))
    git(user, "commit", "-qam", "z")
    git(user, "switch", "-q", "main")
    assert trusted(user) and html_outputs(user) == ["<b>show(1)</b>", "<i>show(2)</i>"]
    # A branch the cache never saw whole: the same edit, stored without outputs.
    git(user, "switch", "-qc", "stripped", "main")
    write_notebook(user / NB, report(z="z = 40"))
    run = run_nbcollab("clean", NB, cwd=user)
    assert run.returncode == 0, run.stderr
    git(user, "commit", "-qam", "z, stripped")
    git(user, "switch", "-q", "main")
    switched = git(user, "switch", "stripped")
    assert html_outputs(user) == ["<b>show(1)</b>", "<i>show(2)</i>"]
    assert trusted(user) and "not re-signed" not in switched.stderr
    assert git(user, "status", "--porcelain").stdout == ""


@pytest.mark.parametrize("pull", [["pull", "--no-rebase"], ["pull", "--rebase"]])
def test_a_colleagues_change_below_the_rich_outputs_keeps_yours_trusted(
    tmp_path: Path, clones: tuple[Path, Path], pull: list[str]
) -> None:
    origin, user = clones
    colleague = Colleague(tmp_path, origin)
    theirs = report(z="z = 30")
    theirs["cells"][4]["outputs"] = [html("<script>theirs()</script>")]  # they ran it
    colleague.commit(theirs, "z")
    jupyter_save(user, report(top="# Report, retitled"))  # a change of the user's own
    git(user, "commit", "-qam", "title")

    pulled = git(user, *pull, "-q", "--no-edit", "origin", "main", check=False)

    assert pulled.returncode == 0, pulled.stderr
    nb = parse_notebook((user / NB).read_bytes())
    assert [c["source"] for c in nb["cells"][::4]] == ["# Report, retitled", "z = 30"]
    assert html_outputs(user) == ["<b>show(1)</b>", "<i>show(2)</i>"]  # theirs stay theirs
    assert trusted(user), pulled.stderr
    assert "needs no signature" not in pulled.stderr
    assert git(user, "status", "--porcelain").stdout == ""


def pull_their_change(
    root: Path, origin: Path, user: Path, theirs: dict[str, Any]
) -> subprocess.CompletedProcess[str]:
    """A colleague pushes ``theirs`` while the user retitles the report; then the user pulls."""
    Colleague(root, origin).commit(theirs, "their change")
    jupyter_save(user, report(top="# Report, retitled"))
    git(user, "commit", "-qam", "title")
    pulled = git(user, "pull", "--no-rebase", "--no-edit", "origin", "main", check=False)
    assert pulled.returncode == 0, pulled.stderr
    return pulled


def test_a_merge_summary_says_the_restore_decides(
    tmp_path: Path, clones: tuple[Path, Path]
) -> None:
    merged = pull_their_change(tmp_path, *clones, report(z="z = 30"))
    assert "the output cache puts yours back as git writes the file" in merged.stderr
    assert "needs no signature" not in merged.stderr
    assert trusted(clones[1])


def test_a_colleagues_change_inside_the_rich_stretch_is_named(
    tmp_path: Path, clones: tuple[Path, Path]
) -> None:
    user = clones[1]
    pulled = pull_their_change(tmp_path, *clones, report(m="## Between, reworded"))

    assert html_outputs(user) == ["<b>show(1)</b>", "<i>show(2)</i>"]  # the outputs come back
    assert not trusted(user)
    assert (
        "nbcollab: analysis.ipynb: not re-signed: cell 3 (id m) changed between the first and "
        "last rich output; check it, then run: nbcollab trust sign analysis.ipynb"
    ) in pulled.stderr.splitlines()
    status = run_nbcollab("status", cwd=user).stdout.decode()
    assert "trust: 1 notebook with rich output Jupyter does not trust: analysis.ipynb" in status
    assert run_nbcollab("trust", "sign", NB, cwd=user).returncode == 0  # what the message says
    assert trusted(user)
    assert "trust: every notebook with rich output is trusted" in (
        run_nbcollab("status", cwd=user).stdout.decode()
    )


def test_a_record_made_while_untrusted_never_becomes_trusted(
    tmp_path: Path, clones: tuple[Path, Path]
) -> None:
    origin, user = clones
    jupyter_save(user, report(a="show(10)"), trusted=False)  # saved by a tool that never signs
    git(user, "commit", "-qam", "rerun, untrusted")
    Colleague(tmp_path, origin).commit(report(z="z = 30"), "z")

    pulled = git(user, "pull", "--no-rebase", "--no-edit", "origin", "main", check=False)

    assert pulled.returncode == 0, pulled.stderr
    assert html_outputs(user) == ["<b>show(10)</b>", "<i>show(2)</i>"]
    assert not trusted(user)
    assert "not re-signed" not in pulled.stderr  # nothing the user trusted was lost


def test_a_notebook_signed_with_trust_sign_after_its_commit_stays_trusted_after_a_pull(
    tmp_path: Path, clones: tuple[Path, Path]
) -> None:
    origin, user = clones
    jupyter_save(user, report(a="show(10)"), trusted=False)  # run, saved by a tool that never signs
    git(user, "commit", "-qam", "rerun")  # recorded while not trusted
    assert run_nbcollab("trust", "sign", NB, cwd=user).returncode == 0  # then trusted by hand
    Colleague(tmp_path, origin).commit(report(z="z = 30"), "z")

    pulled = git(user, "pull", "--no-rebase", "--no-edit", "origin", "main", check=False)

    assert pulled.returncode == 0, pulled.stderr
    assert html_outputs(user) == ["<b>show(10)</b>", "<i>show(2)</i>"]
    assert trusted(user), pulled.stderr
    assert git(user, "status", "--porcelain").stdout == ""


def test_a_colleagues_own_outputs_never_become_trusted(
    tmp_path: Path, clones: tuple[Path, Path]
) -> None:
    """A colleague without the filter commits their outputs; after the pull they are theirs."""
    origin, user = clones
    colleague = Colleague(tmp_path, origin, filtered=False)
    theirs = report(z="z = 30")
    theirs["cells"][1]["outputs"] = [html("<b>show(1)</b><script>theirs()</script>")]
    colleague.commit(theirs, "their outputs")

    pulled = git(user, "pull", "-q", "--no-rebase", "--no-edit", "origin", "main", check=False)

    assert pulled.returncode == 0, pulled.stderr
    assert "theirs()" in (user / NB).read_text()
    assert not trusted(user)


def test_stash_and_pop_keep_trust(clones: tuple[Path, Path]) -> None:
    _, user = clones
    jupyter_save(user, report(b="show(20)"))
    git(user, "stash", "-q")
    assert html_outputs(user) == ["<b>show(1)</b>", "<i>show(2)</i>"] and trusted(user)
    git(user, "stash", "pop", "-q")
    assert html_outputs(user) == ["<b>show(1)</b>", "<i>show(20)</i>"] and trusted(user)


def test_git_status_running_during_switches_changes_nothing(clones: tuple[Path, Path]) -> None:
    """An IDE polling `git status` while the user switches: every switch ends trusted and clean."""
    _, user = clones
    git(user, "switch", "-qc", "stripped")
    write_notebook(user / NB, report(z="z = 40"))
    assert run_nbcollab("clean", NB, cwd=user).returncode == 0
    git(user, "commit", "-qam", "z, stripped")
    stop = threading.Event()
    failures: list[str] = []

    def poll() -> None:
        while not stop.is_set():
            done = subprocess.run(["git", "status", "--porcelain"], cwd=user, capture_output=True)
            if done.returncode not in (0, 128):  # 128: the index was locked by the switch
                failures.append(done.stderr.decode())

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        for branch in ("main", "stripped") * 3:
            git(user, "switch", "-q", branch)
            assert html_outputs(user) == ["<b>show(1)</b>", "<i>show(2)</i>"], branch
            assert trusted(user), branch
    finally:
        stop.set()
        poller.join()
    assert not failures
    assert git(user, "status", "--porcelain").stdout == ""


def test_status_reads_only_regular_notebooks_of_the_work_tree(
    tmp_path: Path, clones: tuple[Path, Path]
) -> None:
    """A symbolic link out of the tree is not followed, a FIFO not opened (it would hang)."""
    _, user = clones
    outside = write_notebook(tmp_path / "outside.ipynb", report(a="show('elsewhere')"))
    (user / "linked.ipynb").symlink_to(outside)
    os.mkfifo(user / "fifo.ipynb")
    done = subprocess.run(
        [*run_nbcollab_argv(), "status"], cwd=user, capture_output=True, text=True, timeout=120
    )
    assert "trust: every notebook with rich output is trusted by your Jupyter" in done.stdout
    write_notebook(user / "new.ipynb", report(a="show('new')"))  # untracked, not ignored
    done = subprocess.run(
        [*run_nbcollab_argv(), "status"], cwd=user, capture_output=True, text=True, timeout=120
    )
    assert "trust: 1 notebook with rich output Jupyter does not trust: new.ipynb" in done.stdout


def test_recording_signing_and_status_never_import_nbformat(clones: tuple[Path, Path]) -> None:
    """Trust in the filter and in `status` is looked up and written without nbformat."""
    _, user = clones
    script = (
        "import io, sys\n"
        "from pathlib import Path\n"
        "from nbcollab.clean.strip import clean_bytes\n"
        "from nbcollab.git.status import trust_line\n"
        "from nbcollab.options import CleanOptions\n"
        "from nbcollab.output_cache.session import CacheSession\n"
        f"name = {NB!r}\n"
        "working = Path(name).read_bytes()\n"
        "session = CacheSession(io.StringIO())\n"
        "session.record(working, clean_bytes(working, path=name), name, CleanOptions())\n"
        "edited = clean_bytes(working.replace(b'z = 3', b'z = 4'), path=name)\n"
        "restored = session.restore(edited, name, lambda path: CleanOptions())\n"
        "session.close()\n"
        "Path('restored.ipynb').write_bytes(restored)\n"
        "print(trust_line(Path('.')))\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'nbformat', 'jsonschema'}))\n"
    )
    done = subprocess.run(
        [*run_nbcollab_argv()[:1], "-c", script], cwd=user, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "trust: every notebook with rich output is trusted by your Jupyter",
        "[]",
    ]
    restored = user / "restored.ipynb"
    assert b"<i>show(2)</i>" in restored.read_bytes() and jupyter_trusts(restored)
