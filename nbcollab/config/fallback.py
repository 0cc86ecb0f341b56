"""Reading ``[tool.nbcollab]`` where a broken pyproject.toml must not stop git.

git runs the textconv and the diff driver for every notebook of ``git log -p``, the merge driver
for every conflicted notebook, the filter for every notebook it reads; one that fails stops the
whole command. So there a configuration that cannot be used gives the defaults and one warning,
with the loader's own message (``nbcollab.config.load``: the file, the place, the fix). Commands
run by hand report the same message as a one-line error and exit 2.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from nbcollab.errors import ConfigError
from nbcollab.safe_text import terminal_safe

T = TypeVar("T")


def config_problem(exc: BaseException, start: Path) -> str:
    """One line saying why the configuration for ``start`` (a file or folder) could not be used."""
    if isinstance(exc, ConfigError):
        return str(exc)  # the loader's message: already one line, naming the file
    from nbcollab.config.find import nearest_pyproject

    folder = start if os.path.isdir(start) else start.parent
    pyproject = nearest_pyproject(str(folder)) or "pyproject.toml"
    return terminal_safe(
        f"{pyproject}: internal error ({type(exc).__name__}: {exc})", one_line=True
    )


def load_or_default(
    load: Callable[[], T], default: T, *, start: Path, warn: Callable[[str], None], using: str
) -> T:
    """``load()``, or ``default`` with one warning when the configuration cannot be used."""
    try:
        return load()
    except Exception as exc:  # noqa: BLE001 - a broken config must never stop a git command
        warn(f"{config_problem(exc, start)}; using {using}")
        return default
