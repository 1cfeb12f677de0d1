"""A decision's target read on a cache miss (the profile's snapshot built straight from its columns)
is the one the whole profile gives, and decides every call as a cache hit does."""

from __future__ import annotations

import asyncio
import functools
import gc
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import Connection, text

from outbound_profiles.accounts import service as accounts
from outbound_profiles.authorizations.service import DataPlane
from outbound_profiles.authorizations.targets import UNKNOWN, Targets
from outbound_profiles.connections import repository as connections
from outbound_profiles.db import group_commit
from outbound_profiles.db.database import Database
from outbound_profiles.db.engine import build_engine
from outbound_profiles.policy.decide import Call, ProfileSnapshot, Target, decide
from outbound_profiles.profiles import repository as profiles
from outbound_profiles.profiles.model import from_row
from tests.conftest import Api

# Settings that take every branch of the snapshot: spend limit on and off, own maximum rate,
# tariff, recording numbers, ports, extra CPS, a narrow whitelist, an inactive profile.
VARIED: list[dict[str, Any]] = [
    {},
    {"daily_spend_limit": "12.34", "daily_spend_limit_enabled": True, "ports": 3},
    {"daily_spend_limit": "5.00", "daily_spend_limit_enabled": False, "cps_limit_increase": 7},
    {"max_destination_rate": 0.05, "usage_payment_method": "tariff", "whitelisted_destinations": ["GB"]},
    {
        "call_recording_type": "by_caller_phone_number",
        "call_recording_phone_numbers": ["+13125550100", "+13125550101"],
        "call_recording_format": "mp3",
        "call_recording_channels": "dual",
        "service_plan": 1,
        "active": False,
    },
]
WINDOW = {"start_time": "22:00:00", "end_time": "06:30:15", "calls_per_cld": 2}
NUMBERS = ["+12025550123", "+442079460000", "+33142685300", "+16135550123"]


def _connection_with(api: Api, settings: dict[str, Any], *, window: bool) -> tuple[int, int]:
    connection = api.connection()
    profile = api.profile(connection_ids=[connection["id"]], **settings)
    if window:
        response = api.client.patch(
            f"/v2/outbound_voice_profiles/{profile['id']}",
            json={"name": "windowed", "calling_window": WINDOW},
            headers=api.tenant.headers,
        )
        assert response.status_code == 200, response.text
    return int(connection["id"]), int(profile["id"])


@pytest.mark.parametrize("window", [False, True])
@pytest.mark.parametrize("profile_settings", VARIED)
def test_a_miss_builds_the_target_the_whole_profile_gives(
    api: Api, database: Database, profile_settings: dict[str, Any], window: bool
) -> None:
    connection_id, profile_id = _connection_with(api, profile_settings, window=window)
    data_plane: DataPlane = api.client.app.state.data_plane
    account = api.tenant.account
    row = database.run_sync(lambda c: profiles.get(c, account.id, profile_id), write=False)
    assert row is not None
    expected = Target(connection_id, True, account.id, account.concurrent_call_limit, ProfileSnapshot.of(from_row(row)))

    # PostgreSQL: a read during which the set-up's own change notification came is not cached; read
    # until one is.
    for _ in range(50):
        missed = database.run_sync(lambda c: data_plane.targets.load(c, connection_id), write=False)
        if data_plane.targets.get(connection_id) is not None:
            break
        time.sleep(0.05)

    assert missed == expected
    assert data_plane.targets.get(connection_id) == missed  # what a hit then decides with
    deck = data_plane.decks.current()
    for n, to in enumerate(NUMBERS):
        call = Call(f"call-{n}", str(connection_id), to, "+13125550100")
        for now in (1_800_000_000.0, 1_800_030_000.0, 1_800_060_000.0):  # hours inside and outside the window
            assert decide(call, missed, deck, now) == decide(call, expected, deck, now)


def test_what_the_data_plane_keeps_per_connection_and_per_denial_is_not_for_the_collector_to_walk(
    api: Api, database: Database, switch_headers: dict[str, str]
) -> None:
    # A cache of 100,000 targets tracked by the garbage collector made its collections walk 400,000
    # objects: 115-460 ms with every request waiting. Untracked, they cost a collection nothing.
    settings = VARIED[4] | {"active": True, "whitelisted_destinations": ["US", "GB"], "service_plan": 4}
    connection_id, _ = _connection_with(api, settings, window=True)
    data_plane: DataPlane = api.client.app.state.data_plane
    target = database.run_sync(lambda c: data_plane.targets.load(c, connection_id), write=False)
    assert target.profile is not None
    assert target.profile.window is not None
    kept = [target, target.profile, target.profile.whitelist, target.profile.recording_numbers, target.profile.window]
    assert [gc.is_tracked(thing) for thing in kept] == [False] * len(kept)
    denied = api.client.post(
        "/termination/authorizations",
        json={"call_id": "denied", "connection_id": str(connection_id), "to": "+33142685300", "from": "+1"},
        headers=switch_headers,
    )
    assert denied.json()["reason"] == "destination_not_whitelisted"
    assert [gc.is_tracked(answer) for answer in data_plane._denials.values()] == [False]


