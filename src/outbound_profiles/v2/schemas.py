"""Request and response shapes of API v2."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from outbound_profiles.profiles.schemas import (
    CallingWindowIn,
    CallRecordingChannels,
    CallRecordingFormat,
    Count,
    PhoneNumber,
    Rate,
    Tag,
    UsagePaymentMethod,
    UsdAmount,
)

TrafficTypeV2 = Literal["conversational", "short_duration"]
ServicePlanV2 = Literal["us", "international", "global"]
CallRecordingTypeV2 = Literal["all", "none", "by_caller_phone_number"]
Name = Annotated[str, Meta(min_length=3, max_length=255, pattern=r"^[^\x00]*$")]
Alpha2 = Annotated[str, Meta(pattern=r"^[A-Za-z]{2}$", description="ISO 3166-1 alpha2", examples=["US"])]

# Fields of a v2 object that a client may send back as it read them: ignored.
PROFILE_READ_ONLY = frozenset({"id", "record_type", "connections_count", "created_at", "updated_at"})
BILLING_GROUP_READ_ONLY = frozenset({"organization_id", "deleted_at"})


class CallRecording(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Partial like the profile: a field left out keeps its value."""

    call_recording_type: CallRecordingTypeV2 | UnsetType = UNSET
    call_recording_caller_phone_numbers: list[PhoneNumber] | UnsetType = UNSET
    call_recording_format: CallRecordingFormat | UnsetType = UNSET
    call_recording_channels: CallRecordingChannels | UnsetType = UNSET


class OutboundVoiceProfileWrite(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Create and update (PATCH, partial) body; `name` is required in both."""

    name: Name
    traffic_type: TrafficTypeV2 | UnsetType = UNSET
    service_plan: ServicePlanV2 | UnsetType = UNSET
    concurrent_call_limit: Count | UnsetType | None = UNSET
    enabled: bool | UnsetType = UNSET
    tags: Annotated[list[Tag], Meta(max_length=100)] | UnsetType = UNSET
    usage_payment_method: UsagePaymentMethod | UnsetType = UNSET
    whitelisted_destinations: list[Alpha2] | UnsetType = UNSET
    max_destination_rate: Rate | UnsetType | None = UNSET
    daily_spend_limit: UsdAmount | UnsetType | None = UNSET
    daily_spend_limit_enabled: bool | UnsetType = UNSET
    call_recording: CallRecording | UnsetType = UNSET
    billing_group_id: str | UnsetType | None = UNSET
    calling_window: CallingWindowIn | UnsetType | None = UNSET


class CallRecordingOut(msgspec.Struct):
    call_recording_type: CallRecordingTypeV2
    call_recording_caller_phone_numbers: list[str]
    call_recording_format: CallRecordingFormat
    call_recording_channels: CallRecordingChannels


class CallingWindowOut(msgspec.Struct):
    start_time: str
    end_time: str
    calls_per_cld: int | None


class OutboundVoiceProfileOut(msgspec.Struct):
    id: str
    record_type: Literal["outbound_voice_profile"]
    name: str | None
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
    created_at: str
    updated_at: str


class BillingGroupV2Out(msgspec.Struct):
    id: str
    record_type: Literal["billing_group"]
    name: str | None
    organization_id: str
    created_at: str
    updated_at: str
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
