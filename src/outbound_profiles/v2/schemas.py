"""Request and response shapes of API v2."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from outbound_profiles.profiles.schemas import (
    MAX_DESTINATIONS,
    CallRecordingChannels,
    CallRecordingFormat,
    Count,
    PhoneNumbers,
    Rate,
    Tags,
    Text255,
    UsagePaymentMethod,
    UsdAmount,
)

TrafficTypeV2 = Literal["conversational", "short_duration"]
ServicePlanV2 = Literal["us", "international", "global"]
CallRecordingTypeV2 = Literal["all", "none", "by_caller_phone_number"]
Name = Annotated[str, Meta(min_length=3, max_length=255, pattern=r"^[^\x00]*$")]
Alpha2 = Annotated[str, Meta(pattern=r"^[A-Za-z]{2}$", description="ISO 3166-1 alpha2", examples=["US"])]
# Read by `calling_window.utc_time_of_day`, which reports a string that is not a time.
TimeIn = Annotated[
    str,
    Meta(
        description="UTC time of day: HH:MM, HH:MM:SS, or an RFC 3339 time (a fraction is dropped; "
        "Z or an offset, converted to UTC)",
        examples=["08:00:00.00Z"],
    ),
]
TimeOut = Annotated[str, Meta(description="UTC time of day, HH:MM:SS.00Z", examples=["08:00:00.00Z"])]
CallsPerCldV2 = Annotated[
    int,
    Meta(
        ge=0,
        le=2_147_483_647,
        description="Calls one called number may get in the window; 0: none (the profile places no "
        "call); null: no limit",
    ),
]
Timestamp = Annotated[str, Meta(description="ISO 8601, UTC, milliseconds", examples=["2026-11-27T04:05:06.123Z"])]

# Fields of a v2 object that a client may send back as it read them: ignored.
PROFILE_READ_ONLY = frozenset(
    {"id", "record_type", "connections_count", "custom_rate_deck", "rate_deck_url", "created_at", "updated_at"}
)
BILLING_GROUP_READ_ONLY = frozenset({"organization_id", "deleted_at"})


# The write Structs do not forbid unknown members: v2 ignores them unless configured to refuse them
# (`v2/requests.py`), and the service reports them itself then; the document says they are allowed.


class CallRecording(msgspec.Struct, kw_only=True):
    """Partial like the profile: a field left out keeps its value."""

    call_recording_type: CallRecordingTypeV2 | UnsetType = UNSET
    call_recording_caller_phone_numbers: PhoneNumbers | UnsetType = UNSET
    call_recording_format: CallRecordingFormat | UnsetType = UNSET
    call_recording_channels: CallRecordingChannels | UnsetType = UNSET


class CallingWindowIn(msgspec.Struct, kw_only=True):
    """Partial like `call_recording`: a member left out keeps its value (without a stored window: the
    whole day, no limit). start > end wraps midnight; start == end is the whole day."""

    start_time: TimeIn | UnsetType = UNSET
    end_time: TimeIn | UnsetType = UNSET
    calls_per_cld: CallsPerCldV2 | UnsetType | None = UNSET


class OutboundVoiceProfileWrite(msgspec.Struct, kw_only=True):
    """Create and update (PATCH, partial) body; `name` is required in both."""

    name: Name
    traffic_type: TrafficTypeV2 | UnsetType = UNSET
    service_plan: ServicePlanV2 | UnsetType = UNSET
    concurrent_call_limit: Count | UnsetType | None = UNSET
    enabled: bool | UnsetType = UNSET
    tags: Tags | UnsetType = UNSET
    usage_payment_method: UsagePaymentMethod | UnsetType = UNSET
    whitelisted_destinations: Annotated[list[Alpha2], Meta(max_length=MAX_DESTINATIONS)] | UnsetType = UNSET
    max_destination_rate: Rate | UnsetType | None = UNSET
    daily_spend_limit: UsdAmount | UnsetType | None = UNSET
    daily_spend_limit_enabled: bool | UnsetType = UNSET
    call_recording: CallRecording | UnsetType = UNSET
    billing_group_id: str | UnsetType | None = UNSET
    calling_window: CallingWindowIn | UnsetType | None = UNSET


class BillingGroupWriteV2(msgspec.Struct, kw_only=True):
    """Create and update body (the v1 service checks it); in an update, an absent name is left unchanged."""

    name: Text255 | UnsetType | None = UNSET


class CallRecordingOut(msgspec.Struct):
    call_recording_type: CallRecordingTypeV2
    call_recording_caller_phone_numbers: list[str]
    call_recording_format: CallRecordingFormat
    call_recording_channels: CallRecordingChannels


class CallingWindowOut(msgspec.Struct):
    start_time: TimeOut
    end_time: TimeOut
    calls_per_cld: int | None


class OutboundVoiceProfileOut(msgspec.Struct):
    id: str
    record_type: Literal["outbound_voice_profile"]
    name: Annotated[str, Meta(description='A profile made in v1 without a name shows ""')]
    connections_count: int
    traffic_type: TrafficTypeV2
    service_plan: ServicePlanV2
    concurrent_call_limit: int | None
    enabled: bool
    tags: list[str]
    usage_payment_method: UsagePaymentMethod
    whitelisted_destinations: list[str]
    max_destination_rate: float | None
    daily_spend_limit: str | None
    daily_spend_limit_enabled: bool
    call_recording: CallRecordingOut
    calling_window: CallingWindowOut | None
    billing_group_id: str | None
    custom_rate_deck: Annotated[bool, Meta(description="The profile has its own rate deck")]
    rate_deck_url: Annotated[
        str | None, Meta(description="Where its own rate deck is downloaded (API v1 path); null without one")
    ]
    created_at: Timestamp
    updated_at: Timestamp


class BillingGroupV2Out(msgspec.Struct):
    id: str
    record_type: Literal["billing_group"]
    name: str | None
    organization_id: Annotated[str, Meta(description="The user's UUID")]
    created_at: Timestamp
    updated_at: Timestamp
    deleted_at: None


class PageMeta(msgspec.Struct):
    page_number: int
    page_size: int
    total_pages: int
    total_results: int


class OutboundVoiceProfileData(msgspec.Struct):
    data: OutboundVoiceProfileOut


class OutboundVoiceProfileList(msgspec.Struct):
    data: list[OutboundVoiceProfileOut]
    meta: PageMeta


class BillingGroupData(msgspec.Struct):
    data: BillingGroupV2Out


class BillingGroupList(msgspec.Struct):
    data: list[BillingGroupV2Out]
    meta: PageMeta
