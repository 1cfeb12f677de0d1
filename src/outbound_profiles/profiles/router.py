"""`/termination/endpoints` (SPEC §2): thin handlers; the rules are in the service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Request, Response, Router, delete, get, post, put, route
from litestar.datastructures import ResponseHeader
from litestar.openapi.spec import Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import FromPath
from sqlalchemy import Connection

from outbound_profiles.accounts.account import Account
from outbound_profiles.domain.countries import DESTINATION_FORMATS
from outbound_profiles.http.body import decode_object
from outbound_profiles.http.credentials import as_user
from outbound_profiles.http.idempotency import idempotency
from outbound_profiles.http.pagination import Page, page_headers
from outbound_profiles.http.query import SortKey
from outbound_profiles.http.routes import PAGE_PARAMETERS, checked_query, operation_ids
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


def _shown(
    request: Request[Any, Any, Any], operation: Callable[[Connection, Account], ProfileView]
) -> Callable[[Connection, Account], ProfileOut]:
    """The operation, rendered in the format the query asks for (checked before the operation runs)."""

    def work(connection: Connection, account: Account) -> ProfileOut:
        query, problems = checked_query(request, _ONE_QUERY)
        fmt = query.choice(FORMAT, DESTINATION_FORMATS)
        problems.raise_if_any()
        view = operation(connection, account)
        return render(view.profile, view.connections, fmt)

    return work


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
    def work(connection: Connection, account: Account) -> Response[list[ProfileOut]]:
        query, problems = checked_query(request, _LIST_QUERY)
        page = Page.from_query(query)
        fmt = query.choice(FORMAT, DESTINATION_FORMATS)
        sort = query.sort("sort", SORTABLE, default=_DEFAULT_SORT)
        name = query.get("filter[name]")
        problems.raise_if_any()
        views, total = service.list_page(
            connection, account, name_contains=name, sort=sort, offset=page.offset, limit=page.size
        )
        return Response(
            [render(v.profile, v.connections, fmt) for v in views], headers=page_headers(request.url, page, total)
        )

    return await as_user(request, work)


@post(
    "/",
    operation_id="createOutboundProfile",
    summary="Create an outbound profile",
    status_code=200,
    body=ProfileCreate,
    query_parameters=(_FORMAT_PARAMETER,),
)
async def create_profile(request: Request[Any, Any, Any]) -> ProfileOut:
    raw = await request.body()
    once = await idempotency(request)
    work = _shown(request, lambda c, a: service.create(c, a, decode_object(raw)))
    return await as_user(request, lambda c, a: once.apply(c, a, ProfileOut, lambda: work(c, a)), write=True)


@get(
    "/{profile_id:str}",
    operation_id="retrieveOutboundProfile",
    summary="Retrieve an outbound profile",
    query_parameters=(_FORMAT_PARAMETER,),
)
async def retrieve_profile(request: Request[Any, Any, Any], profile_id: FromPath[str]) -> ProfileOut:
    return await as_user(request, _shown(request, lambda c, a: service.retrieve(c, a, profile_id)))


@route(
    "/{profile_id:str}",
    http_method=["PUT", "PATCH"],
    operation_id=operation_ids(PUT="updateOutboundProfile", PATCH="patchOutboundProfile"),
    summary="Update an outbound profile",
    description="Partial: fields left out keep their values; null clears a nullable field. PATCH is an alias.",
    body=ProfileUpdate,
    query_parameters=(_FORMAT_PARAMETER,),
)
async def update_profile(request: Request[Any, Any, Any], profile_id: FromPath[str]) -> ProfileOut:
    raw = await request.body()
    work = _shown(request, lambda c, a: service.update(c, a, profile_id, decode_object(raw)))
    return await as_user(request, work, write=True)


@delete(
    "/{profile_id:str}",
    operation_id="deleteOutboundProfile",
    summary="Delete an outbound profile",
    status_code=200,
    query_parameters=(_FORMAT_PARAMETER,),
)
async def delete_profile(request: Request[Any, Any, Any], profile_id: FromPath[str]) -> ProfileOut:
    return await as_user(request, _shown(request, lambda c, a: service.delete(c, a, profile_id)), write=True)


@put(
    "/{profile_id:str}/actions/attach_connections",
    operation_id="attachConnections",
    summary="Attach connections to an outbound profile",
    body=ConnectionIds,
    query_parameters=(_FORMAT_PARAMETER,),
)
async def attach_connections(request: Request[Any, Any, Any], profile_id: FromPath[str]) -> ProfileOut:
    raw = await request.body()
    work = _shown(request, lambda c, a: service.attach_connections(c, a, profile_id, decode_object(raw)))
    return await as_user(request, work, write=True)


@put(
    "/{profile_id:str}/actions/detach_connections",
    operation_id="detachConnections",
    summary="Detach connections from an outbound profile",
    body=ConnectionIds,
    query_parameters=(_FORMAT_PARAMETER,),
)
async def detach_connections(request: Request[Any, Any, Any], profile_id: FromPath[str]) -> ProfileOut:
    raw = await request.body()
    work = _shown(request, lambda c, a: service.detach_connections(c, a, profile_id, decode_object(raw)))
    return await as_user(request, work, write=True)


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
