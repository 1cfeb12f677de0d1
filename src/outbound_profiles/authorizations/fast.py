"""`POST /termination/authorizations` answered without the framework, when it can be.

Authorize is the data plane's hot path, and Litestar's request and response objects cost more than
the decision itself. A plain authorization is answered here: a switch token this process has
verified before (checked from memory, as the route checks it), a body that decodes whole into the
route's own schema, the same `DataPlane.authorize`, the bytes Litestar would send. Anything else
(other credentials, a query string, a body that does not decode) is passed on whole to Litestar,
before anything ran: the service runs once either way.
"""

from __future__ import annotations

from typing import Final

import msgspec
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from outbound_profiles.accounts.service import SWITCH, remembered
from outbound_profiles.authorizations.schemas import AuthorizationIn
from outbound_profiles.authorizations.service import DataPlane
from outbound_profiles.config import MAX_BODY_BYTES
from outbound_profiles.errors import Unauthorized
from outbound_profiles.http.asgi import BufferedBody, RawHeaders, answer_json
from outbound_profiles.http.credentials import presented_credentials
from outbound_profiles.http.errors import UNEXPECTED, envelope, log_unexpected
from outbound_profiles.policy.decide import Call

PATH: Final = "/termination/authorizations"
_decoder = msgspec.json.Decoder(AuthorizationIn)
_encoder = msgspec.json.Encoder()
_UNEXPECTED_BODY = _encoder.encode(envelope(UNEXPECTED))


class FastAuthorize:
    """ASGI: plain authorizations here, every other request to `app`."""

    def __init__(self, app: ASGIApp, data_plane: DataPlane | None) -> None:
        self.app = app
        self.data_plane = data_plane

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        data_plane = self.data_plane
        if (
            data_plane is None
            or scope["type"] != ScopeType.HTTP
            or scope["method"] != "POST"
            or scope["path"] != PATH
            or scope["query_string"]
            or scope.get("root_path")
            or not _remembered_switch(data_plane, RawHeaders(scope["headers"]))
        ):
            await self.app(scope, receive, send)
            return
        body = BufferedBody(receive)
        raw = await body.read(MAX_BODY_BYTES)
        try:
            asked = None if raw is None else _decoder.decode(raw)
        except msgspec.DecodeError:  # not JSON, or not the schema: Litestar names every problem
            asked = None
        if asked is None:
            await self.app(scope, body.replay, send)
            return
        scope["path_template"] = PATH
        try:
            answer = await data_plane.authorize(Call(asked.call_id, asked.connection_id, asked.to, asked.from_))
        except Exception as error:  # as Litestar's last-resort handler does
            log_unexpected("POST", PATH, error)
            await answer_json(send, 500, [], _UNEXPECTED_BODY)
            return
        await answer_json(send, 200, [], _encoder.encode(answer))


def _remembered_switch(data_plane: DataPlane, headers: RawHeaders) -> bool:
    try:
        token, api_user = presented_credentials(headers)
    except Unauthorized:
        return False
    return api_user is None and remembered(data_plane.database, token, SWITCH) is not None
