"""jupyterlab-nbcollab in a real JupyterLab, driven in Debian's Chromium by Playwright.

One ``jupyter lab --no-browser`` per module (127.0.0.1, a token, its own config, data, runtime,
settings and workspace folders); each test makes its own git repository below its root with a
real ``git merge`` and opens its own page. Screenshots for docs/jupyterlab.md are written to
docs/images/ when missing, or always with NBCOLLAB_UPDATE_SCREENSHOTS=1.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import PROJECT_ROOT, code_cell, git, make_notebook, run_nbcollab, write_notebook
from jupyterlab_helpers import Lab, model_source, requires_lab, running_lab
from mergetool_helpers import conflicted_repo, notebook

playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="Playwright for Python is not installed"
)
pytestmark = [pytest.mark.slow, pytest.mark.git, requires_lab]
IMAGES = PROJECT_ROOT / "docs" / "images"
expect = playwright_api.expect


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    root = tmp_path_factory.mktemp("lab-root")
    with running_lab(root, tmp_path_factory.mktemp("lab-state")) as running:
        yield running


@pytest.fixture
def page(browser: Any, lab: Lab) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    # Nothing may leave the machine: every request outside the server fails the test.
    page.outside = []  # type: ignore[attr-defined]
    page.on(
        "request",
        lambda r: (
            None
            if r.url.startswith((lab.base, "data:", "blob:", "about:"))
            else page.outside.append(r.url)
        ),
    )
    try:
        yield page
    finally:
        context.close()


def _repo(lab: Lab, name: str) -> Path:
    repo = lab.root / name
    repo.mkdir()
    git(repo, "init", "-q")
    return repo


def _open(page: Any, lab: Lab, path: str, wait: str = ".jp-nbcollab-banner") -> None:
    """Open ``path`` in a fresh workspace (``reset``: not the last test's open notebooks)."""
    page.goto(lab.url(f"lab/tree/{path}") + "&reset")
    page.wait_for_selector(wait, timeout=60_000)


CELLS = ".jp-NotebookPanel:visible .jp-Notebook .jp-Cell"


def _count(page: Any) -> Any:
    return page.locator(".jp-nbcollab-count")


def _conflict_in_cell(page: Any, cell: int) -> Any:
    """The conflict panel above the editor of notebook cell ``cell``."""
    return page.locator(CELLS).nth(cell).locator(".jp-nbcollab-conflict")


def _editor(page: Any, cell: int) -> Any:
    return page.locator(CELLS).nth(cell).locator(".cm-content")


def _type_at_end(page: Any, cell: int, text: str) -> None:
    _editor(page, cell).click()
    page.keyboard.press("Control+End")
    page.keyboard.type(text)


def _screenshot(page: Any, name: str) -> None:
    page.mouse.move(0, 0)
    page.wait_for_timeout(300)
    picture = page.screenshot()
    assert picture.startswith(b"\x89PNG")
    target = IMAGES / name
    if not target.exists() or os.environ.get("NBCOLLAB_UPDATE_SCREENSHOTS") == "1":
        IMAGES.mkdir(parents=True, exist_ok=True)
        target.write_bytes(picture)


def _kernel_versions(language: str) -> dict[str, Any]:
    return {"display_name": language, "language": language, "name": language.lower()}


def _merge_with_kernel_conflict(repo: Path) -> Path:
    versions = []
    # Both sides changed the kernel, to different languages: a notebook-metadata conflict.
    for a, c, language in [("0", "0", "Julia"), ("1", "1", "python"), ("2", "2", "R")]:
        nb = notebook(f"a = {a}", f"c = {c}", f"{a}\n")
        nb["metadata"]["kernelspec"] = _kernel_versions(language)
        if language == "python":
            nb["metadata"]["kernelspec"]["name"] = "python3"
        versions.append(nb)
    base, ours, theirs = versions
    return conflicted_repo(repo, base=base, ours=ours, theirs=theirs)


def test_resolve_every_conflict_by_clicking_then_mark_resolved(lab: Lab, page: Any) -> None:
    repo = _repo(lab, "resolve")
    path = _merge_with_kernel_conflict(repo)
    _open(page, lab, "resolve/nb.ipynb")
    expect(_count(page)).to_have_text("3 conflicts")
    expect(page.locator(".jp-nbcollab-where")).to_contain_text("merging feature into main")
    panel = _conflict_in_cell(page, 2)
    expect(panel.locator(".jp-nbcollab-label")).to_have_text(
        ["base", "main (ours)", "feature (theirs)"]
    )
    expect(panel.locator("pre")).to_have_text(["a = 0", "a = 1", "a = 2"])
    _screenshot(page, "jupyterlab-conflicts.png")

    page.get_by_role("button", name="Next conflict").click()
    expect(page.locator(".jp-nbcollab-conflict.jp-nbcollab-current")).to_have_count(1)
    expect(page.locator(".jp-nbcollab-where")).to_contain_text("1 of 3")

    # The kernelspec conflict: a note cell the merge added, with each side's kernelspec.
    note = _conflict_in_cell(page, 0)
    expect(note).to_contain_text("notebook metadata")
    expect(note.locator("pre").nth(2)).to_contain_text('"R"')
    expect(note.get_by_role("button", name="Use both")).to_have_count(0)
    note.get_by_role("button", name="Use theirs", exact=True).click()
    expect(_count(page)).to_have_text("2 conflicts")

    _conflict_in_cell(page, 1).get_by_role("button", name="Use theirs", exact=True).click()
    expect(_count(page)).to_have_text("1 conflict")
    _conflict_in_cell(page, 3).get_by_role("button", name="Use both", exact=True).click()
    expect(_count(page)).to_have_text("No conflict left")
    expect(page.locator(".jp-nbcollab-conflict")).to_have_count(0)

    page.get_by_role("button", name="Mark resolved").click()
    expect(page.locator(".jp-nbcollab-message")).to_contain_text("ran git add nb.ipynb")
    expect(_count(page)).to_have_text("Resolved")
    expect(page.locator(".jp-nbcollab-lint")).to_have_text("nbcollab: no findings", timeout=20_000)
    _screenshot(page, "jupyterlab-resolved.png")

    assert git(repo, "ls-files", "-u").stdout == ""
    assert run_nbcollab("conflicts", str(path)).returncode == 0
    import nbformat

    saved = nbformat.read(str(path), as_version=nbformat.NO_CONVERT)
    nbformat.validate(saved)
    sources = [cell.source for cell in saved.cells]
    assert sources == ["# Analysis", "a = 2", "keep = True", "c = 1\nc = 2"]
    assert saved.metadata.kernelspec.language == "R"
    assert "nbcollab" not in saved.metadata
    assert page.outside == []


def test_mark_resolved_brings_your_outputs_back_from_the_output_cache(lab: Lab, page: Any) -> None:
    from test_output_cache_git import NB, assert_status_clean, conflict_after_our_own_commit
    from test_output_cache_git import notebook as ran_notebook

    repo = _repo(lab, "outputs")
    assert run_nbcollab("install", cwd=repo).returncode == 0
    (repo / ".gitignore").write_text(".ipynb_checkpoints/\n")  # JupyterLab's, as projects have it
    write_notebook(repo / NB, ran_notebook())
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "one")
    ours = conflict_after_our_own_commit(repo)
    _open(page, lab, f"outputs/{NB}")
    expect(_count(page)).to_have_text("1 conflict")
    _conflict_in_cell(page, 2).get_by_role("button", name="Use ours", exact=True).click()
    expect(_count(page)).to_have_text("No conflict left")
    page.get_by_role("button", name="Mark resolved").click()
    expect(page.locator(".jp-nbcollab-message")).to_contain_text(
        f"Saved with your outputs from the output cache, and ran git add {NB}"
    )
    # Shown in the notebook: the outputs of our own commit, under their cells.
    for cell, text in ((2, "2"), (3, "3")):
        expect(page.locator(CELLS).nth(cell).locator(".jp-OutputArea-output")).to_have_text(text)
    from nbcollab.notebook.codec import parse_notebook

    saved = parse_notebook((repo / NB).read_bytes())  # lines joined, as they are compared
    assert [c.get("outputs") for c in saved["cells"]] == [c.get("outputs") for c in ours["cells"]]
    assert git(repo, "ls-files", "-u").stdout == ""
    git(repo, "commit", "-qm", "merged")
    assert_status_clean(repo)


