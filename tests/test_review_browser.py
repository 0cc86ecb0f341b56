"""The review page in a real browser: navigation, folding, no payload runs, no network request.

Headless Chromium from the system's packages, driven by Playwright for Python (Playwright's own
browser download is not used). Skipped when either is missing.
"""

from __future__ import annotations

import os
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
    write_notebook,
)
from review_fixture import png_pixels, report_pair
from test_render_html import hostile_pair

from nbcollab.diff.compute import diff_notebooks
from nbcollab.render.html import render_html

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the environment
    sync_playwright = None

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sync_playwright is None, reason="playwright for Python is not installed"),
    pytest.mark.skipif(
        CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)"
    ),
]
SCREENSHOT = PROJECT_ROOT / "docs" / "images" / "review.png"


class Visit:
    """A page opened from a file, with every request, dialog and console message recorded."""

    def __init__(self, browser: Any, path: Path, width: int = 1100, height: int = 800) -> None:
        self.page = browser.new_page(viewport={"width": width, "height": height})
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.console: list[str] = []
        self.failed: list[tuple[str, str | None]] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("requestfailed", lambda r: self.failed.append((r.url, r.failure)))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.on("console", lambda m: self.console.append(m.text))
        self.url = path.as_uri()
        self.page.goto(self.url)

    def network(self) -> list[str]:
        """Requests other than the page itself and inline ``data:`` images."""
        return [u for u in self.requests if u != self.url and not u.startswith("data:")]

    def sent(self) -> list[str]:
        """Requests that left the page: Chromium reports those its CSP refused as failed, "csp"."""
        refused = {url for url, why in self.failed if why == "csp"}
        return [u for u in self.network() if u not in refused]

    def current(self) -> tuple[str, str]:
        """(id of the highlighted change, the position counter's text)."""
        ident = self.page.evaluate(
            "() => (document.querySelector('section.current') || {id: ''}).id"
        )
        return ident, self.page.inner_text("#nav-pos")

    def change_ids(self) -> list[str]:
        return self.page.evaluate(
            "() => [...document.querySelectorAll('section.change')].map(s => s.id)"
        )

    def top_of(self, ident: str) -> float:
        return self.page.evaluate(
            f"() => document.getElementById('{ident}').getBoundingClientRect().top"
        )


def _write_page(tmp_path: Path, old: dict, new: dict, name: str = "report.ipynb") -> Path:
    page = render_html([(f"a/{name} (HEAD~1)", f"b/{name} (HEAD)", diff_notebooks(old, new))])
    path = tmp_path / "review.html"
    path.write_text(page, encoding="utf-8")
    return path


def test_keys_and_buttons_step_through_the_changes(browser: Any, tmp_path: Path) -> None:
    visit = Visit(browser, _write_page(tmp_path, *report_pair()))
    ids = visit.change_ids()
    assert len(ids) == 6
    visit.page.keyboard.press("n")
    assert visit.current() == (ids[0], "1 / 6")
    visit.page.keyboard.press("j")
    visit.page.keyboard.press("n")
    assert visit.current() == (ids[2], "3 / 6")
    assert 0 <= visit.top_of(ids[2]) < 80  # scrolled to, below the sticky bar
    visit.page.keyboard.press("k")
    assert visit.current() == (ids[1], "2 / 6")
    visit.page.keyboard.press("p")
    visit.page.keyboard.press("p")  # stays on the first
    assert visit.current() == (ids[0], "1 / 6")
    visit.page.click("#nav-next")
    assert visit.current() == (ids[1], "2 / 6")
    for _ in range(10):
        visit.page.click("#nav-next")
    assert visit.current() == (ids[-1], "6 / 6")
    visit.page.click("#nav-prev")
    assert visit.current() == (ids[-2], "5 / 6")
    assert visit.network() == [] and visit.dialogs == []


def test_a_notebook_that_could_not_be_read_is_a_stop_of_its_own(
    browser: Any, tmp_path: Path
) -> None:
    from nbcollab.render.html import render_page, render_section, render_unreadable_section

    old, new = report_pair()
    why = "b/bad.ipynb (HEAD):1:13: not valid JSON (Expecting value): not compared"
    sections = [
        render_unreadable_section(1, "a/bad.ipynb (HEAD~1)", "b/bad.ipynb (HEAD)", why),
        render_section(
            2, "a/r.ipynb (HEAD~1)", "b/r.ipynb (HEAD)", diff_notebooks(old, new), "python", ()
        ),
    ]
    path = tmp_path / "review.html"
    path.write_text(render_page(sections), encoding="utf-8")
    visit = Visit(browser, path)
    ids = visit.change_ids()
    assert ids[0] == "nb1-unread" and len(ids) == 7
    visit.page.keyboard.press("n")
    assert visit.current() == ("nb1-unread", "1 / 7")
    assert visit.page.inner_text("#nb1-unread") == why
    visit.page.keyboard.press("n")
    assert visit.current() == (ids[1], "2 / 7")
    assert visit.network() == [] and visit.dialogs == []


