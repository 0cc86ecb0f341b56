"""The local web app: the standard library's HTTP server, on 127.0.0.1, behind a token.

Every request must carry the random token as the first part of its path (403 otherwise, compared
in constant time) and a Host header naming this server (a page on another site resolving its
name to 127.0.0.1, DNS rebinding, gets 403). Actions are JSON POSTs from this server's own
origin: another origin cannot send them without a CORS preflight this server never answers,
and a browser that says where a request comes from (``Origin``, ``Sec-Fetch-Site``) is refused
when it is not this page. No cookie: the token is never sent to another port of 127.0.0.1.

Each connection has its own thread, so a client that connects and sends nothing (or dribbles
its request) holds only its own thread: every read or write waits at most ``io_timeout``, the
whole request must arrive within ``request_deadline``, bodies are bounded by ``MAX_BODY``, and
at most ``MAX_CONNECTIONS`` are served at once. The session state is behind one lock. Save
ends the server, as does "Quit without saving".
"""

from __future__ import annotations

import contextlib
import hmac
import json
import secrets
import socket
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any

from nbcollab.errors import NbcollabError
from nbcollab.mergetool.app import AppState, act, state_json
from nbcollab.mergetool.page import content_policy, render_page

MAX_BODY = 32 * 1024 * 1024  # an edited cell can be large; a runaway client cannot be
MAX_CONNECTIONS = 256  # below the usual 1024 open files, so the process never runs out
_STATIC = {
    "mergetool.js": "text/javascript",
    "mergetool.css": "text/css",
    "codemirror.js": "text/javascript",
}


class MergetoolServer(ThreadingHTTPServer):
    """An HTTP server holding the app state, one thread per connection."""

    daemon_threads = True  # a stalled client never keeps the process alive
    block_on_close = False

    def __init__(
        self,
        state: AppState,
        port: int = 0,
        *,
        io_timeout: float = 10.0,
        request_deadline: float = 30.0,
    ) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.state = state
        self.io_timeout = io_timeout
        self.request_deadline = request_deadline
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}/{self.state.token}/"

    def allowed_hosts(self) -> set[str]:
        port = self.server_port
        return {f"127.0.0.1:{port}", f"localhost:{port}"}

    def finish_soon(self) -> None:
        # shutdown() waits for serve_forever: never call it from the thread that runs it.
        threading.Thread(target=self.shutdown, daemon=True).start()

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            self.shutdown_request(request)  # too many at once: this one is dropped, not queued
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], OSError):  # a client gone or cut off is no error
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: MergetoolServer
    protocol_version = "HTTP/1.0"
    server_version = "nbcollab-mergetool"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.io_timeout)  # each read and write of the socket
        self._cut = False
        self._deadline = threading.Timer(self.server.request_deadline, self._cut_off)
        self._deadline.daemon = True
        self._deadline.start()

    def _cut_off(self) -> None:
        """The request did not arrive in time: the connection is closed, the request dropped."""
        self._cut = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _request_read(self) -> bool:
        """Stop the deadline once the whole request is in; False when it came too late."""
        self._deadline.cancel()
        return not self._cut

    def finish(self) -> None:
        self._deadline.cancel()
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the terminal shows the URL and the outcome, not every request

    def do_GET(self) -> None:
        if not self._request_read():
            return
        route = self._route()
        if route is None:
            return
        state = self.server.state
        if route == "":
            nonce = secrets.token_urlsafe(18)
            with state.lock:
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
            with state.lock:
                reply = state_json(state)
            self._json(HTTPStatus.OK, reply)
        else:
            self._send(HTTPStatus.NOT_FOUND, "text/plain", b"not found")

    def do_POST(self) -> None:
        route = self._route()
        if route is None:
            return
        body = self._body()
        if not self._request_read() or body is None:
            return
        if self.headers.get("Sec-Fetch-Site", "same-origin") != "same-origin":
            self._send(HTTPStatus.FORBIDDEN, "text/plain", b"forbidden")
            return
        state = self.server.state
        with state.lock:
            try:
                reply = act(state, route, body)
            except (NbcollabError, ValueError, KeyError, TypeError) as exc:
                reply = {"error": str(exc), **state_json(state)}
                self._json(HTTPStatus.CONFLICT, reply)
                return
        if reply is None:
            self._send(HTTPStatus.NOT_FOUND, "text/plain", b"not found")
            return
        self._json(HTTPStatus.OK, reply)
        if state.exit_code is not None:
            self.server.finish_soon()  # once the reply is out

    def _route(self) -> str | None:
        """The path after the token, or None (a 403 already sent) for a foreign request."""
        host = self.headers.get("Host", "")
        prefix = f"/{self.server.state.token}/".encode()
        path = self.path.split("?", 1)[0]
        origin = self.headers.get("Origin")
        allowed = self.server.allowed_hosts()
        good_origin = origin is None or origin in {f"http://{h}" for h in allowed}
        given = path.encode("utf-8", "replace")[: len(prefix)]
        if host not in allowed or not good_origin or not hmac.compare_digest(given, prefix):
            self._send(HTTPStatus.FORBIDDEN, "text/plain", b"forbidden")
            return None
        return path[len(prefix) :]

    def _body(self) -> Any:
        length = self.headers.get("Content-Length", "")
        kind = self.headers.get("Content-Type", "").split(";")[0].strip()
        if kind != "application/json" or not length.isdigit():
            self._send(HTTPStatus.BAD_REQUEST, "text/plain", b"a JSON body is expected")
            return None
        if int(length) > MAX_BODY:
            self._send(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                "text/plain",
                f"a request body is at most {MAX_BODY // 1024 // 1024} MiB".encode(),
            )
            return None
        data = self.rfile.read(int(length))
        if len(data) < int(length):
            return None  # the client went away, or was cut off at the deadline
        try:
            return json.loads(data)
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
        self.send_header("Cross-Origin-Opener-Policy", "same-origin")
        self.send_header("Cross-Origin-Resource-Policy", "same-origin")
        self.end_headers()
        self.wfile.write(data)
