"""The mergetool page in a real browser (headless Chromium driven by Playwright).

Skipped when Chromium or Playwright is missing. Screenshots for the documentation are written to
docs/images/ by these tests.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import (
    CHROMIUM,
    PROJECT_ROOT,
    code_cell,
    git,
    make_notebook,
    markdown_cell,
    run_nbcollab,
)
from mergetool_helpers import conflicted_repo, git_mergetool, install_mergetool, notebook, running

from nbcollab.files import read_notebook_file

playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="Playwright for Python is not installed"
)
pytestmark = [
    pytest.mark.git,
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)"
    ),
]
NBCOLLAB = [sys.executable, "-m", "nbcollab"]
IMAGES = PROJECT_ROOT / "docs" / "images"


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.alerts = []  # type: ignore[attr-defined]
    page.on("dialog", lambda dialog: _dialog(page, dialog))
    # Nothing may leave the machine: every request outside the tool's own server fails the test.
    page.outside = []  # type: ignore[attr-defined]
    page.csp = []  # type: ignore[attr-defined]
    page.unload_prompts = 0  # type: ignore[attr-defined]
    page.on(
        "console",
        lambda m: page.csp.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.on(
        "request",
        lambda r: (
            None if r.url.startswith(("http://127.0.0.1", "data:")) else page.outside.append(r.url)
        ),
    )
    try:
        yield page
    finally:
        context.close()


def _dialog(page: Any, dialog: Any) -> None:
    """Record and dismiss: a "leave this page?" prompt keeps the page open."""
    if dialog.type == "beforeunload":
        page.unload_prompts += 1
    else:
        page.alerts.append(dialog.message)
    dialog.dismiss()


def _button(page: Any, name: str) -> Any:
    return page.get_by_role("button", name=name, exact=True)


def _counter(page: Any) -> str:
    return page.locator("#counter").inner_text()


def _screenshot(page: Any, name: str, element: Any = None) -> None:
    """A full-page picture for the docs, once the editors below the fold have been laid out.

    Pictures differ by a few pixels from run to run, so the docs' copy is replaced only when
    it is missing or NBCOLLAB_UPDATE_SCREENSHOTS=1 asks for it.
    """
    for editor in page.locator(".cm-editor").all():  # the editor measures itself when seen
        editor.scroll_into_view_if_needed()
        page.wait_for_timeout(50)
    page.mouse.move(0, 0)
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(300)
    picture = element.screenshot() if element is not None else page.screenshot(full_page=True)
    assert picture.startswith(b"\x89PNG")
    target = IMAGES / name
    if not target.exists() or os.environ.get("NBCOLLAB_UPDATE_SCREENSHOTS") == "1":
        IMAGES.mkdir(parents=True, exist_ok=True)
        target.write_bytes(picture)


def _wait_counter(page: Any, left: str) -> None:
    playwright_api.expect(page.locator("#counter")).to_have_text(re.compile(f"^{left} of "))


def _resolve_by_clicking(page: Any, name: str) -> None:
    """Click ``name`` on the first conflict until none is left."""
    while _button(page, name).count():
        before = _counter(page)
        _button(page, name).first.click()
        page.wait_for_function(
            "b => document.getElementById('counter').textContent !== b", arg=before
        )


def test_git_mergetool_end_to_end_by_clicking(git_repo: Path, page: Any) -> None:
    base = notebook("a = 0\nprint(a)", "c = 0", "0\n")
    base["cells"][0]["source"] = "# Analysis\n\nThe *base* text."
    ours = notebook("a = 1\nprint(a)", "c = compute(1)", "1\n")
    ours["cells"][0]["source"] = "# Analysis\n\nThe *main* text."
    theirs = notebook("a = 2\nprint(a)", "c = compute_fast(2)", "2\n")
    theirs["cells"][0]["source"] = "# Analysis\n\nThe **feature** text."
    path = conflicted_repo(git_repo, base=base, ours=ours, theirs=theirs)
    with running(git_mergetool(git_repo), git_repo) as tool:
        page.goto(tool.url)
        assert _counter(page) == "3 of 3 conflicts left"
        _screenshot(page, "mergetool-conflicts.png")
        page.keyboard.press("n")
        assert page.locator(".conflict.current").count() == 1
        _button(page, "Use both").first.click()
        _wait_counter(page, "2")
        _resolve_by_clicking(page, "Use theirs")
        assert _counter(page) == "0 of 3 conflicts left"
        _screenshot(page, "mergetool-resolved.png")
        _button(page, "Save").click()
        page.wait_for_selector("text=You can close this page")
        code, output = tool.finish()
    assert code == 0, output
    assert page.alerts == [] and page.outside == []
    assert page.csp == [], page.csp  # the page needs nothing the policy forbids
    _, saved = read_notebook_file(path)
    assert saved["cells"][0]["source"] == "# Analysis\n\nThe *main* text.\nThe **feature** text."
    assert saved["cells"][1]["source"] == "a = 2\nprint(a)"
    assert run_nbcollab("conflicts", str(path)).returncode == 0
    git(git_repo, "commit", "-qm", "merged")


def test_edit_undo_and_resume_in_the_browser(git_repo: Path, page: Any) -> None:
    path = conflicted_repo(git_repo, base=notebook("a = 0", "c = 0", "0\n"))
    with running(NBCOLLAB + ["mergetool", "nb.ipynb"], git_repo) as tool:
        page.goto(tool.url)
        editor = page.get_by_role("textbox", name="Result (editable)").last
        playwright_api.expect(page.locator(".cm-editor").last).to_be_visible()  # CodeMirror
        editor.fill("c = 12")
        _button(page, "Apply edit").last.click()
        _wait_counter(page, "1")
        _button(page, "Undo").click()
        _wait_counter(page, "2")
        page.get_by_role("textbox", name="Result (editable)").last.fill("c = 12")
        _button(page, "Apply edit").last.click()
        _wait_counter(page, "1")
        _button(page, "Save").click()
        page.wait_for_selector("text=You can close this page")
        code, _ = tool.finish()
    assert code == 1
    assert read_notebook_file(path)[1]["cells"][3]["source"] == "c = 12"
    with running(NBCOLLAB + ["mergetool"], git_repo) as tool:
        page.goto(tool.url)
        assert _counter(page) == "1 of 1 conflict left"
        _resolve_by_clicking(page, "Use base")
        _button(page, "Save").click()
        page.wait_for_selector("text=You can close this page")
        code, _ = tool.finish()
    assert code == 0
    assert read_notebook_file(path)[1]["cells"][1]["source"] == "a = 0"


def test_a_page_without_the_token_is_forbidden(git_repo: Path, page: Any) -> None:
    conflicted_repo(git_repo, base=notebook("a = 0", "c = 0", "0\n"))
    with running(NBCOLLAB + ["mergetool", "nb.ipynb"], git_repo) as tool:
        root = tool.url.rstrip("/").rsplit("/", 1)[0] + "/"
        assert page.goto(root).status == 403
        assert page.goto(tool.url.replace("127.0.0.1", "localhost")).status == 200
        assert page.goto(tool.url).status == 200
        _button(page, "Quit without saving").click()
        page.wait_for_selector("text=Nothing was saved")
        assert tool.finish()[0] == 1


XSS = "<script>window.__xss = 1; alert('src')</script><img src=x onerror=\"alert('img')\">"


def _hostile(tag: str) -> dict[str, Any]:
    html_out = {
        "output_type": "display_data",
        "metadata": {},
        "data": {
            "text/html": f"<b>{tag}</b><script>alert('out')</script>"
            "<img src=x onerror=alert('out-img')><a href=\"javascript:alert(1)\">l</a>",
            "image/svg+xml": "<svg xmlns='http://www.w3.org/2000/svg' onload='alert(\"svg\")'/>",
            "text/markdown": "[x](javascript:alert('md'))",
        },
    }
    return make_notebook(
        markdown_cell(f"# {tag}\n\n<img src=x onerror=alert('md-img')> {XSS}", cell_id="m"),
        code_cell(f"x = '{tag}' {XSS}", cell_id="c", outputs=[html_out]),
        metadata={"title": f"{tag} {XSS}"},
    )


def test_xss_payloads_never_run(git_repo: Path, page: Any) -> None:
    name = "<img src=x onerror=alert('name')>.ipynb"
    install_mergetool(git_repo)  # git merges it as text: the tool merges it again, outputs kept
    path = conflicted_repo(
        git_repo,
        name=name,
        driver=False,
        base=_hostile("base"),
        ours=_hostile("ours"),
        theirs=_hostile("theirs"),
    )
    with running(NBCOLLAB + ["mergetool", "--outputs", "conflict", name], git_repo) as tool:
        page.goto(tool.url)
        page.wait_for_selector(".conflict")
        for _ in range(3):
            page.keyboard.press("n")
        page.wait_for_timeout(300)
        assert page.evaluate("window.__xss") is None
        assert page.locator("script:not([src])").count() == 0
        assert page.locator("[onerror], [onload]").count() == 0
        assert page.locator(".side .output").count() >= 3  # outputs shown, sanitized
        _screenshot(page, "mergetool-untrusted.png")
        _resolve_by_clicking(page, "Use ours")
        assert page.evaluate("window.__xss") is None
        _button(page, "Save").click()
        page.wait_for_selector("text=You can close this page")
        code, output = tool.finish()
    assert code == 0, output
    assert page.alerts == [] and page.outside == []
    assert page.csp == [], page.csp  # the sanitizer let nothing through for the policy to stop
    assert read_notebook_file(path)[1]["metadata"]["title"].startswith("ours")


def _type(page: Any, cell: int, text: str) -> None:
    """Click into a cell's result editor and replace its text by typing, as a person does."""
    content = page.locator(f"#r-0-{cell} + .cm-editor .cm-content")
    content.click()
    page.keyboard.press("Control+a")
    page.keyboard.type(text)


