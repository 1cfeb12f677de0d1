"""The HTTP/1.1 connection's limits (http/server.py), with real sockets against a real server process.

A client gets a bounded time to send a request's head and its body, a bounded head size and a
bounded number of connections; whatever it sends that is not HTTP/1.1 is answered in the envelope.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from outbound_profiles.http.server import OneWritePerTurn
from tests.live import LiveServer, live_server

HEAD_TIMEOUT = 1.0
BODY_TIMEOUT = 1.0
MAX_HEAD_BYTES = 8192
MAX_CONNECTIONS = 20
LIMITS = {
    "OUTBOUND_PROFILES_HEAD_TIMEOUT": str(HEAD_TIMEOUT),
    "OUTBOUND_PROFILES_BODY_TIMEOUT": str(BODY_TIMEOUT),
    "OUTBOUND_PROFILES_KEEPALIVE_TIMEOUT": "3",
    "OUTBOUND_PROFILES_MAX_HEAD_BYTES": str(MAX_HEAD_BYTES),
    "OUTBOUND_PROFILES_MAX_CONNECTIONS": str(MAX_CONNECTIONS),
}


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    workdir = tmp_path_factory.mktemp("limited")
    with live_server(f"sqlite:///{workdir / 'x.db'}", workdir, env=LIMITS) as server:
        yield server


def _address(server: LiveServer) -> tuple[str, int]:
    host, port = server.base_url.removeprefix("http://").split(":")
    return host, int(port)


def _connect(server: LiveServer) -> socket.socket:
    sock = socket.create_connection(_address(server), timeout=10)
    sock.settimeout(10)
    return sock


def _read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def _read_response(sock: socket.socket) -> bytes:
    """One answer on a kept-alive connection: its head, and a body of its Content-Length."""
    received = b""
    while b"\r\n\r\n" not in received:
        received += sock.recv(65536)
    head, _, body = received.partition(b"\r\n\r\n")
    length = int(next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:"))[15:])
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


def _exchange(server: LiveServer, data: bytes) -> tuple[float, bytes]:
    """Send `data`, then read until the server closes: (seconds it took, what came back)."""
    with _connect(server) as sock:
        started = time.monotonic()
        sock.sendall(data)
        received = _read_all(sock)
        return time.monotonic() - started, received


def _answer(raw: bytes) -> tuple[int, dict[str, str], dict[str, object]]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value for name, _, value in (line.partition(": ") for line in lines)}
    return int(status_line.split()[1]), headers, json.loads(body)


def _refusal(raw: bytes, status: int) -> str:
    """The detail of a refusal in the envelope, after checking its status and headers."""
    got, headers, body = _answer(raw)
    assert got == status, raw
    assert headers["content-type"] == "application/json"
    assert headers["connection"] == "close"
    assert len(headers["x-request-id"]) == 32
    assert headers.get("x-should-retry") == (None if status == 408 else "false")
    errors: list[dict[str, str]] = body["errors"]  # type: ignore[assignment]
    assert [error["code"] for error in errors] == ["10015"]
    return errors[0]["detail"]


def test_a_connection_that_sends_nothing_is_closed_without_an_answer(limited: LiveServer) -> None:
    seconds, received = _exchange(limited, b"")

    assert received == b""
    assert HEAD_TIMEOUT * 0.9 <= seconds < HEAD_TIMEOUT + 2


@pytest.mark.parametrize(
    "partial",
    [b"GET /heal", b"GET /healthz HTTP/1.1\r\nHost: x\r\n", b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: aaa"],
    ids=["half a request line", "unfinished headers", "half a header"],
)
def test_an_unfinished_head_is_answered_408_when_its_time_is_up(limited: LiveServer, partial: bytes) -> None:
    seconds, received = _exchange(limited, partial)

    assert "headers did not arrive in time" in _refusal(received, 408)
    assert HEAD_TIMEOUT * 0.9 <= seconds < HEAD_TIMEOUT + 2


def test_a_head_sent_a_byte_at_a_time_must_still_end_in_time(limited: LiveServer) -> None:
    with _connect(limited) as sock:
        started = time.monotonic()
        try:
            for byte in b"GET /healthz HTTP/1.1\r\nHost: x\r\n" * 10:
                sock.send(bytes([byte]))
                time.sleep(0.05)
        except OSError:
            pass  # closed on us: what is checked below
        received = _read_all(sock)

    assert "headers did not arrive in time" in _refusal(received, 408)
    assert time.monotonic() - started < HEAD_TIMEOUT + 2


def test_a_promised_body_that_never_comes_is_answered_408(limited: LiveServer) -> None:
    request = b"POST /security/connections HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"

    seconds, received = _exchange(limited, request)

    assert "body did not arrive in time" in _refusal(received, 408)
    assert BODY_TIMEOUT * 0.9 <= seconds < BODY_TIMEOUT + 2
    # The application saw its client go away: not a server error (500), which would also be logged.
    metrics = httpx.get(f"{limited.base_url}/metrics").text
    assert 'route="/security/connections",status="499"' in metrics
    assert 'status="500"' not in metrics


def test_a_kept_alive_connection_gets_the_whole_head_timeout_for_each_request(limited: LiveServer) -> None:
    with _connect(limited) as sock:
        for _ in range(3):
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert _read_response(sock).startswith(b"HTTP/1.1 200 ")
            time.sleep(HEAD_TIMEOUT * 1.5)  # idle between requests: the keep-alive timeout (3 s) applies


def test_a_head_over_the_limit_is_431(limited: LiveServer) -> None:
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + b"a" * MAX_HEAD_BYTES + b"\r\n\r\n"

    seconds, received = _exchange(limited, request)

    assert f"longer than {MAX_HEAD_BYTES} bytes" in _refusal(received, 431)
    assert seconds < 1


def test_a_request_target_over_the_limit_is_414(limited: LiveServer) -> None:
    _, received = _exchange(limited, b"GET /healthz?" + b"a" * 65536 + b" HTTP/1.1\r\nHost: x\r\n\r\n")

    assert f"longer than {MAX_HEAD_BYTES} bytes" in _refusal(received, 414)


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_an_endless_header_is_cut_off_before_it_fills_memory(limited: LiveServer) -> None:
    before = _rss_kib(limited.process.pid)
    sent = 0
    with _connect(limited) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Endless: ")
        chunk = b"a" * 65536
        try:
            while sent < 256 * 1024 * 1024:
                sock.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass  # the server closed the connection
        received = _read_all(sock) if sent < 256 * 1024 * 1024 else b""

    assert sent < 16 * 1024 * 1024, "the server kept reading the header"
    if received:  # the answer can be lost when the connection is reset while we are still sending
        _refusal(received, 431)
    assert _rss_kib(limited.process.pid) - before < 20 * 1024


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"POST /billing_groups HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
        b"POST /billing_groups HTTP/1.1\r\nHost: x\r\nContent-Length: x\r\n\r\n{}",
        b"POST /billing_groups HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}",
        b"GET /h\xc3\xa9althz HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64,  # a TLS hello on the plain port
    ],
    ids=["two content lengths", "bad content length", "length and chunked", "non-ascii path", "http 9.9", "tls"],
)
def test_what_is_not_http_1_1_is_400_in_the_envelope(limited: LiveServer, request_bytes: bytes) -> None:
    _, received = _exchange(limited, request_bytes)

    assert "not valid HTTP/1.1" in _refusal(received, 400)


def test_connections_past_the_limit_are_closed_at_once_and_the_server_recovers(limited: LiveServer) -> None:
    held = [_connect(limited) for _ in range(MAX_CONNECTIONS)]
    try:
        time.sleep(0.2)
        with _connect(limited) as extra:
            extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            with contextlib.suppress(ConnectionResetError):
                assert _read_all(extra) == b""
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.2)
    _, received = _exchange(limited, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert received.startswith(b"HTTP/1.1 200 ")


class _Transport:
    """What a connection's transport was asked to do, in order."""

    def __init__(self) -> None:
        self.calls: list[object] = []
        self.closing = False

    def write(self, data: bytes) -> None:
        self.calls.append(data)

    def close(self) -> None:
        self.calls.append("close")
        self.closing = True

    def is_closing(self) -> bool:
        return self.closing

    def get_write_buffer_size(self) -> int:
        return 7


