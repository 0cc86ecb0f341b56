"""The one place that turns exceptions into a one-line message and an exit code.

Used by the typer app and by git's entry points, which run without typer. 0 ok; 1 changes,
findings, differences or conflicts (returned by commands, never raised); 2 bad input, usage or a
bug; 130 interrupted. A bug is still one line and 2, never 1, which means "changes" or
"conflicts" to git and CI; ``NBCOLLAB_DEBUG=1`` shows its traceback.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from nbcollab.errors import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, NbcollabError, NbcollabWarning
from nbcollab.safe_text import terminal_safe


@contextmanager
def exit_codes(
    *, prefix: str = "nbcollab", passthrough: tuple[type[BaseException], ...] = ()
) -> Iterator[None]:
    """Map what escapes the block to a message on stderr and ``SystemExit(code)``; nbcollab's
    own warnings (input read, but not as written) become one line each."""
    with warnings.catch_warnings():
        warnings.simplefilter("default", NbcollabWarning)
        shown = warnings.showwarning

        def show(message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
            if issubclass(category, NbcollabWarning):
                _say(f"{prefix}: warning: {message}")
            else:
                shown(message, category, *args, **kwargs)

        warnings.showwarning = show
        with _mapped(prefix, passthrough):
            yield


@contextmanager
def _mapped(prefix: str, passthrough: tuple[type[BaseException], ...]) -> Iterator[None]:
    try:
        yield
    except passthrough:
        raise
    except NbcollabError as exc:
        _say(f"{prefix}: error: {exc}")
        raise SystemExit(exc.exit_code) from None
    except KeyboardInterrupt:
        _say(f"{prefix}: interrupted")
        raise SystemExit(EXIT_INTERRUPTED) from None
    except BrokenPipeError:
        # The reader went away (e.g. `nbcollab diff | head`); nothing left to say.
        _close_quietly()
        raise SystemExit(EXIT_OK) from None
    except Exception as exc:
        if os.environ.get("NBCOLLAB_DEBUG"):
            raise
        _say(
            f"{prefix}: error: internal error: {type(exc).__name__}: {exc} "
            "(NBCOLLAB_DEBUG=1 shows the traceback)"
        )
        raise SystemExit(EXIT_ERROR) from None


def _say(line: str) -> None:
    try:
        # Messages quote file names and notebook text: shown, never obeyed by the terminal.
        print(terminal_safe(line, one_line=True), file=sys.stderr)
    except (OSError, ValueError):
        pass  # stderr closed: the exit code still tells


def echo(line: str, *, err: bool = False) -> None:
    """Print one line that may quote file names or notebook text, terminal-safe."""
    print(terminal_safe(line, one_line=True), file=sys.stderr if err else sys.stdout)


def print_text(text: str, *, err: bool = False, nl: bool = True) -> None:
    """Write ``text`` as typer's echo does, without importing typer (the lean entry's commands
    print through it): flushed at once, and ANSI styles dropped when the stream is not a
    terminal."""
    stream = sys.stderr if err else sys.stdout
    if nl:
        text += "\n"
    if "\033" in text and not _is_terminal(stream):
        import re

        text = re.sub(r"\033\[[;?0-9]*[a-zA-Z]", "", text)
    if text:
        stream.write(text)
    stream.flush()


def _is_terminal(stream: object) -> bool:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError):
        return False


def _close_quietly() -> None:
    # Python would report the broken pipe again when it flushes stdout at exit.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
