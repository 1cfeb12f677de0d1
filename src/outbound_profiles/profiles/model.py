"""The profile as the rules see it: canonical values, independent of how a client wrote them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import msgspec

from outbound_profiles.accounts.account import Account
from outbound_profiles.domain.money import cents, from_cents
from outbound_profiles.profiles.schemas import (
    CallRecordingChannels,
    CallRecordingFormat,
    CallRecordingType,
    DestinationFormat,
    ServicePlan,
    TrafficType,
    UsagePaymentMethod,
)


class CallingWindow(msgspec.Struct, frozen=True, kw_only=True):
    """When calls may start (UTC, "HH:MM:SS"; start > end wraps midnight, start == end is all day),
    and how many calls one called number may get in it (None: no limit). Set through API v2 only."""

    start_time: str
    end_time: str
    calls_per_cld: int | None


class Profile(msgspec.Struct, kw_only=True):
    id: int
    user_id: int
    name: str | None
    traffic_type: TrafficType
    service_plan: ServicePlan
    cps_limit: int
    cps_limit_increase: int
    ports: int | None
    translation_rule: str | None
    active: bool
    tag_list: list[str]
    usage_payment_method: UsagePaymentMethod
    whitelisted_destination_format: DestinationFormat
    whitelisted_destinations: list[str]  # alpha2, in the order first given
    max_destination_rate: Decimal | None
    call_recording_type: CallRecordingType
    call_recording_phone_numbers: list[str]
    call_recording_format: CallRecordingFormat
    call_recording_channels: CallRecordingChannels
    daily_spend_limit: Decimal | None
    daily_spend_limit_enabled: bool
    billing_group_id: str | None
    calling_window: CallingWindow | None = None
    rate_deck_id: int | None = None  # the profile's own rate deck in effect; set by its upload only
    version: int
    created_at: datetime
    updated_at: datetime


# The fields a client sets, with their values on create when the body leaves them out.
SETTABLE_DEFAULTS: dict[str, Any] = {
    "name": None,
    "traffic_type": 1,
    "service_plan": 4,
    "cps_limit_increase": 0,
    "ports": None,
    "translation_rule": None,
    "active": True,
    "tag_list": [],
    "usage_payment_method": "rate-deck",
    "whitelisted_destination_format": "alpha3",
    "whitelisted_destinations": ["US", "CA"],
    "max_destination_rate": None,
    "call_recording_type": "none",
    "call_recording_phone_numbers": [],
    "call_recording_format": "wav",
    "call_recording_channels": "single",
    "daily_spend_limit": None,
    "daily_spend_limit_enabled": False,
    "billing_group_id": None,
    "calling_window": None,
}


def new_profile(profile_id: int, account: Account, changes: dict[str, Any], now: datetime) -> Profile:
    values = {**SETTABLE_DEFAULTS, **changes}
    values["tag_list"] = list(values["tag_list"])
    values["whitelisted_destinations"] = list(values["whitelisted_destinations"])
    values["call_recording_phone_numbers"] = list(values["call_recording_phone_numbers"])
    return Profile(
        id=profile_id,
        user_id=account.id,
        cps_limit=account.default_cps,
        version=1,
        created_at=now,
        updated_at=now,
        **values,
    )


def from_row(row: Any) -> Profile:
    return from_mapping(row._asdict())


def from_mapping(values: dict[str, Any]) -> Profile:
    """A profile from its columns' values (consumed)."""
    values["max_destination_rate"] = rate_of(values["max_destination_rate"])
    values["daily_spend_limit"] = spend_limit_of(values.pop("daily_spend_limit_cents"))
    start, end = values.pop("calling_window_start_time"), values.pop("calling_window_end_time")
    per_cld = values.pop("calling_window_calls_per_cld")
    values["calling_window"] = (
        None if start is None else CallingWindow(start_time=start, end_time=end, calls_per_cld=per_cld)
    )
    return Profile(**values)


def rate_of(column: str | None) -> Decimal | None:
    """`max_destination_rate` from its column (text, exact)."""
    return None if column is None else Decimal(column)


def spend_limit_of(column: int | None) -> Decimal | None:
    """`daily_spend_limit` from its column (`daily_spend_limit_cents`)."""
    return None if column is None else from_cents(column)


def to_row(profile: Profile) -> dict[str, Any]:
    values = msgspec.structs.asdict(profile)
    rate = values["max_destination_rate"]
    values["max_destination_rate"] = None if rate is None else str(rate)
    limit = values.pop("daily_spend_limit")
    values["daily_spend_limit_cents"] = None if limit is None else cents(limit)
    window: CallingWindow | None = profile.calling_window
    del values["calling_window"]
    values["calling_window_start_time"] = None if window is None else window.start_time
    values["calling_window_end_time"] = None if window is None else window.end_time
    values["calling_window_calls_per_cld"] = None if window is None else window.calls_per_cld
    return values


# The columns a field is stored in, where they are not the one of its own name (see `to_row`).
_COLUMNS: dict[str, tuple[str, ...]] = {
    "daily_spend_limit": ("daily_spend_limit_cents",),
    "calling_window": ("calling_window_start_time", "calling_window_end_time", "calling_window_calls_per_cld"),
}


def changed_columns(before: Profile, values: dict[str, Any]) -> list[str]:
    """The columns of the fields in `values` (field name -> new value) that differ from `before`."""
    columns: list[str] = []
    for name, value in values.items():
        if getattr(before, name) != value:
            stored_in = _COLUMNS.get(name)
            if stored_in is None:
                columns.append(name)
            else:
                columns.extend(stored_in)
    return columns
