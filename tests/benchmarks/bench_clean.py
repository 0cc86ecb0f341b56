"""Benchmark: `nbcollab clean` and its git filter against nb-clean, nbstripout, nbwipers and
nbstripout-fast.

Run by hand (not collected by pytest)::

    python tests/benchmarks/bench_clean.py [--repeat 5] [--files 50] [--limit 200] [--skip-slow]

Every measurement is interleaved: each round runs every tool once, one after the other, so that
the load of a shared machine falls on all of them alike; the medians of the rounds are printed,
and the ratios are the medians of each round's ratio. CPU seconds (user + system, of the tool and
the processes it starts) are steadier than wall-clock seconds on a busy machine; both are shown.

1. ``clean`` in place of one notebook and of ``--files`` notebooks (spread over the corpus by
   size) in one call, then the same with each tool's check mode. A tool's start-up is in both
   calls, so (time for N - time for 1) / (N - 1) is its work per notebook: parsing, cleaning,
   writing.
2. The same per-notebook work inside this process: ``clean_bytes`` on bytes already read, with
   no start-up and no file written.
3. ``git add .`` of the corpus notebooks (up to ``--limit``) into a fresh index of one repository
   per tool, installed as git's clean filter the way its documentation says (nbcollab with and
   without its output cache). nbstripout starts a Python process per file: ``--skip-slow``
   leaves it out.

Peer tools are called by their real console-script paths (beside this interpreter, else on
PATH, resolving version-manager shims, which add a shell start-up); a tool not installed is
skipped. The `bench` extra installs nb-clean and nbstripout; nbwipers and nbstripout-fast are
timed when installed beside them (`pip install nbwipers nbstripout-fast`).
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
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus" / "notebooks"
NBCOLLAB = [sys.executable, "-m", "nbcollab"]
PEERS = ("nb-clean", "nbstripout", "nbwipers", "nbstripout-fast")


def real_path(tool: str) -> str | None:
    """The tool's console script beside this interpreter, else on PATH (resolving pyenv shims)."""
    beside = Path(sys.executable).parent / tool
    if beside.is_file():
        return str(beside)
    found = shutil.which(tool)
    if found and "shims" in found and shutil.which("pyenv"):
        found = subprocess.run(
            ["pyenv", "which", tool], check=False, capture_output=True, text=True
        ).stdout.strip()
    return found or None


def usable_notebooks(limit: int) -> list[Path]:
    """Corpus notebooks that every tool can read (valid JSON, nbformat 4)."""
    sys.path.append(str(ROOT))  # an installed nbcollab (or PYTHONPATH's) first
    from nbcollab.errors import InvalidNotebook
    from nbcollab.notebook.codec import parse_notebook

    found = []
    for path in sorted(CORPUS.glob("*.ipynb")):
        try:
            if parse_notebook(path.read_bytes())["nbformat"] == 4:
                found.append(path)
        except InvalidNotebook:
            continue
    return found[:limit]


def spread(notebooks: list[Path], count: int) -> list[Path]:
    """``count`` notebooks evenly spaced in size order: small, median and large ones alike."""
    by_size = sorted(notebooks, key=lambda p: (p.stat().st_size, p.name))
    step = len(by_size) / count
    return [by_size[int(i * step)] for i in range(min(count, len(by_size)))]


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def make_repo(base: Path, name: str, notebooks: list[Path]) -> Path:
    repo = base / name
    repo.mkdir()
    git(repo, "init", "-q")
    for path in notebooks:
        shutil.copyfile(path, repo / path.name)
    return repo


def run_measured(command: list[str], cwd: Path, data: bytes | None = None) -> tuple[float, float]:
    """Wall-clock and CPU seconds of ``command`` (with the processes it starts)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, input=data, check=False, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


# --- 1. one call on 1 and on N files -------------------------------------------------------------


def nbcollab_command() -> list[str]:
    """What a user runs: the console script, else ``python -m nbcollab``."""
    script = Path(sys.executable).parent / "nbcollab"
    return [str(script)] if script.is_file() else NBCOLLAB


def in_place_commands() -> dict[str, tuple[list[str], list[str] | None]]:
    """Each installed tool's (clean files in place, check files) command prefixes."""
    ours = nbcollab_command()
    commands = {"nbcollab": ([*ours, "clean"], [*ours, "clean", "--check"])}
    paths = {name: real_path(name) for name in PEERS}
    if paths["nb-clean"]:
        commands["nb-clean"] = ([paths["nb-clean"], "clean"], [paths["nb-clean"], "check"])
    if paths["nbstripout"]:
        commands["nbstripout"] = ([paths["nbstripout"]], [paths["nbstripout"], "--verify"])
    if paths["nbwipers"]:
        commands["nbwipers"] = (
            [paths["nbwipers"], "clean-all", "--yes"],
            [paths["nbwipers"], "check"],
        )
    if paths["nbstripout-fast"]:
        commands["nbstripout-fast"] = ([paths["nbstripout-fast"]], None)  # no check mode
    return commands


