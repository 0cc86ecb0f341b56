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
    page.on("dialog", lambda dialog: (page.alerts.append(dialog.message), dialog.dismiss()))
    # Nothing may leave the machine: every request outside the tool's own server fails the test.
    page.outside = []  # type: ignore[attr-defined]
    page.csp = []  # type: ignore[attr-defined]
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


def _button(page: Any, name: str) -> Any:
    return page.get_by_role("button", name=name, exact=True)


def _counter(page: Any) -> str:
    return page.locator("#counter").inner_text()


def _screenshot(page: Any, name: str) -> None:
    """A full-page picture for the docs, once the editors below the fold have been laid out.

    Pictures differ by a few pixels from run to run, so the docs' copy is replaced only when
    it is missing or NBCOLLAB_UPDATE_SCREENSHOTS=1 asks for it.
    """
    page.mouse.move(0, 0)
    page.mouse.wheel(0, 100000)
    page.wait_for_timeout(300)
    page.mouse.wheel(0, -100000)
    page.wait_for_timeout(300)
    picture = page.screenshot(full_page=True)
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
