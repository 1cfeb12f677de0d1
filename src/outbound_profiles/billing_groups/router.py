"""`/billing_groups` (SPEC §8): thin handlers; each runs as the caller in one transaction."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, delete, get, post, route
from litestar.params import FromPath
from sqlalchemy import Connection

from outbound_profiles.accounts.account import Account
from outbound_profiles.billing_groups import service
from outbound_profiles.billing_groups.schemas import BillingGroupOut, BillingGroupWrite
from outbound_profiles.http.body import decode_object
from outbound_profiles.http.credentials import as_user
from outbound_profiles.http.idempotency import idempotency
from outbound_profiles.http.pagination import Page, page_headers
from outbound_profiles.http.routes import PAGE_PARAMETERS, checked_query, operation_ids

_LIST_QUERY = frozenset(name for name, _, _ in PAGE_PARAMETERS)


def _no_query(request: Request[Any, Any, Any]) -> None:
    checked_query(request, frozenset())[1].raise_if_any()


@get("/", operation_id="listBillingGroups", summary="List billing groups", query_parameters=PAGE_PARAMETERS)
async def list_billing_groups(request: Request[Any, Any, Any]) -> Response[list[BillingGroupOut]]:
    def work(connection: Connection, account: Account) -> Response[list[BillingGroupOut]]:
        query, problems = checked_query(request, _LIST_QUERY)
        page = Page.from_query(query)
        problems.raise_if_any()
        items, total = service.list_page(connection, account, offset=page.offset, limit=page.size)
        return Response(list(items), headers=page_headers(request.url, page, total))

    return await as_user(request, work)


@post("/", operation_id="createBillingGroup", summary="Create a billing group", status_code=200, body=BillingGroupWrite)
async def create_billing_group(request: Request[Any, Any, Any]) -> BillingGroupOut:
    raw = await request.body()
    once = await idempotency(request)

    def work(connection: Connection, account: Account) -> BillingGroupOut:
        _no_query(request)
        body = decode_object(raw)
        return once.apply(connection, account, BillingGroupOut, lambda: service.create(connection, account, body))

    return await as_user(request, work, write=True)


@get("/{group_id:str}", operation_id="retrieveBillingGroup", summary="Retrieve a billing group")
async def retrieve_billing_group(request: Request[Any, Any, Any], group_id: FromPath[str]) -> BillingGroupOut:
    def work(connection: Connection, account: Account) -> BillingGroupOut:
        _no_query(request)
        return service.retrieve(connection, account, group_id)

    return await as_user(request, work)


@route(
    "/{group_id:str}",
    http_method=["PATCH", "PUT"],
    operation_id=operation_ids(PATCH="updateBillingGroup", PUT="replaceBillingGroup"),
    summary="Update a billing group",
    body=BillingGroupWrite,
)
async def update_billing_group(request: Request[Any, Any, Any], group_id: FromPath[str]) -> BillingGroupOut:
    raw = await request.body()

    def work(connection: Connection, account: Account) -> BillingGroupOut:
        _no_query(request)
        return service.update(connection, account, group_id, decode_object(raw))

    return await as_user(request, work, write=True)


@delete("/{group_id:str}", operation_id="deleteBillingGroup", summary="Delete a billing group", status_code=200)
async def delete_billing_group(request: Request[Any, Any, Any], group_id: FromPath[str]) -> BillingGroupOut:
    def work(connection: Connection, account: Account) -> BillingGroupOut:
        _no_query(request)
        return service.delete(connection, account, group_id)

    return await as_user(request, work, write=True)


router = Router(
    path="/billing_groups",
    route_handlers=[
        list_billing_groups,
        create_billing_group,
        retrieve_billing_group,
        update_billing_group,
        delete_billing_group,
    ],
    tags=["Billing groups"],
)
