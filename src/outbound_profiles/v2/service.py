"""Outbound voice profiles through API v2: translate, call the v1 service, translate back.

Every rule is the v1 service's. A v2 body loses the members v2 does not know (or has each reported,
with `OUTBOUND_PROFILES_V2_UNKNOWN_FIELDS=refuse`), is checked against v2's schema (names, string
enums, alpha2 destinations, `name` of at least 3 characters, whole numbers written `10.0` read as
integers), and its `calling_window` is merged with the stored one; what passes goes to the service in
v1's names, and the problems of both stages are reported together, as a 422: v2's as found, the
service's in v2's names.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import msgspec
from litestar.openapi.spec import Schema
from litestar.openapi.spec.enums import OpenAPIType
from sqlalchemy import Connection

from outbound_profiles.accounts.account import Account
from outbound_profiles.errors import InvalidRequest, Problem, Problems, Unprocessable
from outbound_profiles.http.body import convert_fields, escape_pointer
from outbound_profiles.http.conditional import Condition
from outbound_profiles.http.pagination import MAX_PAGE
from outbound_profiles.http.query import Query, SortKey
from outbound_profiles.profiles import service, views
from outbound_profiles.profiles.model import CallingWindow
from outbound_profiles.profiles.schemas import FullProfileCreate, FullProfileUpdate
from outbound_profiles.profiles.views import ProfileView
from outbound_profiles.v2 import calling_window, mapping
from outbound_profiles.v2.requests import known
from outbound_profiles.v2.schemas import (
    PROFILE_READ_ONLY,
    CallingWindowIn,
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
_FIELDS = frozenset(f.encode_name for f in msgspec.structs.fields(OutboundVoiceProfileWrite))
_MEMBERS = {name: frozenset(f.encode_name for f in msgspec.structs.fields(t)) for name, t in _NESTED.items()}
# Integer fields (JSON Schema's `integer` includes 10.0): (object member or None, field).
_INTEGERS = ((None, "concurrent_call_limit"), ("calling_window", "calls_per_cld"))
# Beyond every integer field's range. A whole number this large or larger is read as this (with its
# sign) rather than converted: int() of `1e1000000` takes a minute of CPU, of `1e999999999999999999`
# more memory than there is.
_BEYOND_ANY_INTEGER = 10**19


def create(connection: Connection, account: Account, body: dict[str, Any], strict: bool = False) -> Tagged:
    """`strict`: unknown members are refused (else ignored)."""
    found = _translate(body, None, strict)
    try:
        view = service.create(
            connection,
            account,
            {**found.body, "connection_ids": []},
            schema=FullProfileCreate,
            problems=found.for_service,
        )
    except InvalidRequest as exc:
        raise found.unprocessable(exc.problems) from None
    if found.native:  # the transaction rolls back: nothing of this request stays
        raise found.unprocessable(())
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
    strict: bool = False,
) -> Tagged:
    # An unknown id is a 404, and a stale If-Match a 412, before the body is judged.
    current = views.load(connection, account, profile_id, for_update=True).require(if_match)
    found = _translate(body, current.profile.calling_window, strict)
    try:
        view = service.update(
            connection,
            account,
            profile_id,
            found.body,
            schema=FullProfileUpdate,
            problems=found.for_service,
            current=current,
        )
    except InvalidRequest as exc:
        raise found.unprocessable(exc.problems) from None
    if found.native:
        raise found.unprocessable(())
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


@dataclass(frozen=True, slots=True)
class Listing:
    """What a list asks for: page, order and name filter (bad values go to the query's problems)."""

    number: int
    size: int
    sort: SortKey
    name: str | None

    @classmethod
    def from_query(cls, query: Query) -> Listing:
        number, size = page_of(query)
        sort = query.choice("sort", SORT_CHOICES) or "-created_at"
        key = SortKey(SORTS[sort.lstrip("-")], descending=sort.startswith("-"))
        return cls(number, size, key, query.get("filter[name][contains]"))


def list_page(connection: Connection, account: Account, listing: Listing) -> OutboundVoiceProfileList:
    number, size = listing.number, listing.size
    found, total = service.list_page(
        connection, account, name_contains=listing.name, sort=(listing.sort,), offset=(number - 1) * size, limit=size
    )
    return OutboundVoiceProfileList([mapping.profile_out(v) for v in found], meta(number, size, total))


@dataclass(slots=True)
class _Translated:
    """A v2 body checked against v2's schema and put in v1's names."""

    body: dict[str, Any]  # in v1's names and values, for the service
    for_service: Problems = field(default_factory=Problems)  # v2's problems, in v1's pointers
    native: list[Problem] = field(default_factory=list)  # v2's problems that have no v1 pointer
    # Each problem given to the service, as v2's schema reported it: its detail names what was sent.
    as_found: dict[Problem, Problem] = field(default_factory=dict)

    def unprocessable(self, reported: tuple[Problem, ...]) -> Unprocessable:
        """The 422: v2's own problems as they were found, the service's in v2's names."""
        return Unprocessable([*self.native, *(self.as_found.get(p) or mapping.v2_problem(p) for p in reported)])


def _translate(body: dict[str, Any], stored: CallingWindow | None, strict: bool) -> _Translated:
    found = Problems()
    body = _known({k: v for k, v in body.items() if k not in PROFILE_READ_ONLY}, _FIELDS, "", strict, found)
    window: dict[str, Any] | None = None
    for name, schema in _NESTED.items():
        value = body.get(name)
        if not isinstance(value, dict):
            continue  # absent, null, or not an object (the whole body's check reports it)
        value = _known(value, _MEMBERS[name], f"/{name}", strict, found)
        body[name] = value = _whole_numbers(value, name)
        # Member by member: msgspec stops at an object's first problem.
        members = Problems()
        converted = convert_fields(value, schema, members)
        for problem in members.items():
            found.add(f"/{name}{problem.pointer}", problem.detail, problem.code)
        if name == "calling_window":
            del body[name]  # the whole window, merged with the stored one, is added below
            whole = calling_window.merged(converted, stored, found)  # reports a wrong time in any case
            window = None if members else whole
        elif members:
            del body[name]
    converted = convert_fields(_whole_numbers(body, None), OutboundVoiceProfileWrite, found)
    v1_body = mapping.to_v1(converted)
    if window is not None:
        v1_body["calling_window"] = window
    translated = _Translated(v1_body)
    for problem in found.items():
        pointer = None if problem.pointer is None else mapping.v1_pointer(problem.pointer)
        if pointer is None:
            translated.native.append(problem)
        else:
            for_service = Problem(problem.code, problem.detail, pointer=pointer)
            translated.for_service.add(pointer, problem.detail, problem.code)
            translated.as_found[for_service] = problem
    return translated


def _known(members: dict[str, Any], names: frozenset[str], at: str, strict: bool, found: Problems) -> dict[str, Any]:
    """The members v2 knows; when `strict`, each other one is reported."""
    if strict:
        for name in members:
            if name not in names:
                found.add(f"{at}/{escape_pointer(name)}", f"Unknown field {name!r}.")
    return known(members, names)


def _whole_numbers(members: dict[str, Any], name: str | None) -> dict[str, Any]:
    """`members` with a whole number written as a float (10.0) in an integer field as an integer."""
    changed = None
    for parent, field_name in _INTEGERS:
        value = members.get(field_name)
        # The body decodes a number with a fraction as a Decimal (http/body.py).
        if parent == name and isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
            changed = changed or dict(members)
            whole = value.copy_abs() < _BEYOND_ANY_INTEGER
            changed[field_name] = int(value) if whole else (-1 if value.is_signed() else 1) * _BEYOND_ANY_INTEGER
    return changed or members