def test_a_printed_output_chosen_is_shown_and_saved_once(lab: Lab, page: Any) -> None:
    from nbcollab.notebook.codec import parse_notebook

    repo = _repo(lab, "streams")
    assert run_nbcollab("install", "--no-filter", cwd=repo).returncode == 0
    (repo / "pyproject.toml").write_text('[tool.nbcollab.merge]\noutputs = "conflict"\n')
    path = conflicted_repo(
        repo,
        driver=False,
        base=notebook("a = 1", "c = 0", "0\n"),
        ours=notebook("a = 1", "c = 0", "alice\n"),
        theirs=notebook("a = 1", "c = 0", "bob\n"),
    )
    _open(page, lab, "streams/nb.ipynb")
    expect(_count(page)).to_have_text("1 conflict")
    _conflict_in_cell(page, 1).get_by_role("button", name="Use theirs", exact=True).click()
    expect(_count(page)).to_have_text("No conflict left")
    expect(page.locator(CELLS).nth(1).locator(".jp-OutputArea-output")).to_have_text("bob")
    page.keyboard.press("Control+s")
    page.wait_for_function(
        """() => ![...jupyterapp.shell.widgets('main')]
            .find(w => w.context && w.context.path === 'streams/nb.ipynb').context.model.dirty""",
        timeout=20_000,
    )
    saved = parse_notebook(path.read_bytes())["cells"][1]["outputs"]
    assert saved == [{"name": "stdout", "output_type": "stream", "text": "bob\n"}]


