"""Benchmark: what the output cache costs `git add` and `git switch`, on corpus notebooks.

Run by hand (not collected by pytest)::

    python tests/benchmarks/bench_output_cache.py [--repeat 5] [--limit 200]

Three identical repositories of the corpus notebooks (nbformat 4): one installed with
``--no-output-cache`` ("without"), two with the output cache: "with", whose user's Jupyter has
trusted none of them, and "trusted", whose user's Jupyter trusted every one of them (its own
JUPYTER_DATA_DIR holds their signatures), so that the filter looks up trust when it records and
signs what it restores cell by cell when the proof allows: "trusted" against "with" is the cost
of trust. Timed, best of ``--repeat``:

- ``git add .`` on a fresh index (with the cache emptied first, so every working file is
  recorded: the worst case);
- ``git switch`` between ``main`` and a branch ``edited`` that changes one code cell in every
  notebook, both sides recorded (the user worked on both): whole working files come back;
- ``git switch`` to a branch ``foreign`` with the same edits that the cache never saw (as if
  pulled): cells are filled in one by one under the restore rule, and checked;
- the first ``git status`` after each kind of switch (git cleans again what it just wrote).

Wall-clock seconds and, steadier on a busy machine, CPU seconds of git and its filters.
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
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
# git runs the filter in subprocesses: they must run this checkout's nbcollab too, with their
# bytecode cached as on a user's machine (compiling every module in every process would add the
# same constant to both sides and hide the ratio).
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.path.insert(0, str(Path(__file__).parent))

from bench_clean import CORPUS, NBCOLLAB, git, make_repo, usable_notebooks

from nbcollab.clean.strip import clean_bytes
from nbcollab.notebook.codec import parse_notebook, serialize_notebook

VARIANTS = ("without", "with", "trusted")


def edit_one_cell(data: bytes, mark: str) -> bytes:
    """The notebook with its middle code cell's source changed (outputs kept)."""
    nb = parse_notebook(data)
    code = [cell for cell in nb["cells"] if cell.get("cell_type") == "code"]
    if code:
        cell = code[len(code) // 2]
        cell["source"] = f"{cell.get('source', '')}\n# {mark}"
    return serialize_notebook(nb).encode("utf-8")


def jupyter_sign(paths: list[Path]) -> int:
    """Sign the notebooks as the user's Jupyter does when they save them; how many it could."""
    from nbcollab.trust.notary import open_notary, sign_notebook_text

    signed = 0
    with open_notary() as notary:
        for path in paths:
            try:
                sign_notebook_text(notary, path.read_text(encoding="utf-8"), path=path.name)
            except Exception:  # noqa: BLE001,S112 - v3, missing ids: Jupyter cannot keep them
                continue
            signed += 1
    return signed


def use_jupyter_of(name: str, data_dirs: dict[str, Path]) -> None:
    """Point this process and the git commands it starts at ``name``'s Jupyter data dir."""
    os.environ["JUPYTER_DATA_DIR"] = str(data_dirs[name])


def prepare(repo: Path, cache: bool, trusted: bool = False) -> None:
    flags = [] if cache else ["--no-output-cache"]
    subprocess.run(
        [*NBCOLLAB, "install", "--no-diff", "--no-merge", "--attributes", "info", *flags],
        cwd=repo,
        check=True,
        capture_output=True,
    )
    if trusted:
        jupyter_sign(sorted(repo.glob("*.ipynb")))
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "main")
    git(repo, "branch", "-M", "main")
    originals = {p: p.read_bytes() for p in sorted(repo.glob("*.ipynb"))}
    git(repo, "switch", "-qc", "edited")
    for path, data in originals.items():
        path.write_bytes(edit_one_cell(data, "edited"))
    if trusted:
        jupyter_sign(list(originals))  # the user ran and saved them in Jupyter
    git(repo, "commit", "-qam", "edited")  # records the edited working files
    git(repo, "switch", "-qc", "foreign", "main")
    for path, data in originals.items():
        edited = edit_one_cell(data, "foreign")
        path.write_bytes(clean_bytes(edited, path=path.name) or edited)  # nothing to record
    git(repo, "commit", "-qam", "foreign")
    git(repo, "switch", "-q", "main")


# CPU seconds (user + system) of every git command timed, with its filter processes: steadier
# than wall-clock time when the machine is busy. Added to by ``timed``.
CPU = [0.0]


