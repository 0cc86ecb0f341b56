"""Benchmark: a repository of thousands of notebooks, nbcollab against nb-clean and plain git.

Run by hand (not collected by pytest)::

    python tests/benchmarks/bench_repository.py --count 1000     # about a minute
    python tests/benchmarks/bench_repository.py --count 10000

It writes ``--count`` notebooks (``generate_repository``: corpus notebooks with small edits, a
fixed seed) into three repositories in a temporary folder: one with nbcollab's filter, one with
nb-clean's (``nb-clean add-filter``), one without a filter. Then, each tool beside the other in
the same run:

- ``git add -A`` through each filter (plain git: no filter at all);
- ``git status`` untouched, then after touching 100 notebooks;
- ``nbcollab clean --check .`` and ``nbcollab lint .`` on one process (``-j 1``) and on every
  core, with their peak memory (the largest process of the tree), and ``nb-clean check .``;
- the review page (``nbcollab diff HEAD~ HEAD --format html``) of a commit touching 500
  notebooks: its time, its size, and how long Chromium takes to load it (when Playwright and
  Debian's chromium are there).

Prints seconds and ratios. The machine's load moves every number: compare within one run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_clean import real_path, setup_nb_clean, setup_nbcollab
from generate_repository import touch_notebooks, write_notebooks

NBCOLLAB = [sys.executable, "-m", "nbcollab"]
CPU = [0.0]
TIME = shutil.which("time", path="/usr/bin:/bin") or "/usr/bin/time"


def run(command: list[str], cwd: Path) -> tuple[float, float, int]:
    """(seconds, peak RSS in MB of the largest process of its tree, exit code); the CPU
    seconds of the whole tree are in ``CPU[0]`` afterwards.

    Through GNU time, a small process: a peak measured from this one would start at this
    Python's size, which a forked child's peak inherits."""
    start = time.perf_counter()
    done = subprocess.run(
        [TIME, "-f", "%M %U %S", *command],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    seconds = time.perf_counter() - start
    peak, user, system = done.stderr.decode(errors="replace").strip().splitlines()[-1].split()
    CPU[0] = float(user) + float(system)
    return seconds, int(peak) / 1024, done.returncode


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def make_repositories(base: Path, count: int) -> dict[str, Path]:
    repos = {}
    for name, setup in (("nbcollab", setup_nbcollab), ("nb-clean", setup_nb_clean), ("git", None)):
        repo = base / name
        repo.mkdir()
        git(repo, "init", "-q")
        git(repo, "config", "user.email", "bench@example.com")
        git(repo, "config", "user.name", "bench")
        if setup is not None:
            setup(repo)
        write_notebooks(repo, count)
        repos[name] = repo
    return repos


def line(label: str, times: dict[str, float], against: str = "nbcollab") -> None:
    parts = [f"{name} {seconds:7.2f} s" for name, seconds in times.items()]
    ratios = [
        f"{name}/{against} {seconds / times[against]:.2f}x"
        for name, seconds in times.items()
        if name != against and times[against] > 0
    ]
    print(f"{label:34} " + "   ".join(parts) + ("   (" + ", ".join(ratios) + ")" if ratios else ""))


def bench_git(repos: dict[str, Path]) -> None:
    added = {name: run(["git", "add", "-A"], repo)[0] for name, repo in repos.items()}
    line("git add -A", added)
    for repo in repos.values():
        git(repo, "commit", "-q", "-m", "notebooks")
    line("git status (untouched)", {n: run(["git", "status"], r)[0] for n, r in repos.items()})
    for repo in repos.values():
        paths = sorted(p.relative_to(repo) for p in repo.rglob("*.ipynb"))
        touch_notebooks(repo, paths, 100)
    line("git status (100 touched)", {n: run(["git", "status"], r)[0] for n, r in repos.items()})
    for repo in repos.values():
        git(repo, "checkout", "-q", "--", ".")


def bench_commands(repo: Path, jobs: int) -> None:
    nb_clean = real_path("nb-clean")
    for label, command in (("clean --check .", ["clean", "--check"]), ("lint .", ["lint"])):
        one, rss_one, code = run([*NBCOLLAB, *command, "-j", "1", "."], repo)
        cpu_one = CPU[0]
        many, rss_many, code_many = run([*NBCOLLAB, *command, "-j", str(jobs), "."], repo)
        print(
            f"{label:34} -j 1 {one:7.2f} s ({rss_one:.0f} MB, CPU {cpu_one:.1f} s)   -j {jobs} "
            f"{many:7.2f} s ({rss_many:.0f} MB, CPU {CPU[0]:.1f} s)   speed-up {one / many:.2f}x"
            f"   exit {code}/{code_many}"
        )
        if label.startswith("clean") and nb_clean:
            peer, rss_peer, _ = run([nb_clean, "check", "."], repo)
            print(f"{'  nb-clean check .':34} {peer:7.2f} s ({rss_peer:.0f} MB)")


def bench_review(repo: Path, jobs: int, touched: int) -> None:
    paths = sorted(p.relative_to(repo) for p in repo.rglob("*.ipynb"))
    touch_notebooks(repo, paths, touched, seed=11)
    git(repo, "commit", "-q", "-a", "-m", "touch")
    page = repo.parent / "review.html"
    results = {}
    for j in (1, jobs):
        diff = [*NBCOLLAB, "diff", "HEAD~", "HEAD", "--format", "html", "-j", str(j)]
        results[j] = run([*diff, "-o", str(page)], repo)
    size = page.stat().st_size / 2**20
    print(
        f"{f'review page, {touched} notebooks':34} -j 1 {results[1][0]:7.2f} s   -j {jobs} "
        f"{results[jobs][0]:7.2f} s ({results[jobs][1]:.0f} MB)   page {size:.1f} MiB"
    )
    loaded = browser_load_seconds(page)
    if loaded is not None:
        print(f"{'  chromium: page loaded in':34} {loaded:7.2f} s")


def browser_load_seconds(page: Path) -> float | None:
    chromium = shutil.which("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if chromium is None:
        return None
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        tab = browser.new_page()
        start = time.perf_counter()
        tab.goto(page.as_uri(), wait_until="load", timeout=300_000)
        tab.keyboard.press("n")  # the page answers: its script ran over every section
        seconds = time.perf_counter() - start
        browser.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="notebooks (default 1000)")
    parser.add_argument("--touched", type=int, default=500, help="notebooks the review shows")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nbcollab-bench-repo-") as tmp:
        start = time.perf_counter()
        repos = make_repositories(Path(tmp), args.count)
        print(
            f"{args.count} notebooks per repository, written in {time.perf_counter() - start:.0f} s"
        )
        bench_git(repos)
        bench_commands(repos["nbcollab"], args.jobs)
        bench_review(repos["nbcollab"], args.jobs, min(args.touched, args.count))


if __name__ == "__main__":
    main()