def test_the_writes_of_one_turn_of_the_event_loop_leave_in_one() -> None:
    async def scenario() -> list[list[object]]:
        transport = _Transport()
        coalescing = OneWritePerTurn(transport, asyncio.get_running_loop())  # type: ignore[arg-type]
        coalescing.write(b"HTTP/1.1 200 OK\r\n\r\n")
        coalescing.write(b"{}")
        seen = [list(transport.calls)]
        await asyncio.sleep(0)
        seen.append(list(transport.calls))
        coalescing.write(b"next")
        coalescing.close()
        seen.append(list(transport.calls))
        coalescing.write(b"after the close")
        await asyncio.sleep(0)
        seen.append(list(transport.calls))
        assert coalescing.get_write_buffer_size() == 7  # the rest is the transport's own
        return seen

    before_the_turn_ends, after_it, closed, later = asyncio.run(scenario())

    assert before_the_turn_ends == []
    assert after_it == [b"HTTP/1.1 200 OK\r\n\r\n{}"]
    assert closed == [b"HTTP/1.1 200 OK\r\n\r\n{}", b"next", "close"]  # what was pending goes first
    assert later == closed  # nothing is written to a closed transport


def test_a_turn_that_writes_much_sends_it_at_once() -> None:
    async def scenario() -> list[object]:
        transport = _Transport()
        coalescing = OneWritePerTurn(transport, asyncio.get_running_loop())  # type: ignore[arg-type]
        chunk = b"x" * (OneWritePerTurn.FLUSH_AT // 2)
        coalescing.write(chunk)
        coalescing.write(chunk)
        coalescing.write(b"tail")
        sent = list(transport.calls)
        await asyncio.sleep(0)
        return [sent, list(transport.calls)]

    sent, after_the_turn = asyncio.run(scenario())

    assert sent == [b"x" * OneWritePerTurn.FLUSH_AT]
    assert after_the_turn == [b"x" * OneWritePerTurn.FLUSH_AT, b"tail"]


def test_pipelined_requests_are_answered_in_order(limited: LiveServer) -> None:
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: r%d\r\n\r\n"
    last = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: r4\r\nConnection: close\r\n\r\n"
    with _connect(limited) as sock:
        sock.sendall(b"".join(request % n for n in range(4)) + last)
        received = _read_all(sock)
    answers = received.split(b"HTTP/1.1 ")[1:]
    assert len(answers) == 5, received
    for n, answer in enumerate(answers):
        assert answer.startswith(b"200 "), answer
        assert f"x-request-id: r{n}\r\n".encode() in answer