def _value(page: Any, cell: int) -> str:
    return page.evaluate("id => document.getElementById(id).value", f"r-0-{cell}")


def _cell(page: Any, cell: int) -> Any:
    return page.locator("section.cell").filter(has=page.locator(f"#r-0-{cell}"))


def _message(page: Any, kind: str, text: str) -> None:
    message = page.locator("#message")
    playwright_api.expect(message).to_contain_text(text)
    playwright_api.expect(message).to_have_class(kind)


def test_text_typed_and_not_applied_is_saved_by_save(git_repo: Path, page: Any) -> None:
    path = conflicted_repo(git_repo, base=notebook("a = 0", "c = 0", "0\n"))
    with running(NBCOLLAB + ["mergetool", "nb.ipynb"], git_repo) as tool:
        page.goto(tool.url)
        _type(page, 3, "c = 12")
        playwright_api.expect(_cell(page, 3).locator(".pending-note")).to_be_visible()
        _button(page, "Next conflict").click()
        _button(page, "Previous conflict").click()
        assert _value(page, 3) == "c = 12"
        _button(page, "Save").click()
        _message(page, "ok", "You can close this page")
        code, output = tool.finish()
    assert code == 1, output  # cell 1's conflict is left for later
    assert read_notebook_file(path)[1]["cells"][3]["source"] == "c = 12"


