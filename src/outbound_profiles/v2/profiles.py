"""`/v2/outbound_voice_profiles`: thin handlers; the v2 translation is in `service.py`."""

from __future__ import annotations

from typing import Any, cast

from litestar import Request, Response, Router, delete, get, patch, post
from litestar.params import FromPath
from sqlalchemy import Connection

from outbound_profiles.accounts.account import Account
from outbound_profiles.http.body import decode_object
from outbound_profiles.http.conditional import IF_MATCH, IF_NONE_MATCH, Condition, condition, not_modified
from outbound_profiles.http.credentials import as_user
from outbound_profiles.http.idempotency import idempotency
from outbound_profiles.v2 import service
from outbound_profiles.v2.errors import v2_status
from outbound_profiles.v2.requests import no_query, strict, v2_query
from outbound_profiles.v2.schemas import OutboundVoiceProfileData, OutboundVoiceProfileList, OutboundVoiceProfileWrite

_LIST_QUERY = frozenset(name for name, _, _ in service.LIST_PARAMETERS)


def _tagged(shown: service.Tagged) -> Response[OutboundVoiceProfileData]:
    return Response(shown[0], headers={"ETag": shown[1]})


@get(
    "/",
    operation_id="listOutboundVoiceProfiles",
    summary="List outbound voice profiles (v2)",
    query_parameters=service.LIST_PARAMETERS,
)
async def list_profiles(request: Request[Any, Any, Any]) -> OutboundVoiceProfileList:
    query, problems = v2_query(request, _LIST_QUERY)
    listing = service.Listing.from_query(query)
    return await v2_status(as_user(request, lambda c, a: service.list_page(c, a, listing), problems=problems))


@post(
    "/",
    operation_id="createOutboundVoiceProfile",
    summary="Create an outbound voice profile (v2)",
    status_code=200,
    body=OutboundVoiceProfileWrite,
    shows_etag=True,
)
async def create_profile(request: Request[Any, Any, Any]) -> Response[OutboundVoiceProfileData]:
    raw = await request.body()
    refuse = strict(request)
    once = await idempotency(request)

    def work(connection: Connection, account: Account) -> service.Tagged:
        return once.apply(
            connection, account, service.Tagged, lambda: service.create(connection, account, decode_object(raw), refuse)
        )

    return _tagged(await v2_status(as_user(request, work, write=True, problems=no_query(request))))


@get(
    "/{profile_id:str}",
    operation_id="retrieveOutboundVoiceProfile",
    summary="Retrieve an outbound voice profile (v2)",
    preconditions=IF_NONE_MATCH,
    shows_etag=True,
)
async def retrieve_profile(
    request: Request[Any, Any, Any], profile_id: FromPath[str]
) -> Response[OutboundVoiceProfileData]:
    def work(connection: Connection, account: Account) -> tuple[service.Tagged, Condition | None]:
        return service.retrieve(connection, account, profile_id), condition(request, IF_NONE_MATCH)

    (body, etag), unless = await v2_status(as_user(request, work, problems=no_query(request)))
    if unless is not None and unless.matches_weakly(etag):
        # Annotated as the 200 it usually is, so the document gives that answer its schema.
        return cast("Response[OutboundVoiceProfileData]", not_modified(etag))
    return _tagged((body, etag))


@patch(
    "/{profile_id:str}",
    operation_id="updateOutboundVoiceProfile",
    summary="Update an outbound voice profile (v2)",
    description="Partial: fields left out keep their values; `name` is required.",
    body=OutboundVoiceProfileWrite,
    preconditions=IF_MATCH,
    shows_etag=True,
)
async def update_profile(
    request: Request[Any, Any, Any], profile_id: FromPath[str]
) -> Response[OutboundVoiceProfileData]:
    raw = await request.body()
    refuse = strict(request)

    def work(connection: Connection, account: Account) -> service.Tagged:
        body = decode_object(raw)
        return service.update(
            connection, account, profile_id, body, if_match=condition(request, IF_MATCH), strict=refuse
        )

    return _tagged(await v2_status(as_user(request, work, write=True, problems=no_query(request))))


@delete(
    "/{profile_id:str}",
    operation_id="deleteOutboundVoiceProfile",
    summary="Delete an outbound voice profile (v2)",
    status_code=200,
    preconditions=IF_MATCH,
    shows_etag=True,
)
async def delete_profile(
    request: Request[Any, Any, Any], profile_id: FromPath[str]
) -> Response[OutboundVoiceProfileData]:

    def work(connection: Connection, account: Account) -> service.Tagged:
        return service.delete(connection, account, profile_id, if_match=condition(request, IF_MATCH))

    return _tagged(await v2_status(as_user(request, work, write=True, problems=no_query(request))))


router = Router(
    path="/v2/outbound_voice_profiles",
    route_handlers=[list_profiles, create_profile, retrieve_profile, update_profile, delete_profile],
    tags=["Outbound voice profiles (v2)"],
)
