"""`/termination/endpoints`: thin handlers; the rules are in the service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from litestar import Request, Response, Router, delete, get, post, put, route
from litestar.datastructures import ResponseHeader
from litestar.openapi.spec import Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import FromPath
from sqlalchemy import Connection

from outbound_profiles.accounts.account import Account
from outbound_profiles.domain.countries import DESTINATION_FORMATS, DestinationFormat
from outbound_profiles.errors import Problems
from outbound_profiles.http.body import decode_object
from outbound_profiles.http.conditional import IF_MATCH, IF_NONE_MATCH, condition, not_modified
from outbound_profiles.http.credentials import Caller, as_user
from outbound_profiles.http.idempotency import idempotency
from outbound_profiles.http.pagination import Page, page_headers
from outbound_profiles.http.query import SortKey, checked_query
from outbound_profiles.http.routes import PAGE_PARAMETERS, operation_ids
from outbound_profiles.profiles import service
from outbound_profiles.profiles.render import render
from outbound_profiles.profiles.repository import SORTABLE
from outbound_profiles.profiles.schemas import ConnectionIds, ProfileCreate, ProfileOut, ProfileUpdate
from outbound_profiles.profiles.views import ProfileView

FORMAT = "whitelisted_destination_format"
_FORMAT_PARAMETER = (
    FORMAT,
    Schema(type=OpenAPIType.STRING, enum=list(DESTINATION_FORMATS)),
    "Show whitelisted_destinations in this format (default: the profile's own).",
)
_LIST_PARAMETERS = (
    *PAGE_PARAMETERS,
    ("filter[name]", Schema(type=OpenAPIType.STRING), "Case-insensitive substring of the name."),
    (
        "sort",
        Schema(type=OpenAPIType.STRING, examples=["-created_at,name"]),
        f"Comma-separated fields from {', '.join(sorted(SORTABLE))}; '-' for descending. Ties by id.",
    ),
    _FORMAT_PARAMETER,
)
_LIST_QUERY = frozenset(name for name, _, _ in _LIST_PARAMETERS)
_ONE_QUERY = frozenset({FORMAT})
_DEFAULT_SORT = (SortKey("created_at", descending=False),)


Shown = tuple[ProfileOut, str]  # a profile as shown, and its ETag


def _format(request: Caller) -> tuple[DestinationFormat | None, Problems]:
    """The destination format the query asks for, and what was wrong with the query."""
    query, problems = checked_query(request, _ONE_QUERY)
    return query.choice(FORMAT, DESTINATION_FORMATS), problems


def _shown(view: ProfileView, fmt: DestinationFormat | None) -> Shown:
    return render(view.profile, view.connections, fmt), view.etag


def _answer(shown: Shown) -> Response[ProfileOut]:
    return Response(shown[0], headers={"ETag": shown[1]})


async def updated(request: Caller, profile_id: str, raw: bytes) -> Shown:
    """The update of one profile, for both ways in: the route below and, as the server runs it,
    `profiles/fast_update.py`, which answers every PUT and PATCH of a profile before routing."""
    fmt, problems = _format(request)

    def work(connection: Connection, account: Account) -> Shown:
        if_match = condition(request, IF_MATCH)
        return _shown(service.update(connection, account, profile_id, decode_object(raw), if_match=if_match), fmt)

    return await as_user(request, work, write=True, problems=problems)


@get(
    "/",
    operation_id="listOutboundProfiles",
    summary="List outbound profiles",
    query_parameters=_LIST_PARAMETERS,
    response_headers=[
        ResponseHeader(name="X-Total-Count", description="Profiles matching the filter.", documentation_only=True),
        ResponseHeader(name="Link", description="RFC 8288 links: first, prev, next, last.", documentation_only=True),
    ],
)
async def list_profiles(request: Request[Any, Any, Any]) -> Response[list[ProfileOut]]:
    query, problems = checked_query(request, _LIST_QUERY)
    page = Page.from_query(query)
    fmt = query.choice(FORMAT, DESTINATION_FORMATS)
    sort = query.sort("sort", SORTABLE, default=_DEFAULT_SORT)
    name = query.get("filter[name]")

    def work(connection: Connection, account: Account) -> tuple[list[ProfileView], int]:
        return service.list_page(
            connection, account, name_contains=name, sort=sort, offset=page.offset, limit=page.size
        )

    views, total = await as_user(request, work, problems=problems)
    return Response(
        [render(v.profile, v.connections, fmt) for v in views], headers=page_headers(request.url, page, total)
    )


@post(
    "/",
    operation_id="createOutboundProfile",
    summary="Create an outbound profile",
    status_code=200,
    body=ProfileCreate,
    query_parameters=(_FORMAT_PARAMETER,),
    idempotency_key=True,
    shows_etag=True,
)
async def create_profile(request: Request[Any, Any, Any]) -> Response[ProfileOut]:
    raw = await request.body()
    fmt, problems = _format(request)
    once = await idempotency(request)  # a retry gets the first answer: body and ETag, as shown then

    def work(connection: Connection, account: Account) -> Shown:
        return once.apply(
            connection, account, Shown, lambda: _shown(service.create(connection, account, decode_object(raw)), fmt)
        )

    return _answer(await as_user(request, work, write=True, problems=problems))


@get(
    "/{profile_id:str}",
    operation_id="retrieveOutboundProfile",
    summary="Retrieve an outbound profile",
    query_parameters=(_FORMAT_PARAMETER,),
    preconditions=IF_NONE_MATCH,
    shows_etag=True,
)
async def retrieve_profile(request: Request[Any, Any, Any], profile_id: FromPath[str]) -> Response[ProfileOut]:
    fmt, problems = _format(request)
    view = await as_user(request, lambda c, a: service.retrieve(c, a, profile_id), problems=problems)
    body, etag = _shown(view, fmt)
    unless = condition(request, IF_NONE_MATCH)
    if unless is not None and unless.matches_weakly(etag):
        # Annotated as the 200 it usually is, so the document gives that answer its schema.
        return cast("Response[ProfileOut]", not_modified(etag))
    return _answer((body, etag))


@route(
    "/{profile_id:str}",
    http_method=["PUT", "PATCH"],
    operation_id=operation_ids(PUT="updateOutboundProfile", PATCH="patchOutboundProfile"),
    summary="Update an outbound profile",
    description="Partial: fields left out keep their values; null clears a nullable field. PATCH is an alias.",
    body=ProfileUpdate,
    query_parameters=(_FORMAT_PARAMETER,),
    preconditions=IF_MATCH,
    shows_etag=True,
)
async def update_profile(request: Request[Any, Any, Any], profile_id: FromPath[str]) -> Response[ProfileOut]:
    return _answer(await updated(request, profile_id, await request.body()))


@delete(
    "/{profile_id:str}",
    operation_id="deleteOutboundProfile",
    summary="Delete an outbound profile",
    status_code=200,
    query_parameters=(_FORMAT_PARAMETER,),
    preconditions=IF_MATCH,
    shows_etag=True,
)
async def delete_profile(request: Request[Any, Any, Any], profile_id: FromPath[str]) -> Response[ProfileOut]:
    fmt, problems = _format(request)

    def work(connection: Connection, account: Account) -> ProfileView:
        return service.delete(connection, account, profile_id, if_match=condition(request, IF_MATCH))

    return _answer(_shown(await as_user(request, work, write=True, problems=problems), fmt))


@put(
    "/{profile_id:str}/actions/attach_connections",
    operation_id="attachConnections",
    summary="Attach connections to an outbound profile",
    body=ConnectionIds,
    query_parameters=(_FORMAT_PARAMETER,),
    idempotency_key=True,
    preconditions=IF_MATCH,
    shows_etag=True,
)
async def attach_connections(request: Request[Any, Any, Any], profile_id: FromPath[str]) -> Response[ProfileOut]:
    return await _connections(request, profile_id, service.attach_connections)


@put(
    "/{profile_id:str}/actions/detach_connections",
    operation_id="detachConnections",
    summary="Detach connections from an outbound profile",
    body=ConnectionIds,
    query_parameters=(_FORMAT_PARAMETER,),
    idempotency_key=True,
    preconditions=IF_MATCH,
    shows_etag=True,
)
async def detach_connections(request: Request[Any, Any, Any], profile_id: FromPath[str]) -> Response[ProfileOut]:
    return await _connections(request, profile_id, service.detach_connections)


async def _connections(
    request: Request[Any, Any, Any], profile_id: str, change: Callable[..., ProfileView]
) -> Response[ProfileOut]:
    """Attach or detach: honours `Idempotency-Key` (a retry gets the first answer) and `If-Match`."""
    raw = await request.body()
    fmt, problems = _format(request)
    once = await idempotency(request)

    def work(connection: Connection, account: Account) -> Shown:
        def changed() -> Shown:
            view = change(connection, account, profile_id, decode_object(raw), if_match=condition(request, IF_MATCH))
            return _shown(view, fmt)

        return once.apply(connection, account, Shown, changed)

    return _answer(await as_user(request, work, write=True, problems=problems))


router = Router(
    path="/termination/endpoints",
    route_handlers=[
        list_profiles,
        create_profile,
        retrieve_profile,
        update_profile,
        delete_profile,
        attach_connections,
        detach_connections,
    ],
    tags=["Outbound profiles"],
)
