"""Shared counters compared with the active calls: a port held for no active call (its process died
between the reservation and the record, or before it retried an end's release) is freed after two
passes that found it so, and a call still being recorded, or active, keeps its port."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from outbound_profiles.app import create_app
from outbound_profiles.authorizations import service
from outbound_profiles.authorizations.service import DataPlane
from outbound_profiles.config import Settings
from outbound_profiles.counters import Admission, MemoryCounters
from outbound_profiles.db.database import Database
from tests.authorizations.conftest import Switch
from tests.conftest import Api, Tenant
from tests.counters.harness import Backend, redis_url


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def data_plane(request: pytest.FixtureRequest, switch: Switch) -> Iterator[DataPlane]:
    """The app's data plane, on the in-process counters or on Redis's (a key prefix of this test's own)."""
    plane: DataPlane = switch.client.app.state.data_plane
    if request.param == "memory":
        yield plane
        return
    backend, original = Backend("redis", redis_url()), plane.counters
    plane.counters = backend.open()
    try:
        yield plane
    finally:
        with switch.client.portal() as portal:
            portal.call(plane.counters.close)
        plane.counters = original
        backend.delete_keys()


def reserve(switch: Switch, plane: DataPlane, call_id: str, profile: dict[str, Any]) -> None:
    """What a process that died after reserving a call, before recording it, leaves in the counters."""
    admission = Admission(
        call_id, int(profile["user_id"]), int(profile["id"]), 100, None, None, None, None, None, int(time.time() * 1000)
    )
    with switch.client.portal() as portal:
        assert portal.call(plane.counters.admit, admission) is None


def reconcile(switch: Switch, plane: DataPlane) -> int:
    with switch.client.portal() as portal:
        return portal.call(plane.reconcile)


def held(switch: Switch, plane: DataPlane, profile: dict[str, Any]) -> dict[str, int] | None:
    with switch.client.portal() as portal:
        return portal.call(plane.counters.held, int(profile["user_id"]))


def test_a_reservation_no_call_holds_is_freed_on_the_second_pass(
    switch: Switch, api: Api, data_plane: DataPlane
) -> None:
    connection = api.connection()
    profile = api.profile(connection_ids=[connection["id"]], ports=2)
    assert switch.authorize(connection["id"], call_id="kept")["decision"] == "allow"
    reserve(switch, data_plane, "orphan", profile)
    assert switch.authorize(connection["id"])["reason"] == "profile_ports_exhausted"
    assert reconcile(switch, data_plane) == 0  # perhaps still being recorded: one pass frees nothing
    assert switch.authorize(connection["id"])["reason"] == "profile_ports_exhausted"
    assert reconcile(switch, data_plane) == 1
    assert held(switch, data_plane, profile) == {"kept": int(profile["id"])}
    assert switch.authorize(connection["id"], call_id="next")["decision"] == "allow"
    assert reconcile(switch, data_plane) == 0
    assert set(held(switch, data_plane, profile) or {}) == {"kept", "next"}


def test_a_reservation_recorded_between_two_passes_keeps_its_port(
    switch: Switch, api: Api, data_plane: DataPlane
) -> None:
    connection = api.connection()
    profile = api.profile(connection_ids=[connection["id"]], ports=1)
    switch.end(switch.authorize(connection["id"])["call_id"], 1)  # the tenant's counters exist
    reserve(switch, data_plane, "late", profile)
    assert reconcile(switch, data_plane) == 0
    assert switch.authorize(connection["id"], call_id="late")["decision"] == "allow"  # its retry records it
    assert reconcile(switch, data_plane) == 0
    assert reconcile(switch, data_plane) == 0
    assert held(switch, data_plane, profile) == {"late": int(profile["id"])}
    assert switch.authorize(connection["id"])["reason"] == "profile_ports_exhausted"


def test_a_call_ended_whose_release_was_lost_gives_its_port_back(
    switch: Switch, api: Api, database: Database, data_plane: DataPlane
) -> None:
    connection = api.connection()
    api.profile(connection_ids=[connection["id"]], ports=1)
    assert switch.authorize(connection["id"], call_id="gone")["decision"] == "allow"
    # Ended by a process that died before it released the port (or before it retried the release).
    database.run_sync(
        lambda c: c.exec_driver_sql("UPDATE calls SET ended_at = started_at, end_reason = 'completed'"), write=True
    )
    assert switch.authorize(connection["id"])["reason"] == "profile_ports_exhausted"
    reconcile(switch, data_plane)
    assert reconcile(switch, data_plane) == 1
    assert switch.authorize(connection["id"])["decision"] == "allow"


def test_a_service_on_shared_counters_frees_them_by_itself(
    settings: Settings,
    database: Database,
    tenant: Tenant,
    switch_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(service, "RECONCILE_INTERVAL_S", 0.05)
    monkeypatch.setattr(MemoryCounters, "shared", True)  # as Redis's are
    with TestClient(create_app(settings, database)) as client:
        api, switch = Api(client, tenant), Switch(client, switch_headers)
        plane: DataPlane = client.app.state.data_plane
        connection = api.connection()
        profile = api.profile(connection_ids=[connection["id"]], ports=1)
        switch.end(switch.authorize(connection["id"])["call_id"], 1)  # the tenant's counters exist
        reserve(switch, plane, "orphan", profile)
        deadline = time.monotonic() + 10
        while held(switch, plane, profile):
            assert time.monotonic() < deadline, "the orphaned reservation was never freed"
            time.sleep(0.05)
        assert switch.authorize(connection["id"])["decision"] == "allow"
        assert "outbound_profiles_reservations_freed_total 1.0" in client.get("/metrics").text
