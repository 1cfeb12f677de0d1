"""Request and response shapes of `/termination/endpoints`.

The request Structs state each field's JSON type and constraints once: the request parser
checks bodies against them and the OpenAPI document is generated from them. Absent and null are
different: an absent field is `UNSET`.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

TrafficType = Literal[1, 2]
ServicePlan = Literal[1, 2, 4]
UsagePaymentMethod = Literal["tariff", "rate-deck"]
DestinationFormat = Literal["alpha2", "alpha3", "iso_numeric"]
# `by_caller_phone_number` (as Telnyx's v1 page words it, and v2's spelling) is accepted as the same value.
CallRecordingTypeIn = Literal["all", "none", "by_call_phone_number", "by_caller_phone_number"]
CallRecordingType = Literal["all", "none", "by_call_phone_number"]
CallRecordingFormat = Literal["wav", "mp3"]
CallRecordingChannels = Literal["single", "dual"]

# No NUL characters: PostgreSQL text cannot hold them, so they are refused up front on every database.
_NO_NUL = r"^[^\x00]*$"
Text255 = Annotated[str, Meta(max_length=255, pattern=_NO_NUL)]
Tag = Annotated[str, Meta(min_length=1, max_length=255, pattern=_NO_NUL)]
Count = Annotated[int, Meta(ge=0, le=2_147_483_647)]
Rate = Annotated[float, Meta(ge=0, le=1_000_000, description="USD per minute, at most 15 significant digits")]
UsdAmount = Annotated[
    str,
    Meta(
        pattern=r"^(0|[1-9][0-9]{0,11})(\.[0-9]{1,2})?$",
        description="USD, at most 2 decimals",
        examples=["100.00"],
    ),
]
CountryCode = Annotated[str, Meta(description="ISO 3166-1 alpha2, alpha3 or numeric code", examples=["US"])]
PhoneNumber = Annotated[str, Meta(description="E.164", examples=["+13125550100"])]
Id = Annotated[str, Meta(examples=["1293384261075731499"])]
TimeOfDay = Annotated[
    str,
    Meta(
        pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$",
        description="UTC time of day, HH:MM:SS (HH:MM is read as HH:MM:00)",
        examples=["08:00:00"],
    ),
]
CallsPerCld = Annotated[int, Meta(ge=0, le=2_147_483_647)]  # 0: no call to any one number

# The longest list each field takes: every entry is checked, and a profile is read on every call.
MAX_CONNECTION_IDS = 1_000
MAX_DESTINATIONS = 500  # 249 countries, room for a list that names some twice
MAX_PHONE_NUMBERS = 500
MAX_TAGS = 100
ConnectionIdList = Annotated[list[Id], Meta(max_length=MAX_CONNECTION_IDS)]
Destinations = Annotated[list[CountryCode], Meta(max_length=MAX_DESTINATIONS)]
PhoneNumbers = Annotated[list[PhoneNumber], Meta(max_length=MAX_PHONE_NUMBERS)]
Tags = Annotated[list[Tag], Meta(max_length=MAX_TAGS)]

READ_ONLY_FIELDS = frozenset(
    {
        "id",
        "user_id",
        "connections",
        "connection_id",
        "cps_limit",
        "custom_rate_deck",
        "rate_deck_url",
        "created_at",
        "updated_at",
    }
)


class ProfileUpdate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Fields a client may set; every one is optional in an update (absent = unchanged)."""

    connection_ids: ConnectionIdList | UnsetType = UNSET
    name: Text255 | UnsetType | None = UNSET
    traffic_type: TrafficType | UnsetType = UNSET
    service_plan: ServicePlan | UnsetType = UNSET
    active: bool | UnsetType = UNSET
    translation_rule: Text255 | UnsetType | None = UNSET
    cps_limit_increase: Count | UnsetType = UNSET
    ports: Count | UnsetType | None = UNSET
    tag_list: Tags | UnsetType = UNSET
    usage_payment_method: UsagePaymentMethod | UnsetType = UNSET
    whitelisted_destination_format: DestinationFormat | UnsetType = UNSET
    whitelisted_destinations: Destinations | UnsetType = UNSET
    max_destination_rate: Rate | UnsetType | None = UNSET
    call_recording_type: CallRecordingTypeIn | UnsetType = UNSET
    call_recording_phone_numbers: PhoneNumbers | UnsetType = UNSET
    call_recording_format: CallRecordingFormat | UnsetType = UNSET
    call_recording_channels: CallRecordingChannels | UnsetType = UNSET
    daily_spend_limit: UsdAmount | UnsetType | None = UNSET
    daily_spend_limit_enabled: bool | UnsetType = UNSET
    billing_group_id: str | UnsetType | None = UNSET


class ProfileCreate(ProfileUpdate, forbid_unknown_fields=True, kw_only=True):
    """As an update, but `connection_ids` is required (it may be empty)."""

    connection_ids: ConnectionIdList


class CallingWindowIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A calling window replaces the stored one whole; start > end wraps midnight, start == end is all day."""

    start_time: TimeOfDay
    end_time: TimeOfDay
    calls_per_cld: CallsPerCld | None = None


class FullProfileUpdate(ProfileUpdate, forbid_unknown_fields=True, kw_only=True):
    """Every field the service stores, `calling_window` included (API v2 sets it; v1 does not know it)."""

    calling_window: CallingWindowIn | UnsetType | None = UNSET


class FullProfileCreate(ProfileCreate, forbid_unknown_fields=True, kw_only=True):
    calling_window: CallingWindowIn | UnsetType | None = UNSET


class ConnectionIds(msgspec.Struct, forbid_unknown_fields=True):
    connection_ids: ConnectionIdList


class AttachedConnection(msgspec.Struct, frozen=True):
    """Frozen: one is made per load of a profile and shared by every answer about it (views.Attached)."""

    id: str
    connection_name: str
    active: bool


class ProfileOut(msgspec.Struct):
    id: str
    user_id: str
    connections: list[AttachedConnection]
    connection_id: str | None
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
    custom_rate_deck: bool
    rate_deck_url: str | None
    whitelisted_destination_format: DestinationFormat
    whitelisted_destinations: list[str]
    max_destination_rate: float | None
    call_recording_type: CallRecordingType
    call_recording_phone_numbers: list[str]
    call_recording_format: CallRecordingFormat
    call_recording_channels: CallRecordingChannels
    daily_spend_limit: str | None
    daily_spend_limit_enabled: bool
    billing_group_id: str | None
    created_at: str
    updated_at: str