def test_navigation_continues_from_where_the_reader_jumped(browser: Any, tmp_path: Path) -> None:
    visit = Visit(browser, _write_page(tmp_path, *report_pair()))
    ids = visit.change_ids()
    visit.page.click(f"nav.toc a[href='#{ids[3]}']")
    visit.page.wait_for_selector(f"#{ids[3]}.current")  # hashchange is dispatched after the click
    visit.page.keyboard.press("n")
    assert visit.current()[0] == ids[4]


def test_navigation_continues_from_where_the_reader_scrolled(browser: Any, tmp_path: Path) -> None:
    visit = Visit(browser, _write_page(tmp_path, *report_pair()), height=300)
    ids = visit.change_ids()
    visit.page.keyboard.press("n")
    visit.page.evaluate(f"() => document.getElementById('{ids[2]}').scrollIntoView()")
    visit.page.keyboard.press("n")  # from what is on screen, not from the first change
    assert visit.current() == (ids[3], "4 / 6")
    visit.page.evaluate("() => window.scrollTo(0, 0)")
    visit.page.keyboard.press("n")
    assert visit.current() == (ids[0], "1 / 6")


def test_unchanged_cells_and_unchanged_sources_are_folded_and_expand(
    browser: Any, tmp_path: Path
) -> None:
    visit = Visit(browser, _write_page(tmp_path, *report_pair()))
    folded = visit.page.locator("details.unchanged").first
    hidden = folded.locator("table.src")
    assert not hidden.is_visible()
    folded.locator("summary").click()
    assert folded.evaluate("d => d.open") and hidden.is_visible()
    assert "Sales report" in hidden.inner_text()
    # A cell whose outputs changed keeps its (unchanged) source at hand, folded.
    source = visit.page.locator("section.change details").first
    assert not source.locator("table.src").is_visible()
    source.locator("summary").click()
    assert "df.head()" in source.locator("table.src").inner_text()


def test_hostile_notebook_runs_nothing_and_loads_nothing(browser: Any, tmp_path: Path) -> None:
    old, new = hostile_pair()
    visit = Visit(browser, _write_page(tmp_path, old, new, "<img src=x onerror=alert(0)>.ipynb"))
    visit.page.keyboard.press("n")
    visit.page.locator("details").evaluate_all("ds => ds.forEach(d => d.open = true)")
    visit.page.wait_for_timeout(300)
    assert visit.dialogs == []
    assert visit.network() == []
    # The page's own script still runs under the CSP: it is admitted by its hash.
    count = visit.page.evaluate("() => document.querySelectorAll('section.change').length")
    assert count >= 3 and visit.current()[1] == f"1 / {count}"
    assert visit.page.evaluate("() => document.querySelectorAll('script').length") == 1


def test_screenshot_of_a_small_review(browser: Any, tmp_path: Path) -> None:
    visit = Visit(browser, _write_page(tmp_path, *report_pair()), width=1000)
    assert not [m for m in visit.console if "Content Security Policy" in m], visit.console
    shot = visit.page.screenshot(full_page=True)
    width, height, colours = png_pixels(shot)
    assert width == 1000 and 900 < height < 3000
    # The stylesheet applied (it is admitted by hash): added and removed lines have their colours,
    # and both plotted images are there, side by side.
    for colour in [(0xE6, 0xFF, 0xEC), (0xFF, 0xEB, 0xE9), (200, 60, 60), (60, 120, 200)]:
        assert colour in colours, colour
    if os.environ.get("NBCOLLAB_UPDATE_SCREENSHOTS"):
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        SCREENSHOT.write_bytes(shot)


