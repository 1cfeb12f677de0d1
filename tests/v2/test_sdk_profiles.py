"""`/v2/outbound_voice_profiles` driven by the official `telnyx` SDK: every operation,
auto-pagination, the SDK's own error classes, the async client, and one store shared with v1."""

from __future__ import annotations

import asyncio

import pytest
import telnyx
from telnyx import AsyncTelnyx

from tests.v2.conftest import Surfaces, v1_json

PROFILES = "/termination/endpoints"


def test_every_operation_through_the_sdk(surfaces: Surfaces) -> None:
    profiles = surfaces.sdk.outbound_voice_profiles

    created = profiles.create(
        name="office",
        traffic_type="conversational",
        service_plan="global",
        concurrent_call_limit=10,
        enabled=True,
        tags=["emea", "emea", "night"],
        whitelisted_destinations=["US", "gb"],
        max_destination_rate=0.5,
        daily_spend_limit="100",
        daily_spend_limit_enabled=True,
        call_recording={
            "call_recording_type": "by_caller_phone_number",
            "call_recording_caller_phone_numbers": ["+13125550100"],
            "call_recording_format": "mp3",
            "call_recording_channels": "dual",
        },
        calling_window={"start_time": "22:00", "end_time": "06:00:30", "calls_per_cld": 3},
    ).data
    assert created is not None
    assert created.id is not None
    assert created.record_type == "outbound_voice_profile"
    assert (created.name, created.traffic_type, created.service_plan) == ("office", "conversational", "global")
    assert (created.concurrent_call_limit, created.enabled, created.tags) == (10, True, ["emea", "night"])
    assert created.whitelisted_destinations == ["US", "GB"]
    assert (created.max_destination_rate, created.daily_spend_limit) == (0.5, "100.00")
    assert created.call_recording is not None
    assert created.call_recording.call_recording_type == "by_caller_phone_number"
    assert created.call_recording.call_recording_caller_phone_numbers == ["+13125550100"]
    assert (created.call_recording.call_recording_format, created.call_recording.call_recording_channels) == (
        "mp3",
        "dual",
    )
    assert created.calling_window is not None
    assert (created.calling_window.start_time, created.calling_window.end_time) == ("22:00:00.00Z", "06:00:30.00Z")
    assert created.calling_window.calls_per_cld == 3
    assert created.connections_count == 0
    assert created.created_at == created.updated_at

    retrieved = profiles.retrieve(created.id).data
    assert retrieved == created

    updated = profiles.update(created.id, name="office hours", concurrent_call_limit=None, enabled=False).data
    assert updated is not None
    assert (updated.name, updated.concurrent_call_limit, updated.enabled) == ("office hours", None, False)
    assert updated.tags == ["emea", "night"]  # left out: unchanged
    assert updated.calling_window == created.calling_window
    assert updated.updated_at is not None
    assert created.updated_at is not None
    assert updated.updated_at > created.updated_at

    assert [p.id for p in profiles.list()] == [created.id]
    deleted = profiles.delete(created.id).data
    assert deleted is not None
    assert deleted.name == "office hours"
    with pytest.raises(telnyx.NotFoundError):
        profiles.retrieve(created.id)


def test_auto_pagination_walks_every_page(surfaces: Surfaces) -> None:
    profiles = surfaces.sdk.outbound_voice_profiles
    made = [profiles.create(name=f"profile {i:02}").data for i in range(7)]
    ids = [p.id for p in made if p is not None]

    first = profiles.list(page_size=3)
    assert first.meta is not None
    assert first.meta.to_dict() == {"page_number": 1, "page_size": 3, "total_pages": 3, "total_results": 7}
    assert [p.id for p in first] == ids[::-1]  # every page, newest first (the default sort)
    by_name = profiles.list(page_size=2, sort="name", filter={"name": {"contains": "PROFILE 0"}})
    assert [p.name for p in by_name] == [f"profile {i:02}" for i in range(7)]
    assert [p.name for p in profiles.list(filter={"name": {"contains": "05"}})] == ["profile 05"]


