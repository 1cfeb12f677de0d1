"""`PUT` and `PATCH /termination/endpoints/{id}` answered without the framework, when they can be.

The update of a profile is the service's hot path (the PUT benchmark sets its speed target). Litestar's
routing, request and response objects cost more per request than the update's own work, so a
plain update is answered here, beside it: the same credentials check, the same
`service.update` in the same one transaction, the same rendering and ETag, and the bytes
Litestar would send (a test compares the two answer for answer).

Only the plain case is answered here. A request with a query string or `If-Match`, an unusual
path, or a body over the limit is passed on whole to Litestar, and so is one the service refuses
(any `ApiError`: bad credentials, a bad body, a broken rule, an unknown profile), which Litestar
answers as for any other route. Everything a refused request wrote is rolled back with it (its
savepoint or its transaction), so running the update again there gives the contract's error with
no second effect. Any other failure is not run again (a failed COMMIT's outcome may be unknown): it is
answered here with the 500 Litestar would give.
"""

from __future__ import annotations

from typing import Final

import msgspec
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlalchemy import Connection

from outbound_profiles.accounts.account import Account
from outbound_profiles.config import MAX_BODY_BYTES
from outbound_profiles.db.database import Database
from outbound_profiles.errors import ApiError
from outbound_profiles.http.asgi import BufferedBody, RawHeaders, answer_json
from outbound_profiles.http.body import decode_object
from outbound_profiles.http.credentials import run_authenticated
from outbound_profiles.http.errors import UNEXPECTED, envelope, log_unexpected
from outbound_profiles.profiles import service
from outbound_profiles.profiles.render import render
from outbound_profiles.profiles.schemas import ProfileOut

PREFIX: Final = "/termination/endpoints/"
# What Litestar's router leaves in the scope for this route (the metrics' route label).
PATH_TEMPLATE: Final = "/termination/endpoints/{profile_id}"
_METHODS: Final = frozenset({"PUT", "PATCH"})
_encoder = msgspec.json.Encoder()
_UNEXPECTED_BODY = _encoder.encode(envelope(UNEXPECTED))


class FastUpdate:
    """ASGI: plain profile updates here, every other request to `app` (Litestar)."""

    def __init__(self, app: ASGIApp, database: Database) -> None:
        self.app = app
        self.database = database

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        profile_id = _plain_update(scope)
        if profile_id is None or scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        headers = RawHeaders(scope["headers"])
        body = BufferedBody(receive)
        shown = None
        if _plain_headers(headers) and await body.read(MAX_BODY_BYTES) is not None:
            raw = body.body

            def work(connection: Connection, account: Account) -> tuple[ProfileOut, str]:
                view = service.update(connection, account, profile_id, decode_object(raw))
                return render(view.profile, view.connections), view.etag

            try:
                shown = await run_authenticated(self.database, headers, work, write=True)
            except ApiError:
                shown = None  # refused, and rolled back: Litestar answers it (see the module doc)
            except Exception as error:  # as Litestar's last-resort handler does
                scope["path_template"] = PATH_TEMPLATE
                log_unexpected(method, scope["path"], error)
                await answer_json(send, 500, [], _UNEXPECTED_BODY)
                return
        if shown is None:
            await self.app(scope, body.replay, send)
            return
        scope["path_template"] = PATH_TEMPLATE
        await answer_json(send, 200, [(b"etag", shown[1].encode("ascii"))], _encoder.encode(shown[0]))


def _plain_headers(headers: RawHeaders) -> bool:
    """No If-Match, and no Content-Length that Litestar would refuse without reading the body."""
    if "if-match" in headers:
        return False
    length = headers.get("content-length")
    return length is None or (length.isascii() and length.isdigit() and int(length) <= MAX_BODY_BYTES)


def _plain_update(scope: Scope) -> str | None:
    """The profile id of a PUT/PATCH of one profile with no query string, else None."""
    if scope["type"] != ScopeType.HTTP or scope["method"] not in _METHODS or scope["query_string"]:
        return None
    path: str = scope["path"]
    if not path.startswith(PREFIX) or scope.get("root_path"):
        return None
    profile_id = path[len(PREFIX) :]
    return profile_id if profile_id and "/" not in profile_id else None