def test_an_undo_after_mark_resolved_is_said(lab: Lab, page: Any) -> None:
    repo = _repo(lab, "undo")
    conflicted_repo(repo, base=notebook("a = 0", "c = 0", "0\n"))
    _open(page, lab, "undo/nb.ipynb")
    page.get_by_role("button", name="Previous conflict").click()  # from none: the last
    expect(page.locator(".jp-nbcollab-where")).to_contain_text("2 of 2")
    for cell in (1, 3):
        _conflict_in_cell(page, cell).get_by_role("button", name="Use ours", exact=True).click()
    expect(_count(page)).to_have_text("No conflict left")
    page.get_by_role("button", name="Mark resolved").click()
    expect(page.locator(".jp-nbcollab-message")).to_contain_text("ran git add nb.ipynb")
    expect(page.get_by_role("button", name="Mark resolved")).to_be_hidden()
    # The record is cleared; an undo in a cell brings its conflict's marks back: said.
    _editor(page, 3).click()
    page.keyboard.press("Control+z")
    expect(page.locator(".jp-nbcollab-message")).to_contain_text(
        "cell 4 holds conflict marker lines again (an undo?)", timeout=20_000
    )
    expect(page.get_by_role("button", name="Mark resolved")).to_be_visible()


def test_a_file_reverted_to_on_mark_resolved_is_not_staged(lab: Lab, page: Any) -> None:
    import time

    repo = _repo(lab, "revert")
    path = conflicted_repo(repo, base=notebook("a = 0", "c = 0", "0\n"))
    _open(page, lab, "revert/nb.ipynb")
    for cell in (1, 3):
        _conflict_in_cell(page, cell).get_by_role("button", name="Use ours", exact=True).click()
    expect(_count(page)).to_have_text("No conflict left")
    # The file changes on disk meanwhile; the user takes the disk's version: nothing is staged.
    time.sleep(1.1)  # a later modification time than the one JupyterLab knows
    assert run_nbcollab("resolve", "--theirs", "nb.ipynb", cwd=repo).returncode == 0
    page.get_by_role("button", name="Mark resolved").click()
    page.locator(".jp-Dialog").get_by_role("button", name="Revert").click()
    expect(page.locator(".jp-nbcollab-message")).to_contain_text("nothing was marked resolved")
    assert git(repo, "ls-files", "-u").stdout != ""  # still unmerged: nothing staged
    assert "c = 2" in path.read_text()


