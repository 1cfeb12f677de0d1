"""`OPTIONS` answers with every method of the path in `Allow` (RFC 9110).

Litestar (2.25) builds a path's automatic `OPTIONS` handler when the path's first handler is
registered; a router registers its handlers one at a time, so the handler keeps listing only the
first method (`Allow: GET, OPTIONS` on a path that also takes POST). This hook rewrites the header
from the application's final table of methods per path.
"""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope


async def complete_allow_header(message: Message, scope: Scope) -> None:
    if message["type"] != "http.response.start" or scope.get("method") != "OPTIONS":
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
