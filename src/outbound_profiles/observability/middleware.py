"""One plain ASGI middleware around the whole application: request id, metrics and access log.

It wraps Litestar's own ASGI handler (the router inside its exception handling), so it sees every
HTTP answer the application gives, errors included: 404s of unknown routes, 405s, 413s, 500s.
Per request it does: one scan of the request headers, a perf_counter pair, a counter increment, a
histogram observation, the in-flight count up and down, and an access log record only if that
logger is enabled (`outbound_profiles.access` at INFO); `bench/observability_overhead.py` measures
what that costs. The route label is the template Litestar's router leaves in the scope
(`scope["path_template"]`), never the raw path.

The request id is the client's `X-Request-Id` when it is 1 to 128 visible ASCII characters, else a
new uuid4 in hex; it is echoed in the `X-Request-Id` response header of every answer and set in the
logging context (`logs.REQUEST_ID`) while the request is served, so every log record it causes
names it. An exception that escapes the application (Litestar answers all that reach its handlers,
so this is a last resort) is logged with its traceback, and answered with the contract's 500
envelope if no response had started.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable
from random import getrandbits
from time import perf_counter
from typing import Any, Final

import msgspec
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from outbound_profiles.http.errors import CLIENT_CLOSED, UNEXPECTED, envelope
from outbound_profiles.observability.logs import ACCESS_LOGGER, REQUEST_ID
from outbound_profiles.observability.metrics import UNMATCHED, Metrics

HEADER: Final = b"x-request-id"
_VALID_ID = re.compile(rb"[\x21-\x7e]{1,128}")
# RFC 9562: version 4 in bits 48-51, variant 0b10 in bits 64-65 (counted from the most significant).
_UUID4_CLEAR = ~((0xF << 76) | (0x3 << 62))
_UUID4_SET = (0x4 << 76) | (0x2 << 62)
_UNEXPECTED_BODY = msgspec.json.encode(envelope(UNEXPECTED))
_errors = logging.getLogger("outbound_profiles.errors")


def new_request_id() -> str:
    """A random (version 4) UUID in hex, as `uuid.uuid4().hex` gives, without a system call per id.
    A request id must be unique, not unguessable: Python's generator is seeded from the OS at start
    and again in every forked child."""
    return "%032x" % (getrandbits(128) & _UUID4_CLEAR | _UUID4_SET)


def request_id_of(headers: Any) -> bytes | None:
    """The client's X-Request-Id, if it is a valid one (the first such header decides)."""
    for name, value in headers:
        if name == HEADER:
            return value if _VALID_ID.fullmatch(value) is not None else None
    return None


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics
        self._access = logging.getLogger(ACCESS_LOGGER)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        raw_id = request_id_of(scope["headers"])
        request_id = raw_id.decode("ascii") if raw_id is not None else new_request_id()
        id_header = (HEADER, raw_id or request_id.encode("ascii"))
        method: str = scope["method"]
        path = scope["path"]
        status = 0

        # A plain function handing over `send`'s awaitable: not a coroutine of its own per message.
        def send_with_id(message: Message) -> Awaitable[None]:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message["headers"], id_header]
            return send(message)

        token = REQUEST_ID.set(request_id)
        metrics = self.metrics
        metrics.begin()
        start = perf_counter()
        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            _errors.exception("unhandled error on %s %s", method, path)
            if status:
                raise  # the response has begun: all that is left is to drop the connection
            status = 500
            await send(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [(b"content-type", b"application/json"), id_header],
                }
            )
            await send({"type": "http.response.body", "body": _UNEXPECTED_BODY, "more_body": False})
        finally:
            seconds = perf_counter() - start
            route: str = scope.get("path_template", UNMATCHED)
            status = status or CLIENT_CLOSED
            metrics.observe(route, method, status, seconds)
            if self._access.isEnabledFor(logging.INFO):
                self._access.info(
                    "%s %s %d",
                    method,
                    path,
                    status,
                    extra={
                        "method": method,
                        "route": route,
                        "path": path,
                        "status": status,
                        "duration_ms": round(seconds * 1000, 3),
                    },
                )
            REQUEST_ID.reset(token)
