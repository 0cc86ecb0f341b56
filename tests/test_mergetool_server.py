"""The mergetool's web server in this process: who gets in, and slow or greedy clients.

Each test runs a real server on 127.0.0.1 in a thread, with short time limits so that a stalled
client is cut off quickly; the assertions are about what happens, never about how long it took.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import write_notebook
from test_mergetool import _merged

from nbcollab.files import read_notebook_file
from nbcollab.mergetool.app import AppState
from nbcollab.mergetool.server import MAX_BODY, MergetoolServer
from nbcollab.mergetool.session import Session


@pytest.fixture
def server(tmp_path: Path) -> Iterator[MergetoolServer]:
    path = write_notebook(tmp_path / "nb.ipynb", _merged())
    data, nb = read_notebook_file(path)
    state = AppState([Session(str(path), nb, data)], sign=False)
    server = MergetoolServer(state, io_timeout=0.5, request_deadline=1.5)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _request(
    server: MergetoolServer,
    method: str,
    route: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=30)
    data = None if body is None else json.dumps(body).encode()
    sent = {"Content-Type": "application/json", **(headers or {})}
    try:
        connection.request(method, f"/{server.state.token}/{route}", body=data, headers=sent)
        reply = connection.getresponse()
        return reply.status, reply.read()
    finally:
        connection.close()


def _stalled(server: MergetoolServer, start: bytes) -> socket.socket:
    """A client that sends ``start`` and then nothing more."""
    client = socket.create_connection(("127.0.0.1", server.server_port), timeout=30)
    client.sendall(start)
    return client


def _closed_by_server(client: socket.socket) -> bool:
    """Whether the server ends the connection (without answering) rather than waiting on it."""
    try:
        return client.recv(65536) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


@pytest.mark.slow  # waits for the server's time limits
def test_a_stalled_request_blocks_no_other_and_is_cut_off(server: MergetoolServer) -> None:
    host = f"Host: 127.0.0.1:{server.server_port}\r\n".encode()
    token = server.state.token.encode()
    stalled = [
        _stalled(server, b""),  # connected, nothing sent
        _stalled(server, b"GET /" + token + b"/ HTTP/1.1\r\n" + host),  # no end of headers
        _stalled(  # a body announced and never sent
            server,
            b"POST /"
            + token
            + b"/api/quit HTTP/1.1\r\n"
            + host
            + b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
        ),
    ]
    try:
        assert _request(server, "GET", "api/state")[0] == 200
        code, reply = _request(server, "POST", "api/action", {"action": "undo"})
        assert code == 409 and b"nothing to undo" in reply
        assert all(_closed_by_server(client) for client in stalled)
    finally:
        for client in stalled:
            client.close()
    assert server.state.exit_code is None  # the quit never arrived whole: not acted on


@pytest.mark.slow  # waits for the server's time limits
def test_a_request_dribbled_byte_by_byte_is_cut_at_the_deadline(server: MergetoolServer) -> None:
    client = _stalled(server, b"GET /" + server.state.token.encode() + b"/ HTTP/1.1\r\n")
    cut = False
    try:
        for _ in range(600):  # each byte within the per-read timeout, for ever
            time.sleep(0.1)
            try:
                client.sendall(b"X")
            except OSError:
                cut = True
                break
            client.setblocking(False)
            try:
                cut = client.recv(1) == b""
            except BlockingIOError:
                pass
            except OSError:
                cut = True
            client.setblocking(True)
            if cut:
                break
    finally:
        client.close()
    assert cut
    assert _request(server, "GET", "api/state")[0] == 200


def test_a_body_over_the_limit_is_refused_unread(server: MergetoolServer) -> None:
    client = _stalled(
        server,
        f"POST /{server.state.token}/api/action HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{server.server_port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {MAX_BODY + 1}\r\n\r\n".encode(),
    )
    with client:
        assert client.recv(65536).startswith(b"HTTP/1.0 413 ")


@pytest.mark.parametrize(
    "headers",
    [
        {"Host": "evil.example"},
        {"Host": "127.0.0.1"},
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ],
)
def test_requests_from_elsewhere_are_forbidden(
    server: MergetoolServer, headers: dict[str, str]
) -> None:
    code, _ = _request(server, "POST", "api/quit", {}, headers)
    assert code == 403
    assert server.state.exit_code is None


def test_the_page_itself_may_act(server: MergetoolServer) -> None:
    port = server.server_port
    same = {"Origin": f"http://localhost:{port}", "Sec-Fetch-Site": "same-origin"}
    same["Host"] = f"localhost:{port}"
    code, reply = _request(server, "POST", "api/quit", {}, same)
    assert code == 200 and json.loads(reply)["done"]
