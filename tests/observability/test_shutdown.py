"""SIGTERM: the requests in flight finish with a complete answer, new connections are refused, and
the process exits 0.

A request is held in flight by a real mechanism, nothing built for the test: the client sends the
headers of a PUT with `Expect: 100-continue` and keeps the body back. The server answers
`100 Continue` only once the application asks for the body (uvicorn does so on the first
`receive()`), so that line proves the request is inside the application. SIGTERM goes in while every
request waits for its body; the bodies follow once the server has stopped listening.
"""

from __future__ import annotations

import json
import signal
import socket
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from outbound_profiles.config import Settings
from tests.live import LiveServer, live_server

IN_FLIGHT = 6
EXIT_WITHIN_S = 15.0


def open_put(server: LiveServer, path: str, token: str, body: bytes) -> socket.socket:
    """A PUT whose headers are sent and whose body is not, once the application has asked for it."""
    url = httpx.URL(server.base_url)
    assert url.port is not None
    connection = socket.create_connection((url.host, url.port), timeout=10)
    head = (
        f"PUT {path} HTTP/1.1\r\nHost: {url.host}:{url.port}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n"
    )
    try:
        connection.sendall(head.encode())
        interim = b""
        while not interim.endswith(b"\r\n\r\n"):
            chunk = connection.recv(1)
            assert chunk, f"closed before 100 Continue: {interim!r}"
            interim += chunk
        assert interim == b"HTTP/1.1 100 Continue\r\n\r\n", interim
    except BaseException:
        connection.close()
        raise
    return connection


def read_response(connection: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and the whole body (Content-Length) of one HTTP/1.1 response."""
    raw = b""
    while b"\r\n\r\n" not in raw:
        chunk = connection.recv(65536)
        assert chunk, f"closed mid-response: {raw!r}"
        raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode().split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in header_lines)}
    while len(body) < int(headers["content-length"]):
        chunk = connection.recv(65536)
        assert chunk, f"closed mid-body: {body!r}"
        body += chunk
    return int(status_line.split()[1]), headers, body


def refuses_connections(server: LiveServer) -> bool:
    url = httpx.URL(server.base_url)
    assert url.port is not None
    try:
        socket.create_connection((url.host, url.port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_lets_the_requests_in_flight_finish_then_exits_0(
    settings: Settings, tmp_path: Path, workers: int
) -> None:
    with live_server(settings.database_url, tmp_path, workers=workers) as server, ExitStack() as sockets:
        token = server.new_user("drain@example.com")["token"]
        headers = {"Authorization": f"Bearer {token}"}
        created = httpx.post(f"{server.base_url}/termination/endpoints", json={"connection_ids": []}, headers=headers)
        assert created.status_code == 200, created.text
        path = f"/termination/endpoints/{created.json()['id']}"
        bodies = [json.dumps({"name": f"drained {n}", "ports": n + 1}).encode() for n in range(IN_FLIGHT)]
        connections = [sockets.enter_context(open_put(server, path, token, body)) for body in bodies]

        server.process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        while not refuses_connections(server):
            assert time.monotonic() - signalled < 5, "still accepting connections 5 s after SIGTERM"
            time.sleep(0.05)
        assert server.process.poll() is None, "exited with requests still in flight"
        for connection, body in zip(connections, bodies, strict=True):
            connection.sendall(body)
        answers = [read_response(connection) for connection in connections]
        exit_code = server.process.wait(timeout=EXIT_WITHIN_S)

    assert exit_code == 0
    assert time.monotonic() - signalled < EXIT_WITHIN_S
    for n, (status, response_headers, body) in enumerate(answers):
        assert status == 200, body
        assert response_headers["connection"] == "close"
        assert len(response_headers["x-request-id"]) == 32
        assert (json.loads(body)["name"], json.loads(body)["ports"]) == (f"drained {n}", n + 1)