def timed(repo: Path, *args: str) -> float:
    """Wall-clock seconds of one git command (its CPU seconds are added to ``CPU``)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU[0] += (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds


CACHE = Path(".git", "nbcollab", "output-cache")


def time_add(repo: Path, notebooks: list[Path]) -> float:
    """`git add .` of the corpus notebooks (with their outputs) on a fresh index and cache."""
    for path in notebooks:
        shutil.copyfile(path, repo / path.name)
    shutil.rmtree(repo / CACHE, ignore_errors=True)
    (repo / ".git" / "index").unlink(missing_ok=True)
    return timed(repo, "add", ".")


def time_switch(repo: Path, branch: str, snapshot: Path) -> float:
    """A switch to ``branch`` plus the switch back, the cache as ``prepare`` left it.

    Each switch starts from a settled index, as a user's does: git re-reads, once, every file a
    checkout wrote in the same second as the index (racy git), and that cost belongs to the
    first command after a checkout, measured by ``time_status_after_switch``.
    """
    _reset_cache(repo, snapshot)
    _settle(repo)
    there = timed(repo, "switch", "-q", branch)
    _settle(repo)  # may record what the switch restored: written back
    return there + timed(repo, "switch", "-q", "main")


def _settle(repo: Path) -> None:
    """Let a second pass, so that the files a checkout just wrote are no longer "racily
    clean", then let `git status` re-read them and write the index."""
    time.sleep(1.05)
    git(repo, "status", "--porcelain")
    os.sync()  # before the next timed command, not during it


def time_status_after_switch(repo: Path, branch: str, snapshot: Path) -> float:
    """The first `git status` after a switch: it re-reads the files the switch wrote."""
    _reset_cache(repo, snapshot)
    _settle(repo)
    git(repo, "switch", "-q", branch)
    # git re-reads the files written in the same second as the index (racy git): usually all of
    # them, but a switch that straddles a second leaves some out. Touched, all are re-read.
    for path in repo.glob("*.ipynb"):
        os.utime(path)
    os.sync()
    seconds = timed(repo, "status", "--porcelain")
    git(repo, "switch", "-q", "main")
    return seconds


def _reset_cache(repo: Path, snapshot: Path) -> None:
    if (repo / CACHE).exists():  # what one round records must not help the next
        shutil.rmtree(repo / CACHE)
        shutil.copytree(snapshot, repo / CACHE)
    # The copy leaves tens of MB to write back: not while the next git command is timed.
    os.sync()


def restored_cells(repo: Path, branch: str) -> int:
    git(repo, "switch", "-q", branch)
    count = sum(
        bool(cell.get("outputs"))
        for path in repo.glob("*.ipynb")
        for cell in parse_notebook(path.read_bytes()).get("cells", [])
    )
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout
    git(repo, "switch", "-q", "main")
    if status:
        sys.exit(f"git status is not clean on {branch}:\n{status}")
    return count


