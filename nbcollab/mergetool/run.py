"""Running the mergetool: open the sessions, serve the page until Save or Quit, say the outcome."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from nbcollab.errors import InvalidNotebook, NbcollabError
from nbcollab.files import cleanup_on_signals
from nbcollab.mergetool.app import AppState, next_steps
from nbcollab.mergetool.launch import open_in_browser, redirect_file
from nbcollab.mergetool.server import MergetoolServer
from nbcollab.mergetool.session import Session, clear_resolved
from nbcollab.mergetool.sources import open_session
from nbcollab.mergetool.store import save_session
from nbcollab.notebook.codec import parse_notebook
from nbcollab.options import MergeOptions


def find_notebooks(paths: list[Path]) -> list[Path]:
    """The notebooks to resolve: those given, else every notebook of the repository in conflict
    (unmerged, or holding a conflict record), relative to the current folder as git shows them."""
    if paths:
        return paths
    from nbcollab.git.conflicted import conflicted_notebooks

    return conflicted_notebooks(Path.cwd())


def open_sessions(
    paths: list[Path], *, options_for: Callable[[Path], MergeOptions]
) -> list[Session]:
    """One session per notebook, merged by its own options (InvalidNotebook or GitError naming
    the file otherwise)."""
    return [open_session(path, options=options_for(path)) for path in paths]


def set_aside_resolved(
    sessions: list[Session], *, sign: bool, say: Callable[[str], None]
) -> list[Session]:
    """The sessions with something left to resolve; the others are settled here and said."""
    pending = []
    for session in sessions:
        if session.left():
            pending.append(session)
        else:
            for line in settle(session, sign=sign):
                say(line)
    return pending


def settle(session: Session, *, sign: bool) -> list[str]:
    """A notebook with no conflict left: written only when the file is not the result yet (a
    clean merge of git's stages over line markers, or a record of conflicts resolved by hand)."""
    after = clear_resolved(session.notebook)
    try:
        before = parse_notebook(session.original, path=session.path) if session.original else None
    except InvalidNotebook:
        before = None  # git's line markers
    if before == after:
        lines = [f"{session.path}: no conflict left"]
    else:
        why = (
            "merged again from git's stages: no conflict"
            if before is None
            else "no conflict left; the record of conflicts resolved by hand is cleared"
        )
        lines = [f"{session.path}: {why}", *save_session(session, sign=sign).lines[:-1]]
    return lines + next_steps(session, 0)


def serve(
    sessions: list[Session],
    *,
    sign: bool,
    port: int = 0,
    open_browser: bool = True,
    say: Callable[[str], None] = print,
) -> int:
    """Serve the page until Save (0: nothing left, 1: conflicts left) or Quit (1)."""
    state = AppState(sessions, sign)
    try:
        server = MergetoolServer(state, port)
    except OSError as exc:
        raise NbcollabError(f"cannot listen on 127.0.0.1:{port} ({exc.strerror})") from None
    # SIGTERM or SIGHUP unwinds first, as Ctrl-C does: the server closes and the browser's
    # private folder is removed, then the signal ends the process.
    with cleanup_on_signals(), server, ExitStack() as cleanup:
        say(f"nbcollab mergetool: open {server.url}")
        say("  (Save writes the notebooks; Ctrl-C or 'Quit without saving' changes nothing)")
        if open_browser:
            # The browser gets a private file, never the URL: its command line is public.
            page = cleanup.enter_context(redirect_file(server.url))
            if not open_in_browser(page):
                say("  (no browser could be started: open the address above)")
        server.serve_forever(poll_interval=0.2)
    for line in state.saved:
        say(line)
    if state.exit_code is None:
        return 1
    return state.exit_code