def test_the_editor_holds_the_cell_text_exactly(git_repo: Path, page: Any) -> None:
    sides = {side: notebook("a = 0", f"\n\n# {side}\nc = 0") for side in ("base", "ours", "theirs")}
    conflicted_repo(git_repo, **sides)
    with running(NBCOLLAB + ["mergetool", "nb.ipynb"], git_repo) as tool:
        page.goto(tool.url)
        merged = read_notebook_file(git_repo / "nb.ipynb")[1]["cells"][3]["source"]
        assert merged.startswith("\n\n<<<<<<<")
        assert _value(page, 3) == merged
        _button(page, "Apply edit").last.click()  # the same text: no change, nothing resolved
        playwright_api.expect(page.locator("#message")).to_be_empty()
        assert _counter(page) == "1 of 1 conflict left"
        tool.call("api/quit", {})


def test_typed_text_survives_other_choices_and_refused_actions(git_repo: Path, page: Any) -> None:
    path = conflicted_repo(git_repo, base=notebook("a = 0", "c = 0", "0\n"))
    before = path.read_bytes()
    with running(NBCOLLAB + ["mergetool", "nb.ipynb"], git_repo) as tool:
        page.goto(tool.url)
        _type(page, 3, "c = 12")
        # A side chosen for the same cell, or Undo, would replace it: refused, and said why.
        _cell(page, 3).get_by_role("button", name="Use theirs").click()
        _message(page, "error", "did not apply")
        _button(page, "Undo").click()
        _message(page, "error", "Apply edit or Discard edit first")
        assert _value(page, 3) == "c = 12" and _counter(page) == "2 of 2 conflicts left"
        # A choice elsewhere applies the typed text first.
        _cell(page, 1).get_by_role("button", name="Use ours").click()
        _wait_counter(page, "0")
        assert _value(page, 3) == "c = 12"
        playwright_api.expect(_cell(page, 3).locator(".pending-note")).to_be_hidden()
        _button(page, "Undo").click()
        _wait_counter(page, "1")
        _button(page, "Undo").click()
        _wait_counter(page, "2")
        assert "<<<<<<< main" in _value(page, 3)
        _type(page, 3, "c = 99")  # thrown away on purpose, with the button that says so
        _cell(page, 3).get_by_role("button", name="Discard edit").click()
        assert "<<<<<<< main" in _value(page, 3)
        _type(page, 3, "c = 5")
        _button(page, "Quit without saving").click()
        _message(page, "error", "throws away text typed in 1 cell")
        assert _value(page, 3) == "c = 5" and _button(page, "Save").is_enabled()
        _button(page, "Really quit without saving").click()
        _message(page, "ok", "Nothing was saved")
        code, _ = tool.finish()
    assert code == 1 and path.read_bytes() == before


