"""The decision for one call: the checks in their order, each refusal with its reason and SIP answer."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Final, Literal, Protocol

import msgspec

from outbound_profiles.policy.destinations import Destination, covered, destination
from outbound_profiles.policy.window import Window, seconds_of_day
from outbound_profiles.profiles.model import Profile
from outbound_profiles.rating.billing import affordable_seconds

Reason = Literal[
    "unknown_connection",
    "no_outbound_profile",
    "connection_inactive",
    "profile_inactive",
    "invalid_destination",
    "destination_outside_service_plan",
    "destination_not_whitelisted",
    "rate_unavailable",
    "rate_above_max",
    "outside_calling_window",
    "daily_spend_limit_reached",
    "calls_per_cld_exceeded",
    "cps_limit_exceeded",
    "profile_ports_exhausted",
    "account_ports_exhausted",
    "counters_unavailable",
]


@dataclass(frozen=True, slots=True)
class Refusal:
    """How a reason is answered: the SIP code for the switch, Telnyx's cause code where it has one."""

    sip_code: int
    telnyx_cause: str | None
    detail: str


# In the order they are checked (the counters check the last four, atomically, in this order too).
REASONS: Final[dict[Reason, Refusal]] = {
    "unknown_connection": Refusal(403, None, "No connection has this id."),
    "no_outbound_profile": Refusal(403, "D38", "The connection has no outbound profile."),
    "connection_inactive": Refusal(403, None, "The connection is not active."),
    "profile_inactive": Refusal(403, None, "The outbound profile is not active."),
    "invalid_destination": Refusal(403, None, "The number called is not a valid E.164 number."),
    "destination_outside_service_plan": Refusal(403, "D12", "The profile's service plan does not cover the country."),
    "destination_not_whitelisted": Refusal(403, None, "The country is not in the profile's whitelisted destinations."),
    "rate_unavailable": Refusal(403, None, "No rate deck row matches the number, and the profile has a maximum rate."),
    "rate_above_max": Refusal(403, "D24", "The destination's rate is above the profile's maximum destination rate."),
    "outside_calling_window": Refusal(403, None, "Now (UTC) is outside the profile's calling window."),
    "daily_spend_limit_reached": Refusal(403, None, "The profile's daily spend limit is reached."),
    "calls_per_cld_exceeded": Refusal(403, None, "This number was called as often as the calling window allows."),
    "cps_limit_exceeded": Refusal(503, None, "The profile's calls per second are used up."),
    "profile_ports_exhausted": Refusal(503, "D2", "Every port of the outbound profile is in use."),
    "account_ports_exhausted": Refusal(503, "D1", "Every concurrent call of the account is in use."),
    "counters_unavailable": Refusal(503, None, "The call counters cannot be reached; try again."),
}


class RateRow(Protocol):
    """A rate deck row, as the policy reads it."""

    @property
    def prefix(self) -> str: ...
    @property
    def country(self) -> str | None: ...
    @property
    def rate(self) -> Decimal: ...
    @property
    def connect_fee(self) -> Decimal: ...
    @property
    def initial_increment(self) -> int: ...
    @property
    def subsequent_increment(self) -> int: ...


class Rates(Protocol):
    """A rate deck: its longest prefix that matches the digits of a number."""

    def match(self, digits: str) -> RateRow | None: ...


# The data plane caches a snapshot and a target per connection (100,000 of them): as structs the
# garbage collector does not track (gc=False), holding dicts of strings (which it does not track
# either) where sets would be, so that its collections do not walk them all (decision 5). So a
# snapshot (and what holds one) is not hashable, and nothing may change its dicts.
class ProfileSnapshot(msgspec.Struct, frozen=True, gc=False):
    """What a decision needs of an outbound profile, in the shapes it checks them in."""

    id: int
    active: bool
    service_plan: int
    whitelist: dict[str, None]  # a set
    max_rate: Decimal | None
    cps: int
    ports: int | None
    tariff: bool  # usage_payment_method "tariff": always the default deck
    rate_deck_id: int | None  # the profile's own deck in effect (used unless `tariff`)
    recording_type: str
    recording_numbers: dict[str, None]  # a set
    recording_format: str
    recording_channels: str
    billing_group_id: str | None
    window: Window | None
    daily_spend_limit: Decimal | None  # only when enabled

    @classmethod
    def of(cls, profile: Profile) -> ProfileSnapshot:
        window = profile.calling_window
        return cls.of_fields(
            profile.id,
            profile.active,
            profile.service_plan,
            profile.whitelisted_destinations,
            profile.max_destination_rate,
            profile.cps_limit,
            profile.cps_limit_increase,
            profile.ports,
            profile.usage_payment_method,
            profile.rate_deck_id,
            profile.call_recording_type,
            profile.call_recording_phone_numbers,
            profile.call_recording_format,
            profile.call_recording_channels,
            profile.billing_group_id,
            None if window is None else window.start_time,
            None if window is None else window.end_time,
            None if window is None else window.calls_per_cld,
            profile.daily_spend_limit,
            profile.daily_spend_limit_enabled,
        )

    @classmethod
    def of_fields(
        cls,
        id: int,
        active: bool,
        service_plan: int,
        whitelisted_destinations: Iterable[str],
        max_destination_rate: Decimal | None,
        cps_limit: int,
        cps_limit_increase: int,
        ports: int | None,
        usage_payment_method: str,
        rate_deck_id: int | None,
        call_recording_type: str,
        call_recording_phone_numbers: Iterable[str],
        call_recording_format: str,
        call_recording_channels: str,
        billing_group_id: str | None,
        window_start: str | None,
        window_end: str | None,
        calls_per_cld: int | None,
        daily_spend_limit: Decimal | None,
        daily_spend_limit_enabled: bool,
        /,
    ) -> ProfileSnapshot:
        """From a profile's fields, positionally (a miss of the data plane's cache builds it from the
        profile's columns in this order, without the whole `Profile`: `authorizations/repository.py`).
        A set given as a dict is kept as it is (the data plane's caches share equal ones)."""
        return cls(
            id,
            active,
            service_plan,
            _as_set(whitelisted_destinations),
            max_destination_rate,
            cps_limit + cps_limit_increase,
            ports,
            usage_payment_method == "tariff",
            rate_deck_id,
            call_recording_type,
            _as_set(call_recording_phone_numbers),
            call_recording_format,
            call_recording_channels,
            billing_group_id,
            None
            if window_start is None or window_end is None
            else Window(seconds_of_day(window_start), seconds_of_day(window_end), calls_per_cld),
            daily_spend_limit if daily_spend_limit_enabled else None,
        )


