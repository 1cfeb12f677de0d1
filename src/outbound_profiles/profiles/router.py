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
from outbound_profiles.domain.countries import DESTINATION_FORMATS
from outbound_profiles.http.body import decode_object
from outbound_profiles.http.conditional import IF_MATCH, IF_NONE_MATCH, Condition, condition, not_modified
from outbound_profiles.http.credentials import as_user
from outbound_profiles.http.pagination import Page, page_headers
from outbound_profiles.http.query import SortKey
from outbound_profiles.http.routes import PAGE_PARAMETERS, checked_query, once_as_user, operation_ids
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


def _shown(
    request: Request[Any, Any, Any], operation: Callable[[Connection, Account], ProfileView]
) -> Callable[[Connection, Account], Shown]:
    """The operation, rendered in the format the query asks for (checked before the operation runs)."""

    def work(connection: Connection, account: Account) -> Shown:
        query, problems = checked_query(request, _ONE_QUERY)
        fmt = query.choice(FORMAT, DESTINATION_FORMATS)
        problems.raise_if_any()
        view = operation(connection, account)
        return render(view.profile, view.connections, fmt), view.etag

    return work


def _guarded(
    request: Request[Any, Any, Any], change: Callable[[Connection, Account, Condition | None], ProfileView]
) -> Callable[[Connection, Account], Shown]:
    """A change of one profile, refused with 412 when the request's If-Match names another version."""
    return _shown(request, lambda c, a: change(c, a, condition(request, IF_MATCH)))


def _tagged(shown: Shown) -> Response[ProfileOut]:
    return Response(shown[0], headers={"ETag": shown[1]})


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


async def _once(request: Request[Any, Any, Any], work: Callable[[Connection, Account], Shown]) -> Response[ProfileOut]:
    """A write as the caller that honours `Idempotency-Key`: a retry gets the first answer (body
    and ETag, which name the state it showed then) and does nothing."""
    return _tagged(await once_as_user(request, Shown, work))


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
    return await _once(request, _shown(request, lambda c, a: service.create(c, a, decode_object(raw))))


@get(
    "/{profile_id:str}",
    operation_id="retrieveOutboundProfile",
    summary="Retrieve an outbound profile",
    query_parameters=(_FORMAT_PARAMETER,),
    preconditions=IF_NONE_MATCH,
    shows_etag=True,
)
async def retrieve_profile(request: Request[Any, Any, Any], profile_id: FromPath[str]) -> Response[ProfileOut]:
    shown = _shown(request, lambda c, a: service.retrieve(c, a, profile_id))
    body, etag = await as_user(request, shown)
    unless = condition(request, IF_NONE_MATCH)
    if unless is not None and unless.matches_weakly(etag):
        # Annotated as the 200 it usually is, so the document gives that answer its schema.
        return cast("Response[ProfileOut]", not_modified(etag))
    return _tagged((body, etag))


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
    raw = await request.body()
    work = _guarded(
        request, lambda c, a, if_match: service.update(c, a, profile_id, decode_object(raw), if_match=if_match)
    )
    return _tagged(await as_user(request, work, write=True))


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
    work = _guarded(request, lambda c, a, if_match: service.delete(c, a, profile_id, if_match=if_match))
    return _tagged(await as_user(request, work, write=True))


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
    raw = await request.body()
    attach = service.attach_connections
    return await _once(
        request, _guarded(request, lambda c, a, m: attach(c, a, profile_id, decode_object(raw), if_match=m))
    )


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
    raw = await request.body()
    detach = service.detach_connections
    return await _once(
        request, _guarded(request, lambda c, a, m: detach(c, a, profile_id, decode_object(raw), if_match=m))
    )


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