def test_typed_text_survives_another_conflicts_button(lab: Lab, page: Any) -> None:
    repo = _repo(lab, "typed")
    path = conflicted_repo(repo, base=notebook("a = 0", "c = 0", "0\n"))
    _open(page, lab, "typed/nb.ipynb")
    expect(_count(page)).to_have_text("2 conflicts")
    _type_at_end(page, 1, "\n# typed by hand")
    _conflict_in_cell(page, 3).get_by_role("button", name="Use theirs", exact=True).click()
    expect(_count(page)).to_have_text("1 conflict")
    assert model_source(page, "typed/nb.ipynb", 1).endswith("\n# typed by hand")
    assert model_source(page, "typed/nb.ipynb", 3) == "c = 2"
    # The typed line is outside the conflict: resolving that one keeps it too.
    _conflict_in_cell(page, 1).get_by_role("button", name="Use ours", exact=True).click()
    expect(_count(page)).to_have_text("No conflict left")
    assert model_source(page, "typed/nb.ipynb", 1) == "a = 1\n# typed by hand"
    # Undo in the cell's editor takes the choice back, as one step of its own: what was typed
    # just before it stays.
    _editor(page, 1).click()
    page.keyboard.press("Control+z")
    undone = model_source(page, "typed/nb.ipynb", 1)
    assert undone.startswith("<<<<<<< main") and undone.endswith("\n# typed by hand")
    expect(_count(page)).to_have_text("1 conflict")
    page.keyboard.press("Control+Shift+z")
    assert model_source(page, "typed/nb.ipynb", 1) == "a = 1\n# typed by hand"
    expect(_count(page)).to_have_text("No conflict left")
    page.keyboard.press("Control+s")
    page.wait_for_function(
        """() => ![...jupyterapp.shell.widgets('main')]
            .find(w => w.context && w.context.path === 'typed/nb.ipynb').context.model.dirty""",
        timeout=20_000,
    )
    saved = json.loads(path.read_text())
    assert "".join(saved["cells"][1]["source"]) == "a = 1\n# typed by hand"


def test_typing_while_the_server_answers_is_kept(lab: Lab, page: Any) -> None:
    repo = _repo(lab, "race")
    conflicted_repo(repo, base=notebook("a = 0", "c = 0", "0\n"))
    _open(page, lab, "race/nb.ipynb")
    expect(_count(page)).to_have_text("2 conflicts")
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/nbcollab/resolve?" in r.url else None)
    held: list[Any] = []
    # The first answer waits; the choice asked for again goes straight through.
    page.route(
        "**/nbcollab/resolve?*",
        lambda route: route.continue_() if held else held.append(route),
    )
    _conflict_in_cell(page, 3).get_by_role("button", name="Use theirs", exact=True).click()
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the choice was never sent"
    # The server answers for the cell as it was; meanwhile the user types into that very cell.
    _type_at_end(page, 3, "\n# typed while the server answered")
    held[0].continue_()
    expect(_count(page)).to_have_text("1 conflict")
    assert model_source(page, "race/nb.ipynb", 3) == "c = 2\n# typed while the server answered"
    assert len(asked) == 2  # the first answer was for the cell as it was: asked again


def test_a_notebook_git_merged_as_text_is_merged_again_cell_by_cell(lab: Lab, page: Any) -> None:
    repo = _repo(lab, "text")
    path = conflicted_repo(repo, driver=False, base=notebook("a = 0", "c = 0", "0\n"))
    assert not path.read_text().startswith("{") or "<<<<<<<" in path.read_text()
    _open(page, lab, "text/nb.ipynb", wait="text=Merge cell by cell")
    page.locator(".jp-Dialog").get_by_role("button", name="Close").click()
    page.get_by_role("button", name="Merge cell by cell").click()
    page.wait_for_selector(".jp-nbcollab-banner", timeout=60_000)
    expect(_count(page)).to_have_text("2 conflicts")
    expect(page.locator(".jp-Dialog")).to_have_count(0)  # no "save your work?" on the way
    assert json.loads(path.read_text())["metadata"]["nbcollab"]["conflicts"]