@pytest.mark.git
def test_one_review_page_for_a_whole_change_in_git(browser: Any, git_repo: Path) -> None:
    nb = {
        name: make_notebook(
            markdown_cell(f"# {name}", cell_id="t"), code_cell("x = 1", cell_id="c")
        )
        for name in ("a", "b", "c")
    }
    for name, body in nb.items():
        write_notebook(git_repo / f"{name}.ipynb", body)
    git(git_repo, "add", ".")
    git(git_repo, "commit", "-qm", "first")
    nb["a"]["cells"][1]["source"] = "x = 2"
    nb["b"]["cells"].append(code_cell("y = 3", cell_id="d"))
    write_notebook(git_repo / "a.ipynb", nb["a"])
    write_notebook(git_repo / "b.ipynb", nb["b"])
    (git_repo / "c.ipynb").unlink()
    write_notebook(git_repo / "new.ipynb", make_notebook(code_cell("z = 4", cell_id="n")))
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-qm", "second")
    done = run_nbcollab(
        "diff", "HEAD~1", "HEAD", "--format", "html", "-o", "review.html", cwd=git_repo
    )
    assert done.returncode == 1, done.stderr
    visit = Visit(browser, git_repo / "review.html")
    toc = visit.page.locator("nav.toc > ol > li > a").all_inner_texts()
    assert toc == ["a.ipynb", "b.ipynb", "c.ipynb", "new.ipynb"]
    assert "4 notebooks changed" in visit.page.inner_text(".summary")
    assert "1 cell modified" in visit.page.inner_text(".summary")
    seen = []
    for _ in range(8):
        visit.page.keyboard.press("n")
        seen.append(visit.current()[0])
    # a: 1 modified; b: 1 added; c: its metadata and 2 cells removed; new: metadata, 1 cell added.
    assert seen == [
        "nb1-c1",
        "nb2-c2",
        "nb3-meta",
        "nb3-c0",
        "nb3-c1",
        "nb4-meta",
        "nb4-c0",
        "nb4-c0",
    ]
    assert visit.network() == [] and visit.dialogs == []
    done = run_nbcollab(
        "diff",
        "HEAD~1",
        "HEAD",
        "--format",
        "html",
        "-o",
        "two.html",
        "--",
        "a.ipynb",
        "new.ipynb",
        cwd=git_repo,
    )
    visit = Visit(browser, git_repo / "two.html")
    assert visit.page.locator("nav.toc > ol > li > a").all_inner_texts() == ["a.ipynb", "new.ipynb"]


def test_the_csp_alone_stops_markup_that_got_past_the_sanitizer(
    browser: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Defence in depth: with sanitizing switched off, the page's CSP must still stop everything.
    monkeypatch.setattr("nbcollab.render.html_outputs.sanitize_html", lambda html: html)
    old, new = hostile_pair()
    path = _write_page(tmp_path, old, new)
    assert "<script>alert(1)</script>" in path.read_text(encoding="utf-8")
    visit = Visit(browser, path)
    visit.page.keyboard.press("n")
    visit.page.wait_for_timeout(300)
    assert visit.dialogs == []
    assert visit.network() and visit.sent() == []  # the remote image was refused, not fetched
    assert any("Content Security Policy" in m for m in visit.console)  # it was tried, and refused
    assert visit.current()[1].startswith("1 / ")  # the page's own script still ran


def test_a_page_of_many_notebooks_lays_out_only_what_is_on_screen(
    browser: Any, tmp_path: Path
) -> None:
    old, new = report_pair()
    names = [f"nb{k:03d}.ipynb" for k in range(120)]
    page = render_html(
        [(f"a/{n} (HEAD~1)", f"b/{n} (HEAD)", diff_notebooks(old, new)) for n in names]
    )
    path = tmp_path / "review.html"
    path.write_text(page, encoding="utf-8")
    visit = Visit(browser, path)
    # Inside a section the browser skips (content-visibility: auto), nothing is laid out.
    rendered = (
        "id => document.querySelector(`#${id} > header`)"
        ".checkVisibility({contentVisibilityAuto: true})"
    )
    assert not visit.page.evaluate(rendered, "nb120")  # skipped until the reader gets there
    visit.page.click("nav.toc > ol > li:last-child > a")
    visit.page.wait_for_selector("#nb120 section.change")
    assert visit.page.evaluate(rendered, "nb120")
    assert -1 < visit.top_of("nb120") < 80  # on screen
    visit.page.keyboard.press("n")
    assert visit.current()[0].startswith("nb120-")
    assert visit.network() == [] and visit.dialogs == []
    # From where the reader is, the next change is found by asking where a few changes are, not
    # every one: asking lays out the notebook a change is in (500 notebooks took half a minute).
    fresh = Visit(browser, path)
    asked = """() => {
      window.asked = 0;
      const where = Element.prototype.getBoundingClientRect;
      Element.prototype.getBoundingClientRect = function () {
        if (this.matches("section.change")) { window.asked += 1; }
        return where.call(this);
      };
    }"""
    fresh.page.evaluate(asked)
    fresh.page.keyboard.press("n")
    assert fresh.current() == (fresh.change_ids()[0], f"1 / {len(fresh.change_ids())}")
    assert fresh.page.evaluate("() => window.asked") <= 12  # a binary search over 720 changes
