"""Plain ASGI pieces for the routes answered without the framework (`profiles/fast_update.py`,
`authorizations/fast.py`): the request's body read once and replayable, its headers looked up by
name, a JSON answer sent as Litestar sends one."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec
from litestar import Litestar, Request
from litestar._asgi.utils import is_valid_host
from litestar.types import HTTPScope, Receive, ReceiveMessage, Scope, Send

from outbound_profiles.errors import ApiError, ErrorCode, InvalidRequest, PayloadTooLarge, Problem
from outbound_profiles.http.errors import UNEXPECTED, envelope, log_unexpected

_encoder = msgspec.json.Encoder()
_UNEXPECTED = _encoder.encode(envelope(UNEXPECTED))


def routable(scope: Scope) -> bool:
    """Whether Litestar's router would route the request at all: it first refuses (400) a Host header
    with characters no host has, and a route answered before routing must refuse it too."""
    host = next((value for name, value in scope["headers"] if name == b"host"), None)
    return host is None or is_valid_host(host)


class RawHeaders:
    """A request's headers by lowercase name, the first of repeated ones winning (as Litestar's
    `Headers.get` does). Names are lowercased here too: ASGI asks servers to, but a server or
    middleware that did not must not make a header such as If-Match go unseen."""

    __slots__ = ("_values",)

    def __init__(self, headers: Iterable[tuple[bytes, bytes]]) -> None:
        values: dict[bytes, bytes] = {}
        for name, value in headers:
            values.setdefault(name.lower(), value)
        self._values = values

    def get(self, name: str) -> str | None:
        value = self._values.get(name.lower().encode("latin-1"))
        return None if value is None else value.decode("latin-1")

    def __contains__(self, name: str) -> bool:
        return name.lower().encode("latin-1") in self._values


class PlainRequest:
    """What a route answered before routing needs of its request, read from the ASGI scope as
    Litestar's `Request` reads it, for less: headers by name, the query string parsed (by Litestar)
    only when there is one, the Content-Length, the application and `receive`."""

    __slots__ = ("app", "headers", "method", "receive", "scope")

    def __init__(self, scope: HTTPScope, receive: Receive) -> None:
        self.scope = scope
        self.receive = receive
        self.app: Litestar = scope["app"]
        self.method: str = scope["method"]
        self.headers = RawHeaders(scope["headers"])

    @property
    def query_params(self) -> Mapping[str, Any]:
        return Request(self.scope).query_params if self.scope["query_string"] else {}

    @property
    def content_length(self) -> int | None:
        """As Litestar reads it (`int()` of the header): a 400 if it is no number."""
        value = self.headers.get("content-length")
        try:
            return None if value is None else int(value)
        except ValueError:
            raise InvalidRequest([Problem(ErrorCode.BAD_REQUEST, f"Invalid content-length: {value!r}")]) from None


class BufferedBody:
    """The messages of a request body as they were received, so that a handler that gives the
    request up can pass it on whole (`replay`) to the next one."""

    __slots__ = ("_messages", "_receive", "too_large")

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self._messages: deque[ReceiveMessage] = deque()
        self.too_large = False  # `read` stopped because the body grew over its limit

    async def read(self, limit: int) -> bytes | None:
        """The whole body; None if it grew over `limit` bytes (`too_large`) or the client went away first."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await self._receive()
            self._messages.append(message)
            if message["type"] != "http.request":
                return None
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                self.too_large = True
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    async def replay(self) -> ReceiveMessage:
        """A `receive` that gives what `read` took first, then what the client sends next."""
        if self._messages:
            return self._messages.popleft()
        return await self._receive()


async def read_body(request: PlainRequest, limit: int) -> bytes | None:
    """The whole body, as Litestar's `Request.body` reads it: a 413 if its Content-Length or what
    arrives is over `limit`, None if the client went away first."""
    announced = request.content_length
    if announced is not None and announced > limit:
        raise PayloadTooLarge(limit)
    body = BufferedBody(request.receive)
    raw = await body.read(limit)
    if body.too_large:
        raise PayloadTooLarge(limit)
    return raw


async def answer_error(send: Send, refused: ApiError) -> None:
    """A refusal as Litestar's error handler sends it (`http/errors.error_response`)."""
    headers = [(b"x-should-retry", b"false")] if refused.status < 500 else []
    await answer_json(send, refused.status, headers, _encoder.encode(envelope(refused.problems)))


async def answer_unexpected(send: Send, method: str, path: str, error: Exception) -> None:
    """Litestar's last-resort answer (a 500 in the envelope), and its log record."""
    log_unexpected(method, path, error)
    await answer_json(send, 500, [], _UNEXPECTED)


async def answer_json(send: Send, status: int, headers: list[tuple[bytes, bytes]], content: bytes) -> None:
    """A JSON answer with the headers Litestar sends, in its order: the response's own, then the
    media type and length."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                *headers,
                (b"content-type", b"application/json"),
                (b"content-length", str(len(content)).encode("ascii")),
            ],
        }
    )
    await send({"type": "http.response.body", "body": content, "more_body": False})
