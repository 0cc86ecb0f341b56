"""Running the mergetool: open the sessions, serve the page until Save or Quit, say the outcome."""

from __future__ import annotations

import sys
import webbrowser
from collections.abc import Callable
from pathlib import Path

from nbcollab.errors import NbcollabError
from nbcollab.mergetool.server import AppState, MergetoolServer
from nbcollab.mergetool.session import Session
from nbcollab.mergetool.sources import open_session, repository_root, unmerged_notebooks
from nbcollab.options import MergeOptions


def find_notebooks(paths: list[Path]) -> list[Path]:
    """The notebooks to resolve: those given, else every unmerged notebook of the repository."""
    if paths:
        return paths
    root = repository_root(Path.cwd())
    if root is None:
        raise NbcollabError("not in a git repository: name the notebooks to resolve")
    return unmerged_notebooks(root)


def open_sessions(
    paths: list[Path], *, options_for: Callable[[Path], MergeOptions]
) -> list[Session]:
    """One session per notebook, merged by its own options (InvalidNotebook or GitError naming
    the file otherwise)."""
    return [open_session(path, options=options_for(path)) for path in paths]


def serve(
    sessions: list[Session],
    *,
    sign: bool,
    port: int = 0,
    open_browser: bool = True,
    say: Callable[[str], None] = print,
    ready: Callable[[MergetoolServer], None] | None = None,
) -> int:
    """Serve the page until Save (0: nothing left, 1: conflicts left) or Quit (1)."""
    state = AppState(sessions, sign)
    try:
        server = MergetoolServer(state, port)
    except OSError as exc:
        raise NbcollabError(f"cannot listen on 127.0.0.1:{port} ({exc.strerror})") from None
    with server:
        say(f"nbcollab mergetool: open {server.url}")
        say("  (Save writes the notebooks; Ctrl-C or 'Quit without saving' changes nothing)")
        if open_browser:
            webbrowser.open(server.url)
        if ready is not None:
            ready(server)
        server.serve_forever(poll_interval=0.2)
    for line in state.saved:
        say(line)
    if state.exit_code is None:
        return 1
    return state.exit_code


def stderr_say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
