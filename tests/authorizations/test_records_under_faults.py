"""Every allowed call ends as exactly one call record, even when the service or Redis dies in the
middle of a call load. A load of switches authorizes calls and ends them; one fault strikes; the
switches end whatever they were told was allowed; what the database keeps is then counted against
what the switches were told."""

from __future__ import annotations

import asyncio
import random
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from sqlalchemy import text

from outbound_profiles.config import Settings
from outbound_profiles.db.database import Database
from tests.authorizations.test_live import Scene
from tests.live import LiveServer, crash, free_port, live_server
from tests.redis_pass import installed

SWITCHES = 16
LEASE_S = "4"  # short, so the calls written but never answered (cut off by the fault) expire soon


@dataclass
class Load:
    """What the switches were told: the calls allowed, those they ended, and those whose authorize
    got no answer (written or not, the switch never placed them)."""

    allowed: set[str] = field(default_factory=set)
    ended: set[str] = field(default_factory=set)
    unanswered: set[str] = field(default_factory=set)
    denied: dict[str, int] = field(default_factory=dict)
    end_times: list[float] = field(default_factory=list)  # time.monotonic() of each end answered


async def _run_load(base_url: str, scene: Scene, load: Load, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(timeout=5) as client:

        async def switch(number: int) -> None:
            count = 0
            while time.monotonic() < deadline:
                count += 1
                call_id = f"s{number}-{count}"
                try:
                    response = await client.post(
                        f"{base_url}/termination/authorizations", json=scene.body(call_id), headers=scene.switch
                    )
                except httpx.HTTPError:
                    load.unanswered.add(call_id)
                    await asyncio.sleep(0.05)
                    continue
                if response.status_code != 200:
                    load.unanswered.add(call_id)
                    continue
                answer = response.json()
                if answer["decision"] != "allow":
                    load.denied[answer["reason"]] = load.denied.get(answer["reason"], 0) + 1
                    await asyncio.sleep(0.01)
                    continue
                load.allowed.add(call_id)
                await asyncio.sleep(random.uniform(0, 0.05))
                try:
                    ended = await client.post(
                        f"{base_url}/termination/authorizations/{call_id}/end",
                        json={"duration_seconds": 1},
                        headers=scene.switch,
                    )
                except httpx.HTTPError:
                    continue
                if ended.status_code == 200:
                    load.ended.add(call_id)
                    load.end_times.append(time.monotonic())

        await asyncio.gather(*(switch(n) for n in range(SWITCHES)))


def _end_the_rest(server: LiveServer, scene: Scene, load: Load) -> None:
    """What a switch does when the service is back: report the end of every call it placed."""
    for call_id in sorted(load.allowed - load.ended):
        response = httpx.post(
            f"{server.base_url}/termination/authorizations/{call_id}/end",
            json={"duration_seconds": 1},
            headers=scene.switch,
            timeout=10,
        )
        assert response.status_code == 200, response.text
        load.ended.add(call_id)


def _records_once_every_lease_ran_out(database: Database) -> dict[str, tuple[Any, ...]]:
    deadline = time.monotonic() + 20
    while True:
        rows = database.run_sync(
            lambda c: c.execute(text("SELECT call_id, ended_at, end_reason, cost_micros FROM calls")).all(), write=False
        )
        if all(row.ended_at is not None for row in rows):
            return {row.call_id: tuple(row) for row in rows}
        assert time.monotonic() < deadline, "some calls were never ended, by their switch or by their lease"
        time.sleep(0.25)


def _assert_one_record_per_allowed_call(load: Load, records: dict[str, tuple[Any, ...]]) -> None:
    assert load.allowed, "the load placed no call"
    missing = load.allowed - records.keys()
    assert not missing, f"{len(missing)} allowed calls left no record: {sorted(missing)[:5]}"
    # A record the switches were not told about can only be a call whose answer the fault cut off.
    unknown = records.keys() - load.allowed - load.unanswered
    assert not unknown, f"records of calls never allowed: {sorted(unknown)[:5]}"
    for call_id in load.allowed:
        assert records[call_id][2] in ("completed", "lease_expired"), records[call_id]


def _ports_are_all_free(server: LiveServer, scene: Scene, ports: int) -> None:
    answers = []
    for index in range(ports + 1):
        response = httpx.post(
            f"{server.base_url}/termination/authorizations", json=scene.body(f"check-{index}"), headers=scene.switch
        )
        answers.append(response.json()["reason"] or "allow")
    assert answers == ["allow"] * ports + ["profile_ports_exhausted"]


def test_a_sigkill_of_the_service_under_load_leaves_exactly_one_record_per_allowed_call(
    settings: Settings, database: Database, tmp_path: Path
) -> None:
    load = Load()
    env = {"OUTBOUND_PROFILES_LEASE_SECONDS": LEASE_S}
    with live_server(settings.database_url, tmp_path, env=env) as server:
        scene = Scene(server.base_url, database)

        async def load_then_crash() -> None:
            running = asyncio.ensure_future(_run_load(server.base_url, scene, load, 2.0))
            await asyncio.sleep(0.8)
            await asyncio.to_thread(crash, server)
            await running

        asyncio.run(load_then_crash())
    assert load.allowed - load.ended, "the crash struck no running call"
    with live_server(settings.database_url, tmp_path, env=env) as server:
        _end_the_rest(server, scene, load)
        records = _records_once_every_lease_ran_out(database)
        _assert_one_record_per_allowed_call(load, records)
        _ports_are_all_free(server, scene, 7)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[tuple[str, Any]]:
    """A Redis server of this test's own (in memory only), which it may kill and start again."""
    [binary] = installed("redis-server")
    port = free_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    processes: list[subprocess.Popen[bytes]] = []

    def start() -> None:
        process = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL)
        processes.append(process)
        client = redis.Redis(port=port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        client.close()

    start()
    try:
        yield f"redis://127.0.0.1:{port}/0", start
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)


@pytest.mark.redis
def test_a_redis_killed_under_load_and_back_empty_leaves_exactly_one_record_per_allowed_call(
    settings: Settings, database: Database, tmp_path: Path, own_redis: tuple[str, Any]
) -> None:
    url, start_redis = own_redis
    load = Load()
    env = {"OUTBOUND_PROFILES_LEASE_SECONDS": LEASE_S, "OUTBOUND_PROFILES_REDIS_URL": url}
    with live_server(settings.database_url, tmp_path, env=env) as server:
        scene = Scene(server.base_url, database)

        async def load_with_an_outage() -> None:
            running = asyncio.ensure_future(_run_load(server.base_url, scene, load, 2.5))
            await asyncio.sleep(0.7)
            outage.append(time.monotonic())
            redis.Redis.from_url(url).shutdown(nosave=True)  # its data with it: it keeps nothing on disk
            await asyncio.sleep(0.6)
            await asyncio.to_thread(start_redis)
            outage.append(time.monotonic())
            await running

        outage: list[float] = []
        asyncio.run(load_with_an_outage())
        assert load.denied.get("counters_unavailable"), f"the outage was never seen: {load.denied}"
        # Calls ended while Redis was down: recorded, their ports freed once it is back.
        assert any(outage[0] < at < outage[1] for at in load.end_times), "no call ended during the outage"
        assert any(int(call_id.rsplit("-", 1)[1]) > 1 for call_id in load.allowed), "no call after the outage"
        _end_the_rest(server, scene, load)
        records = _records_once_every_lease_ran_out(database)
        _assert_one_record_per_allowed_call(load, records)
        _ports_are_all_free(server, scene, 7)
