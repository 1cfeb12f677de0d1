"""The HTTP/1.1 connection: uvicorn's httptools protocol with the limits a server facing any client needs.

uvicorn reads a request's head and body for as long as the client takes and keeps a head of any
size, so a client that connects and sends nothing, or half a request, or a header of hundreds of
megabytes, holds a file descriptor and memory for as long as it likes. Here, per connection:

- the head (request line and headers) must arrive within `head_timeout` seconds of the connection
  opening, or of the first byte of the next request on a kept-alive connection;
- the body within `body_timeout` seconds of the end of the head;
- the head may be at most `max_head_bytes` long (414 if the target alone is longer, else 431);
- a connection beyond `max_connections` open ones in this process is closed at once.

Between requests uvicorn's keep-alive timeout applies. A request that breaks a limit, or that is not
HTTP/1.1 at all (a bad or repeated Content-Length, Content-Length with Transfer-Encoding, a path
that is not ASCII), is answered in the API's error envelope with an `X-Request-Id`, and the
connection is closed. A connection that times out before sending a byte is closed without an answer,
and so is one whose answer has already begun.

The writes of one turn of the event loop leave in one system call (`OneWritePerTurn`): a
response's head and body, which uvicorn writes one after the other, are one TCP segment.
"""

from __future__ import annotations

import asyncio
import logging
import resource
from http import HTTPStatus
from typing import Any, Final

import msgspec
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from outbound_profiles.config import Settings
from outbound_profiles.errors import ErrorCode, Problem
from outbound_profiles.http.errors import envelope
from outbound_profiles.observability.middleware import new_request_id

logger = logging.getLogger("outbound_profiles.server")

# What the parser is reading. Between requests (DONE) uvicorn's keep-alive timeout applies, also to
# a connection that has sent part of its next request and then nothing more.
_HEAD: Final = 1
_BODY: Final = 2
_DONE: Final = 3


class _Refused(Exception):
    """Raised from a parser callback to stop parsing a request that is answered by `_refuse`."""


class LimitedHttpProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, settings: Settings, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = settings
        self._reading = _HEAD
        self._head_bytes = 0
        self._deadline: float | None = None  # when the part being read must have arrived
        self._timer: asyncio.TimerHandle | None = None
        self._refusal: tuple[int, ErrorCode, str] | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(OneWritePerTurn(transport, self.loop))  # type: ignore[arg-type]
        if len(self.connections) > self.limits.max_connections:
            transport.close()
            return
        self._set_deadline(self.limits.head_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._deadline = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._reading == _DONE:
            self._next_request()
        if self._reading == _HEAD:
            self._head_bytes += len(data)
        HttpToolsProtocol.data_received(self, data)  # not super(): these run for every request
        # Counted as it arrives, so that a head that never ends is refused before it is all in memory.
        if self._reading == _HEAD and self._head_bytes > self.limits.max_head_bytes:
            self._refuse(*self._head_too_large())

    def on_headers_complete(self) -> None:
        # What arrived may hold some of the body too: only then is the head measured exactly.
        if self._head_bytes > self.limits.max_head_bytes and self._head_size() > self.limits.max_head_bytes:
            self._refusal = self._head_too_large()
            raise _Refused
        self._reading = _BODY
        self._set_deadline(self.limits.body_timeout)
        HttpToolsProtocol.on_headers_complete(self)

    def on_message_complete(self) -> None:
        self._reading = _DONE
        self._deadline = None
        HttpToolsProtocol.on_message_complete(self)

    def _next_request(self) -> None:
        self._reading = _HEAD
        self._head_bytes = 0
        self._set_deadline(self.limits.head_timeout)

    def _head_size(self) -> int:
        return len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a request the parser refused (or a callback stopped): the envelope."""
        refusal, self._refusal = self._refusal, None
        self._refuse(*(refusal or (400, ErrorCode.BAD_REQUEST, "The request is not valid HTTP/1.1.")))

    def _head_too_large(self) -> tuple[int, ErrorCode, str]:
        limit = self.limits.max_head_bytes
        if len(self.url) > limit:
            return 414, ErrorCode.URI_TOO_LONG, f"The request target is longer than {limit} bytes."
        return 431, ErrorCode.HEADERS_TOO_LARGE, f"The request line and headers are longer than {limit} bytes."

    def _set_deadline(self, seconds: float) -> None:
        """One timer per connection, moved only when the deadline comes sooner than it would fire:
        not two timers made and cancelled per request."""
        self._deadline = deadline = self.loop.time() + seconds
        if self._timer is not None and self._timer.when() > deadline:
            self._timer.cancel()
            self._timer = None
        if self._timer is None:
            self._timer = self.loop.call_at(deadline, self._check_deadline)

    def _check_deadline(self) -> None:
        self._timer = None
        if self._deadline is None:
            return  # nothing is being read (the next request re-arms the timer)
        if self.loop.time() < self._deadline:
            self._timer = self.loop.call_at(self._deadline, self._check_deadline)
            return
        self._deadline = None
        if self._reading == _HEAD and self._head_bytes == 0:
            self.transport.close()  # nothing was asked: nothing to answer
            return
        part = "headers" if self._reading == _HEAD else "body"
        self._refuse(408, ErrorCode.REQUEST_TIMEOUT, f"The request's {part} did not arrive in time.")

    def _refuse(self, status: int, code: ErrorCode, detail: str) -> None:
        """Answer `status` in the envelope, if no other answer is due first, and close the connection."""
        self._deadline = None
        if self.transport.is_closing():
            return
        cycle = self.cycle
        if (
            cycle is None
            or cycle.response_complete
            # the request whose body is late, when no earlier request is still being answered
            or (self._reading == _BODY and not cycle.response_started and not self.pipeline)
        ):
            body = msgspec.json.encode(envelope((Problem(code, detail),)))
            headers = [
                *self.server_state.default_headers,
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode("ascii")),
                (b"connection", b"close"),
                (b"x-request-id", new_request_id().encode("ascii")),
            ]
            if status != 408:  # a request that timed out may be sent again; nothing else refused here may
                headers.append((b"x-should-retry", b"false"))
            head = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n".encode("ascii")]
            head += [name + b": " + value + b"\r\n" for name, value in headers]
            self.transport.write(b"".join([*head, b"\r\n", body]))
        logger.info("refused a request from %s: %s", self.client, detail)
        # The application, if it is waiting for this request's body, is told the client went away.
        self.transport.close()


class OneWritePerTurn:
    """A connection's transport whose writes made in one turn of the event loop go out together, at
    its end: a response's head and body (two ASGI messages, two writes in uvicorn) leave in one
    system call and one TCP segment instead of two. The order of the bytes is kept, a close sends
    what is pending first, and past `FLUSH_AT` bytes they go at once (a streamed download that
    never yields to the loop keeps the transport's own buffering and back-pressure)."""

    __slots__ = ("_loop", "_pending", "_size", "transport")

    FLUSH_AT: Final = 65_536

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self.transport = transport
        self._loop = loop
        self._pending: list[bytes] = []
        self._size = 0

    def write(self, data: bytes) -> None:
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(data)
        self._size += len(data)
        if self._size >= self.FLUSH_AT:
            self.flush()

    def flush(self) -> None:
        pending, self._pending, self._size = self._pending, [], 0
        if pending and not self.transport.is_closing():
            self.transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def is_closing(self) -> bool:
        return self.transport.is_closing()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)


def raise_open_files_limit(connections: int) -> None:
    """Let the process hold `connections` sockets and its own files: raise the soft limit on open
    files towards the hard one (often 1,024 against 524,288), and warn if even that is too low."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connections + 256
    if soft != resource.RLIM_INFINITY and soft < wanted:
        new = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
        if new < wanted:
            logger.warning(
                "the open files limit (%d) is below OUTBOUND_PROFILES_MAX_CONNECTIONS + 256 (%d): "
                "connections past it are refused by the system, not closed by the server",
                new,
                wanted,
            )
