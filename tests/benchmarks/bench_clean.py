"""Benchmark: nbcollab's clean filter and `clean --stdin` against nb-clean and nbstripout.

Run by hand (not collected by pytest)::

    python tests/benchmarks/bench_clean.py [--repeat 3] [--limit 200]

It copies the corpus notebooks that every tool can read into a fresh repository per tool, installs
each tool as git's clean filter the way its documentation says, and times `git add` of all of them
(the index is removed between runs, so every run filters every file). Then it times one
`clean --stdin` call against one `nbstripout` call on a median-sized notebook. The peer tools are
called by their real console-script paths (not version-manager shims, which add a shell start-up).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus" / "notebooks"
NBCOLLAB = [sys.executable, "-m", "nbcollab"]


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
    sys.path.insert(0, str(ROOT))
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


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def make_repo(base: Path, name: str, notebooks: list[Path]) -> Path:
    repo = base / name
    repo.mkdir()
    git(repo, "init", "-q")
    for path in notebooks:
        shutil.copyfile(path, repo / path.name)
    return repo


def setup_nbcollab(repo: Path) -> None:
    subprocess.run(
        [*NBCOLLAB, "install", "--no-diff", "--no-merge", "--attributes", "info"],
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


def time_git_add(repo: Path, repeat: int) -> float:
    """Best of ``repeat`` runs of `git add .` on a fresh index (one run when it is slow anyway)."""
    times: list[float] = []
    for _ in range(repeat):
        if times and times[0] > 30:
            break
        (repo / ".git" / "index").unlink(missing_ok=True)
        start = time.perf_counter()
        subprocess.run(["git", "add", "."], cwd=repo, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return min(times)


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


def time_one_call(command: list[str], data: bytes, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, input=data, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


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
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--limit", type=int, default=200)
    parser.add_argument(
        "--skip-slow", action="store_true", help="leave nbstripout out of the git add timing"
    )
    args = parser.parse_args()
    if not CORPUS.is_dir():
        sys.exit(f"corpus not found at {CORPUS}")
    notebooks = usable_notebooks(args.limit)
    size = sum(p.stat().st_size for p in notebooks) / 1e6
    print(f"{len(notebooks)} corpus notebooks, {size:.1f} MB; git add, best of {args.repeat}")
    tools = {"nbcollab": setup_nbcollab, "nb-clean": setup_nb_clean, "nbstripout": setup_nbstripout}
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, setup in tools.items():
            if name == "nbstripout" and args.skip_slow:
                continue
            if name != "nbcollab" and real_path(name) is None:
                print(f"  {name}: not installed, skipped")
                continue
            repo = make_repo(Path(tmp), name, notebooks)
            setup(repo)
            results[name] = time_git_add(repo, args.repeat)
            print(
                f"  {name:10} {results[name]:7.2f} s   ({staged_outputs(repo)} staged files "
                "still hold outputs)"
            )
    for name in ("nb-clean", "nbstripout"):
        if name in results:
            print(
                f"  git add: nbcollab is {results[name] / results['nbcollab']:.1f}x faster "
                f"than {name}"
            )
    sample = sorted(notebooks, key=lambda p: p.stat().st_size)[len(notebooks) // 2]
    data = sample.read_bytes()
    print(
        f"one call on a median notebook ({len(data) / 1e3:.0f} kB), median of {2 * args.repeat + 1}"
    )
    single = {"nbcollab": time_one_call([*NBCOLLAB, "clean", "--stdin"], data, 2 * args.repeat + 1)}
    if real_path("nbstripout"):
        single["nbstripout"] = time_one_call([real_path("nbstripout")], data, 2 * args.repeat + 1)
    if real_path("nb-clean"):
        single["nb-clean"] = time_one_call(
            [real_path("nb-clean"), "clean"], data, 2 * args.repeat + 1
        )
    for name, seconds in single.items():
        print(f"  {name:10} {seconds * 1000:7.0f} ms")
    if "nbstripout" in single:
        print(
            f"  one call: nbcollab is {single['nbstripout'] / single['nbcollab']:.1f}x faster "
            "than nbstripout"
        )
    print(f"heavy imports on `clean --stdin`: {heavy_imports() or 'none'}")


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[attr-defined]
    main()
