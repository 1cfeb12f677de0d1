"""`/security/connections` (SPEC §8): thin handlers; each runs as the caller in one transaction."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, delete, get, post
from litestar.params import FromPath
from sqlalchemy import Connection

from outbound_profiles.accounts.account import Account
from outbound_profiles.connections import service
from outbound_profiles.connections.schemas import ConnectionCreate, ConnectionOut
from outbound_profiles.http.body import decode_object
from outbound_profiles.http.credentials import as_user
from outbound_profiles.http.idempotency import idempotency
from outbound_profiles.http.pagination import Page, page_headers
from outbound_profiles.http.routes import PAGE_PARAMETERS, checked_query

_LIST_QUERY = frozenset(name for name, _, _ in PAGE_PARAMETERS)


def _no_query(request: Request[Any, Any, Any]) -> None:
    checked_query(request, frozenset())[1].raise_if_any()


@get("/", operation_id="listConnections", summary="List connections", query_parameters=PAGE_PARAMETERS)
async def list_connections(request: Request[Any, Any, Any]) -> Response[list[ConnectionOut]]:
    def work(connection: Connection, account: Account) -> Response[list[ConnectionOut]]:
        query, problems = checked_query(request, _LIST_QUERY)
        page = Page.from_query(query)
        problems.raise_if_any()
        items, total = service.list_page(connection, account, offset=page.offset, limit=page.size)
        return Response(list(items), headers=page_headers(request.url, page, total))

    return await as_user(request, work)


@post("/", operation_id="createConnection", summary="Create a connection", status_code=200, body=ConnectionCreate)
async def create_connection(request: Request[Any, Any, Any]) -> ConnectionOut:
    raw = await request.body()
    once = await idempotency(request)

    def work(connection: Connection, account: Account) -> ConnectionOut:
        _no_query(request)
        body = decode_object(raw)
        return once.apply(connection, account, ConnectionOut, lambda: service.create(connection, account, body))

    return await as_user(request, work, write=True)


@get("/{connection_id:str}", operation_id="retrieveConnection", summary="Retrieve a connection")
async def retrieve_connection(request: Request[Any, Any, Any], connection_id: FromPath[str]) -> ConnectionOut:
    def work(connection: Connection, account: Account) -> ConnectionOut:
        _no_query(request)
        return service.retrieve(connection, account, connection_id)

    return await as_user(request, work)


@delete("/{connection_id:str}", operation_id="deleteConnection", summary="Delete a connection", status_code=200)
async def delete_connection(request: Request[Any, Any, Any], connection_id: FromPath[str]) -> ConnectionOut:
    def work(connection: Connection, account: Account) -> ConnectionOut:
        _no_query(request)
        return service.delete(connection, account, connection_id)

    return await as_user(request, work, write=True)


router = Router(
    path="/security/connections",
    route_handlers=[list_connections, create_connection, retrieve_connection, delete_connection],
    tags=["Connections"],
)
