"""The query parameters of `GET /termination/cdrs`: what may be filtered on, each value checked
(a bad one is a 400 naming its parameter, as every list's)."""

from __future__ import annotations

from litestar.openapi.spec import Schema
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType

from outbound_profiles.cdrs.repository import Filters
from outbound_profiles.domain.ids import canonical_uuid, parse_id
from outbound_profiles.domain.timestamps import parse_iso8601
from outbound_profiles.http.query import Query
from outbound_profiles.http.routes import PAGE_PARAMETERS

PROFILE = "filter[outbound_profile_id]"
BILLING_GROUP = "filter[billing_group_id]"
STARTED_FROM = "filter[started_at][gte]"
STARTED_BEFORE = "filter[started_at][lt]"

_TIMESTAMP = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.DATE_TIME, examples=["2026-12-01T00:00:00Z"])
PARAMETERS: tuple[tuple[str, Schema, str], ...] = (
    *PAGE_PARAMETERS,
    (
        PROFILE,
        Schema(type=OpenAPIType.STRING, pattern="^[1-9][0-9]{0,18}$"),
        "Only the calls of this outbound profile.",
    ),
    (
        BILLING_GROUP,
        Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.UUID),
        "Only the calls under this billing group.",
    ),
    (STARTED_FROM, _TIMESTAMP, "Only calls that started at or after this instant (RFC 3339, with an offset)."),
    (STARTED_BEFORE, _TIMESTAMP, "Only calls that started before this instant (RFC 3339, with an offset)."),
)
ALLOWED = frozenset(name for name, _, _ in PARAMETERS)


def read_filters(query: Query) -> Filters:
    """The filters the query names; each bad value is reported to the query's problems."""
    return Filters(
        outbound_profile_id=query.parsed(PROFILE, parse_id, "an outbound profile id (digits)"),
        billing_group_id=query.parsed(BILLING_GROUP, canonical_uuid, "a billing group id (a UUID)"),
        started_at_gte=query.parsed(STARTED_FROM, parse_iso8601, _AN_INSTANT),
        started_at_lt=query.parsed(STARTED_BEFORE, parse_iso8601, _AN_INSTANT),
    )


_AN_INSTANT = "an RFC 3339 timestamp with an offset, e.g. 2026-12-01T00:00:00Z"
