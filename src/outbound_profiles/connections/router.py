"""`/security/connections`: thin handlers; each runs as the caller in one transaction."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, delete, get, post
from litestar.params import FromPath

from outbound_profiles.connections import service
from outbound_profiles.connections.schemas import ConnectionCreate, ConnectionOut
from outbound_profiles.http.credentials import as_user
from outbound_profiles.http.routes import PAGE_PARAMETERS, v1_create, v1_list


@get("/", operation_id="listConnections", summary="List connections", query_parameters=PAGE_PARAMETERS)
async def list_connections(request: Request[Any, Any, Any]) -> Response[list[ConnectionOut]]:
    return await v1_list(
        request, lambda c, account, page: service.list_page(c, account, offset=page.offset, limit=page.size)
    )


@post("/", operation_id="createConnection", summary="Create a connection", status_code=200, body=ConnectionCreate)
async def create_connection(request: Request[Any, Any, Any]) -> ConnectionOut:
    return await v1_create(request, ConnectionOut, service.create)


@get("/{connection_id:str}", operation_id="retrieveConnection", summary="Retrieve a connection")
async def retrieve_connection(request: Request[Any, Any, Any], connection_id: FromPath[str]) -> ConnectionOut:
    return await as_user(request, lambda c, account: service.retrieve(c, account, connection_id))


@delete("/{connection_id:str}", operation_id="deleteConnection", summary="Delete a connection", status_code=200)
async def delete_connection(request: Request[Any, Any, Any], connection_id: FromPath[str]) -> ConnectionOut:
    return await as_user(request, lambda c, account: service.delete(c, account, connection_id), write=True)


router = Router(
    path="/security/connections",
    route_handlers=[list_connections, create_connection, retrieve_connection, delete_connection],
    tags=["Connections"],
)
