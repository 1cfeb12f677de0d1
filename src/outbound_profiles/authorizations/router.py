"""`/termination/authorizations` (the switch) and `simulate_call` (a tenant): thin handlers."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from litestar import Request, Router, get, post
from litestar.params import FromPath

from outbound_profiles.authorizations import service
from outbound_profiles.authorizations.schemas import (
    AuthorizationIn,
    AuthorizationOut,
    CallOut,
    EndIn,
    SimulateIn,
    SimulationOut,
    UsageOut,
)
from outbound_profiles.authorizations.service import DataPlane
from outbound_profiles.errors import NotFound, Problems, ServiceUnavailable
from outbound_profiles.http.body import convert_fields, decode_object
from outbound_profiles.http.credentials import as_switch, as_user
from outbound_profiles.http.query import checked_query
from outbound_profiles.policy.decide import Call

# Documented with a 503, and without an Idempotency-Key: the call's own id makes them idempotent.
_DATA_PLANE: dict[str, Any] = {"data_plane": True, "idempotency_key": False}


def _data_plane(request: Request[Any, Any, Any]) -> DataPlane:
    data_plane: DataPlane | None = request.app.state.data_plane
    if data_plane is None:
        raise ServiceUnavailable("This server runs without the data plane (OUTBOUND_PROFILES_DATA_PLANE=off).")
    return data_plane


async def _body(request: Request[Any, Any, Any], schema: Any, *, required: bool = True) -> dict[str, Any]:
    """The request's JSON object checked against `schema` (every problem reported together)."""
    raw = await request.body()
    problems = checked_query(request, frozenset())[1]
    data = decode_object(raw) if raw.strip() or required else {}
    fields = convert_fields(data, schema, problems)
    problems.raise_if_any()
    return fields


@post(
    "/",
    operation_id="authorizeCall",
    summary="Authorize a call (the switch, before each outbound call)",
    status_code=200,
    body=AuthorizationIn,
    **_DATA_PLANE,
)
async def authorize(request: Request[Any, Any, Any]) -> AuthorizationOut:
    data_plane = _data_plane(request)
    await as_switch(data_plane.database, request.headers)
    body = await _body(request, AuthorizationIn)
    call = Call(body["call_id"], body["connection_id"], body["to"], body["from"])
    return await data_plane.authorize(call)


@post(
    "/{call_id:str}/end",
    operation_id="endCall",
    summary="Report a call's end (idempotent)",
    status_code=200,
    body=EndIn,
    **_DATA_PLANE,
)
async def end(request: Request[Any, Any, Any], call_id: FromPath[str]) -> CallOut:
    if _slash_encoded(request):
        return await _by_raw_path(request)
    return await _end(request, call_id)


async def _end(request: Request[Any, Any, Any], call_id: str) -> CallOut:
    data_plane = _data_plane(request)
    await as_switch(data_plane.database, request.headers)
    body = await _body(request, EndIn, required=False)
    return await data_plane.end(call_id, body.get("duration_seconds"))


@post(
    "/{call_id:str}/keepalive",
    operation_id="keepCallAlive",
    summary="Extend a call's lease",
    status_code=200,
    **_DATA_PLANE,
)
async def keepalive(request: Request[Any, Any, Any], call_id: FromPath[str]) -> CallOut:
    if _slash_encoded(request):
        return await _by_raw_path(request)
    return await _keepalive(request, call_id)


async def _keepalive(request: Request[Any, Any, Any], call_id: str) -> CallOut:
    data_plane = _data_plane(request)
    await as_switch(data_plane.database, request.headers)
    checked_query(request, frozenset())[1].raise_if_any()
    return await data_plane.keepalive(call_id)


@post("/{rest:path}", include_in_schema=False, status_code=200)
async def end_or_keepalive_by_raw_path(request: Request[Any, Any, Any], rest: FromPath[str]) -> CallOut:
    """A SIP Call-ID may hold a "/" (sent as %2F), which the routes above, split on the decoded path,
    cannot take: the call's id is read from the raw path instead."""
    return await _by_raw_path(request)


def _slash_encoded(request: Request[Any, Any, Any]) -> bool:
    """Whether the raw path holds a %2F: then the decoded path's segments are not the request's
    ("L2%2Fend" names the call "L2/end", with no action, not the end of "L2")."""
    return b"%2f" in (request.scope.get("raw_path") or b"").lower()


async def _by_raw_path(request: Request[Any, Any, Any]) -> CallOut:
    raw = request.scope.get("raw_path", b"").decode("ascii", "replace")
    _, _, tail = raw.partition("/termination/authorizations/")
    call_id, _, action = tail.rpartition("/")
    if action == "end":
        return await _end(request, unquote(call_id))
    if action == "keepalive":
        return await _keepalive(request, unquote(call_id))
    raise NotFound("No such route.")


router = Router(
    path="/termination/authorizations",
    route_handlers=[authorize, end, keepalive, end_or_keepalive_by_raw_path],
    tags=["Data plane"],
)


@post(
    "/termination/endpoints/{profile_id:str}/actions/simulate_call",
    operation_id="simulateCall",
    summary="The decision the profile would give a call now, with the figures it used (reserves nothing)",
    status_code=200,
    body=SimulateIn,
    **_DATA_PLANE,
)
async def simulate_call(request: Request[Any, Any, Any], profile_id: FromPath[str]) -> SimulationOut:
    data_plane = _data_plane(request)
    raw = await request.body()

    def target(connection: Any, account: Any) -> Any:
        problems = checked_query(request, frozenset())[1]
        fields = convert_fields(decode_object(raw), SimulateIn, problems)
        problems.raise_if_any()
        return data_plane.simulation_target(connection, account, profile_id), fields

    # The query's problems and the body's are reported together, by `target`.
    found, fields = await as_user(request, target, problems=Problems())
    return await data_plane.simulated(found, fields["to"], fields.get("from", ""))


@get(
    "/termination/endpoints/{profile_id:str}/usage",
    operation_id="retrieveOutboundProfileUsage",
    summary="The profile's usage today (UTC): spend, active calls, calls allowed",
)
async def usage(request: Request[Any, Any, Any], profile_id: FromPath[str]) -> UsageOut:
    return await as_user(request, lambda c, account: service.usage(c, account, profile_id))