def time_calls(
    work: Path, prefix: list[str], notebooks: list[Path], one: Path
) -> tuple[tuple[float, float], tuple[float, float]]:
    """(wall, CPU) of ``prefix`` on ``one`` alone, then on all ``notebooks``; fresh copies."""
    results = []
    for files in ([one], notebooks):
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        for path in files:
            shutil.copyfile(path, work / path.name)
        os.sync()  # the copies' write-back must not land on the timed call
        results.append(run_measured([*prefix, *(path.name for path in files)], work))
    return results[0], results[1]


def compare_calls(
    label: str,
    commands: dict[str, list[str]],
    notebooks: list[Path],
    repeat: int,
    tmp: Path,
) -> None:
    """Print each tool's 1-file and N-file times and its per-notebook work, nbcollab's ratio."""
    one = notebooks[len(notebooks) // 2]
    count = len(notebooks)
    rounds: dict[str, list[tuple[tuple[float, float], tuple[float, float]]]] = {
        name: [] for name in commands
    }
    names = list(commands)
    for turn in range(repeat):
        for name in names[turn % len(names) :] + names[: turn % len(names)]:
            rounds[name].append(time_calls(tmp / "work", commands[name], notebooks, one))

    def per_notebook(name: str, kind: int) -> list[float]:  # kind 0: wall, 1: CPU
        return [(many[kind] - single[kind]) / (count - 1) for single, many in rounds[name]]

    print(
        f"{label}: 1 notebook ({one.stat().st_size / 1e3:.0f} kB) and {count} in one call; "
        f"median of {repeat} rounds, seconds"
    )
    print(
        f"  {'':16} {'1 file':>14} {f'{count} files':>14}   per notebook: "
        f"{'CPU':>8} {'wall':>8}   nbcollab's CPU per notebook / tool's"
    )
    print(f"  {'':16} {'CPU':>6} {'wall':>7} {'CPU':>6} {'wall':>7}")
    for name in names:
        single = [s for s, _ in rounds[name]]
        many = [m for _, m in rounds[name]]
        cpu_ratio = ""
        if name != "nbcollab":
            pairs = zip(per_notebook("nbcollab", 1), per_notebook(name, 1), strict=True)
            cpu_ratio = (
                f"{statistics.median(ours / max(theirs, 1e-4) for ours, theirs in pairs):.1f}x"
            )
        print(
            f"  {name:16} {med(single, 1):6.3f} {med(single, 0):7.3f} {med(many, 1):6.3f} "
            f"{med(many, 0):7.3f}   {'':14}{statistics.median(per_notebook(name, 1)) * 1e3:6.2f}ms "
            f"{statistics.median(per_notebook(name, 0)) * 1e3:6.2f}ms   {cpu_ratio}"
        )


def med(pairs: list[tuple[float, float]], kind: int) -> float:
    return statistics.median(pair[kind] for pair in pairs)


# --- 2. the library call -------------------------------------------------------------------------


def time_library(notebooks: list[Path], repeat: int) -> tuple[float, float]:
    """CPU seconds per notebook of ``clean_bytes`` (and of parsing alone), best of ``repeat``."""
    from nbcollab.clean.strip import clean_bytes
    from nbcollab.notebook.codec import parse_notebook

    files = [(path.name, path.read_bytes()) for path in notebooks]
    best_clean = best_parse = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        for name, data in files:
            clean_bytes(data, path=name)
        best_clean = min(best_clean, time.process_time() - start)
        start = time.process_time()
        for name, data in files:
            parse_notebook(data, path=name)
        best_parse = min(best_parse, time.process_time() - start)
    return best_clean / len(files), best_parse / len(files)


# --- 3. git add through each tool's filter -------------------------------------------------------


def setup_nbcollab(repo: Path, *extra: str) -> None:
    subprocess.run(
        [*NBCOLLAB, "install", "--no-diff", "--no-merge", "--attributes", "info", *extra],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def setup_nb_clean(repo: Path) -> None:
    # `nb-clean add-filter` writes `nb-clean clean` (looked up on PATH): use the absolute path.
    subprocess.run([real_path("nb-clean"), "add-filter"], cwd=repo, check=True, capture_output=True)
    git(repo, "config", "filter.nb-clean.clean", f"{real_path('nb-clean')} clean")


def setup_nbstripout(repo: Path) -> None:
    subprocess.run(
        [real_path("nbstripout"), "--install", "--attributes", ".git/info/attributes"],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def setup_nbwipers(repo: Path) -> None:
    subprocess.run(
        [real_path("nbwipers"), "install", "local"], cwd=repo, check=True, capture_output=True
    )


def setup_nbstripout_fast(repo: Path) -> None:
    # Its README's set-up: a clean filter reading stdin, writing stdout.
    git(repo, "config", "filter.nbstripout-fast.clean", str(real_path("nbstripout-fast")))
    (repo / ".git" / "info" / "attributes").write_text("*.ipynb filter=nbstripout-fast\n")


FILTERS: dict[str, tuple[str, Callable[[Path], None]]] = {
    "nbcollab": ("nbcollab", setup_nbcollab),
    "nbcollab, no output cache": (
        "nbcollab",
        lambda repo: setup_nbcollab(repo, "--no-output-cache"),
    ),
    "nb-clean": ("nb-clean", setup_nb_clean),
    "nbstripout": ("nbstripout", setup_nbstripout),
    "nbwipers": ("nbwipers", setup_nbwipers),
    "nbstripout-fast": ("nbstripout-fast", setup_nbstripout_fast),
}


def time_git_add(repo: Path, notebooks: list[Path]) -> tuple[float, float]:
    """(wall, CPU) of `git add .` of fresh copies into a fresh index (and empty output cache)."""
    for path in notebooks:
        shutil.copyfile(path, repo / path.name)
    shutil.rmtree(repo / ".git" / "nbcollab" / "output-cache", ignore_errors=True)
    (repo / ".git" / "index").unlink(missing_ok=True)
    os.sync()
    return run_measured(["git", "add", "."], repo)


def staged_outputs(repo: Path) -> int:
    """How many staged notebooks still hold an output (a sanity check that the filter ran)."""
    out = subprocess.run(
        ["git", "grep", "--cached", "-l", '"output_type"'],
        check=False,
        cwd=repo,
        capture_output=True,
        text=True,
    ).stdout
    return len(out.splitlines())


def compare_git_add(notebooks: list[Path], repeat: int, tmp: Path, skip_slow: bool) -> None:
    """Print each filter's `git add` time and nbcollab's ratio to it."""
    repos = {}
    for name, (tool, setup) in FILTERS.items():
        if (tool == "nbstripout" and skip_slow) or (tool != "nbcollab" and not real_path(tool)):
            continue
        repos[name] = make_repo(tmp, name.replace(", ", "-").replace(" ", "-"), notebooks)
        setup(repos[name])
    size = sum(p.stat().st_size for p in notebooks) / 1e6
    rounds: dict[str, list[tuple[float, float]]] = {name: [] for name in repos}
    names = list(repos)
    for turn in range(repeat):
        for name in names[turn % len(names) :] + names[: turn % len(names)]:
            if rounds[name] and rounds[name][0][0] > 30:
                continue  # one run of a slow tool says enough
            rounds[name].append(time_git_add(repos[name], notebooks))
    print(
        f"git add . of {len(notebooks)} notebooks ({size:.1f} MB) through each tool's filter, "
        f"fresh index; median of the rounds, seconds"
    )
    for name in names:
        ratio = ""
        if not name.startswith("nbcollab"):
            pairs = zip(rounds["nbcollab"], rounds[name])
            ratio = f"nbcollab's CPU / its: {statistics.median(o[1] / t[1] for o, t in pairs):.2f}x"
        print(
            f"  {name:26} CPU {med(rounds[name], 1):6.2f}  wall {med(rounds[name], 0):6.2f}   "
            f"{staged_outputs(repos[name]):3} staged files hold outputs   {ratio}"
        )


def heavy_imports() -> list[str]:
    """Heavy modules imported by `nbcollab clean --stdin` (there should be none)."""
    sample = next(CORPUS.glob("*.ipynb")).read_bytes()
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *NBCOLLAB[1:], "clean", "--stdin"],
        input=sample,
        capture_output=True,
        check=False,
    )
    names = {line.split("|")[-1].strip() for line in done.stderr.decode().splitlines()}
    return sorted(
        n for n in names if n.split(".")[0] in {"nbformat", "jsonschema", "git", "nbdime"}
    )


def main() -> None:
    """Run every measurement and print the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--files", type=int, default=50, help="notebooks in one clean call")
    parser.add_argument("--limit", type=int, default=200, help="notebooks in the git add")
    parser.add_argument("--skip-slow", action="store_true", help="no nbstripout in the git add")
    parser.add_argument("--skip-git", action="store_true", help="no git add at all")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        sys.exit(f"corpus not found at {CORPUS}")
    everything = usable_notebooks(10_000)
    chosen = spread(everything, args.files)
    size = sum(p.stat().st_size for p in chosen) / 1e6
    print(f"{len(chosen)} corpus notebooks spread by size, {size:.1f} MB")
    commands = in_place_commands()
    missing = [name for name in PEERS if name not in commands]
    if missing:
        print(f"  not installed, skipped: {', '.join(missing)}")
    with tempfile.TemporaryDirectory() as tmp:
        compare_calls(
            "clean in place",
            {name: clean for name, (clean, _) in commands.items()},
            chosen,
            args.repeat,
            Path(tmp),
        )
        compare_calls(
            "check (nbcollab clean --check, nb-clean check, nbstripout --verify, nbwipers check)",
            {name: check for name, (_, check) in commands.items() if check is not None},
            chosen,
            args.repeat,
            Path(tmp),
        )
        cleaned, parsed = time_library(chosen, args.repeat)
        print(
            f"in this process, no start-up, no write: clean_bytes {cleaned * 1e3:.2f} ms per "
            f"notebook (parse_notebook alone {parsed * 1e3:.2f} ms)"
        )
        if not args.skip_git:
            compare_git_add(everything[: args.limit], args.repeat, Path(tmp), args.skip_slow)
    print(f"heavy imports on `clean --stdin`: {heavy_imports() or 'none'}")


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[attr-defined]
    main()
