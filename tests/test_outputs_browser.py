"""The review page Bob builds for Alice's change, in a real browser: her plots, and their origin.

Alice commits two versions of a plot with the clean filter (no outputs in git) and publishes the
outputs; Bob clones, fetches them and builds the review page. Headless Chromium (Debian's, driven
by Playwright for Python) must show both plots, decoded and visible, and the badges naming Alice
and her commits, with no request leaving the page.
"""

from __future__ import annotations

import base64
import math
import os
import struct
import zlib
from pathlib import Path

import pytest
from helpers import CHROMIUM, PROJECT_ROOT, code_cell, git, make_notebook, run_nbcollab
from review_fixture import png_pixels
from test_outputs_git import clone, commit, ok

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the environment
    sync_playwright = None

pytestmark = [
    pytest.mark.git,
    pytest.mark.slow,
    pytest.mark.skipif(sync_playwright is None, reason="playwright for Python is not installed"),
    pytest.mark.skipif(
        CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)"
    ),
]
SCREENSHOT = PROJECT_ROOT / "docs" / "images" / "outputs-review.png"
ORANGE, BLUE = (230, 120, 20), (30, 90, 220)


def plot_png(colour: tuple[int, int, int], frequency: float) -> str:
    """A 320x160 plot of a sine curve in ``colour`` on white, as base64 PNG."""
    width, height = 320, 160
    rows = []
    for y in range(height):
        row = bytearray(b"\xff" * width * 3)
        for x in range(width):
            curve = height / 2 - (height / 2 - 10) * math.sin(x / width * frequency * 2 * math.pi)
            if abs(y - curve) < 3 or y in (height - 12,) or x == 12:
                row[x * 3 : x * 3 + 3] = bytes(colour) if abs(y - curve) < 3 else b"\x40\x40\x40"
        rows.append(b"\x00" + bytes(row))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    data = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
    )
    return base64.b64encode(data + chunk(b"IEND", b"")).decode()


def figure(colour: tuple[int, int, int], frequency: float, source: str) -> dict:
    plot = {
        "output_type": "display_data",
        "data": {"image/png": plot_png(colour, frequency), "text/plain": "<Figure size 320x160>"},
        "metadata": {},
    }
    return make_notebook(
        code_cell("import numpy as np\nx = np.linspace(0, 1)", count=1, cell_id="setup"),
        code_cell(source, outputs=[plot], count=2, cell_id="plot"),
    )


def test_bobs_review_page_shows_alices_plots(
    remote: Path, monkeypatch: pytest.MonkeyPatch, browser: object
) -> None:
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Alice")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "alice@example.com")
    for name in ("GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE"):  # the same commits, the same picture
        monkeypatch.setenv(name, "2024-05-01T12:00:00Z")
    alice = clone(remote, "alice")
    git(alice, "add", ".gitattributes")
    commit(alice, figure(ORANGE, 1, "plt.plot(x, np.sin(2 * np.pi * x))"), "a plot")
    commit(alice, figure(BLUE, 2, "plt.plot(x, np.sin(4 * np.pi * x))"), "twice as fast")
    git(alice, "push", "-q", "origin", "HEAD:main")
    ok("outputs", "push", cwd=alice)
    assert "image/png" not in git(remote, "log", "-p", "main").stdout

    bob = clone(remote, "bob")
    ok("outputs", "fetch", cwd=bob)
    page_path = bob / "review.html"
    args = ("diff", "HEAD~1", "HEAD", "--format", "html", "-o", str(page_path))
    done = run_nbcollab(*args, cwd=bob)
    assert done.returncode == 1 and done.stderr == b""  # different; no warning

    page = browser.new_page(viewport={"width": 1100, "height": 900})  # type: ignore[attr-defined]
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(page_path.as_uri())
    images = page.evaluate(
        "() => [...document.querySelectorAll('article img')].map(i => [i.naturalWidth, i.alt])"
    )
    assert images == [[320, "image/png"], [320, "image/png"]]
    badges = page.locator("p.origin").all_inner_texts()
    assert len(badges) == 2 and all("Alice <alice@example.com>" in b for b in badges)
    assert "HEAD~1" in badges[0] and "HEAD" in badges[1]
    assert [u for u in requests if u != page_path.as_uri() and not u.startswith("data:")] == []
    article = page.locator("article.notebook").first
    picture = article.screenshot()
    _, _, colours = png_pixels(picture)
    assert any(_near(c, ORANGE) for c in colours) and any(_near(c, BLUE) for c in colours)
    # The documentation's picture: written when missing, or always when asked to.
    if not SCREENSHOT.exists() or os.environ.get("NBCOLLAB_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOT.parent.mkdir(exist_ok=True)
        SCREENSHOT.write_bytes(picture)


def _near(colour: tuple[int, int, int], wanted: tuple[int, int, int]) -> bool:
    return all(abs(a - b) < 40 for a, b in zip(colour, wanted))


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    import subprocess

    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    return bare