def test_errors_raise_the_sdks_own_classes(surfaces: Surfaces) -> None:
    profiles = surfaces.sdk.outbound_voice_profiles

    with pytest.raises(telnyx.UnprocessableEntityError) as invalid:
        # The SDK's types list only Telnyx's defaults ("global", "conversational"); the API takes all values.
        profiles.create(name="ab", service_plan="international", concurrent_call_limit=-1)  # type: ignore[arg-type]
    assert invalid.value.status_code == 422
    assert invalid.value.response.headers["x-should-retry"] == "false"
    pointers = {e["source"]["pointer"] for e in invalid.value.body["errors"]}  # type: ignore[index]
    assert pointers == {"/name", "/service_plan", "/concurrent_call_limit"}

    with pytest.raises(telnyx.NotFoundError):
        profiles.retrieve("1293384261075731499")
    with pytest.raises(telnyx.NotFoundError):
        profiles.update("1293384261075731499", name="nobody")

    intruder = telnyx.Telnyx(api_key="KEY0_wrong", base_url=str(surfaces.sdk.base_url), max_retries=0)
    with pytest.raises(telnyx.AuthenticationError) as unauthenticated:
        intruder.outbound_voice_profiles.list()
    assert unauthenticated.value.response.headers["x-should-retry"] == "false"


def test_a_profile_made_in_v1_is_read_and_changed_through_the_sdk(surfaces: Surfaces) -> None:
    connection = v1_json(surfaces.v1.post("/security/connections", json={"connection_name": "trunk"}))
    made = v1_json(
        surfaces.v1.post(
            PROFILES,
            json={
                "connection_ids": [connection["id"]],
                "name": "from v1",
                "traffic_type": 2,
                "service_plan": 2,
                "ports": 4,
                "tag_list": ["a"],
                "whitelisted_destinations": ["FRA", "826"],
                "call_recording_type": "by_call_phone_number",
                "call_recording_phone_numbers": ["+13125550100"],
            },
        )
    )

    seen = surfaces.sdk.outbound_voice_profiles.retrieve(made["id"]).data
    assert seen is not None
    assert seen.call_recording is not None
    assert (seen.traffic_type, seen.service_plan, seen.concurrent_call_limit) == (
        "short_duration",
        "international",
        4,
    )
    assert (seen.tags, seen.whitelisted_destinations, seen.connections_count) == (["a"], ["FR", "GB"], 1)
    assert seen.call_recording.call_recording_type == "by_caller_phone_number"
    assert seen.calling_window is None

    surfaces.sdk.outbound_voice_profiles.update(
        made["id"], name="from v2", traffic_type="conversational", service_plan="global", tags=["b"]
    )

    after = v1_json(surfaces.v1.get(f"{PROFILES}/{made['id']}"))
    assert (after["name"], after["traffic_type"], after["service_plan"], after["tag_list"]) == ("from v2", 1, 4, ["b"])
    assert after["whitelisted_destinations"] == ["FRA", "GBR"]  # v1 keeps showing its own format
    assert after["connection_id"] == connection["id"]


def test_a_profile_made_through_the_sdk_is_changed_in_v1_which_keeps_its_calling_window(
    surfaces: Surfaces,
) -> None:
    made = surfaces.sdk.outbound_voice_profiles.create(
        name="from sdk", calling_window={"start_time": "08:00:00", "end_time": "08:00:00"}
    ).data
    assert made is not None
    assert made.id is not None

    shown = v1_json(surfaces.v1.get(f"{PROFILES}/{made.id}"))
    assert shown["name"] == "from sdk"
    assert "calling_window" not in shown
    v1_json(surfaces.v1.put(f"{PROFILES}/{made.id}", json={"ports": 7, "active": False, "tag_list": ["x"]}))

    seen = surfaces.sdk.outbound_voice_profiles.retrieve(made.id).data
    assert seen is not None
    assert seen.calling_window is not None
    assert (seen.concurrent_call_limit, seen.enabled, seen.tags) == (7, False, ["x"])
    assert (seen.calling_window.start_time, seen.calling_window.end_time) == ("08:00:00.00Z", "08:00:00.00Z")
    assert seen.calling_window.calls_per_cld is None


def test_the_async_client(surfaces: Surfaces) -> None:
    async def scenario() -> list[str]:
        async with AsyncTelnyx(api_key=surfaces.token, base_url=str(surfaces.sdk.base_url), max_retries=0) as sdk:
            for i in range(3):
                await sdk.outbound_voice_profiles.create(name=f"async {i}")
            names = [p.name async for p in sdk.outbound_voice_profiles.list(page_size=2, sort="name")]
            with pytest.raises(telnyx.UnprocessableEntityError):
                await sdk.outbound_voice_profiles.create(name="no")
            return names

    assert asyncio.run(scenario()) == ["async 0", "async 1", "async 2"]
