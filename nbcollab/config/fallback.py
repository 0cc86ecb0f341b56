"""Reading ``[tool.nbcollab]`` where a broken pyproject.toml must not stop git.

git runs the textconv and the diff driver for every notebook of ``git log -p``; one that fails
stops the whole command. So there a configuration that cannot be used (not TOML, not UTF-8,
nested beyond the parser, ``tool = "x"``, a wrong value under ``[tool.nbcollab]``) gives the
defaults and one warning, and the merge driver merges with its default options. Commands run
by hand (``nbcollab diff``) report the same problem as a one-line error instead of a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from nbcollab.errors import ConfigError, NbcollabError
from nbcollab.safe_text import terminal_safe

T = TypeVar("T")


def config_problem(exc: BaseException, start: Path) -> str:
    """One line saying why the configuration for ``start`` could not be used."""
    text = str(exc) if isinstance(exc, NbcollabError) else _reason(exc)
    if not isinstance(exc, NbcollabError) or "pyproject.toml" not in text:
        text = f"{_pyproject_near(start)}: {text}"  # the message names the file to fix
    return terminal_safe(text, one_line=True)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 (byte {exc.object[exc.start]:#04x} at offset {exc.start})"
    if isinstance(exc, RecursionError):
        return "nested too deeply to read"
    if isinstance(exc, (AttributeError, TypeError)):
        return "[tool] or [tool.nbcollab] is not a table"
    return f"cannot be read ({type(exc).__name__}: {exc})"


def _pyproject_near(start: Path) -> str:
    from nbcollab.config.load import find_pyproject

    try:
        found = find_pyproject(start)
    except (OSError, RuntimeError):
        found = None
    return str(found) if found is not None else "pyproject.toml"


def load_or_default(
    load: Callable[[], T], default: T, *, start: Path, warn: Callable[[str], None], using: str
) -> T:
    """``load()``, or ``default`` with one warning when the configuration cannot be used."""
    try:
        return load()
    except Exception as exc:  # noqa: BLE001 - a broken config must never stop a git command
        warn(f"{config_problem(exc, start)}; using {using}")
        return default


def load_or_fail(load: Callable[[], T], *, start: Path) -> T:
    """``load()``, with any failure to read the configuration as a one-line ``ConfigError``
    (terminal-safe: a key in the file may hold escape sequences)."""
    try:
        return load()
    except Exception as exc:  # noqa: BLE001 - one line naming the file, not a traceback
        raise ConfigError(config_problem(exc, start)) from None
