"""The profile as the rules see it: canonical values, independent of how a client wrote them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import msgspec

from outbound_profiles.accounts.account import Account
from outbound_profiles.domain.money import cents, from_cents


class Profile(msgspec.Struct, kw_only=True):
    id: int
    user_id: int
    name: str | None
    traffic_type: int
    service_plan: int
    cps_limit: int
    cps_limit_increase: int
    ports: int | None
    translation_rule: str | None
    active: bool
    tag_list: list[str]
    usage_payment_method: str
    whitelisted_destination_format: str
    whitelisted_destinations: list[str]  # alpha2, in the order first given
    max_destination_rate: Decimal | None
    call_recording_type: str
    call_recording_phone_numbers: list[str]
    call_recording_format: str
    call_recording_channels: str
    daily_spend_limit: Decimal | None
    daily_spend_limit_enabled: bool
    billing_group_id: str | None
    version: int
    created_at: datetime
    updated_at: datetime


# The fields a client sets, with their values on create when the body leaves them out (SPEC §3).
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
    values = row._asdict()
    rate = values["max_destination_rate"]
    values["max_destination_rate"] = None if rate is None else Decimal(rate)
    limit = values.pop("daily_spend_limit_cents")
    values["daily_spend_limit"] = None if limit is None else from_cents(limit)
    return Profile(**values)


def to_row(profile: Profile) -> dict[str, Any]:
    values = msgspec.structs.asdict(profile)
    rate = values["max_destination_rate"]
    values["max_destination_rate"] = None if rate is None else str(rate)
    limit = values.pop("daily_spend_limit")
    values["daily_spend_limit_cents"] = None if limit is None else cents(limit)
    return values
