"""Outbound voice profiles through API v2: translate, call the v1 service, translate back.

Every rule is the v1 service's. A v2 body is first checked against v2's schema (names, string
enums, alpha2 destinations, `name` of at least 3 characters); what passes goes to the service in
v1's names, and the problems of both stages are reported together, as a 422, in v2's names.
"""

from __future__ import annotations

import math
from typing import Any

import msgspec
from litestar.openapi.spec import Schema
from litestar.openapi.spec.enums import OpenAPIType
from sqlalchemy import Connection

from outbound_profiles.accounts.account import Account
from outbound_profiles.errors import InvalidRequest, Problem, Problems, Unprocessable
from outbound_profiles.http.body import convert_fields
from outbound_profiles.http.conditional import Condition
from outbound_profiles.http.pagination import MAX_PAGE
from outbound_profiles.http.query import Query, SortKey
from outbound_profiles.profiles import service, views
from outbound_profiles.profiles.schemas import CallingWindowIn, FullProfileCreate, FullProfileUpdate
from outbound_profiles.profiles.views import ProfileView
from outbound_profiles.v2 import mapping
from outbound_profiles.v2.schemas import (
    PROFILE_READ_ONLY,
    CallRecording,
    OutboundVoiceProfileData,
    OutboundVoiceProfileList,
    OutboundVoiceProfileWrite,
    PageMeta,
)

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 250
# v2 sort field -> v1 sort field.
SORTS = {
    "enabled": "active",
    "created_at": "created_at",
    "name": "name",
    "service_plan": "service_plan",
    "traffic_type": "traffic_type",
    "usage_payment_method": "usage_payment_method",
}
SORT_CHOICES = tuple(s for field in SORTS for s in (field, f"-{field}"))
PAGE_PARAMETERS: tuple[tuple[str, Schema, str], ...] = (
    ("page[number]", Schema(type=OpenAPIType.INTEGER, minimum=1, maximum=MAX_PAGE, default=1), "Page number, from 1."),
    (
        "page[size]",
        Schema(type=OpenAPIType.INTEGER, minimum=1, maximum=MAX_PAGE_SIZE, default=DEFAULT_PAGE_SIZE),
        "Items per page.",
    ),
)
LIST_PARAMETERS: tuple[tuple[str, Schema, str], ...] = (
    *PAGE_PARAMETERS,
    ("filter[name][contains]", Schema(type=OpenAPIType.STRING), "Case-insensitive substring of the name."),
    (
        "sort",
        Schema(type=OpenAPIType.STRING, enum=list(SORT_CHOICES), default="-created_at"),
        "One field; '-' for descending. Ties by id.",
    ),
)


Tagged = tuple[OutboundVoiceProfileData, str]  # the answer and the profile's ETag
_NESTED: dict[str, type[msgspec.Struct]] = {"call_recording": CallRecording, "calling_window": CallingWindowIn}


def create(connection: Connection, account: Account, body: dict[str, Any]) -> Tagged:
    native, problems, v1_body = _translate(body)
    try:
        view = service.create(
            connection, account, {**v1_body, "connection_ids": []}, schema=FullProfileCreate, problems=problems
        )
    except InvalidRequest as exc:
        raise _unprocessable(native, exc.problems) from None
    if native:  # the transaction rolls back: nothing of this request stays
        raise _unprocessable(native, ())
    return _tagged(view)


def retrieve(connection: Connection, account: Account, profile_id: str) -> Tagged:
    return _tagged(views.load(connection, account, profile_id))


def update(
    connection: Connection,
    account: Account,
    profile_id: str,
    body: dict[str, Any],
    *,
    if_match: Condition | None = None,
) -> Tagged:
    # An unknown id is a 404, and a stale If-Match a 412, before the body is judged.
    views.load(connection, account, profile_id, for_update=True).require(if_match)
    native, problems, v1_body = _translate(body)
    try:
        view = service.update(connection, account, profile_id, v1_body, schema=FullProfileUpdate, problems=problems)
    except InvalidRequest as exc:
        raise _unprocessable(native, exc.problems) from None
    if native:
        raise _unprocessable(native, ())
    return _tagged(view)


def delete(connection: Connection, account: Account, profile_id: str, *, if_match: Condition | None = None) -> Tagged:
    return _tagged(service.delete(connection, account, profile_id, if_match=if_match))


def _tagged(view: ProfileView) -> Tagged:
    return OutboundVoiceProfileData(mapping.profile_out(view)), view.etag


def page_of(query: Query) -> tuple[int, int]:
    number = query.integer("page[number]", default=1, minimum=1, maximum=MAX_PAGE)
    size = query.integer("page[size]", default=DEFAULT_PAGE_SIZE, minimum=1, maximum=MAX_PAGE_SIZE)
    return number, size


def meta(number: int, size: int, total: int) -> PageMeta:
    return PageMeta(
        page_number=number, page_size=size, total_pages=max(1, math.ceil(total / size)), total_results=total
    )


def list_page(connection: Connection, account: Account, query: Query, problems: Problems) -> OutboundVoiceProfileList:
    number, size = page_of(query)
    sort = query.choice("sort", SORT_CHOICES) or "-created_at"
    name = query.get("filter[name][contains]")
    problems.raise_if_any()
    key = SortKey(SORTS[sort.lstrip("-")], descending=sort.startswith("-"))
    found, total = service.list_page(
        connection, account, name_contains=name, sort=(key,), offset=(number - 1) * size, limit=size
    )
    return OutboundVoiceProfileList([mapping.profile_out(v) for v in found], meta(number, size, total))


def _translate(body: dict[str, Any]) -> tuple[list[Problem], Problems, dict[str, Any]]:
    """(problems only v2 has, problems in v1's pointers for the service, the v1 body)."""
    found = Problems()
    body = dict(body)
    for name, schema in _NESTED.items():
        value = body.get(name)
        if isinstance(value, dict):  # check member by member: msgspec stops at an object's first problem
            members = Problems()
            convert_fields(value, schema, members)
            for problem in members.items():
                found.add(f"/{name}{problem.pointer}", problem.detail, problem.code)
            if members:
                del body[name]
    converted = convert_fields(body, OutboundVoiceProfileWrite, found, ignored=PROFILE_READ_ONLY)
    native: list[Problem] = []
    for_service = Problems()
    for problem in found.items():
        pointer = None if problem.pointer is None else mapping.v1_pointer(problem.pointer)
        if pointer is None:
            native.append(problem)
        else:
            for_service.add(pointer, problem.detail, problem.code)
    return native, for_service, mapping.to_v1(converted)


def _unprocessable(native: list[Problem], reported: tuple[Problem, ...]) -> Unprocessable:
    return Unprocessable([*native, *(mapping.v2_problem(p) for p in reported)])
