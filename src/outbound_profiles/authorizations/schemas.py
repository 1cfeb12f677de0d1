"""What the switch sends and what it is answered."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from outbound_profiles.rating.billing import LONGEST_CALL_SECONDS

# A SIP Call-ID is printable text; no NUL (PostgreSQL cannot store one).
MAX_CALL_ID = 255
# No control character anywhere (C0, DEL and C1: U+0085 ends a line for many log readers).
# `(?!\n)`: Python's `$` also matches before a final newline, which would let "id\n" through (an id
# that `end` then refuses as one no call can have).
_PRINTABLE = r"^[^\x00-\x1f\x7f-\x9f]*(?!\n)$"
CallId = Annotated[str, Meta(min_length=1, max_length=MAX_CALL_ID, pattern=_PRINTABLE)]
Number = Annotated[str, Meta(min_length=1, max_length=32, pattern=_PRINTABLE)]
Caller = Annotated[str, Meta(max_length=64, pattern=_PRINTABLE)]
# A week at most: a longer call is ended by its lease (`lease_expired`) anyway.
Duration = Annotated[int, Meta(ge=0, le=LONGEST_CALL_SECONDS)]


class AuthorizationIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    call_id: CallId
    connection_id: Annotated[str, Meta(min_length=1, max_length=20)]
    to: Number
    from_: Caller = msgspec.field(name="from")


class EndIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    # Left out: the time since the authorization.
    duration_seconds: Duration | None = None


class SimulateIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    to: Number
    from_: Caller = msgspec.field(name="from", default="")


class Recording(msgspec.Struct):
    format: str
    channels: str


# gc=False: the data plane remembers up to 100,000 denials (see ProfileSnapshot).
class AuthorizationOut(msgspec.Struct, omit_defaults=False, gc=False):
    call_id: str
    decision: str  # "allow" or "deny"
    reason: str | None
    sip_code: int
    telnyx_cause: str | None
    detail: str
    outbound_profile_id: str | None
    billing_group_id: str | None
    destination_country: str | None
    rate: str | None  # USD per minute
    max_duration_seconds: int | None
    record: bool
    recording: Recording | None
    lease_expires_at: str | None


class CallOut(msgspec.Struct):
    """A call as its end (or a keepalive) reports it."""

    call_id: str
    outbound_profile_id: str
    connection_id: str
    billing_group_id: str | None
    to: str
    from_: str = msgspec.field(name="from")
    destination_country: str | None = None
    rate: str | None = None
    started_at: str = ""
    lease_expires_at: str | None = None
    ended_at: str | None = None
    duration_seconds: int | None = None
    billed_seconds: int | None = None
    connect_fee: str | None = None  # USD
    cost: str | None = None  # USD, six decimals; null for a call without a rate
    end_reason: str | None = None


class Figures(msgspec.Struct):
    """What a simulated decision used."""

    destination_country: str | None
    deck_row: dict[str, str] | None  # the row that matched: prefix, country, rate, connect fee, increments
    rate: str | None
    max_destination_rate: str | None
    ports: int | None
    ports_in_use: int
    account_concurrent_call_limit: int | None
    account_calls_in_use: int
    cps_limit: int
    cps_used: int
    calls_per_cld: int | None
    cld_calls_in_window: int | None
    calling_window_ends_at: str | None
    daily_spend_limit: str | None  # USD, when the limit is enabled
    spend_today: str | None  # USD: ended calls' costs and running calls' so far (UTC day)
    budget_left: str | None
    max_duration_seconds: int | None  # what the budget left buys at the call's rate


class UsageOut(msgspec.Struct):
    """A profile's usage today (UTC)."""

    date: str
    spend: str  # USD
    active_calls: int
    calls_today: int


class SimulationOut(msgspec.Struct):
    decision: str
    reason: str | None
    sip_code: int
    telnyx_cause: str | None
    detail: str
    record: bool
    figures: Figures