def _as_set(items: Iterable[str]) -> dict[str, None]:
    return items if isinstance(items, dict) else dict.fromkeys(items)


class Target(msgspec.Struct, frozen=True, gc=False):
    """A connection as the data plane sees it: whose it is, and the profile it places calls under."""

    connection_id: int
    active: bool
    account_id: int
    account_ports: int | None  # the account's concurrent call limit
    profile: ProfileSnapshot | None


@dataclass(frozen=True, slots=True)
class Call:
    call_id: str
    connection_id: str  # as the switch sent it
    to: str
    from_: str


@dataclass(frozen=True, slots=True)
class Denied:
    reason: Reason
    target: Target | None
    destination: Destination | None = None
    row: RateRow | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    """Every check before the counters passed: what the call would be, and the limits to admit it under."""

    target: Target
    profile: ProfileSnapshot
    destination: Destination
    row: RateRow | None
    record: bool
    cld_limit: int | None  # calls to this number per window occurrence, when the window sets one
    window_end_s: float | None  # when the window occurrence that contains now ends


def decide(call: Call, target: Target | None, deck: Rates | None, now_s: float) -> Denied | Plan:
    """Every check up to the counters', in order; `now_s` is epoch seconds (UTC)."""
    if target is None:
        return Denied("unknown_connection", None)
    profile = target.profile
    if profile is None:
        return Denied("no_outbound_profile", target)
    if not target.active:
        return Denied("connection_inactive", target)
    if not profile.active:
        return Denied("profile_inactive", target)
    to = destination(call.to)
    if to is None:
        return Denied("invalid_destination", target)
    row = None if deck is None else deck.match(to.digits)
    if not covered(profile.service_plan, to):
        return Denied("destination_outside_service_plan", target, to, row)
    # A non-geographic number has no country to whitelist: a deck row that prices it lets it through.
    if (to.country not in profile.whitelist) if to.country is not None else row is None:
        return Denied("destination_not_whitelisted", target, to, row)
    if profile.max_rate is not None:
        if row is None:
            return Denied("rate_unavailable", target, to, row)
        if row.rate > profile.max_rate:
            return Denied("rate_above_max", target, to, row)
    window_end = None
    if profile.window is not None:
        window_end = profile.window.occurrence_end(now_s)
        if window_end is None:
            return Denied("outside_calling_window", target, to, row)
    return Plan(
        target=target,
        profile=profile,
        destination=to,
        row=row,
        record=_record(profile, call.from_),
        cld_limit=None if profile.window is None else profile.window.calls_per_cld,
        window_end_s=window_end,
    )


def spend_refusal(plan: Plan, spent: Decimal) -> tuple[Reason | None, int | None]:
    """The daily spend check, given the profile's spend today (settled and accrued): a refusal, or
    the call's maximum duration, what the rest of the budget buys at its rate (None: no limit, or
    no rate to price the call with). A budget too small for the first billing increment refuses."""
    limit = plan.profile.daily_spend_limit
    if limit is None:
        return None, None
    if spent >= limit:
        return "daily_spend_limit_reached", None
    row = plan.row
    if row is None:
        return None, None
    seconds = affordable_seconds(
        limit - spent,
        rate=row.rate,
        connect_fee=row.connect_fee,
        initial_increment=row.initial_increment,
        subsequent_increment=row.subsequent_increment,
    )
    if seconds == 0:
        return "daily_spend_limit_reached", None
    return None, seconds


def _record(profile: ProfileSnapshot, caller: str) -> bool:
    if profile.recording_type == "all":
        return True
    if profile.recording_type == "by_call_phone_number":
        return caller in profile.recording_numbers
    return False


class Counts(Protocol):
    """The counters' state for one call: what the admission limits are compared with."""

    @property
    def profile_calls(self) -> int: ...
    @property
    def account_calls(self) -> int: ...
    @property
    def cps_used(self) -> int: ...
    @property
    def cld_used(self) -> int | None: ...


def admission_refusal(plan: Plan, counts: Counts) -> Reason | None:
    """The counters' checks, in order, on a snapshot of their state: what admitting the call now
    would answer (the counters apply the same limits atomically when they reserve)."""
    if plan.cld_limit is not None and (counts.cld_used or 0) >= plan.cld_limit:
        return "calls_per_cld_exceeded"
    if counts.cps_used >= plan.profile.cps:
        return "cps_limit_exceeded"
    if plan.profile.ports is not None and counts.profile_calls >= plan.profile.ports:
        return "profile_ports_exhausted"
    if plan.target.account_ports is not None and counts.account_calls >= plan.target.account_ports:
        return "account_ports_exhausted"
    return None
