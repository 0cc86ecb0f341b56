"""Shared fixtures (an isolated HOME and git config for every test, temp repos), markers, the
order of the tests and Hypothesis's profiles.

Helpers that tests import live in ``helpers``."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.testing
from helpers import CHROMIUM, CHROMIUM_ARGS, PROJECT_ROOT, git
from hypothesis import HealthCheck, settings

# Hypothesis: no test fails for taking long (no timing assertions: benchmarks report), and in CI
# (``CI`` set) the examples are derandomized, so that a failure CI finds comes back with
# ``CI=true python -m pytest TEST``, and the failing example's blob is printed, for
# ``@reproduce_failure``. The profile is loaded here, before any test module builds its
# ``@settings``, which take what they leave unset from it. ``HYPOTHESIS_PROFILE`` picks another.
settings.register_profile("dev", deadline=None)
settings.register_profile(
    "ci",
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)

# typer's CliRunner builds the click command of the whole app on every invoke: ~50 ms for
# nbcollab's commands, more than most commands take on a test's small input, and the tests
# invoke the app in-process hundreds of times. The app does not change during a run: build it
# once, as the real executable does once a process.
if hasattr(typer.testing, "_get_command"):  # where typer builds it per invoke (0.x)
    typer.testing._get_command = functools.cache(typer.testing._get_command)


@pytest.fixture(autouse=True)
def isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Every test gets its own HOME, git config and Jupyter dirs; the user's are never touched."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(home / "jupyter-data"))
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(home / "jupyter-config"))
    # Subprocesses (`python -m nbcollab`, the drivers git runs) must run this checkout's code,
    # whatever copy of nbcollab is installed.
    monkeypatch.setenv(
        "PYTHONPATH",
        os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])),
    )
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_AUTHOR_DATE", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    for key, value in {
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.com",
    }.items():
        monkeypatch.setenv(key, value)
    (home / ".gitconfig").write_text("[init]\n\tdefaultBranch = main\n")
    return home


@pytest.fixture
def git_repo(tmp_path: Path) -> Path:
    """An empty git repository in a temp folder."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    return repo


_SLOW_MARKERS = ("git", "corpus")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that run git, read the corpus or build a repository are ``slow`` too, and the fast
    tests run first.

    So ``pytest -m "not slow"`` is a fast tier without every such test repeating the marker, and
    the whole suite (``python -m pytest``, what CI runs) shows a broken build within its first
    minute, before the slow tests start.
    """
    fast, slow = [], []
    for item in items:
        uses_repo = "git_repo" in getattr(item, "fixturenames", ())
        if uses_repo or any(item.get_closest_marker(name) for name in _SLOW_MARKERS):
            item.add_marker(pytest.mark.slow)
        (slow if item.get_closest_marker("slow") else fast).append(item)
    items[:] = fast + slow


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium for the page tests (skipped without Playwright or Chromium)."""
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright for Python is not installed"
    )
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
