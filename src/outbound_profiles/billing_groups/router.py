"""`/billing_groups`: thin handlers; each runs as the caller in one transaction."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, delete, get, post, route
from litestar.params import FromPath

from outbound_profiles.billing_groups import service
from outbound_profiles.billing_groups.schemas import BillingGroupOut, BillingGroupWrite
from outbound_profiles.http.body import decode_object
from outbound_profiles.http.credentials import as_user
from outbound_profiles.http.routes import PAGE_PARAMETERS, operation_ids, v1_create, v1_list


@get("/", operation_id="listBillingGroups", summary="List billing groups", query_parameters=PAGE_PARAMETERS)
async def list_billing_groups(request: Request[Any, Any, Any]) -> Response[list[BillingGroupOut]]:
    return await v1_list(
        request, lambda c, account, page: service.list_page(c, account, offset=page.offset, limit=page.size)
    )


@post("/", operation_id="createBillingGroup", summary="Create a billing group", status_code=200, body=BillingGroupWrite)
async def create_billing_group(request: Request[Any, Any, Any]) -> BillingGroupOut:
    return await v1_create(request, BillingGroupOut, service.create)


@get("/{group_id:str}", operation_id="retrieveBillingGroup", summary="Retrieve a billing group")
async def retrieve_billing_group(request: Request[Any, Any, Any], group_id: FromPath[str]) -> BillingGroupOut:
    return await as_user(request, lambda c, account: service.retrieve(c, account, group_id))


@route(
    "/{group_id:str}",
    http_method=["PATCH", "PUT"],
    operation_id=operation_ids(PATCH="updateBillingGroup", PUT="replaceBillingGroup"),
    summary="Update a billing group",
    body=BillingGroupWrite,
)
async def update_billing_group(request: Request[Any, Any, Any], group_id: FromPath[str]) -> BillingGroupOut:
    raw = await request.body()
    return await as_user(
        request, lambda c, account: service.update(c, account, group_id, decode_object(raw)), write=True
    )


@delete("/{group_id:str}", operation_id="deleteBillingGroup", summary="Delete a billing group", status_code=200)
async def delete_billing_group(request: Request[Any, Any, Any], group_id: FromPath[str]) -> BillingGroupOut:
    return await as_user(request, lambda c, account: service.delete(c, account, group_id), write=True)


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
