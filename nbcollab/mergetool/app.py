"""The mergetool's state and what each action does to it: no HTTP here (``server`` serves it).

Choices, edits, undo and file decisions change sessions in memory; Save writes them through
``store`` and says what to do next; Quit ends the run without writing.
"""

from __future__ import annotations

import secrets
import shlex
import threading
from dataclasses import dataclass, field
from typing import Any

from nbcollab.errors import NbcollabError
from nbcollab.merge.resolve import Resolution
from nbcollab.mergetool.page import render_notebooks
from nbcollab.mergetool.session import Session, describe_left
from nbcollab.mergetool.store import save_session


@dataclass
class AppState:
    """What the server serves and how it ended (changed only with ``lock`` held)."""

    sessions: list[Session]
    sign: bool
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    exit_code: int | None = None  # set by Save (0/1) or Quit (1)
    saved: list[str] = field(default_factory=list)
    undo_order: list[int] = field(default_factory=list)  # the file of each step, for Undo
    lock: threading.Lock = field(default_factory=threading.Lock)


def state_json(state: AppState) -> dict[str, Any]:
    """What the page gets back after each request: the notebooks' HTML, counts, the outcome."""
    return {
        "html": render_notebooks(state.sessions),
        "counter": describe_left(state.sessions),
        "left": sum(s.left() for s in state.sessions),
        "done": state.exit_code is not None,
        "unsaved": state.exit_code is None and any(s.history for s in state.sessions),
        "saved": state.saved,
        "conflicts": [
            {
                "file": file,
                "number": view.number,
                "kind": view.entry.kind.value,
                "cell": view.cell,
                "choices": [c.value for c in view.choices],
            }
            for file, session in enumerate(state.sessions)
            for view in session.conflicts()
        ],
    }


def act(state: AppState, route: str, body: dict[str, Any]) -> dict[str, Any] | None:
    """Do what the POST to ``route`` asks (None: no such route); NbcollabError when refused."""
    if state.exit_code is not None:
        raise NbcollabError("this mergetool session has ended; run it again")
    if route == "api/save":
        state.saved = _save_all(state)
        left = sum(s.left() for s in state.sessions)
        state.exit_code = 1 if left else 0
    elif route == "api/quit":
        state.exit_code = 1
    elif route == "api/action":
        _apply(state, body)
    else:
        return None
    return state_json(state)


def _apply(state: AppState, body: dict[str, Any]) -> None:
    action = body["action"]
    if action == "undo":
        if not state.undo_order:
            raise NbcollabError("nothing to undo")
        state.sessions[state.undo_order.pop()].undo()
        return
    file = _index(body["file"], len(state.sessions))
    session = state.sessions[file]
    if action == "choose":
        session.choose(_int(body["number"]), Resolution(body["choice"]))
    elif action == "edit":
        if not isinstance(body["text"], str):
            raise TypeError("text must be a string")
        session.edit(_int(body["cell"]), body["text"])
    elif action == "file":
        session.decide_file(bool(body["keep"]))
    else:
        raise ValueError(f"unknown action {action!r}")
    state.undo_order.append(file)


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit():
        raise ValueError(f"not a number: {value!r}")
    return int(value)


def _index(value: Any, count: int) -> int:
    index = _int(value)
    if index >= count:
        raise ValueError(f"no file {index}")
    return index


def _save_all(state: AppState) -> list[str]:
    lines: list[str] = []
    for session in state.sessions:
        report = save_session(session, sign=state.sign)
        lines += report.lines + next_steps(session, report.left)
    return lines


def next_steps(session: Session, left: int) -> list[str]:
    """What to do once a notebook git left unmerged has nothing left: stage it."""
    deleted = session.deletion is not None and session.deletion.keep is False
    if left or deleted or not any(session.inputs):
        return []
    return [
        f"{session.path}: resolved; stage it with: git add {shlex.quote(session.path)}"
        " (git mergetool does this itself)"
    ]
