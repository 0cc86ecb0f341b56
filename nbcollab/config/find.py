"""Which pyproject.toml applies to a folder: the nearest one at or above it.

Plain ``os.path`` on strings, importing nothing else: the import hook asks on every cached
import, and the git filter for every notebook's folder (``ConfigByFolder`` remembers each
folder's answer, so a folder is walked once).
"""

from __future__ import annotations

import os

PYPROJECT = "pyproject.toml"


def nearest_pyproject(folder: str) -> str | None:
    """The nearest pyproject.toml at or above ``folder`` (symbolic links resolved first)."""
    folder = os.path.realpath(folder)
    while True:
        candidate = os.path.join(folder, PYPROJECT)
        if os.path.isfile(candidate):
            return candidate
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent
