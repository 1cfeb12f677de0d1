"""`POST /termination/authorizations` and `.../{call_id}/end` answered without the framework, when
they can be.

Authorize and end are the data plane's hot path, and Litestar's request and response objects cost
more than the decision itself. A plain request is answered here: a switch token this process has
verified before (checked from memory, as the route checks it), a body that decodes whole into the
route's own schema, the same `DataPlane` method, the bytes Litestar would send (a refusal too).
Anything else (other credentials, a query string, a body that does not decode, a call id holding a
"/", a path holding a %2F) is passed on whole to Litestar, before anything ran: the service runs
once either way.
"""

from __future__ import annotations

from typing import Final

import msgspec
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from outbound_profiles.accounts.service import SWITCH, remembered
from outbound_profiles.authorizations.schemas import AuthorizationIn, EndIn
from outbound_profiles.authorizations.service import DataPlane
from outbound_profiles.config import MAX_BODY_BYTES
from outbound_profiles.errors import ApiError, Unauthorized
from outbound_profiles.http.asgi import BufferedBody, RawHeaders, answer_error, answer_json, answer_unexpected, routable
from outbound_profiles.http.credentials import presented_credentials
from outbound_profiles.policy.decide import Call

PATH: Final = "/termination/authorizations"
_END: Final = "/end"
_END_TEMPLATE: Final = PATH + "/{call_id}/end"
_decoder = msgspec.json.Decoder(AuthorizationIn)
_end_decoder = msgspec.json.Decoder(EndIn)
_encoder = msgspec.json.Encoder()


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
            or not scope["path"].startswith(PATH)
            or scope["query_string"]
            or scope.get("root_path")
            or not routable(scope)
            or not _remembered_switch(data_plane, RawHeaders(scope["headers"]))
        ):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path != PATH:
            call_id = path[len(PATH) + 1 : -len(_END)]
            if (
                path[len(PATH)] != "/"
                or not path.endswith(_END)
                or not call_id
                or "/" in call_id
                or b"%2f" in (scope.get("raw_path") or b"").lower()  # "x%2Fend" names the call "x/end", no action
            ):
                await self.app(scope, receive, send)
                return
            await self._end(data_plane, call_id, scope, receive, send)
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
        except ApiError as refused:  # a call id of another connection's call
            await answer_error(send, refused)
            return
        except Exception as error:  # as Litestar's last-resort handler does
            await answer_unexpected(send, "POST", PATH, error)
            return
        await answer_json(send, 200, [], _encoder.encode(answer))

    async def _end(self, data_plane: DataPlane, call_id: str, scope: Scope, receive: Receive, send: Send) -> None:
        body = BufferedBody(receive)
        raw = await body.read(MAX_BODY_BYTES)
        try:
            asked = None if raw is None else _end_decoder.decode(raw) if raw.strip() else EndIn()
        except msgspec.DecodeError:
            asked = None
        if asked is None:
            await self.app(scope, body.replay, send)
            return
        scope["path_template"] = _END_TEMPLATE
        try:
            record = await data_plane.end(call_id, asked.duration_seconds)
        except ApiError as refused:  # an unknown call: the route's 404
            await answer_error(send, refused)
            return
        except Exception as error:
            await answer_unexpected(send, "POST", scope["path"], error)
            return
        await answer_json(send, 200, [], _encoder.encode(record))


def _remembered_switch(data_plane: DataPlane, headers: RawHeaders) -> bool:
    try:
        token, api_user = presented_credentials(headers)
    except Unauthorized:
        return False
    return api_user is None and remembered(data_plane.database, token, SWITCH) is not None
