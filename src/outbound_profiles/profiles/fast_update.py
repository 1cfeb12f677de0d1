"""`PUT` and `PATCH /termination/endpoints/{id}`, answered before routing.

The update of a profile is the service's hot path (the PUT benchmark sets its speed target), and
Litestar's routing, request and response objects cost more per request than the update's own work.
So this small ASGI layer, inside the observability middleware (request id, metrics and access log
are unchanged), answers every PUT and PATCH of one profile itself: as the server runs, it is the
route's one way in. It runs `profiles.router.updated`, the function the declared route runs too
(the route stays for the OpenAPI document and the path's `Allow` list), with what Litestar's
`Request` would read of the same scope (`http.asgi.PlainRequest`). It answers refusals itself, in
the contract's envelope, as Litestar's error handlers do; tests compare the bytes of both.
"""

from __future__ import annotations

from typing import Final, cast

import msgspec
from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPScope, Receive, Scope, Send
from litestar.utils.path import normalize_path

from outbound_profiles.config import MAX_BODY_BYTES
from outbound_profiles.errors import ApiError
from outbound_profiles.http.asgi import PlainRequest, answer_error, answer_json, answer_unexpected, read_body, routable
from outbound_profiles.http.errors import ClientWentAway
from outbound_profiles.profiles.router import updated

PREFIX: Final = "/termination/endpoints/"
# What Litestar's router leaves in the scope for this route (the metrics' route label).
PATH_TEMPLATE: Final = "/termination/endpoints/{profile_id}"
_METHODS: Final = frozenset({"PUT", "PATCH"})
_encoder = msgspec.json.Encoder()


class FastUpdate:
    """ASGI: profile updates here, every other request to `app` (Litestar)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        profile_id = profile_updated(scope)
        if profile_id is None or not routable(scope):  # Litestar refuses a bad Host before routing
            await self.app(scope, receive, send)
            return
        scope["path_template"] = PATH_TEMPLATE
        request = PlainRequest(cast("HTTPScope", scope), receive)
        try:
            raw = await read_body(request, MAX_BODY_BYTES)
            if raw is None:
                await answer_error(send, ClientWentAway())
                return
            body, etag = await updated(request, profile_id, raw)
        except ApiError as refused:
            await answer_error(send, refused)
            return
        except Exception as error:  # as Litestar's last-resort handler does
            await answer_unexpected(send, request.method, scope["path"], error)
            return
        await answer_json(send, 200, [(b"etag", etag.encode("ascii"))], _encoder.encode(body))


def profile_updated(scope: Scope) -> str | None:
    """The profile id of a PUT or PATCH of one profile, else None (the path as Litestar routes it:
    without the root path, if the server was given one)."""
    if scope["type"] != ScopeType.HTTP or scope["method"] not in _METHODS:
        return None
    path: str = scope["path"]
    if root_path := scope.get("root_path", ""):
        path = path.split(root_path, maxsplit=1)[-1]
    if "//" in path or path.endswith("/"):
        path = normalize_path(path)
    if not path.startswith(PREFIX):
        return None
    profile_id = path[len(PREFIX) :]
    return profile_id if profile_id and "/" not in profile_id else None