def test_a_miss_on_a_connection_without_a_profile_or_unknown(api: Api, database: Database) -> None:
    connection = api.connection(active=False)
    data_plane: DataPlane = api.client.app.state.data_plane
    account = api.tenant.account

    without = database.run_sync(lambda c: data_plane.targets.load(c, int(connection["id"])), write=False)
    unknown = database.run_sync(lambda c: data_plane.targets.load(c, 1), write=False)

    assert without == Target(int(connection["id"]), False, account.id, account.concurrent_call_limit, None)
    assert unknown.connection_id == 0  # cached as unknown: a decision sees no target


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)  # group commit is SQLite's
def test_a_miss_during_an_open_batch_answers_with_that_batch_s_commit(
    client: TestClient[Any], api: Api, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The miss reads only tables the batch has not written: it need not wait for that batch's
    COMMIT before its call is written, so the call is written in the same batch and one COMMIT
    answers both requests (waiting made it two)."""
    connection_id, _ = _connection_with(api, {}, window=False)
    data_plane: DataPlane = client.app.state.data_plane
    commits: list[int] = []
    real_end = group_commit.end

    def counting_end(connection: Connection, driver: Any, *, commit: bool) -> None:
        real_end(connection, driver, commit=commit)
        commits.append(commit)

    async def scenario() -> str:
        await data_plane.authorize(Call("first", str(connection_id), NUMBERS[0], "+13125550100"))  # counters ready
        data_plane.targets.clear()  # the next call's target misses
        other = asyncio.ensure_future(database.write(lambda c: None))  # a request that opens the batch
        await asyncio.sleep(0)
        monkeypatch.setattr("outbound_profiles.db.database.end", counting_end)
        answer = await data_plane.authorize(Call("batched-miss", str(connection_id), NUMBERS[0], "+13125550100"))
        await other
        return answer.decision

    with client.portal() as portal:
        assert portal.call(scenario) == "allow"
    assert commits == [True]


def _held(data_plane: DataPlane, connection_id: str) -> Target | None:
    return data_plane.targets.get(int(connection_id))


def _until(condition: Any, what: str) -> None:
    """PostgreSQL: a change's notification reaches the caches a moment after its commit."""
    deadline = time.monotonic() + 5
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def _warm_until(portal: Any, data_plane: DataPlane, held: Callable[[], bool]) -> None:
    """Warm the caches until `held`: on PostgreSQL, a warm during which a notification of the test's
    own set-up came keeps less, as it should."""

    def warmed() -> bool:
        portal.call(data_plane.targets.warm)
        return held()

    _until(warmed, "the warm did not hold what it should")


def test_a_change_of_one_profile_or_connection_drops_its_own_targets_only(
    api: Api, switch_headers: dict[str, str]
) -> None:
    # Clearing every target on any change of a profile made each PUT cost the next calls of every
    # connection a read.
    data_plane: DataPlane = api.client.app.state.data_plane
    lines = []
    for n in range(2):
        connection = api.connection()
        profile = api.profile(connection_ids=[connection["id"]], name=f"line {n}", ports=5)
        lines.append((connection["id"], profile["id"]))
    (changed, changed_profile), (kept, _) = lines
    for n, (connection_id, _) in enumerate(lines):
        call = {"call_id": f"fill-{n}", "connection_id": connection_id, "to": "+12025550123", "from": "+13125550100"}
        response = api.client.post("/termination/authorizations", json=call, headers=switch_headers)
        assert response.json()["decision"] == "allow", response.text
    kept_target = _held(data_plane, kept)
    assert kept_target is not None
    kept_profile = kept_target.profile
    assert kept_profile is not None
    kept_link = data_plane.targets.links.get(int(kept))
    changed_link = data_plane.targets.links.get(int(changed))
    assert changed_link is not None

    def untouched() -> bool:  # the very entries held before: not dropped and read again
        targets = data_plane.targets
        return targets.links.get(int(kept)) is kept_link and targets.profiles.get(kept_profile.id) is kept_profile

    response = api.client.put(
        f"/termination/endpoints/{changed_profile}", json={"ports": 9}, headers=api.tenant.headers
    )
    assert response.status_code == 200, response.text
    _until(lambda: _held(data_plane, changed) is None, "the changed profile's target was kept")
    assert untouched()
    assert data_plane.targets.links.get(int(changed)) is changed_link  # only its profile changed
    assert _held(data_plane, kept) == kept_target

    response = api.client.put(
        f"/termination/endpoints/{changed_profile}", json={"connection_ids": []}, headers=api.tenant.headers
    )
    assert response.status_code == 200, response.text
    _until(lambda: data_plane.targets.links.get(int(changed)) is None, "the detached connection's link was kept")
    assert untouched()
    call = {"call_id": "detached", "connection_id": changed, "to": "+12025550123", "from": "+13125550100"}
    answer = api.client.post("/termination/authorizations", json=call, headers=switch_headers).json()
    assert answer["decision"] == "deny"
    assert answer["outbound_profile_id"] is None
    held = _held(data_plane, changed)
    assert held is not None
    assert held.profile is None

    response = api.client.put(
        f"/termination/endpoints/{changed_profile}", json={"connection_ids": [changed]}, headers=api.tenant.headers
    )
    assert response.status_code == 200, response.text
    call = {"call_id": "attached again", "connection_id": changed, "to": "+12025550123", "from": "+13125550100"}
    answer = api.client.post("/termination/authorizations", json=call, headers=switch_headers).json()
    assert (answer["decision"], answer["outbound_profile_id"]) == ("allow", changed_profile)
    assert untouched()


def test_a_change_of_the_account_s_call_limit_reaches_its_next_call(
    api: Api, database: Database, switch_headers: dict[str, str]
) -> None:
    data_plane: DataPlane = api.client.app.state.data_plane
    connection = api.connection()
    api.profile(connection_ids=[connection["id"]], name="limited later")
    calls = iter(range(10))

    def authorize() -> dict[str, Any]:
        call = {"call_id": f"limit-{next(calls)}", "connection_id": connection["id"], "to": "+12025550123"}
        response = api.client.post("/termination/authorizations", json={**call, "from": "+1"}, headers=switch_headers)
        answer: dict[str, Any] = response.json()
        return answer

    assert authorize()["decision"] == "allow"
    link = data_plane.targets.links.get(int(connection["id"]))
    assert link is not None

    database.run_sync(
        functools.partial(accounts.update_user, email=api.tenant.email, concurrent_call_limit=1), write=True
    )

    _until(lambda: data_plane.targets.accounts.get(api.tenant.account.id) is None, "the account's limit was kept")
    assert data_plane.targets.links.get(int(connection["id"])) is link  # the connection's entry stays
    assert authorize()["reason"] == "account_ports_exhausted"


def test_warming_holds_every_connection_before_its_first_call(
    api: Api, database: Database, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    data_plane: DataPlane = api.client.app.state.data_plane
    without = api.connection(active=False)
    ids = [int(without["id"])]
    for n in range(3):
        connection = api.connection()
        api.profile(connection_ids=[connection["id"]], name=f"warm {n}", **VARIED[n])
        ids.append(int(connection["id"]))
    expected = [
        database.run_sync(functools.partial(data_plane.targets.load, connection_id=i), write=False) for i in ids
    ]
    data_plane.targets.clear()

    with api.client.portal() as portal, caplog.at_level(logging.INFO, "outbound_profiles.data_plane"):
        _warm_until(portal, data_plane, lambda: [data_plane.targets.get(i) for i in ids] == expected)

    assert "decision caches warmed in" in caplog.text
    assert "Logging error" not in capsys.readouterr().err  # the message's figures match its format


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
def test_warming_stops_at_what_the_caches_hold(api: Api, settings: Any) -> None:
    ids = []
    for n in range(3):
        connection = api.connection()
        ids.append(int(connection["id"]))
        api.profile(connection_ids=[connection["id"]], name=f"bounded {n}")
    database = Database(build_engine(settings))  # caches of its own, of two entries each
    try:
        targets = Targets(database, max_entries=2)
        asyncio.run(targets.warm())
        assert targets.entries() == {"connections": 2, "outbound_profiles": 2, "users": 1}
        # The first two, in the order of their ids: a warm that read the third too would have
        # pushed the first out.
        assert [targets.links.get(i) is not None for i in sorted(ids)] == [True, True, False]

        # Ids no connection has are held apart: however many, they push no connection out.
        for unknown in range(1, 6):
            assert database.run_sync(functools.partial(targets.load, connection_id=unknown), write=False) is UNKNOWN
            assert targets.get(unknown) is UNKNOWN
        assert [targets.links.get(i) is not None for i in sorted(ids)] == [True, True, False]
    finally:
        database.dispose()


def test_a_connection_created_after_its_id_was_asked_for_is_found(api: Api, database: Database) -> None:
    data_plane: DataPlane = api.client.app.state.data_plane
    targets = data_plane.targets
    connection = api.connection()
    connection_id = int(connection["id"])
    response = api.client.delete(f"/security/connections/{connection_id}", headers=api.tenant.headers)
    assert response.status_code == 200, response.text
    _until(lambda: targets.get(connection_id) is None, "the deleted connection was kept")
    load = functools.partial(targets.load, connection_id=connection_id)

    def held_as_unknown() -> bool:  # PostgreSQL: a read during which the delete's notification came is not kept
        assert database.run_sync(load, write=False) is UNKNOWN
        return targets.get(connection_id) is UNKNOWN

    _until(held_as_unknown, "the unknown id was not held")

    again = {
        "id": connection_id,
        "user_id": api.tenant.account.id,
        "connection_name": "again",
        "active": True,
        "outbound_profile_id": None,
        "attach_position": None,
        "created_at": datetime.now(UTC),
    }
    database.run_sync(functools.partial(connections.insert, values=again), write=True)  # as an import makes it

    _until(lambda: targets.get(connection_id) is not UNKNOWN, "the new connection is still unknown")
    found = database.run_sync(functools.partial(targets.load, connection_id=connection_id), write=False)
    assert found.connection_id == connection_id


@pytest.mark.parametrize("settings", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_on_postgresql_the_caches_are_warmed_again_once_the_listener_is_back(api: Api, database: Database) -> None:
    # While the listener is away, changes may be missed: the caches start again empty, and are
    # filled again from the database rather than call by call.
    data_plane: DataPlane = api.client.app.state.data_plane
    connection = api.connection()
    api.profile(connection_ids=[connection["id"]], name="warmed again")
    with api.client.portal() as portal:
        _warm_until(portal, data_plane, lambda: _held(data_plane, connection["id"]) is not None)
    pid = database.listener_pid
    assert pid is not None

    with database.engine.connect() as sql:
        sql.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    _until(lambda: database.listener_pid not in (None, pid), "listening again")
    _until(lambda: _held(data_plane, connection["id"]) is not None, "warmed again, with no call")


def test_equal_settings_of_different_profiles_are_held_once(api: Api, database: Database) -> None:
    # 10^6 profiles mostly repeat a few whitelists and recording settings: one copy each.
    data_plane: DataPlane = api.client.app.state.data_plane
    settings = VARIED[4] | {"whitelisted_destinations": ["US", "CA"], "max_destination_rate": 0.25}
    ids = []
    for n in range(2):
        connection = api.connection()
        api.profile(connection_ids=[connection["id"]], name=f"same {n}", **settings)
        ids.append(int(connection["id"]))
    first, second = (
        database.run_sync(functools.partial(data_plane.targets.load, connection_id=i), write=False) for i in ids
    )
    assert first.profile is not None
    assert second.profile is not None
    assert first.profile.id != second.profile.id
    for field in ("whitelist", "recording_numbers", "recording_type", "recording_format", "max_rate"):
        assert getattr(first.profile, field) is getattr(second.profile, field), field


@pytest.mark.parametrize("settings", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_on_postgresql_caches_emptied_while_a_warm_runs_are_warmed_again_when_it_ends(
    api: Api, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A warm of 10^6 rows takes 13-19 s: a listener lost meanwhile must not leave the caches empty.
    data_plane: DataPlane = api.client.app.state.data_plane
    connection = api.connection()
    api.profile(connection_ids=[connection["id"]], name="emptied while warming")
    warm = Targets.warm
    warms: list[int] = []

    async def slow_warm(targets: Targets) -> None:
        warms.append(len(warms))
        await warm(targets)
        await asyncio.sleep(1.0)

    with api.client.portal() as portal:
        _warm_until(portal, data_plane, lambda: _held(data_plane, connection["id"]) is not None)
        monkeypatch.setattr(Targets, "warm", slow_warm)
        portal.call(_warm_soon, data_plane.targets)
        _until(lambda: bool(warms), "a warm runs")
        pid = database.listener_pid
        with database.engine.connect() as sql:
            sql.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        _until(lambda: database.listener_pid not in (None, pid), "listening again")
        _until(lambda: _held(data_plane, connection["id"]) is not None, "warmed again once the running warm ended")
    assert len(warms) >= 2


async def _warm_soon(targets: Targets) -> None:
    targets._warm_soon()
