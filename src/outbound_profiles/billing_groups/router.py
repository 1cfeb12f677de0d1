"""`/billing_groups` (SPEC §8)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, delete, get, post, route
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath

from outbound_profiles.accounts.account import Account
from outbound_profiles.billing_groups import service
from outbound_profiles.billing_groups.schemas import BillingGroupOut, BillingGroupWrite
from outbound_profiles.http.credentials import provide_account
from outbound_profiles.http.idempotency import idempotency
from outbound_profiles.http.pagination import Page, page_headers
from outbound_profiles.http.routes import PAGE_PARAMETERS, checked_query, database, json_body, operation_ids

_LIST_QUERY = frozenset(name for name, _, _ in PAGE_PARAMETERS)


@get("/", operation_id="listBillingGroups", summary="List billing groups", query_parameters=PAGE_PARAMETERS)
async def list_billing_groups(
    request: Request[Any, Any, Any], account: NamedDependency[Account]
) -> Response[list[BillingGroupOut]]:
    query, problems = checked_query(request, _LIST_QUERY)
    page = Page.from_query(query)
    problems.raise_if_any()
    items, total = await database(request).read(
        lambda c: service.list_page(c, account, offset=page.offset, limit=page.size)
    )
    return Response(list(items), headers=page_headers(request.url, page, total))


@post(
    "/",
    operation_id="createBillingGroup",
    summary="Create a billing group",
    status_code=200,
    body=BillingGroupWrite,
)
async def create_billing_group(request: Request[Any, Any, Any], account: NamedDependency[Account]) -> BillingGroupOut:
    checked_query(request, frozenset())[1].raise_if_any()
    body = await json_body(request)
    once = await idempotency(request)
    return await database(request).write(
        lambda c: once.apply(c, account, BillingGroupOut, lambda: service.create(c, account, body))
    )


@get("/{group_id:str}", operation_id="retrieveBillingGroup", summary="Retrieve a billing group")
async def retrieve_billing_group(
    request: Request[Any, Any, Any], account: NamedDependency[Account], group_id: FromPath[str]
) -> BillingGroupOut:
    checked_query(request, frozenset())[1].raise_if_any()
    return await database(request).read(lambda c: service.retrieve(c, account, group_id))


@route(
    "/{group_id:str}",
    http_method=["PATCH", "PUT"],
    operation_id=operation_ids(PATCH="updateBillingGroup", PUT="replaceBillingGroup"),
    summary="Update a billing group",
    body=BillingGroupWrite,
)
async def update_billing_group(
    request: Request[Any, Any, Any], account: NamedDependency[Account], group_id: FromPath[str]
) -> BillingGroupOut:
    checked_query(request, frozenset())[1].raise_if_any()
    body = await json_body(request)
    return await database(request).write(lambda c: service.update(c, account, group_id, body))


@delete("/{group_id:str}", operation_id="deleteBillingGroup", summary="Delete a billing group", status_code=200)
async def delete_billing_group(
    request: Request[Any, Any, Any], account: NamedDependency[Account], group_id: FromPath[str]
) -> BillingGroupOut:
    checked_query(request, frozenset())[1].raise_if_any()
    return await database(request).write(lambda c: service.delete(c, account, group_id))


router = Router(
    path="/billing_groups",
    route_handlers=[
        list_billing_groups,
        create_billing_group,
        retrieve_billing_group,
        update_billing_group,
        delete_billing_group,
    ],
    dependencies={"account": Provide(provide_account)},
    tags=["Billing groups"],
)
