"""Every writer, one attack: a symbolic link, a configured path or a linked folder that leads out
of what the user named (a folder, the repository, the project). Nothing outside is written or
created, the command says why, and the files inside are still handled."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import code_cell, git, make_notebook, run_nbcollab, stream_output, write_notebook
from mergetool_helpers import running, state

from nbcollab.merge.notebook import merge_notebooks
from nbcollab.notebook.codec import serialize_notebook

NBCOLLAB = [sys.executable, "-m", "nbcollab"]
HAS_KERNEL = all(importlib.util.find_spec(m) for m in ("nbclient", "ipykernel"))


def stale_run() -> dict:
    """A notebook every writer would change: outputs a re-run changes, rich output to sign."""
    html = {"output_type": "display_data", "metadata": {}, "data": {"text/html": "<b>1</b>"}}
    return make_notebook(
        code_cell("print(1)", count=1, cell_id="a", outputs=[stream_output("2\n"), html]),
        code_cell("#| export\nVALUE = 1", count=2, cell_id="b"),
    )


def conflicted() -> dict:
    """A notebook holding a conflict record, which ``resolve --ours`` would rewrite."""
    base = make_notebook(code_cell("x = 0", cell_id="a"))
    ours = make_notebook(code_cell("x = 1", cell_id="a"))
    theirs = make_notebook(code_cell("x = 2", cell_id="a"))
    return merge_notebooks(base, ours, theirs).notebook


@dataclass
class Attack:
    """A place set up so that the command, run in ``cwd``, would write into ``outside``."""

    cwd: Path
    args: list[str]
    code: int
    said: str  # what stderr (or a refused save) must say


def _victim(outside: Path, nb: dict) -> Path:
    path = outside / "victim.ipynb"
    path.write_text(serialize_notebook(nb))
    return path


def link_in_folder(tmp: Path, outside: Path, args: list[str], nb: dict, code: int) -> Attack:
    folder = tmp / "work"
    folder.mkdir()
    (folder / "link.ipynb").symlink_to(_victim(outside, nb))
    write_notebook(folder / "own.ipynb", nb)  # the folder's own notebook is still handled
    return Attack(tmp, [*args, "work"], code, "outside work")


def clean_folder(tmp: Path, outside: Path) -> Attack:
    return link_in_folder(tmp, outside, ["clean"], stale_run(), 0)


def trust_folder(tmp: Path, outside: Path) -> Attack:
    return link_in_folder(tmp, outside, ["trust", "sign"], stale_run(), 0)


def resolve_folder(tmp: Path, outside: Path) -> Attack:
    return link_in_folder(tmp, outside, ["resolve", "--ours"], conflicted(), 0)


def lint_write_folder(tmp: Path, outside: Path) -> Attack:
    if not HAS_KERNEL:
        pytest.skip("nbclient or ipykernel is not installed")
    # The walk every command makes skips the link (never read, run or written).
    return link_in_folder(tmp, outside, ["lint", "--execute", "--write"], stale_run(), 1)


def type_conflict(repo: Path, outside: Path) -> None:
    """A branch turned nb.ipynb into a link out of the repository; main edited it."""
    git(repo, "commit", "-q", "--allow-empty", "-m", "root")
    write_notebook(repo / "nb.ipynb", make_notebook(code_cell("x = 1", cell_id="a")))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    git(repo, "checkout", "-qb", "feature")
    (repo / "nb.ipynb").unlink()
    (repo / "nb.ipynb").symlink_to(_victim(outside, conflicted()))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "a link")
    git(repo, "checkout", "-q", "main")
    write_notebook(repo / "nb.ipynb", make_notebook(code_cell("x = 2", cell_id="a")))
    git(repo, "commit", "-qam", "edited")
    assert git(repo, "merge", "feature", check=False).returncode != 0
    assert (repo / "nb.ipynb").is_symlink()


def resolve_repository(tmp: Path, outside: Path) -> Attack:
    repo = tmp / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    type_conflict(repo, outside)
    return Attack(repo, ["resolve", "--ours"], 1, "outside the repository")


def project(tmp: Path, config: str) -> Path:
    root = tmp / "repo"
    root.mkdir()
    (root / "pyproject.toml").write_text(f"[tool.nbcollab.export]\n{config}\n")
    write_notebook(root / "nb.ipynb", stale_run())
    return root


def export_outdir(tmp: Path, outside: Path) -> Attack:
    root = tmp / "repo"
    project(tmp, f'outdir = "{os.path.relpath(outside, root)}"')  # ../../outside0
    return Attack(root, ["export", "nb.ipynb"], 2, "pyproject.toml: [tool.nbcollab.export] outdir")


def export_absolute_module(tmp: Path, outside: Path) -> Attack:
    target = outside / "usercustomize.py"
    root = project(tmp, f'modules = {{ "nb.ipynb" = "{target}" }}')
    return Attack(root, ["export"], 2, 'export] modules."nb.ipynb"')


def export_linked_package(tmp: Path, outside: Path) -> Attack:
    root = project(tmp, "")
    write_notebook(
        root / "nb.ipynb", make_notebook(code_cell("#| default_exp pkg.x\n#| export\nA = 1"))
    )
    (root / "pkg").symlink_to(outside, target_is_directory=True)
    return Attack(root, ["export", "nb.ipynb"], 2, "through a symbolic link")


def export_outdir_option_linked(tmp: Path, outside: Path) -> Attack:
    attack = export_linked_package(tmp, outside)
    (attack.cwd / "out").mkdir()
    (attack.cwd / "out" / "pkg").symlink_to(outside, target_is_directory=True)
    attack.args = ["export", "nb.ipynb", "--outdir", "out"]
    return attack


ATTACKS: dict[str, Callable[[Path, Path], Attack]] = {
    "clean DIR": clean_folder,
    "trust sign DIR": trust_folder,
    "resolve --ours DIR": resolve_folder,
    "lint --execute --write DIR": lint_write_folder,
    "resolve (the repository's conflicts)": resolve_repository,
    "export, outdir = ../": export_outdir,
    "export, modules = an absolute path": export_absolute_module,
    "export, default_exp into a linked folder": export_linked_package,
    "export --outdir DIR, a linked folder in DIR": export_outdir_option_linked,
}


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(ATTACKS))
def test_no_writer_writes_outside_what_the_user_named(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, name: str
) -> None:
    outside = tmp_path_factory.mktemp("outside")
    attack = ATTACKS[name](tmp_path, outside)
    before = snapshot(outside)
    done = run_nbcollab(*attack.args, cwd=attack.cwd)
    stderr = done.stderr.decode()
    assert snapshot(outside) == before, stderr
    assert done.returncode == attack.code, stderr
    assert attack.said in stderr


@pytest.mark.slow
def test_files_inside_the_folder_are_still_handled(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    attack = clean_folder(tmp_path, outside)
    assert run_nbcollab(*attack.args, cwd=attack.cwd).returncode == 0
    own = json.loads((tmp_path / "work" / "own.ipynb").read_text())
    assert own["cells"][0]["outputs"] == []  # cleaned; the link beside it was skipped


@pytest.mark.slow
def test_conflicts_lists_the_link_without_reading_it(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    attack = resolve_repository(tmp_path, outside)
    done = run_nbcollab("conflicts", cwd=attack.cwd)
    assert done.returncode == 1  # still a conflict to decide
    assert "outside the repository" in done.stderr.decode() and done.stdout == b""


@pytest.mark.slow
def test_mergetool_save_refuses_a_link_out_of_the_repository(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    repo = resolve_repository(tmp_path, outside).cwd
    before = snapshot(outside)
    with running([*NBCOLLAB, "mergetool"], repo) as tool:
        assert state(tool)["left"] >= 1
        tool.call("api/action", {"action": "file", "file": 0, "keep": True})  # keep "their" file
        code, reply = tool.call("api/save", {})
        tool.call("api/quit", {})
        tool.finish()
    assert code == 409 and "outside the repository" in reply["error"]
    assert snapshot(outside) == before
    assert (repo / "nb.ipynb").is_symlink()


@pytest.mark.slow
def test_a_configured_glob_reads_no_notebook_through_a_link(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    root = project(tmp_path, 'modules = { "nbs/*.ipynb" = "src/{name}.py" }')
    (root / "nbs").mkdir()
    (root / "nbs" / "private.ipynb").symlink_to(_victim(outside, stale_run()))
    write_notebook(root / "nbs" / "own.ipynb", stale_run())
    done = run_nbcollab("export", cwd=root)
    assert done.returncode == 0, done.stderr
    assert "skipped nbs/private.ipynb: a symbolic link to a file outside" in done.stderr.decode()
    assert sorted(p.name for p in (root / "src").iterdir()) == ["own.py"]


@pytest.mark.slow
@pytest.mark.parametrize("glob", ["../*.ipynb", "/tmp/*.ipynb"])
def test_a_configured_glob_out_of_the_project_is_refused(tmp_path: Path, glob: str) -> None:
    root = project(tmp_path, f'modules = {{ "{glob}" = "src/{{name}}.py" }}')
    done = run_nbcollab("export", cwd=root)
    assert done.returncode == 2
    assert f'[tool.nbcollab.export] modules."{glob}"' in done.stderr.decode()
    assert not (root / "src").exists()


@pytest.mark.slow
def test_post_merge_hook_on_pull_writes_nothing_outside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from helpers import PROJECT_ROOT

    outside = tmp_path / "outside"
    outside.mkdir()
    upstream = tmp_path / "upstream"
    upstream.mkdir()
    git(upstream, "init", "-q")
    (upstream / "pyproject.toml").write_text(
        '[tool.nbcollab.export]\nmodules = { "nb.ipynb" = "src/nb.py" }\n'
    )
    write_notebook(upstream / "nb.ipynb", stale_run())
    git(upstream, "add", "-A")
    git(upstream, "commit", "-qm", "base")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(upstream), str(clone))
    hook = clone / ".git" / "hooks" / "post-merge"
    hook.write_bytes((PROJECT_ROOT / "nbcollab" / "git" / "hooks" / "post-merge").read_bytes())
    hook.chmod(0o755)
    monkeypatch.setenv("NBCOLLAB", " ".join(NBCOLLAB))
    # A colleague commits a configuration that sends the module out of the repository.
    (upstream / "pyproject.toml").write_text(
        f'[tool.nbcollab.export]\nmodules = {{ "nb.ipynb" = "{outside}/usercustomize.py" }}\n'
    )
    git(upstream, "commit", "-qam", "elsewhere")
    pulled = git(clone, "pull", "-q", check=False)
    assert pulled.returncode == 0, pulled.stderr
    assert list(outside.iterdir()) == []
    assert (
        'modules."nb.ipynb"' in pulled.stderr
        and "re-export after the merge failed" in pulled.stderr
    )


def test_is_inside_follows_every_link(tmp_path: Path) -> None:
    from nbcollab.files import is_inside

    (tmp_path / "root" / "sub").mkdir(parents=True)
    (tmp_path / "away").mkdir()
    root = tmp_path / "root"
    (root / "in.ipynb").symlink_to(root / "sub")
    (root / "out.ipynb").symlink_to(tmp_path / "away" / "x.ipynb")  # dangling, outside
    (root / "dir").symlink_to(tmp_path / "away", target_is_directory=True)
    (root / "up").symlink_to("..", target_is_directory=True)
    cases = {
        "sub/new.ipynb": True,
        "in.ipynb": True,
        "out.ipynb": False,
        "dir/new.py": False,
        "up/root/sub": True,  # out and back in
        "up/away": False,
        "../root-sibling": False,
    }
    for relative, expected in cases.items():
        assert is_inside(root / relative, root) is expected, relative
    assert is_inside(root, root) and not is_inside(tmp_path, root)
    assert is_inside(os.path.join(str(root), "a"), str(root) + "/")


def test_write_atomic_with_a_root_writes_nothing_through_a_link(tmp_path: Path) -> None:
    from nbcollab.files import OutsideRoot, write_atomic

    (tmp_path / "root").mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("mine")
    (tmp_path / "root" / "link").symlink_to(victim)
    with pytest.raises(OutsideRoot, match="leads outside"):
        write_atomic(tmp_path / "root" / "link", b"theirs", root=tmp_path / "root")
    assert victim.read_text() == "mine"
    write_atomic(tmp_path / "root" / "own", b"ok", root=tmp_path / "root")
    assert (tmp_path / "root" / "own").read_bytes() == b"ok"