def test_leaving_the_page_asks_while_work_is_unsaved(git_repo: Path, page: Any) -> None:
    conflicted_repo(git_repo, base=notebook("a = 0", "c = 0", "0\n"))
    with running(NBCOLLAB + ["mergetool", "nb.ipynb"], git_repo) as tool:
        page.goto(tool.url)
        _type(page, 3, "c = 12")
        with page.expect_event("dialog"):
            page.close(run_before_unload=True)
        assert page.unload_prompts == 1 and not page.is_closed()  # the person stayed
        _button(page, "Apply edit").last.click()
        _wait_counter(page, "1")
        with page.expect_event("dialog"):  # applied, not saved yet
            page.close(run_before_unload=True)
        assert page.unload_prompts == 2 and not page.is_closed()
        _button(page, "Save").click()
        _message(page, "ok", "You can close this page")
        with page.expect_event("close"):
            page.close(run_before_unload=True)
        code, _ = tool.finish()
    assert page.unload_prompts == 2 and code == 1


def test_a_refused_or_failed_save_leaves_the_typed_text_in_place(git_repo: Path, page: Any) -> None:
    path = conflicted_repo(git_repo, base=notebook("a = 0", "c = 0", "0\n"))
    with running(NBCOLLAB + ["mergetool", "nb.ipynb"], git_repo) as tool:
        page.goto(tool.url)
        changed = path.read_bytes() + b"\n"
        path.write_bytes(changed)  # someone else saved the file meanwhile
        _type(page, 3, "c = 12")
        _button(page, "Save").click()
        _message(page, "error", "changed on disk")
        assert _value(page, 3) == "c = 12" and _button(page, "Save").is_enabled()
        tool.process.kill()
        tool.process.wait()
        _type(page, 3, "c = 13")
        _button(page, "Save").click()
        _message(page, "error", "not running any more")
        assert _value(page, 3) == "c = 13"
    assert path.read_bytes() == changed


