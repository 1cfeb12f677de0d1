"""Shared counters compared with the active calls: a port held for no active call (its process died
between the reservation and the record, or before it retried an end's release) is freed after two
passes that found it so, and a call still being recorded, or active, keeps its port."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import redis
from litestar.testing import TestClient

from outbound_profiles.app import create_app
from outbound_profiles.authorizations import service
from outbound_profiles.authorizations.schemas import AuthorizationOut
from outbound_profiles.authorizations.service import DataPlane
from outbound_profiles.config import Settings
from outbound_profiles.counters import Admission, CountersUnavailable, MemoryCounters
from outbound_profiles.counters.redis import RedisCounters
from outbound_profiles.db.database import Database
from outbound_profiles.policy.decide import Call
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


def held(switch: Switch, plane: DataPlane, profile: dict[str, Any]) -> set[str]:
    """The calls the counters hold a port for."""
    with switch.client.portal() as portal:
        found = portal.call(plane.counters.held, int(profile["user_id"]))
    return set(found or {})


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
    assert held(switch, data_plane, profile) == {"kept"}
    assert switch.authorize(connection["id"], call_id="next")["decision"] == "allow"
    assert reconcile(switch, data_plane) == 0
    assert held(switch, data_plane, profile) == {"kept", "next"}


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
    assert held(switch, data_plane, profile) == {"late"}
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


def test_a_retry_taking_over_a_reservation_as_the_second_pass_looks_keeps_its_port(
    switch: Switch, api: Api, data_plane: DataPlane
) -> None:
    """The retry is told "held" and waits for the dead request's record while the second pass reads the
    active calls: the takeover gave the reservation a new stamp, so the pass frees nothing."""
    connection = api.connection()
    profile = api.profile(connection_ids=[connection["id"]], ports=1)
    switch.end(switch.authorize(connection["id"])["call_id"], 1)  # the tenant's counters exist
    reserve(switch, data_plane, "orphan", profile)
    assert reconcile(switch, data_plane) == 0

    async def retry_during_the_second_pass() -> tuple[AuthorizationOut, int]:
        retry = asyncio.ensure_future(data_plane.authorize(Call("orphan", connection["id"], "+12025550123", "+1312")))
        await asyncio.sleep(0.1)  # told "held", waiting for a record
        freed = await data_plane.reconcile()
        return await retry, freed

    with switch.client.portal() as portal:
        answer, freed = portal.call(retry_during_the_second_pass)
    assert (answer.decision, freed) == ("allow", 0)
    assert held(switch, data_plane, profile) == {"orphan"}
    assert switch.authorize(connection["id"])["reason"] == "profile_ports_exhausted"


def test_a_reservation_made_anew_since_the_first_pass_is_not_freed_by_the_second(
    switch: Switch, api: Api, data_plane: DataPlane
) -> None:
    connection = api.connection()
    profile = api.profile(connection_ids=[connection["id"]], ports=1)
    switch.end(switch.authorize(connection["id"])["call_id"], 1)
    reserve(switch, data_plane, "x", profile)
    assert reconcile(switch, data_plane) == 0
    with switch.client.portal() as portal:
        assert portal.call(data_plane.counters.release, int(profile["user_id"]), int(profile["id"]), "x")
    reserve(switch, data_plane, "x", profile)  # another request's, still being recorded
    assert reconcile(switch, data_plane) == 0
    assert held(switch, data_plane, profile) == {"x"}
    assert reconcile(switch, data_plane) == 1  # seen twice now


def test_each_port_freed_is_counted_and_a_failing_tenant_holds_up_no_other(
    switch: Switch, api: Api, other_tenant: Tenant, data_plane: DataPlane, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The release of "b" fails after "a"'s port was freed: "a" is counted, "b" is freed on the next
    pass, and another tenant's orphan is freed meanwhile, whichever comes first in the pass."""
    other = Api(switch.client, other_tenant)
    mine, theirs = (who.profile(connection_ids=[who.connection()["id"]], ports=3) for who in (api, other))
    for profile, calls in ((mine, ("a", "b")), (theirs, ("c",))):
        with switch.client.portal() as portal:  # the tenant's counters exist
            portal.call(data_plane.counters.restore, int(profile["user_id"]), [], int(time.time() * 1000))
        for call_id in calls:
            reserve(switch, data_plane, call_id, profile)
    assert reconcile(switch, data_plane) == 0
    counted: list[int] = []
    monkeypatch.setattr(data_plane, "observer", Counted(counted))
    release = data_plane.counters.release_reservation

    async def b_fails(account_id: int, call_id: str, stamp: str) -> bool:
        if call_id == "b":
            raise CountersUnavailable("Redis: Timeout reading from 127.0.0.1:6379")
        return await release(account_id, call_id, stamp)

    monkeypatch.setattr(data_plane.counters, "release_reservation", b_fails)
    assert reconcile(switch, data_plane) == 2  # a and c
    assert (counted, held(switch, data_plane, mine), held(switch, data_plane, theirs)) == ([1, 1], {"b"}, set())
    monkeypatch.setattr(data_plane.counters, "release_reservation", release)
    assert reconcile(switch, data_plane) == 1  # b: its suspicion was kept
    assert held(switch, data_plane, mine) == set()


@dataclass
class Counted:
    freed: list[int]

    def decided(self, decision: str, reason: str | None, seconds: float) -> None:
        pass

    def active_calls_now(self, count: int) -> None:
        pass

    def reservations_freed(self, count: int) -> None:
        self.freed.append(count)

    def held_for_decisions(self, entries: dict[str, int]) -> None:
        pass


@pytest.mark.redis
def test_a_tenant_with_many_held_calls_is_read_in_pieces(
    switch: Switch, api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    """Counters as the service opens them (a 0.5 s socket timeout): a tenant holding 100,000 calls is read
    without timing out (one reply of them all did), and another tenant's orphan is freed meanwhile."""
    plane: DataPlane = switch.client.app.state.data_plane
    backend, original = Backend("redis", redis_url()), plane.counters
    plane.counters = RedisCounters.from_url(redis_url(), prefix=backend.prefix)
    big = f"{backend.prefix}:{{acct:{2**62}}}"
    client = redis.Redis.from_url(redis_url())
    try:
        client.sadd(f"{backend.prefix}:tenants", 2**62)
        client.hset(f"{big}:meta", "present", "1")
        for start in range(0, 100_000, 10_000):
            calls = {f"{n:032x}": "1" for n in range(start, start + 10_000)}
            client.hset(f"{big}:calls", mapping=calls)
            client.hset(f"{big}:stamps", mapping=dict.fromkeys(calls, "1:1"))
        connection = api.connection()
        profile = api.profile(connection_ids=[connection["id"]], ports=1)
        switch.end(switch.authorize(connection["id"])["call_id"], 1)
        reserve(switch, plane, "orphan", profile)
        with caplog.at_level("WARNING", logger="outbound_profiles.data_plane"):
            assert reconcile(switch, plane) == 0
        assert "could not be reconciled" not in caplog.text
        client.hdel(f"{big}:meta", "present")  # so the second pass need not free its 100,000 one by one
        assert reconcile(switch, plane) == 1
        assert held(switch, plane, profile) == set()
    finally:
        with switch.client.portal() as portal:
            portal.call(plane.counters.close)
        plane.counters = original
        client.close()
        backend.delete_keys()
