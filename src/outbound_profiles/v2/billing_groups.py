"""`/v2/billing_groups`: the v1 billing group service in v2's envelopes."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, delete, get, patch, post
from litestar.params import FromPath
from sqlalchemy import Connection

from outbound_profiles.accounts.account import Account
from outbound_profiles.billing_groups import service
from outbound_profiles.billing_groups.schemas import BillingGroupWrite
from outbound_profiles.http.body import decode_object
from outbound_profiles.http.credentials import as_user
from outbound_profiles.http.routes import checked_query, create_as_user
from outbound_profiles.v2.errors import v2_status
from outbound_profiles.v2.mapping import billing_group_out
from outbound_profiles.v2.schemas import BILLING_GROUP_READ_ONLY, BillingGroupData, BillingGroupList
from outbound_profiles.v2.service import PAGE_PARAMETERS, meta, page_of

_LIST_QUERY = frozenset(name for name, _, _ in PAGE_PARAMETERS)


def _writable(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in BILLING_GROUP_READ_ONLY}


@get("/", operation_id="listBillingGroupsV2", summary="List billing groups (v2)", query_parameters=PAGE_PARAMETERS)
async def list_billing_groups(request: Request[Any, Any, Any]) -> BillingGroupList:
    def work(connection: Connection, account: Account) -> BillingGroupList:
        query, problems = checked_query(request, _LIST_QUERY)
        number, size = page_of(query)
        problems.raise_if_any()
        items, total = service.list_page(connection, account, offset=(number - 1) * size, limit=size)
        return BillingGroupList([billing_group_out(g, account.id) for g in items], meta(number, size, total))

    return await v2_status(as_user(request, work))


@post(
    "/",
    operation_id="createBillingGroupV2",
    summary="Create a billing group (v2)",
    status_code=200,
    body=BillingGroupWrite,
)
async def create_billing_group(request: Request[Any, Any, Any]) -> BillingGroupData:
    def create(connection: Connection, account: Account, body: dict[str, Any]) -> BillingGroupData:
        return BillingGroupData(billing_group_out(service.create(connection, account, _writable(body)), account.id))

    return await v2_status(create_as_user(request, BillingGroupData, create))


@get("/{group_id:str}", operation_id="retrieveBillingGroupV2", summary="Retrieve a billing group (v2)")
async def retrieve_billing_group(request: Request[Any, Any, Any], group_id: FromPath[str]) -> BillingGroupData:
    def work(connection: Connection, account: Account) -> BillingGroupData:
        checked_query(request, frozenset())[1].raise_if_any()
        return BillingGroupData(billing_group_out(service.retrieve(connection, account, group_id), account.id))

    return await v2_status(as_user(request, work))


@patch(
    "/{group_id:str}",
    operation_id="updateBillingGroupV2",
    summary="Update a billing group (v2)",
    body=BillingGroupWrite,
)
async def update_billing_group(request: Request[Any, Any, Any], group_id: FromPath[str]) -> BillingGroupData:
    raw = await request.body()

    def work(connection: Connection, account: Account) -> BillingGroupData:
        checked_query(request, frozenset())[1].raise_if_any()
        group = service.update(connection, account, group_id, _writable(decode_object(raw)))
        return BillingGroupData(billing_group_out(group, account.id))

    return await v2_status(as_user(request, work, write=True))


@delete("/{group_id:str}", operation_id="deleteBillingGroupV2", summary="Delete a billing group (v2)", status_code=200)
async def delete_billing_group(request: Request[Any, Any, Any], group_id: FromPath[str]) -> BillingGroupData:
    def work(connection: Connection, account: Account) -> BillingGroupData:
        checked_query(request, frozenset())[1].raise_if_any()
        return BillingGroupData(billing_group_out(service.delete(connection, account, group_id), account.id))

    return await v2_status(as_user(request, work, write=True))


router = Router(
    path="/v2/billing_groups",
    route_handlers=[
        list_billing_groups,
        create_billing_group,
        retrieve_billing_group,
        update_billing_group,
        delete_billing_group,
    ],
    tags=["Billing groups (v2)"],
)
