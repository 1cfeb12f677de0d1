"""What a client that follows Telnyx's own documents sends and expects, through the official SDK:
RFC 3339 calling-window times, a partial window, unknown members, 409 for a group in use, 10.0 as
an integer, errors that name what was sent, a UUID organization, case-insensitive UUIDs."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
import telnyx

from tests.live import LiveServer
from tests.v2.conftest import Surfaces, sdk_client, v1_json

MILLISECONDS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_telnyx_s_example_calling_window_is_accepted_and_shown_as_telnyx_writes_it(surfaces: Surfaces) -> None:
    profiles = surfaces.sdk.outbound_voice_profiles

    made = profiles.create(
        name="office",
        calling_window={"start_time": "08:00:00.00Z", "end_time": "20:00:00.00Z", "calls_per_cld": 5},
    ).data
    assert made is not None
    assert made.id is not None
    assert made.calling_window is not None
    assert (made.calling_window.start_time, made.calling_window.end_time) == ("08:00:00.00Z", "20:00:00.00Z")

    # An offset is converted to UTC (wrapping midnight); a fraction is dropped.
    changed = profiles.update(
        made.id, name="office", calling_window={"start_time": "10:30:15.999+02:00", "end_time": "23:00:00-01:30"}
    ).data
    assert changed is not None
    assert changed.calling_window is not None
    assert (changed.calling_window.start_time, changed.calling_window.end_time) == ("08:30:15.00Z", "00:30:00.00Z")
    assert changed.calling_window.calls_per_cld == 5

    with pytest.raises(telnyx.UnprocessableEntityError) as wrong:
        profiles.update(made.id, name="office", calling_window={"start_time": "8 am"})
    assert wrong.value.body["errors"][0]["source"] == {"pointer": "/calling_window/start_time"}  # type: ignore[index]


def test_a_window_s_members_are_merged_and_calls_per_cld_may_be_zero(surfaces: Surfaces) -> None:
    profiles = surfaces.sdk.outbound_voice_profiles
    made = profiles.create(name="windowed", calling_window={"start_time": "08:00", "end_time": "20:00"}).data
    assert made is not None
    assert made.id is not None

    only_limit = profiles.update(made.id, name="windowed", calling_window={"calls_per_cld": 0}).data
    assert only_limit is not None
    assert only_limit.calling_window is not None
    assert only_limit.calling_window.to_dict() == {
        "start_time": "08:00:00.00Z",
        "end_time": "20:00:00.00Z",
        "calls_per_cld": 0,
    }

    # A profile without a window that is given some members: the others are the whole day, no limit.
    bare = profiles.create(name="no window yet").data
    assert bare is not None
    assert bare.id is not None
    started = profiles.update(bare.id, name="no window yet", calling_window={"start_time": "22:00"}).data
    assert started is not None
    assert started.calling_window is not None
    assert started.calling_window.to_dict() == {
        "start_time": "22:00:00.00Z",
        "end_time": "00:00:00.00Z",
        "calls_per_cld": None,
    }
    cleared = profiles.update(made.id, name="windowed", extra_body={"calling_window": None}).data
    assert cleared is not None
    assert cleared.calling_window is None


def test_unknown_members_and_query_keys_are_ignored(surfaces: Surfaces) -> None:
    profiles = surfaces.sdk.outbound_voice_profiles

    made = profiles.create(
        name="future",
        concurrent_call_limit=4,
        call_recording={"call_recording_type": "all"},
        extra_body={
            "field_of_a_later_release": {"x": 1},
            "connection_ids": ["1"],  # a v1 field: not v2's, ignored like any other
            "call_recording": {"call_recording_type": "all", "call_recording_trim": "silence"},
            "calling_window": {"start_time": "08:00", "end_time": "09:00", "timezone": "UTC"},
        },
        extra_query={"include": "everything"},
    ).data
    assert made is not None
    assert made.id is not None
    assert made.concurrent_call_limit == 4
    assert made.call_recording is not None
    assert made.call_recording.call_recording_type == "all"
    assert made.calling_window is not None
    assert made.calling_window.end_time == "09:00:00.00Z"
    assert made.connections_count == 0

    assert [p.id for p in profiles.list(extra_query={"filter[enabled]": "true"})] == [made.id]
    assert profiles.retrieve(made.id, extra_query={"expand": "all"}).data == made
    group = surfaces.sdk.billing_groups.create(name="billed", extra_body={"currency": "USD"}).data
    assert group is not None
    assert group.name == "billed"


def test_a_billing_group_in_use_is_a_conflict(surfaces: Surfaces) -> None:
    group = surfaces.sdk.billing_groups.create(name="in use").data
    assert group is not None
    assert group.id is not None
    surfaces.sdk.outbound_voice_profiles.create(name="billed", billing_group_id=group.id)

    with pytest.raises(telnyx.ConflictError) as conflict:
        surfaces.sdk.billing_groups.delete(group.id)

    assert conflict.value.status_code == 409
    assert conflict.value.response.headers["x-should-retry"] == "false"
    assert conflict.value.body["errors"][0]["code"] == "10021"  # type: ignore[index]
    # v1 keeps its 400.
    assert surfaces.v1.delete(f"/billing_groups/{group.id}").status_code == 400


def test_a_whole_number_written_with_a_fraction_is_an_integer(surfaces: Surfaces) -> None:
    profiles = surfaces.sdk.outbound_voice_profiles

    made = profiles.create(
        name="floats",
        concurrent_call_limit=10.0,  # type: ignore[arg-type]
        calling_window={"start_time": "08:00", "end_time": "09:00", "calls_per_cld": 3.0},  # type: ignore[arg-type]
    ).data
    assert made is not None
    assert made.calling_window is not None
    assert (made.concurrent_call_limit, made.calling_window.calls_per_cld) == (10, 3)

    with pytest.raises(telnyx.UnprocessableEntityError) as fraction:
        profiles.create(name="floats", concurrent_call_limit=10.5)  # type: ignore[arg-type]
    assert fraction.value.body["errors"][0]["source"] == {"pointer": "/concurrent_call_limit"}  # type: ignore[index]


def test_an_error_names_the_value_that_was_sent(surfaces: Surfaces) -> None:
    with pytest.raises(telnyx.UnprocessableEntityError) as wrong:
        surfaces.sdk.outbound_voice_profiles.create(
            name="recorded",
            call_recording={"call_recording_type": "by_call_phone_number"},  # type: ignore[arg-type]
        )

    (error,) = wrong.value.body["errors"]  # type: ignore[index]
    assert error["source"] == {"pointer": "/call_recording/call_recording_type"}
    assert "'by_call_phone_number'" in error["detail"], error["detail"]
    assert "by_caller_phone_number" not in error["detail"], error["detail"]


def test_organization_id_is_the_user_s_stable_uuid(server: LiveServer, surfaces: Surfaces) -> None:
    first = surfaces.sdk.billing_groups.create(name="one").data
    second = surfaces.sdk.billing_groups.create(name="two").data
    assert first is not None
    assert second is not None
    assert first.organization_id is not None

    assert str(uuid.UUID(first.organization_id)) == first.organization_id
    assert second.organization_id == first.organization_id
    assert [g.organization_id for g in surfaces.sdk.billing_groups.list()] == [first.organization_id] * 2
    other_token = server.new_user("other@example.com")["token"]
    with sdk_client(server, other_token) as other:
        theirs = other.billing_groups.create(name="theirs").data
    assert theirs is not None
    assert theirs.organization_id not in (None, first.organization_id)


def test_uuids_are_found_in_any_case(surfaces: Surfaces) -> None:
    groups = surfaces.sdk.billing_groups
    group = groups.create(name="mixed case").data
    assert group is not None
    assert group.id is not None
    shouted = group.id.upper()

    assert groups.retrieve(shouted).data == group
    renamed = groups.update(shouted, name="renamed").data
    assert renamed is not None
    assert (renamed.id, renamed.name) == (group.id, "renamed")
    assert v1_json(surfaces.v1.get(f"/billing_groups/{shouted}"))["id"] == group.id

    profile = surfaces.sdk.outbound_voice_profiles.create(name="billed", billing_group_id=shouted).data
    assert profile is not None
    assert profile.id is not None
    assert profile.billing_group_id == group.id  # stored in canonical (lower) case
    surfaces.sdk.outbound_voice_profiles.delete(profile.id)
    deleted = groups.delete(shouted).data
    assert deleted is not None
    assert deleted.id == group.id


def test_answers_read_as_telnyx_documents_them(surfaces: Surfaces) -> None:
    # A profile made in v1 without a name: v2 shows a string (Telnyx types `name` as one).
    made = v1_json(surfaces.v1.post("/termination/endpoints", json={"connection_ids": []}))
    seen = surfaces.sdk.outbound_voice_profiles.retrieve(made["id"]).data
    assert seen is not None
    assert seen.name == ""
    assert seen.created_at is not None
    assert MILLISECONDS.match(seen.created_at), seen.created_at
    assert made["created_at"].startswith(seen.created_at[:-1])  # v1 keeps its microseconds
    group = surfaces.sdk.billing_groups.create(name="timed").data
    assert group is not None
    raw: dict[str, Any] = v1_json(surfaces.v1.get(f"/v2/billing_groups/{group.id}"))["data"]
    assert MILLISECONDS.match(raw["created_at"]), raw
    assert MILLISECONDS.match(raw["updated_at"]), raw
