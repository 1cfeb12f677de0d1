"""v1 <-> v2: field names, values, and the JSON pointers of problems.

v1                                   v2
traffic_type 1 / 2                   "conversational" / "short_duration"
service_plan 1 / 2 / 4               "us" / "international" / "global"
active                               enabled
tag_list                             tags
ports                                concurrent_call_limit
call_recording_type, ..._phone_numbers, ..._format, ..._channels
                                     call_recording: {call_recording_type ("by_caller_phone_number"),
                                                      call_recording_caller_phone_numbers, ...}
connections                          connections_count
(not shown)                          calling_window (times shown as HH:MM:SS.00Z)
custom_rate_deck, rate_deck_url      the same (read-only; the URL is v1's rate deck path)
timestamps with microseconds         timestamps with milliseconds (as Telnyx's v2 examples)
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from outbound_profiles.billing_groups.schemas import BillingGroupOut
from outbound_profiles.domain.timestamps import iso8601
from outbound_profiles.errors import Problem
from outbound_profiles.profiles.render import rate_deck_path
from outbound_profiles.profiles.views import ProfileView
from outbound_profiles.v2 import calling_window
from outbound_profiles.v2.schemas import (
    BillingGroupV2Out,
    CallingWindowOut,
    CallRecordingOut,
    OutboundVoiceProfileOut,
    OutboundVoiceProfileWrite,
)

TRAFFIC_TYPES = {"conversational": 1, "short_duration": 2}
SERVICE_PLANS = {"us": 1, "international": 2, "global": 4}
_TRAFFIC_NAMES = {v: k for k, v in TRAFFIC_TYPES.items()}
_PLAN_NAMES = {v: k for k, v in SERVICE_PLANS.items()}

# v2 top-level field -> v1 field (fields not listed keep their name).
_RENAMED = {"concurrent_call_limit": "ports", "enabled": "active", "tags": "tag_list"}
# v2 `call_recording` member -> v1 field.
_RECORDING = {
    "call_recording_type": "call_recording_type",
    "call_recording_caller_phone_numbers": "call_recording_phone_numbers",
    "call_recording_format": "call_recording_format",
    "call_recording_channels": "call_recording_channels",
}
_V1_TO_V2 = {v1: v2 for v2, v1 in _RENAMED.items()} | {v1: f"call_recording/{v2}" for v2, v1 in _RECORDING.items()}
# Words of v1 rules' messages that v2 names differently.
_WORDS = {
    "ports": "concurrent_call_limit",
    "tag_list": "tags",
    "call_recording_phone_numbers": "call_recording_caller_phone_numbers",
    "by_call_phone_number": "by_caller_phone_number",
}
_PHRASES = {
    "Service plan 1 (US)": "Service plan us",
    "service plan 1 (US)": "service plan us",
    "Service plan 2 (International)": "Service plan international",
    "traffic_type 2 (short duration)": "traffic_type short_duration",
}
_WORD = re.compile(r"\b(" + "|".join(_WORDS) + r")\b")
_PLAIN_FIELDS = {f.encode_name for f in msgspec.structs.fields(OutboundVoiceProfileWrite)} - {"call_recording"}
_VALUES = {"traffic_type": TRAFFIC_TYPES, "service_plan": SERVICE_PLANS}


def to_v1(converted: dict[str, Any]) -> dict[str, Any]:
    """A v2 body whose fields passed v2's schema, in v1's names and values."""
    body: dict[str, Any] = {}
    for name, value in converted.items():
        if name == "call_recording":
            members: dict[str, Any] = msgspec.to_builtins(value)
            body.update({_RECORDING[k]: v for k, v in members.items()})
        elif name in _VALUES:
            body[name] = _VALUES[name][value]
        elif name == "calling_window":
            body[name] = msgspec.to_builtins(value)
        else:
            body[_RENAMED.get(name, name)] = value
    return body


def v1_pointer(pointer: str) -> str | None:
    """Where a v2 pointer points in the v1 body (None: nowhere, e.g. an unknown field)."""
    parts = pointer.split("/")
    if len(parts) >= 3 and parts[1] == "call_recording" and parts[2] in _RECORDING:
        return "/" + "/".join([_RECORDING[parts[2]], *parts[3:]])
    if parts[1] not in _PLAIN_FIELDS:
        return None
    return "/" + "/".join([_RENAMED.get(parts[1], parts[1]), *parts[2:]])


def v2_problem(problem: Problem) -> Problem:
    """A problem the v1 service reported, in v2's names."""
    pointer = problem.pointer
    if pointer is not None:
        head, _, rest = pointer[1:].partition("/")
        pointer = "/" + _V1_TO_V2.get(head, head) + ("/" + rest if rest else "")
    detail = problem.detail
    for v1_words, v2_words in _PHRASES.items():
        detail = detail.replace(v1_words, v2_words)
    detail = _WORD.sub(lambda m: _WORDS[m[1]], detail)
    return Problem(problem.code, detail, pointer=pointer, parameter=problem.parameter)


def profile_out(view: ProfileView) -> OutboundVoiceProfileOut:
    p = view.profile
    window = p.calling_window
    return OutboundVoiceProfileOut(
        id=str(p.id),
        record_type="outbound_voice_profile",
        name=p.name or "",  # Telnyx types `name` as a string: a profile made in v1 without one shows ""
        connections_count=len(view.connections),
        traffic_type=_TRAFFIC_NAMES[p.traffic_type],  # type: ignore[arg-type]
        service_plan=_PLAN_NAMES[p.service_plan],  # type: ignore[arg-type]
        concurrent_call_limit=p.ports,
        enabled=p.active,
        tags=p.tag_list,
        usage_payment_method=p.usage_payment_method,
        whitelisted_destinations=list(p.whitelisted_destinations),
        max_destination_rate=None if p.max_destination_rate is None else float(p.max_destination_rate),
        daily_spend_limit=None if p.daily_spend_limit is None else f"{p.daily_spend_limit:.2f}",
        daily_spend_limit_enabled=p.daily_spend_limit_enabled,
        call_recording=CallRecordingOut(
            call_recording_type=_WORDS.get(p.call_recording_type, p.call_recording_type),  # type: ignore[arg-type]
            call_recording_caller_phone_numbers=p.call_recording_phone_numbers,
            call_recording_format=p.call_recording_format,
            call_recording_channels=p.call_recording_channels,
        ),
        calling_window=None
        if window is None
        else CallingWindowOut(
            start_time=calling_window.shown(window.start_time),
            end_time=calling_window.shown(window.end_time),
            calls_per_cld=window.calls_per_cld,
        ),
        billing_group_id=p.billing_group_id,
        custom_rate_deck=p.rate_deck_id is not None,
        rate_deck_url=None if p.rate_deck_id is None else rate_deck_path(p.id),
        created_at=milliseconds(iso8601(p.created_at)),
        updated_at=milliseconds(iso8601(p.updated_at)),
    )


def billing_group_out(group: BillingGroupOut, organization_id: str) -> BillingGroupV2Out:
    return BillingGroupV2Out(
        id=group.id,
        record_type="billing_group",
        name=group.name,
        organization_id=organization_id,
        created_at=milliseconds(group.created_at),
        updated_at=milliseconds(group.updated_at),
        deleted_at=None,
    )


def milliseconds(timestamp: str) -> str:
    """v1's `2026-11-27T04:05:06.123456Z` as Telnyx's v2 examples write it: `2026-11-27T04:05:06.123Z`."""
    return timestamp[:23] + "Z"