def test_the_browser_is_given_a_private_file_that_opens_the_page(
    git_repo: Path, tmp_path: Path, page: Any
) -> None:
    import stat
    import time
    from urllib.parse import unquote, urlparse

    from mergetool_helpers import argv_recorder, recorded_argv

    conflicted_repo(git_repo, base=notebook("a = 0", "c = 0", "0\n"))
    recorder, log = argv_recorder(tmp_path)
    with running(NBCOLLAB + ["mergetool", "nb.ipynb"], git_repo, browser=recorder) as tool:
        token = tool.url.rstrip("/").rsplit("/", 1)[1]
        for _ in range(600):
            if recorded_argv(log):
                break
            time.sleep(0.05)
        [argv] = recorded_argv(log)
        assert not any(token in arg for arg in argv)  # the command line is public
        opened = Path(unquote(urlparse(argv[-1]).path))
        assert stat.S_IMODE(opened.stat().st_mode) == 0o600
        assert stat.S_IMODE(opened.parent.stat().st_mode) == 0o700
        assert opened.stat().st_uid == os.getuid()
        page.goto(argv[-1])
        page.wait_for_url(tool.url)
        assert _counter(page) == "2 of 2 conflicts left"
        _button(page, "Quit without saving").click()
        _message(page, "ok", "Nothing was saved")
        assert tool.finish()[0] == 1
    assert not opened.exists() and not opened.parent.exists()


def _every_kind(side: str) -> dict[str, Any]:
    """One version of a notebook whose merge conflicts in every way a page can show."""
    kernels = {
        "base": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "ours": {"display_name": "R", "language": "R", "name": "ir"},
        "theirs": {"display_name": "Julia 1.10", "language": "julia", "name": "julia-1.10"},
    }
    metadata: dict[str, Any] = {"kernelspec": kernels[side]}
    if side != "base":
        metadata["title"] = f"Results ({side})"
    call = {"base": "load", "ours": "load_cached", "theirs": "load_remote"}[side]
    long_lines = "\n".join(
        f"frame_{i} = {call}('data/part-{i:03}.parquet', columns=['a', 'b', 'c'], "
        f"filters=[('year', '>=', {2000 + i})])  # keep the raw {side} rows"
        for i in range(30)
    )
    cells = [
        markdown_cell(f"# Results\n\nNumbers from the {side} run.", cell_id="title"),
        code_cell(long_lines, cell_id="load"),
        code_cell(
            "plot(frame_0)",
            cell_id="plot",
            **(
                {"slideshow": {"slide_type": "slide" if side == "ours" else "skip"}}
                if side != "base"
                else {}
            ),
        ),
        code_cell("x = 1" if side == "base" else f"x = {side!r}", cell_id="typed"),
    ]
    if side != "theirs":  # theirs deleted this cell, ours edited it
        cells.append(
            code_cell("cleanup()" if side == "base" else "cleanup(all=True)", cell_id="gone")
        )
    if side != "base":
        cells[3]["cell_type"] = "markdown" if side == "ours" else "raw"
        del cells[3]["outputs"], cells[3]["execution_count"]
    cells += [code_cell(f"step_{k} = {side}_{k}()", cell_id=f"s{k}") for k in range(8)]
    return make_notebook(*cells, metadata=metadata)


def test_every_kind_of_conflict_reads_well_and_resolves(git_repo: Path, page: Any) -> None:
    import nbformat

    path = conflicted_repo(
        git_repo, base=_every_kind("base"), ours=_every_kind("ours"), theirs=_every_kind("theirs")
    )
    with running(NBCOLLAB + ["mergetool", "nb.ipynb"], git_repo) as tool:
        page.goto(tool.url)
        kinds = sorted({c["kind"] for c in tool.call("api/state")[1]["conflicts"]})
        assert kinds == ["cell-type", "delete-edit", "metadata", "notebook-metadata", "source"]
        for side, name in (("ours", "ours (main)"), ("theirs", "theirs (feature)")):
            labels = page.locator(f".side-{side} h3").all_inner_texts()
            assert labels and set(labels) == {name}, labels
        notebook_meta = page.locator("section.cell").first
        playwright_api.expect(notebook_meta.locator("h2")).to_have_text("Notebook metadata")
        playwright_api.expect(notebook_meta.locator(".side-base .absent")).to_have_text("absent")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        long_side = _cell(page, 2).locator(".side-ours")  # cell 2: the long one (cell 0 a note)
        assert long_side.evaluate("e => e.scrollHeight > e.clientHeight")  # scrolls, in a frame
        _screenshot(page, "mergetool-kinds.png")
        _screenshot(page, "mergetool-metadata.png", notebook_meta)
        _resolve_by_clicking(page, "Use theirs")
        _button(page, "Save").click()
        _message(page, "ok", "git add nb.ipynb")
        code, output = tool.finish()
    assert code == 0, output
    assert "nb.ipynb: resolved; stage it with: git add nb.ipynb" in output
    saved = nbformat.reads(path.read_text(), as_version=4)
    nbformat.validate(saved)
    assert saved.metadata["kernelspec"]["name"] == "julia-1.10"
    assert saved.metadata["title"] == "Results (theirs)"
    assert "gone" not in [c.get("id") for c in saved.cells]
    assert run_nbcollab("conflicts", str(path)).returncode == 0


