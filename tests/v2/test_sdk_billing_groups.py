"""`/v2/billing_groups` driven by the official `telnyx` SDK, on the same store as `/billing_groups`."""

from __future__ import annotations

import pytest
import telnyx

from tests.v2.conftest import Surfaces, v1_json


def test_every_operation_through_the_sdk(surfaces: Surfaces) -> None:
    groups = surfaces.sdk.billing_groups

    created = groups.create(name="Europe").data
    assert created is not None
    assert created.id is not None
    assert (created.record_type, created.name, created.deleted_at) == ("billing_group", "Europe", None)
    assert created.created_at == created.updated_at
    assert groups.retrieve(created.id).data == created

    updated = groups.update(created.id, name="EMEA").data
    assert updated is not None
    assert updated.name == "EMEA"
    assert v1_json(surfaces.v1.get(f"/billing_groups/{created.id}"))["name"] == "EMEA"

    for i in range(4):
        groups.create(name=f"group {i}")
    retried = [groups.create(name="retried", extra_headers={"Idempotency-Key": "sdk-1"}).data for _ in range(2)]
    assert retried[0] == retried[1]
    assert retried[0] is not None
    assert retried[0].id is not None
    groups.delete(retried[0].id)
    assert [g.name for g in groups.list(page_size=2)] == ["EMEA", "group 0", "group 1", "group 2", "group 3"]

    deleted = groups.delete(created.id).data
    assert deleted is not None
    assert deleted.name == "EMEA"
    with pytest.raises(telnyx.NotFoundError):
        groups.retrieve(created.id)


def test_a_group_in_use_cannot_be_deleted_and_profiles_reference_groups_across_surfaces(surfaces: Surfaces) -> None:
    group = v1_json(surfaces.v1.post("/billing_groups", json={"name": "made in v1"}))
    profile = surfaces.sdk.outbound_voice_profiles.create(name="billed", billing_group_id=group["id"]).data
    assert profile is not None
    assert profile.billing_group_id == group["id"]

    with pytest.raises(telnyx.ConflictError) as in_use:  # Telnyx documents 409 "Resource conflict or in use"
        surfaces.sdk.billing_groups.delete(group["id"])
    assert in_use.value.status_code == 409
    assert in_use.value.body["errors"][0]["code"] == "10021"  # type: ignore[index]

    with pytest.raises(telnyx.UnprocessableEntityError) as unknown:
        surfaces.sdk.outbound_voice_profiles.create(name="billed", billing_group_id="not-a-group")
    assert unknown.value.body["errors"][0]["source"] == {"pointer": "/billing_group_id"}  # type: ignore[index]
