"""The local web app: the standard library's HTTP server, on 127.0.0.1, behind a token.

Every request must carry the random token as the first part of its path (403 otherwise) and a
Host header naming this server (a page on another site resolving its name to 127.0.0.1, DNS
rebinding, gets 403). Actions are JSON POSTs, which another origin cannot send without a CORS
preflight this server never answers. One request at a time (HTTP/1.0, one thread): the session
state needs no locks. Save ends the server, as does "Quit without saving".
"""

from __future__ import annotations

import hmac
import json
import secrets
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, HTTPServer
from importlib import resources
from typing import Any

from nbcollab.errors import NbcollabError
from nbcollab.merge.resolve import Resolution
from nbcollab.mergetool.page import content_policy, render_notebooks, render_page
from nbcollab.mergetool.session import Session, describe_left
from nbcollab.mergetool.store import save_session

MAX_BODY = 256 * 1024 * 1024  # an edited cell can be large; a runaway client cannot be
_STATIC = {
    "mergetool.js": "text/javascript",
    "mergetool.css": "text/css",
    "codemirror.js": "text/javascript",
}


@dataclass
class AppState:
    """What the server serves and how it ended."""

    sessions: list[Session]
    sign: bool
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    exit_code: int | None = None  # set by Save (0/1) or Quit (1)
    saved: list[str] = field(default_factory=list)
    undo_order: list[int] = field(default_factory=list)  # the file of each step, for Undo


class MergetoolServer(HTTPServer):
    """An HTTP server holding the app state."""

    def __init__(self, state: AppState, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.state = state

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}/{self.state.token}/"

    def allowed_hosts(self) -> set[str]:
        port = self.server_port
        return {f"127.0.0.1:{port}", f"localhost:{port}"}

    def finish_soon(self) -> None:
        # shutdown() waits for serve_forever, which runs this request: from another thread.
        threading.Thread(target=self.shutdown, daemon=True).start()


class _Handler(BaseHTTPRequestHandler):
    server: MergetoolServer
    protocol_version = "HTTP/1.0"
    server_version = "nbcollab-mergetool"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the terminal shows the URL and the outcome, not every request

    def do_GET(self) -> None:
        route = self._route()
        if route is None:
            return
        state = self.server.state
        if route == "":
            nonce = secrets.token_urlsafe(18)
            page = render_page(state.sessions, style_nonce=nonce)
            self._send(
                HTTPStatus.OK,
                "text/html; charset=utf-8",
                page.encode("utf-8", "surrogatepass"),
                style_nonce=nonce,
            )
        elif route.startswith("static/") and route[7:] in _STATIC:
            data = (
                resources.files("nbcollab.mergetool")
                .joinpath("static")
                .joinpath(route[7:])
                .read_bytes()
            )
            self._send(HTTPStatus.OK, _STATIC[route[7:]] + "; charset=utf-8", data)
        elif route == "api/state":
            self._json(HTTPStatus.OK, _state_json(state))
        else:
            self._send(HTTPStatus.NOT_FOUND, "text/plain", b"not found")

    def do_POST(self) -> None:
        route = self._route()
        if route is None:
            return
        body = self._body()
        if body is None:
            return
        try:
            reply = _act(self.server, route, body)
        except (NbcollabError, ValueError, KeyError, TypeError) as exc:
            self._json(HTTPStatus.CONFLICT, {"error": str(exc), **_state_json(self.server.state)})
            return
        if reply is None:
            self._send(HTTPStatus.NOT_FOUND, "text/plain", b"not found")
            return
        self._json(HTTPStatus.OK, reply)

    def _route(self) -> str | None:
        """The path after the token, or None (a 403 already sent) for a foreign request."""
        host = self.headers.get("Host", "")
        prefix = f"/{self.server.state.token}/"
        path = self.path.split("?", 1)[0]
        origin = self.headers.get("Origin")
        allowed = self.server.allowed_hosts()
        good_origin = origin is None or origin in {f"http://{h}" for h in allowed}
        if (
            host not in allowed
            or not good_origin
            or not hmac.compare_digest(
                path[: len(prefix)].encode("utf-8", "replace"), prefix.encode()
            )
        ):
            self._send(HTTPStatus.FORBIDDEN, "text/plain", b"forbidden")
            return None
        return path[len(prefix) :]

    def _body(self) -> Any:
        length = self.headers.get("Content-Length", "")
        kind = self.headers.get("Content-Type", "").split(";")[0].strip()
        if kind != "application/json" or not length.isdigit() or int(length) > MAX_BODY:
            self._send(HTTPStatus.BAD_REQUEST, "text/plain", b"a JSON body is expected")
            return None
        try:
            return json.loads(self.rfile.read(int(length)))
        except ValueError:
            self._send(HTTPStatus.BAD_REQUEST, "text/plain", b"not JSON")
            return None

    def _json(self, status: HTTPStatus, value: Any) -> None:
        self._send(status, "application/json", json.dumps(value, ensure_ascii=True).encode("ascii"))

    def _send(
        self, status: HTTPStatus, kind: str, data: bytes, style_nonce: str | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Content-Security-Policy", content_policy(style_nonce))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Frame-Options", "DENY")
        self.end_headers()
        self.wfile.write(data)


def _state_json(state: AppState) -> dict[str, Any]:
    return {
        "html": render_notebooks(state.sessions),
        "counter": describe_left(state.sessions),
        "left": sum(s.left() for s in state.sessions),
        "done": state.exit_code is not None,
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


def _act(server: MergetoolServer, route: str, body: dict[str, Any]) -> dict[str, Any] | None:
    state = server.state
    if state.exit_code is not None:
        raise NbcollabError("this mergetool session has ended; run it again")
    if route == "api/save":
        state.saved = _save_all(state)
        left = sum(s.left() for s in state.sessions)
        state.exit_code = 1 if left else 0
        server.finish_soon()
    elif route == "api/quit":
        state.exit_code = 1
        server.finish_soon()
    elif route == "api/action":
        _apply(state, body)
    else:
        return None
    return _state_json(state)


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
        lines += save_session(session, sign=state.sign).lines
    return lines