def test_two_people_pull_and_resolve_in_the_browser(tmp_path: Path, page: Any) -> None:
    """Two clones of one bare repository, conflicting edits, a real `git pull`, then
    `git mergetool` opening the page through the private file, resolved by clicking and typing."""
    import json
    import subprocess
    import time

    from helpers import write_notebook
    from mergetool_helpers import argv_recorder, recorded_argv

    git(tmp_path, "init", "-q", "--bare", "origin.git")
    alice, bob = tmp_path / "alice", tmp_path / "bob"
    git(tmp_path, "clone", "-q", "origin.git", "alice")
    assert run_nbcollab("install", cwd=alice).returncode == 0
    write_notebook(alice / "sales.ipynb", notebook("total = sum(rows)", "print(total)", "1\n"))
    git(alice, "add", "-A")
    git(alice, "commit", "-qm", "sales")
    git(alice, "push", "-q", "origin", "HEAD:main")
    git(tmp_path, "clone", "-q", "origin.git", "bob")
    assert run_nbcollab("install", cwd=bob).returncode == 0
    for person, first, added in (
        (bob, "round(sum(rows), 2)", "plot(rows)"),
        (alice, "sum(r.amount for r in rows)", None),
    ):
        nb = read_notebook_file(person / "sales.ipynb")[1]
        nb["cells"][1]["source"] = f"total = {first}"
        if added:
            nb["cells"].append(code_cell(added, cell_id="added"))
        else:
            nb["cells"].insert(1, markdown_cell("Totals by row.", cell_id="note"))
        write_notebook(person / "sales.ipynb", nb)
        git(person, "commit", "-qam", person.name)
    git(bob, "push", "-q", "origin", "HEAD:main")
    assert git(alice, "pull", "--no-rebase", "-q", "origin", "main", check=False).returncode != 0
    recorder, log = argv_recorder(tmp_path)
    env = {**os.environ, "BROWSER": str(recorder)}
    tool = subprocess.Popen(
        git_mergetool(alice),
        cwd=alice,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        for _ in range(600):
            if recorded_argv(log):
                break
            time.sleep(0.05)
        page.goto(recorded_argv(log)[0][-1])
        page.wait_for_selector("#counter")
        assert _counter(page) == "1 of 1 conflict left"
        _type(page, 2, "total = round(sum(r.amount for r in rows), 2)")
        _button(page, "Save").click()
        _message(page, "ok", "git add sales.ipynb")
        output, _ = tool.communicate(timeout=60)
    finally:
        if tool.poll() is None:
            tool.kill()
    assert tool.returncode == 0, output
    assert run_nbcollab("conflicts", cwd=alice).returncode == 0
    saved = json.loads((alice / "sales.ipynb").read_text())
    assert [("".join(c["source"])) for c in saved["cells"]] == [
        "# Analysis",
        "Totals by row.",
        "total = round(sum(r.amount for r in rows), 2)",
        "keep = True",
        "print(total)",
        "plot(rows)",
    ]
    git(alice, "commit", "-qm", "merged")
    git(alice, "push", "-q", "origin", "HEAD:main")
    git(bob, "pull", "-q", "origin", "main")
    assert read_notebook_file(bob / "sales.ipynb")[1]["cells"][2]["source"].startswith(
        "total = round"
    )