def test_diff_with_head_from_the_file_browser(lab: Lab, page: Any) -> None:
    repo = _repo(lab, "diff")
    cells = [code_cell(f"step_{k} = {k}", cell_id=f"c{k}") for k in range(30)]
    write_notebook(repo / "nb.ipynb", make_notebook(*cells))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "one")
    cells[12] = code_cell("step_12 = 'changed since HEAD'", cell_id="c12")
    write_notebook(repo / "nb.ipynb", make_notebook(*cells))
    page.goto(lab.url("lab/tree/diff") + "&reset")
    item = page.locator(".jp-DirListing-item", has_text="nb.ipynb")
    item.click(button="right")
    page.get_by_text("nbcollab: Diff with HEAD").click()
    page.wait_for_selector(".jp-nbcollab-diff[data-nbcollab-loaded]", timeout=60_000)
    frame = page.locator(".jp-nbcollab-diff iframe")
    assert frame.get_attribute("sandbox") == "allow-scripts"
    inside = page.frame_locator(".jp-nbcollab-diff iframe")
    expect(inside.locator("section.cell.modified")).to_have_count(1)
    expect(inside.locator("section.cell.modified")).to_contain_text("changed since HEAD")
    expect(inside.locator("details").first).to_contain_text("unchanged cells")
    _screenshot(page, "jupyterlab-diff.png")
    assert page.outside == []


def _status(page: Any) -> Any:
    return page.locator(".jp-nbcollab-lint")


def _run(page: Any, cell: int, count: int) -> None:
    _editor(page, cell).click()
    page.keyboard.press("Control+Enter")
    prompt = page.locator(CELLS).nth(cell).locator(".jp-InputPrompt")
    expect(prompt).to_have_text(re.compile(rf"\[{count}\]"), timeout=60_000)


def test_lint_status_shows_a_finding_after_cells_run_out_of_order(lab: Lab, page: Any) -> None:
    repo = _repo(lab, "lint")
    nb = make_notebook(code_cell("x = 1", cell_id="first"), code_cell("y = 2", cell_id="second"))
    write_notebook(repo / "nb.ipynb", nb)
    _open(page, lab, "lint/nb.ipynb", wait=".jp-Notebook")
    expect(_status(page)).to_have_text("nbcollab: no findings", timeout=30_000)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=90_000)
    _run(page, 1, 1)
    _run(page, 0, 2)
    expect(_status(page)).to_have_text(re.compile(r"nbcollab: \d+ findings?"), timeout=30_000)
    _status(page).click()
    dialog = page.locator(".jp-Dialog")
    finding = dialog.locator(".jp-nbcollab-finding", has_text="C101")
    expect(finding).to_have_count(1)
    _screenshot(page, "jupyterlab-lint.png")
    where = finding.locator(".jp-nbcollab-finding-where").inner_text()
    cell = int(re.match(r"cell (\d+)", where).group(1)) - 1  # type: ignore[union-attr]
    dialog.get_by_role("button", name="Close").click()
    _editor(page, 1 - cell).click()  # the other cell is the active one before the jump
    _status(page).click()
    dialog.locator(".jp-nbcollab-finding", has_text="C101").click()
    expect(dialog).to_have_count(0)
    expect(page.locator(CELLS).nth(cell)).to_have_class(re.compile("jp-mod-active"))
    assert not (repo / "nb.ipynb").read_text().count('"execution_count": 1')  # nothing saved


def test_a_setting_turns_the_lint_status_off(lab: Lab, page: Any) -> None:
    repo = _repo(lab, "quiet")
    write_notebook(repo / "nb.ipynb", make_notebook(code_cell("x = 1")))
    state = lab.log.parent / "settings" / "jupyterlab-nbcollab" / "lint.jupyterlab-settings"
    state.parent.mkdir(parents=True, exist_ok=True)
    state.write_text(json.dumps({"lintStatus": False}))
    try:
        _open(page, lab, "quiet/nb.ipynb", wait=".jp-Notebook")
        page.wait_for_timeout(1500)
        expect(_status(page)).to_be_hidden()
    finally:
        state.unlink()
