"""Benchmark: jupyterlab-nbcollab against jupyterlab-git + nbdime, in one JupyterLab.

Run by hand (not collected by pytest), with both extensions installed in the environment
(``pip install ./jupyterlab-nbcollab jupyterlab-git``; without jupyterlab-git only nbcollab and
JupyterLab itself are timed)::

    python tests/benchmarks/bench_jupyterlab.py [--cells 1000] [--rounds 5]

One ``jupyter lab`` serves two repositories made with real git: a notebook of ``--cells`` cells
that ``git merge`` left conflicted (ten cells changed differently on both sides, merged by
nbcollab's driver), and the same notebook committed then edited in three cells (a changed
output included). Debian's Chromium loads Lab once; then, rounds interleaved so that both tools
see the same load, it times (wall clock in the page, from the command to what is shown):

- conflicts: nbcollab opening the notebook until its banner shows the conflicts (and JupyterLab
  alone opening a notebook of the same size, for scale), against jupyterlab-git's diff of the
  unmerged file, nbdime's merge view, until its cells are drawn;
- diff: "nbcollab: Diff with HEAD" until the review page is loaded, against jupyterlab-git's
  diff of the working file (nbdime's diff view) until its cells are drawn.

It prints each tool's median and range and the ratio of the medians, and what each one shows.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    code_cell,
    git,
    make_notebook,
    markdown_cell,
    stream_output,
    write_notebook,
)
from jupyterlab_helpers import running_lab

CONFLICTED = 10


def big_notebook(cells: int, variant: str = "", changed: frozenset[int] = frozenset()) -> dict:
    """``cells`` cells, every fifth markdown; the ``changed`` code cells carry ``variant``."""
    out = []
    for k in range(cells):
        if k % 5 == 0:
            out.append(markdown_cell(f"## Step {k}\n\nWhat step {k} does.", cell_id=f"c{k}"))
            continue
        line = f"x{k} = {k}" if k not in changed else f"x{k} = {variant!r}"
        out.append(
            code_cell(
                f"{line}\nprint(x{k} * 2)",
                cell_id=f"c{k}",
                count=k,
                outputs=[stream_output(f"{k * 2}\n" if k not in changed else f"{variant}\n")],
            )
        )
    return make_notebook(*out)


def make_repositories(root: Path, cells: int) -> None:
    """``merge/nb.ipynb`` left conflicted by git merge; ``diff/nb.ipynb`` edited since HEAD."""
    import subprocess

    changed = frozenset(range(1, cells, max(cells // CONFLICTED, 2)))
    changed = frozenset(k for k in changed if k % 5)
    repo = root / "merge"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    subprocess.run([sys.executable, "-m", "nbcollab", "install"], cwd=repo, check=True)
    write_notebook(repo / "nb.ipynb", big_notebook(cells))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    git(repo, "checkout", "-qb", "feature")
    write_notebook(repo / "nb.ipynb", big_notebook(cells, "feature", changed))
    git(repo, "commit", "-qam", "theirs")
    git(repo, "checkout", "-q", "main")
    write_notebook(repo / "nb.ipynb", big_notebook(cells, "main", changed))
    git(repo, "commit", "-qam", "ours")
    assert git(repo, "merge", "feature", check=False).returncode != 0

    repo = root / "diff"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    write_notebook(repo / "nb.ipynb", big_notebook(cells))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "one")
    write_notebook(
        repo / "nb.ipynb", big_notebook(cells, "edited", frozenset({11, cells // 2 + 1, cells - 2}))
    )


# Each measurement runs in the page: it starts the command and resolves, with the elapsed
# milliseconds and what is shown, once the tool shows its result.
NBCOLLAB_OPEN = """async (path) => {
  const t0 = performance.now();
  await jupyterapp.commands.execute('docmanager:open', {path, factory: 'Notebook'});
  while (true) {
    if (performance.now() - t0 > 300000) { return {ms: NaN, shows: 'nothing within 300 s'}; }
    const count = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-nbcollab-count');
    if (count && /conflict/.test(count.textContent)) {
      return {ms: performance.now() - t0, shows: count.textContent + ', ' +
        document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-nbcollab-conflict').length +
        ' conflict panels drawn so far (the others as their cells are)'};
    }
    await new Promise(r => setTimeout(r, 5));
  }
}"""
# JupyterLab alone: a notebook of the same size without conflicts, until it is drawn.
LAB_OPEN = """async (path) => {
  const t0 = performance.now();
  await jupyterapp.commands.execute('docmanager:open', {path, factory: 'Notebook'});
  const panel = jupyterapp.shell.currentWidget;
  await panel.context.ready;
  // The timer runs once the page is free again: after the cells are drawn.
  await new Promise(r => setTimeout(r, 0));
  return {ms: performance.now() - t0, shows: panel.content.widgets.length + ' cells'};
}"""
NBCOLLAB_DIFF = """async (path) => {
  const t0 = performance.now();
  await jupyterapp.commands.execute('nbcollab:diff-head', {path});
  while (true) {
    if (performance.now() - t0 > 300000) { return {ms: NaN, shows: 'nothing within 300 s'}; }
    const view = document.querySelector('.jp-nbcollab-diff[data-nbcollab-loaded]');
    if (view) {
      const doc = view.querySelector('iframe').contentDocument;
      const shown = doc ? '' : 'review page (sandboxed)';
      return {ms: performance.now() - t0, shows: shown || 'review page', timings: view.dataset.nbcollabTimings};
    }
    await new Promise(r => setTimeout(r, 5));
  }
}"""
# jupyterlab-git draws nbdime's widget cell by cell: done when the cell count stops growing.
GIT_DIFF = """async ([path, status, selector]) => {
  const t0 = performance.now();
  await jupyterapp.commands.execute('git:context-diff',
    {files: [{filePath: path, isText: true, status}]});
  let last = -1, since = performance.now(), stamp = 0;
  while (true) {
    if (performance.now() - t0 > 300000) {
      return {ms: NaN, shows: 'nothing within 300 s, ' + last + ' cells drawn'};
    }
    const n = document.querySelectorAll(selector).length;
    if (n !== last) { last = n; since = performance.now(); stamp = since; }
    if (n > 0 && performance.now() - since > 1000) {
      const conflicts = [...document.querySelectorAll('.jp-Notebook-merge .jp-Cell-merge')]
        .filter(cell => cell.querySelector('.jp-Merge-conflict')).length;
      return {ms: stamp - t0, shows: n + ' cells drawn' + (status === 'unmerged' ? ', ' + conflicts + ' marked as conflicts' : '')};
    }
    await new Promise(r => setTimeout(r, 5));
  }
}"""
CLOSE_ALL = """() => { for (const w of [...jupyterapp.shell.widgets('main')]) {
  if (w.context) { w.context.model.dirty = false; } w.dispose(); } }"""


def settle(page: Any, lab: Any, folder: str) -> None:
    """Lab loaded on ``folder``, with jupyterlab-git's panel open (it reads git's state there)."""
    page.goto(lab.url(f"lab/tree/{folder}") + "&reset")
    page.wait_for_selector(".jp-DirListing-item", timeout=120_000)
    page.evaluate("() => jupyterapp.shell.activateById('jp-git-sessions')")
    page.wait_for_timeout(5000)


def measure(page: Any, script: str, arg: Any) -> dict[str, Any]:
    page.evaluate(CLOSE_ALL)
    page.wait_for_timeout(500)
    result = dict(page.evaluate(script, arg))
    name = script.split("execute(")[1].split(",")[0]
    print(f"  {name:<24} {arg!s:<20.20} {result['ms']:8.0f} ms", flush=True)
    page.wait_for_timeout(300)
    return result


def summary(name: str, runs: list[dict[str, Any]]) -> float:
    if not runs:
        print(f"  {name:<34} not installed")
        return float("nan")
    times = [r["ms"] for r in runs]
    median = statistics.median(times)
    print(f"  {name:<34} median {median:7.0f} ms  (range {min(times):.0f}-{max(times):.0f})")
    print(f"  {'':<34} shows: {runs[-1]['shows']}")
    if runs[-1].get("timings"):
        print(f"  {'':<34} server / page: {runs[-1]['timings']}")
    return median


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cells", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp, "root")
        root.mkdir()
        make_repositories(root, args.cells)
        with running_lab(root, Path(tmp, "state")) as lab, sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            settle(page, lab, "merge")
            runs: dict[str, list[dict[str, Any]]] = {
                key: [] for key in ("lab", "nco", "gco", "ncd", "gcd")
            }
            peer = page.evaluate("() => jupyterapp.commands.hasCommand('git:context-diff')")
            for _ in range(args.rounds):
                runs["lab"].append(measure(page, LAB_OPEN, "diff/nb.ipynb"))
                runs["nco"].append(measure(page, NBCOLLAB_OPEN, "merge/nb.ipynb"))
                if peer:
                    runs["gco"].append(
                        measure(
                            page,
                            GIT_DIFF,
                            ["nb.ipynb", "unmerged", ".jp-Notebook-merge .jp-Cell-merge"],
                        )
                    )
            settle(page, lab, "diff")
            for _ in range(args.rounds):
                runs["ncd"].append(measure(page, NBCOLLAB_DIFF, "diff/nb.ipynb"))
                if peer:
                    runs["gcd"].append(
                        measure(
                            page,
                            GIT_DIFF,
                            ["nb.ipynb", "unstaged", ".jp-Notebook-diff .jp-Cell-diff"],
                        )
                    )
            browser.close()
    print(f"\n{args.cells}-cell notebook, {args.rounds} rounds, interleaved:")
    print("Conflicted notebook (git merge), until its conflicts are shown:")
    summary("(JupyterLab alone, no conflict)", runs["lab"])
    a = summary("jupyterlab-nbcollab (open)", runs["nco"])
    b = summary("jupyterlab-git + nbdime (merge view)", runs["gco"])
    if runs["gco"]:
        print(f"  ratio nbdime / nbcollab: {b / a:.1f}x")
    print("Diff with HEAD, until the diff is shown:")
    a = summary("jupyterlab-nbcollab (review page)", runs["ncd"])
    b = summary("jupyterlab-git + nbdime (diff view)", runs["gcd"])
    if runs["gcd"]:
        print(f"  ratio nbdime / nbcollab: {b / a:.1f}x")
    print(json.dumps({k: [round(r["ms"]) for r in v] for k, v in runs.items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
