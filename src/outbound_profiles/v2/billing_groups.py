"""`/v2/billing_groups`: the v1 billing group service in v2's envelopes.

As Telnyx documents it, deleting a group that profiles still use is a 409 (code 10021) here, where
v1 answers 400; a group's `organization_id` is its user's UUID.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, delete, get, patch, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath
from sqlalchemy import Connection

from outbound_profiles.accounts.account import Account
from outbound_profiles.accounts.repository import organization_id
from outbound_profiles.billing_groups import service
from outbound_profiles.errors import ResourceInUse
from outbound_profiles.http.body import decode_object
from outbound_profiles.http.credentials import as_user
from outbound_profiles.http.idempotency import idempotency
from outbound_profiles.http.schemas import ErrorEnvelope
from outbound_profiles.v2.errors import Conflict, v2_status
from outbound_profiles.v2.mapping import billing_group_out
from outbound_profiles.v2.requests import known, no_query, strict, v2_query
from outbound_profiles.v2.schemas import (
    BILLING_GROUP_READ_ONLY,
    BillingGroupData,
    BillingGroupList,
    BillingGroupWriteV2,
)
from outbound_profiles.v2.service import PAGE_PARAMETERS, meta, page_of

_LIST_QUERY = frozenset(name for name, _, _ in PAGE_PARAMETERS)
_FIELDS = frozenset({"name"})


def _writable(body: dict[str, Any], refuse_unknown: bool) -> dict[str, Any]:
    body = {k: v for k, v in body.items() if k not in BILLING_GROUP_READ_ONLY}
    return body if refuse_unknown else known(body, _FIELDS)


def _data(connection: Connection, account: Account, group: Any) -> BillingGroupData:
    return BillingGroupData(billing_group_out(group, organization_id(connection, account.id)))


@get("/", operation_id="listBillingGroupsV2", summary="List billing groups (v2)", query_parameters=PAGE_PARAMETERS)
async def list_billing_groups(request: Request[Any, Any, Any]) -> BillingGroupList:
    query, problems = v2_query(request, _LIST_QUERY)
    number, size = page_of(query)

    def work(connection: Connection, account: Account) -> BillingGroupList:
        items, total = service.list_page(connection, account, offset=(number - 1) * size, limit=size)
        organization = organization_id(connection, account.id)
        return BillingGroupList([billing_group_out(g, organization) for g in items], meta(number, size, total))

    return await v2_status(as_user(request, work, problems=problems))


@post(
    "/",
    operation_id="createBillingGroupV2",
    summary="Create a billing group (v2)",
    status_code=200,
    body=BillingGroupWriteV2,
)
async def create_billing_group(request: Request[Any, Any, Any]) -> BillingGroupData:
    raw = await request.body()
    refuse = strict(request)
    once = await idempotency(request)

    def work(connection: Connection, account: Account) -> BillingGroupData:
        def create() -> BillingGroupData:
            return _data(
                connection, account, service.create(connection, account, _writable(decode_object(raw), refuse))
            )

        return once.apply(connection, account, BillingGroupData, create)

    return await v2_status(as_user(request, work, write=True, problems=no_query(request)))


@get("/{group_id:str}", operation_id="retrieveBillingGroupV2", summary="Retrieve a billing group (v2)")
async def retrieve_billing_group(request: Request[Any, Any, Any], group_id: FromPath[str]) -> BillingGroupData:
    def work(connection: Connection, account: Account) -> BillingGroupData:
        return _data(connection, account, service.retrieve(connection, account, group_id))

    return await v2_status(as_user(request, work, problems=no_query(request)))


@patch(
    "/{group_id:str}",
    operation_id="updateBillingGroupV2",
    summary="Update a billing group (v2)",
    body=BillingGroupWriteV2,
)
async def update_billing_group(request: Request[Any, Any, Any], group_id: FromPath[str]) -> BillingGroupData:
    raw = await request.body()
    refuse = strict(request)

    def work(connection: Connection, account: Account) -> BillingGroupData:
        group = service.update(connection, account, group_id, _writable(decode_object(raw), refuse))
        return _data(connection, account, group)

    return await v2_status(as_user(request, work, write=True, problems=no_query(request)))


@delete(
    "/{group_id:str}",
    operation_id="deleteBillingGroupV2",
    summary="Delete a billing group (v2)",
    status_code=200,
    responses={
        409: ResponseSpec(
            ErrorEnvelope,
            description="Outbound voice profiles still use the billing group (code 10021): assign them another "
            "one first.",
        )
    },
)
async def delete_billing_group(request: Request[Any, Any, Any], group_id: FromPath[str]) -> BillingGroupData:
    def work(connection: Connection, account: Account) -> BillingGroupData:
        try:
            group = service.delete(connection, account, group_id)
        except ResourceInUse as exc:
            raise Conflict(exc.problems) from None
        return _data(connection, account, group)

    return await v2_status(as_user(request, work, write=True, problems=no_query(request)))


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
