"""Methods every path answers as RFC 9110 asks: `HEAD` wherever `GET` is, and `OPTIONS` with every
method of the path in `Allow`.

Litestar (2.25) builds a path's automatic `OPTIONS` handler when the path's first handler is
registered; a router registers its handlers one at a time, so the handler keeps listing only the
first method (`Allow: GET, OPTIONS` on a path that also takes POST). This middleware rewrites the
header from the application's final table of methods per path. Litestar's `GET` handlers do not take
`HEAD`: a `HEAD` is routed as the `GET` it asks about, and its answer goes out without the body.

A plain ASGI middleware rather than a Litestar `before_send` hook: a hook is awaited for every
message of every answer, where only `HEAD` and `OPTIONS` answers need it.
"""

from __future__ import annotations

from collections.abc import Iterable

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send


class HttpMethods:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope.get("method")
        if method == "HEAD" and scope["type"] == ScopeType.HTTP:
            http = scope
            http["method"] = "GET"

            async def without_body(message: Message) -> None:
                if message["type"] == "http.response.start":
                    http["method"] = "HEAD"  # the server sees the request as it came (and sends no body)
                elif message["type"] == "http.response.body":
                    message = {**message, "body": b""}
                await send(message)

            await self.app(scope, receive, without_body)
            return
        if method != "OPTIONS":
            await self.app(scope, receive, send)
            return

        async def completed(message: Message) -> None:
            complete_allow_header(message, scope)
            await send(message)

        await self.app(scope, receive, completed)


def with_head(methods: Iterable[str]) -> str:
    """An Allow header's value: the methods, with HEAD beside GET."""
    listed = set(methods)
    if "GET" in listed:
        listed.add("HEAD")
    return ", ".join(sorted(listed))


def complete_allow_header(message: Message, scope: Scope) -> None:
    if message["type"] != "http.response.start":
        return
    handler = scope.get("route_handler")
    if handler is None or message["status"] != 204:
        return
    methods: set[str] = set()
    table = scope["litestar_app"].route_handler_method_map
    for path in handler.paths:
        methods.update(table.get(path, {}))
    if methods:
        MutableScopeHeaders.from_message(message)["allow"] = with_head(methods)
