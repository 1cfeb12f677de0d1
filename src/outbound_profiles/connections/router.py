"""`/security/connections` (SPEC §8)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath

from outbound_profiles.accounts.account import Account
from outbound_profiles.connections import service
from outbound_profiles.connections.schemas import ConnectionCreate, ConnectionOut
from outbound_profiles.http.credentials import provide_account
from outbound_profiles.http.idempotency import idempotency
from outbound_profiles.http.pagination import Page, page_headers
from outbound_profiles.http.routes import PAGE_PARAMETERS, checked_query, database, json_body

_LIST_QUERY = frozenset(name for name, _, _ in PAGE_PARAMETERS)


@get("/", operation_id="listConnections", summary="List connections", query_parameters=PAGE_PARAMETERS)
async def list_connections(
    request: Request[Any, Any, Any], account: NamedDependency[Account]
) -> Response[list[ConnectionOut]]:
    query, problems = checked_query(request, _LIST_QUERY)
    page = Page.from_query(query)
    problems.raise_if_any()
    items, total = await database(request).read(
        lambda c: service.list_page(c, account, offset=page.offset, limit=page.size)
    )
    return Response(list(items), headers=page_headers(request.url, page, total))


@post(
    "/",
    operation_id="createConnection",
    summary="Create a connection",
    status_code=200,
    body=ConnectionCreate,
)
async def create_connection(request: Request[Any, Any, Any], account: NamedDependency[Account]) -> ConnectionOut:
    checked_query(request, frozenset())[1].raise_if_any()
    body = await json_body(request)
    once = await idempotency(request)
    return await database(request).write(
        lambda c: once.apply(c, account, ConnectionOut, lambda: service.create(c, account, body))
    )


@get("/{connection_id:str}", operation_id="retrieveConnection", summary="Retrieve a connection")
async def retrieve_connection(
    request: Request[Any, Any, Any], account: NamedDependency[Account], connection_id: FromPath[str]
) -> ConnectionOut:
    checked_query(request, frozenset())[1].raise_if_any()
    return await database(request).read(lambda c: service.retrieve(c, account, connection_id))


@delete("/{connection_id:str}", operation_id="deleteConnection", summary="Delete a connection", status_code=200)
async def delete_connection(
    request: Request[Any, Any, Any], account: NamedDependency[Account], connection_id: FromPath[str]
) -> ConnectionOut:
    checked_query(request, frozenset())[1].raise_if_any()
    return await database(request).write(lambda c: service.delete(c, account, connection_id))


router = Router(
    path="/security/connections",
    route_handlers=[list_connections, create_connection, retrieve_connection, delete_connection],
    dependencies={"account": Provide(provide_account)},
    tags=["Connections"],
)