def main() -> None:
    """Run the measurements and print the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--limit", type=int, default=200)
    parser.add_argument(
        "--task",
        action="append",
        default=[],
        help="run only the tasks whose name holds this text (repeatable), e.g. 'never seen'",
    )
    args = parser.parse_args()
    if not CORPUS.is_dir():
        sys.exit(f"corpus not found at {CORPUS}")
    notebooks = usable_notebooks(args.limit)
    size = sum(p.stat().st_size for p in notebooks) / 1e6
    print(f"{len(notebooks)} corpus notebooks, {size:.1f} MB; best of {args.repeat}")
    results: dict[str, dict[str, float]] = {name: {} for name in VARIANTS}
    cpu: dict[str, dict[str, float]] = {name: {} for name in VARIANTS}
    with tempfile.TemporaryDirectory() as tmp:
        repos, adds, snapshots = {}, {}, {}
        data_dirs = {name: Path(tmp) / f"jupyter-{name}" for name in VARIANTS}
        os.environ["JUPYTER_CONFIG_DIR"] = str(Path(tmp) / "jupyter-config")  # none of the user's
        for name in VARIANTS:
            use_jupyter_of(name, data_dirs)
            repos[name] = make_repo(Path(tmp), name, notebooks)
            prepare(repos[name], cache=name != "without", trusted=name == "trusted")
            if name != "without":
                # The cache as prepare leaves it, restored before each timed command: a switch
                # records what it restored once git re-reads it, and "foreign" must stay new.
                snapshots[name] = Path(tmp) / f"snapshot-{name}"
                shutil.copytree(repos[name] / CACHE, snapshots[name])
            cells = {b: restored_cells(repos[name], b) for b in ("edited", "foreign")}
            print(f"  {name}: code cells with outputs after a switch: {cells}")
            if name == "trusted":
                print(f"  trusted: after a switch to foreign, {trusted_count(repos[name])}")
            adds[name] = make_repo(Path(tmp), f"add-{name}", [])
            subprocess.run(
                [
                    *NBCOLLAB,
                    "install",
                    "--no-diff",
                    "--no-merge",
                    "--attributes",
                    "info",
                    *(["--no-output-cache"] if name == "without" else []),
                ],
                cwd=adds[name],
                check=True,
                capture_output=True,
            )

        def snapshot(name: str) -> Path:
            return snapshots.get(name, Path(tmp) / "none")

        tasks = {
            "switch main <-> edited (recorded)": lambda n: time_switch(
                repos[n], "edited", snapshot(n)
            ),
            "switch main <-> foreign (never seen)": lambda n: time_switch(
                repos[n], "foreign", snapshot(n)
            ),
            "first git status after switch (recorded)": lambda n: time_status_after_switch(
                repos[n], "edited", snapshot(n)
            ),
            "first git status after switch (never seen)": lambda n: time_status_after_switch(
                repos[n], "foreign", snapshot(n)
            ),
            "git add . (fresh index, empty cache)": lambda n: time_add(adds[n], notebooks),
        }
        if args.task:
            tasks = {t: run for t, run in tasks.items() if any(w in t for w in args.task)}
        # Interleaved, best of each: the machine's load changes from one minute to the next.
        # Each round's runs also give ratios of CPU seconds; their medians are printed too.
        paired: dict[str, dict[str, list[float]]] = {
            task: {n: [] for n in VARIANTS} for task in tasks
        }
        for _ in range(args.repeat):
            for task, run in tasks.items():
                for name in VARIANTS:
                    use_jupyter_of(name, data_dirs)
                    CPU[0] = 0.0
                    seconds = run(name)
                    results[name][task] = min(results[name].get(task, seconds), seconds)
                    cpu[name][task] = min(cpu[name].get(task, CPU[0]), CPU[0])
                    paired[task][name].append(CPU[0])
    print("  (wall-clock seconds, in brackets CPU seconds of git and its filters; then the")
    print("  ratios of the best times, and in brackets the median and range of the rounds' CPU")
    print("  ratios)")
    for task in tasks:
        times = "  ".join(
            f"{name} {results[name][task]:4.2f} s ({cpu[name][task]:4.2f})" for name in VARIANTS
        )
        print(f"  {task:44} {times}")
        print(
            f"  {'':44} with/without {ratio(results, paired, task, 'with', 'without')}  "
            f"trusted/with {ratio(results, paired, task, 'trusted', 'with')}"
        )


def ratio(
    results: dict[str, dict[str, float]],
    paired: dict[str, dict[str, list[float]]],
    task: str,
    one: str,
    other: str,
) -> str:
    """``one``'s best time over ``other``'s, and the median and range of their per-round CPU
    ratios."""
    rounds = sorted(a / b for a, b in zip(paired[task][one], paired[task][other], strict=True))
    median = statistics.median(rounds)
    spread = f"{rounds[0]:.2f}-{rounds[-1]:.2f}"
    return f"{results[one][task] / results[other][task]:.2f}x ({median:.2f}x, {spread})"


def trusted_count(repo: Path) -> str:
    """How many notebooks with rich output the user's Jupyter trusts after a switch to foreign."""
    from nbcollab.trust.signatures import find_untrusted, open_user_store

    git(repo, "switch", "-q", "foreign")
    files = [(path.name, path.read_bytes()) for path in sorted(repo.glob("*.ipynb"))]
    rich = len(find_untrusted(None, files))
    untrusted = len(find_untrusted(open_user_store(), files))
    git(repo, "switch", "-q", "main")
    return f"{rich - untrusted} of the {rich} notebooks with rich output are trusted"


if __name__ == "__main__":
    main()
