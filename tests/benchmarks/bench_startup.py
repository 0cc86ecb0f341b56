"""Benchmark: the start-up of the commands run once per file, against ``python -c pass`` and peers.

Run by hand (not collected by pytest)::

    python tests/benchmarks/bench_startup.py [--repeat 15] [--switch-repeat 5]

CPU time (user + system of the process and everything it waited for) of ``python -c pass`` with
this interpreter, each hot nbcollab command on one median-sized corpus notebook (``clean``,
``clean --check``, ``clean --check --staged``, ``lint``, the two pre-commit hooks), nbstripout
and nb-clean on the same notebook, run interleaved (one of each per round) and reported as
medians with their ratio to ``python -c pass``. Then ``git switch`` between two branches of 200
notebooks that differ in 20, with nbcollab's filter installed and without any filter.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus" / "notebooks"
HOOKS = ROOT / "nbcollab" / "git" / "hooks"
BIN = Path(sys.executable).parent


def cpu_of(args: list[str], cwd: Path, stdin: bytes | None = None) -> float:
    """CPU seconds (user + system) of running ``args`` and all it waits for."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(args, cwd=cwd, input=stdin, capture_output=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def median_notebook() -> Path:
    """The median-sized notebook of the corpus that nbcollab reads (nbformat 4)."""
    sys.path.insert(0, str(ROOT))
    from nbcollab.errors import InvalidNotebook
    from nbcollab.notebook.codec import parse_notebook

    usable = []
    for path in CORPUS.glob("*.ipynb"):
        try:
            if parse_notebook(path.read_bytes())["nbformat"] == 4:
                usable.append(path)
        except InvalidNotebook:
            continue
    usable.sort(key=lambda p: p.stat().st_size)
    return usable[len(usable) // 2]


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def new_repo(where: Path) -> Path:
    where.mkdir()
    git(where, "init", "-q", "-b", "main")
    git(where, "config", "user.email", "bench@example.com")
    git(where, "config", "user.name", "bench")
    return where


def tool(name: str) -> str | None:
    beside = BIN / name
    return str(beside) if beside.is_file() else shutil.which(name)


def start_up(repeat: int, work: Path) -> None:
    notebook = median_notebook()
    data = notebook.read_bytes()
    repo = new_repo(work / "repo")
    nb = repo / "nb.ipynb"
    nb.write_bytes(data)
    git(repo, "add", "nb.ipynb")
    nbcollab = tool("nbcollab") or "nbcollab"
    env_hook = {"NBCOLLAB": nbcollab}

    def restore() -> None:
        nb.write_bytes(data)

    commands: dict[str, tuple[list[str], Callable[[], None] | None]] = {
        "python -c pass": ([sys.executable, "-c", "pass"], None),
        "nbcollab clean FILE": ([nbcollab, "clean", "nb.ipynb"], restore),
        "nbcollab clean --check FILE": ([nbcollab, "clean", "--check", "nb.ipynb"], None),
        "nbcollab clean --check --staged": ([nbcollab, "clean", "--check", "--staged"], None),
        "nbcollab lint FILE": ([nbcollab, "lint", "nb.ipynb"], None),
        "pre-commit hook": (["sh", str(HOOKS / "pre-commit")], None),
        "pre-commit-lint hook": (["sh", str(HOOKS / "pre-commit-lint")], None),
    }
    nbstripout, nb_clean = tool("nbstripout"), tool("nb-clean")
    if nbstripout:
        commands["nbstripout FILE"] = ([nbstripout, "nb.ipynb"], restore)
        commands["nbstripout --verify FILE"] = ([nbstripout, "--verify", "nb.ipynb"], None)
    if nb_clean:
        commands["nb-clean clean FILE"] = ([nb_clean, "clean", "nb.ipynb"], restore)
        commands["nb-clean check FILE"] = ([nb_clean, "check", "nb.ipynb"], None)

    times: dict[str, list[float]] = {name: [] for name in commands}
    os.environ.update(env_hook)
    for args, before in commands.values():  # a warm-up round: bytecode written, caches filled
        if before is not None:
            before()
        cpu_of(args, repo)
    for _ in range(repeat):
        for name, (args, before) in commands.items():
            if before is not None:
                before()
            times[name].append(cpu_of(args, repo))
    restore()
    floor = statistics.median(times["python -c pass"])
    print(f"notebook: {notebook.name} ({len(data)} bytes), {repeat} interleaved rounds")
    print(f"{'command':36} {'CPU median':>11} {'x python -c pass':>17}")
    for name, found in times.items():
        value = statistics.median(found)
        print(f"{name:36} {value * 1000:9.1f}ms {value / floor:16.2f}x")


def switch(repeat: int, work: Path, count: int = 200, changed: int = 20) -> None:
    """``git switch`` between branches that differ in ``changed`` of ``count`` notebooks."""
    sources = sorted(CORPUS.glob("*.ipynb"))
    nbcollab = tool("nbcollab") or "nbcollab"
    repos = {}
    for name in ("plain git", "nbcollab filter"):
        repo = new_repo(work / name.replace(" ", "-"))
        if name == "nbcollab filter":
            subprocess.run([nbcollab, "install"], cwd=repo, check=True, capture_output=True)
        for index in range(count):
            source = sources[index % len(sources)]
            shutil.copyfile(source, repo / f"nb{index:03}.ipynb")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "notebooks")
        git(repo, "switch", "-q", "-c", "other")
        for index in range(changed):
            path = repo / f"nb{index * (count // changed):03}.ipynb"
            path.write_bytes(path.read_bytes().replace(b'"cells"', b'"cells" ', 1) + b"\n")
        git(repo, "commit", "-q", "-am", "changed")
        repos[name] = repo
    times: dict[str, list[float]] = {name: [] for name in repos}
    for _ in range(repeat):
        for name, repo in repos.items():
            for branch in ("main", "other"):
                times[name].append(cpu_of(["git", "switch", "-q", branch], repo))
    plain = statistics.median(times["plain git"])
    print(f"\ngit switch touching {changed} of {count} notebooks, {repeat} interleaved rounds")
    for name, found in times.items():
        value = statistics.median(found)
        print(f"{name:36} {value * 1000:9.1f}ms {value / plain:16.2f}x plain git")


def main() -> None:
    # As installed: every module's bytecode compiled once, never again at each start.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--switch-repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        start_up(args.repeat, Path(folder))
        if args.switch_repeat:
            switch(args.switch_repeat, Path(folder))


if __name__ == "__main__":
    main()
