"""Opening the page in the user's browser without putting the token on a command line.

A browser started as ``$BROWSER URL`` shows its arguments to every local user (``ps``,
``/proc/PID/cmdline``), and the URL holds the token. So the browser is given a file instead, as
Jupyter does: a page that redirects to the URL, in a new folder only the user can enter (0700),
itself readable by the user alone (0600). The folder is removed when the server stops.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import webbrowser
from collections.abc import Iterator
from contextlib import contextmanager
from html import escape
from pathlib import Path


@contextmanager
def redirect_file(url: str) -> Iterator[Path]:
    """A private file whose page sends the browser to ``url``; removed on exit."""
    folder = Path(tempfile.mkdtemp(prefix="nbcollab-mergetool-"))  # created 0700
    try:
        path = folder / "open.html"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        with os.fdopen(os.open(path, flags, 0o600), "w", encoding="utf-8") as out:
            out.write(_redirect_page(url))
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _redirect_page(url: str) -> str:
    shown = escape(url, quote=True)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
        f'<meta http-equiv="refresh" content="0;url={shown}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        "<title>nbcollab mergetool</title></head>\n"
        f'<body><p>Opening the mergetool&hellip; <a href="{shown}">Open it</a> if nothing '
        "happens.</p></body></html>\n"
    )


def open_in_browser(page: Path) -> bool:
    """Open ``page`` (a local file) in the user's browser; False when none could be started."""
    return webbrowser.open(page.as_uri())
