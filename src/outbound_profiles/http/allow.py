"""`OPTIONS` answers with every method of the path in `Allow` (RFC 9110).

Litestar (2.25) builds a path's automatic `OPTIONS` handler when the path's first handler is
registered; a router registers its handlers one at a time, so the handler keeps listing only the
first method (`Allow: GET, OPTIONS` on a path that also takes POST). This middleware rewrites the
header from the application's final table of methods per path.

A plain ASGI middleware rather than a Litestar `before_send` hook: a hook is awaited for every
message of every answer, where only an `OPTIONS` answer needs it.
"""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send


class CompleteAllowHeader:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("method") != "OPTIONS":
            await self.app(scope, receive, send)
            return

        async def completed(message: Message) -> None:
            complete_allow_header(message, scope)
            await send(message)

        await self.app(scope, receive, completed)


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
        MutableScopeHeaders.from_message(message)["allow"] = ", ".join(sorted(methods))
