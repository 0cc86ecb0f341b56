"""Which pyproject.toml applies to a folder: the nearest one at or above it that configures
nbcollab (has a ``[tool.nbcollab]`` table), as ruff and black find their own.

A sub-package's own pyproject.toml that says nothing about nbcollab (a package of a monorepo)
does not hide the project's configuration above it. The top-most one found is the answer when
none has the table (so configured paths are relative to the project, and a broken one is still
named). Plain ``os.path`` on strings: the import hook asks on every cached import, and the git
filter for every notebook's folder (``ConfigByFolder`` remembers each folder's answer, so a
folder is walked once); a file is parsed only when its text names nbcollab.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from nbcollab.errors import NbcollabWarning

PYPROJECT = "pyproject.toml"


def nearest_pyproject(folder: str) -> str | None:
    """The pyproject.toml that applies in ``folder`` (symbolic links resolved first): the
    nearest at or above it with a ``[tool.nbcollab]`` table, else the nearest one."""
    folder = os.path.realpath(folder)
    nearest = None
    while True:
        candidate = os.path.join(folder, PYPROJECT)
        if os.path.isfile(candidate):
            if configures_nbcollab(candidate):
                return candidate
            nearest = nearest or candidate
        parent = os.path.dirname(folder)
        if parent == folder:
            return nearest
        folder = parent


class HiddenTablesWarning(NbcollabWarning):
    """A pyproject.toml's [tool.nbcollab] hides tables of one above it (``hidden_tables``)."""


def hidden_tables(pyproject: str) -> tuple[str, list[str]] | None:
    """The next pyproject.toml above ``pyproject`` that configures nbcollab, and the tables of
    its ``[tool.nbcollab]`` that ``pyproject``'s lacks (they do not apply below it); None when
    nothing is hidden."""
    above = nearest_pyproject(os.path.dirname(os.path.dirname(os.path.realpath(pyproject))))
    if above is None or above == pyproject or not configures_nbcollab(above):
        return None
    mine, theirs = _tables(pyproject), _tables(above)
    hidden = [name for name in theirs if name not in mine]
    return (above, hidden) if hidden else None


def _tables(pyproject: str) -> list[str]:
    """The names of the tables in ``pyproject``'s ``[tool.nbcollab]`` ([] when unreadable)."""
    own = _nbcollab_table(pyproject)
    return (
        [key for key, value in own.items() if isinstance(value, dict)]
        if isinstance(own, dict)
        else []
    )


def configures_nbcollab(pyproject: str) -> bool:
    """Whether ``pyproject`` has a ``[tool.nbcollab]`` table; True when it cannot be read as
    TOML (so that its error is said, not passed over)."""
    return _nbcollab_table(pyproject) is not None


_UNREADABLE = object()


def _nbcollab_table(pyproject: str) -> Any:
    """``pyproject``'s ``[tool.nbcollab]``: None when it has none, ``_UNREADABLE`` when it cannot
    be read as TOML (parsed only when its text names nbcollab)."""
    try:
        with open(pyproject, "rb") as file:
            data = file.read()
    except OSError:
        return _UNREADABLE
    if b"nbcollab" not in data:
        return None
    try:
        parsed = toml_parser().loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # TOMLDecodeError is a ValueError
        return _UNREADABLE
    tool = parsed.get("tool")
    return tool.get("nbcollab") if isinstance(tool, dict) else None


def toml_parser() -> Any:
    """The TOML parser: ``tomllib``, or ``tomli`` (the same module) before Python 3.11."""
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib
    import tomli  # pragma: no cover - exercised on Python 3.10 only

    return tomli  # pragma: no cover
