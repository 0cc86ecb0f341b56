"""Throw-away virtual environments that can run this checkout's nbcollab, for install tests.

A symlink to the interpreter is not enough: Python finds its virtual environment from where the
executable lives, so a linked copy of a venv's Python loses the venv's packages. A real venv
(made in ~0.1 s without pip) whose ``.pth`` file names this checkout and the running
interpreter's site-packages behaves like an installation of nbcollab, wherever it is made.
"""

from __future__ import annotations

import site
import subprocess
import sys
import sysconfig
from pathlib import Path

from helpers import PROJECT_ROOT


def make_venv(where: Path) -> Path:
    """A venv at ``where`` that imports this checkout's nbcollab; its Python's path."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    python = where / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    paths = [str(PROJECT_ROOT), *site.getsitepackages(), sysconfig.get_path("purelib")]
    if site.ENABLE_USER_SITE:
        paths.append(site.getusersitepackages())
    Path(purelib, "nbcollab-checkout.pth").write_text("\n".join(dict.fromkeys(paths)) + "\n")
    return python


def install_from_venv(tmp_path: Path) -> tuple[Path, Path]:
    """A repository in "my repo" with the filter installed from a venv in "my env" (paths with a
    space, as git's shell must quote them): (the venv's Python, the repository)."""
    from helpers import git

    python = make_venv(tmp_path / "my env")
    repo = tmp_path / "my repo"
    repo.mkdir()
    git(repo, "init", "-q")
    done = subprocess.run(
        [str(python), "-m", "nbcollab", "install", "--no-diff", "--no-merge"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return python, repo
