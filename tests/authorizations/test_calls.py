"""A call's life after its allow: end, keepalive, lease expiry, and surviving a restart."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import select

from outbound_profiles.app import create_app
from outbound_profiles.authorizations import repository, service
from outbound_profiles.config import Settings
from outbound_profiles.db.database import Database
from outbound_profiles.db.engine import build_engine
from outbound_profiles.models import calls, daily_spend
from tests.authorizations.conftest import Line, Switch
from tests.conftest import Api


def test_a_call_row_reads_every_column_of_calls() -> None:
    assert repository.CallRow._fields == tuple(calls.c.keys())


def test_end_answers_the_call_record_and_a_second_end_changes_nothing(switch: Switch, line: Line) -> None:
    allowed = switch.authorize(line.connection_id, call_id="c1")
    ended = switch.end("c1", 63)
    assert ended.status_code == 200, ended.text
    record = ended.json()
    assert record["call_id"] == "c1"
    assert record["duration_seconds"] == 63
    assert record["end_reason"] == "completed"
    assert record["outbound_profile_id"] == allowed["outbound_profile_id"]
    assert record["connection_id"] == line.connection_id
    assert record["to"] == "+12025550123"
    assert record["destination_country"] == "US"
    again = switch.end("c1", 99)
    assert again.status_code == 200
    assert again.json() == record


def test_without_a_duration_the_time_since_the_allow_is_taken(switch: Switch, line: Line) -> None:
    switch.authorize(line.connection_id, call_id="c2")
    record = switch.end("c2").json()
    assert 0 <= record["duration_seconds"] <= 5


def test_ending_or_keeping_alive_an_unknown_call_is_a_404(switch: Switch) -> None:
    response = switch.end("never-authorized")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "10005"
    keepalive = switch.client.post("/termination/authorizations/never/keepalive", headers=switch.headers)
    assert keepalive.status_code == 404


def test_a_bad_end_body_is_refused_and_changes_nothing(switch: Switch, line: Line) -> None:
    switch.authorize(line.connection_id, call_id="c3")
    for body in ({"duration_seconds": -1}, {"duration_seconds": "60"}, {"other": 1}):
        response = switch.client.post("/termination/authorizations/c3/end", json=body, headers=switch.headers)
        assert response.status_code == 400, body
    assert switch.end("c3", 5).json()["duration_seconds"] == 5


def test_keepalive_extends_the_lease(switch: Switch, line: Line) -> None:
    allowed = switch.authorize(line.connection_id, call_id="c4")
    kept = switch.client.post("/termination/authorizations/c4/keepalive", headers=switch.headers)
    assert kept.status_code == 200, kept.text
    assert kept.json()["lease_expires_at"] >= allowed["lease_expires_at"]
    switch.end("c4", 1)
    ended = switch.client.post("/termination/authorizations/c4/keepalive", headers=switch.headers)
    assert ended.status_code == 404


@pytest.fixture
def short_leases(settings: Settings, database: Database) -> Iterator[TestClient[Any]]:
    app = create_app(Settings(database_url=settings.database_url, lease_seconds=1), database)
    with TestClient(app) as client:
        yield client


def test_an_expired_lease_frees_its_port_and_ends_the_call(
    short_leases: TestClient[Any], switch_headers: dict[str, str], tenant: Any
) -> None:
    api = Api(short_leases, tenant)
    connection = api.connection()
    api.profile(connection_ids=[connection["id"]], ports=1)
    switch = Switch(short_leases, switch_headers)
    assert switch.authorize(connection["id"], call_id="silent")["decision"] == "allow"
    assert switch.authorize(connection["id"])["reason"] == "profile_ports_exhausted"
    deadline = 0
    while switch.authorize(connection["id"], call_id=f"later-{deadline}")["decision"] != "allow":
        deadline += 1
        assert deadline < 40, "the lease never ran out"
        time.sleep(0.1)
    record = switch.end("silent").json()
    assert record["end_reason"] == "lease_expired"
    assert record["duration_seconds"] == 0  # billed to its last keepalive: none


def test_active_calls_survive_a_restart_of_the_service(
    settings: Settings, switch_headers: dict[str, str], tenant: Any
) -> None:
    """A new process (here: a new application on a new Database) rebuilds the counters from the
    active calls: the port held before the restart is still held."""
    first = Database(build_engine(settings))
    with TestClient(create_app(settings, first)) as client:
        api = Api(client, tenant)
        connection = api.connection()
        api.profile(connection_ids=[connection["id"]], ports=1)
        assert Switch(client, switch_headers).authorize(connection["id"], call_id="kept")["decision"] == "allow"
    first.dispose()
    second = Database(build_engine(settings))
    try:
        with TestClient(create_app(settings, second)) as client:
            switch = Switch(client, switch_headers)
            assert switch.authorize(connection["id"])["reason"] == "profile_ports_exhausted"
            assert switch.end("kept", 3).status_code == 200
            assert switch.authorize(connection["id"])["decision"] == "allow"
    finally:
        second.dispose()


def test_a_sip_call_id_with_odd_characters_works_in_the_path(switch: Switch, line: Line) -> None:
    call_id = "a84b4c76e66710@pc33.atlanta.com/x y"
    assert switch.authorize(line.connection_id, call_id=call_id)["decision"] == "allow"
    ended = switch.client.post(
        "/termination/authorizations/a84b4c76e66710@pc33.atlanta.com%2Fx%20y/end", json={}, headers=switch.headers
    )
    assert ended.status_code == 200, ended.text
    assert ended.json()["call_id"] == call_id


def test_an_encoded_slash_is_part_of_the_call_id_not_a_separator(switch: Switch, line: Line) -> None:
    switch.authorize(line.connection_id, call_id="c9")
    switch.authorize(line.connection_id, call_id="warm-up")  # the token is remembered: both paths are tried
    for action in ("end", "keepalive", "END"):
        # The call "c9/end" (with no action), not an end of "c9".
        response = switch.client.post(f"/termination/authorizations/c9%2F{action}", json={}, headers=switch.headers)
        assert response.status_code == 404, (action, response.text)
    assert switch.end("c9", 5).json()["duration_seconds"] == 5  # it was still running


def test_a_reservation_whose_request_died_is_taken_over_by_its_retry(switch: Switch, api: Api) -> None:
    """A node that crashed between reserving a call in the counters and recording it: the switch's
    retry of that call finds the reservation, records the call and is answered allow."""
    from outbound_profiles.counters import Admission

    connection = api.connection()
    profile = api.profile(connection_ids=[connection["id"]], ports=1)
    data_plane = switch.client.app.state.data_plane
    account_id = int(profile["user_id"])
    warm = switch.authorize(connection["id"])  # the account's counters now exist
    switch.end(warm["call_id"], 1)
    now_ms = int(time.time() * 1000)
    admission = Admission("orphan", account_id, int(profile["id"]), 100, 1, None, None, None, None, now_ms)
    assert asyncio.run(data_plane.counters.admit(admission)) is None  # the dead request's reservation (in memory)
    answer = switch.authorize(connection["id"], call_id="orphan")
    assert answer["decision"] == "allow"
    assert switch.authorize(connection["id"])["reason"] == "profile_ports_exhausted"
    assert switch.end("orphan", 4).status_code == 200
    assert switch.authorize(connection["id"])["decision"] == "allow"


def test_a_keepalive_that_lands_after_the_sweep_read_the_call_keeps_it(
    switch: Switch, line: Line, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sweep reads a call whose lease ran out, then a keepalive of it commits (another node's
    request, say): the keepalive was answered 200, so the call stays active and keeps its port."""
    switch.authorize(line.connection_id, call_id="late")
    database.run_sync(lambda c: c.exec_driver_sql("UPDATE calls SET lease_expires_at = started_at"), write=True)
    read = repository.get

    def read_then_kept_alive(connection: Any, call_id: str) -> Any:
        row = read(connection, call_id)
        now = datetime.now(UTC)
        assert repository.keepalive(connection, call_id, now, now + timedelta(hours=1)) is not None
        return row

    monkeypatch.setattr(repository, "get", read_then_kept_alive)
    with switch.client.portal() as portal:
        ended = portal.call(switch.client.app.state.data_plane.sweep)
    monkeypatch.setattr(repository, "get", read)
    assert ended == 0
    kept = switch.client.post("/termination/authorizations/late/keepalive", headers=switch.headers)
    assert kept.status_code == 200, kept.text
    assert kept.json()["ended_at"] is None


def test_a_call_that_cannot_be_ended_holds_up_no_other_expiry(
    switch: Switch, line: Line, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    switch.authorize(line.connection_id, call_id="stuck")
    switch.authorize(line.connection_id, call_id="fine")
    real = service._finish

    def failing(connection: Any, row: Any, *args: Any, **kwargs: Any) -> Any:
        if row.call_id == "stuck":
            raise RuntimeError("this call cannot be ended")
        return real(connection, row, *args, **kwargs)

    monkeypatch.setattr(service, "_finish", failing)
    database.run_sync(lambda c: c.exec_driver_sql("UPDATE calls SET lease_expires_at = started_at"), write=True)
    data_plane = switch.client.app.state.data_plane
    with switch.client.portal() as portal:
        portal.call(data_plane.sweep)
    assert switch.end("fine").json()["end_reason"] == "lease_expired"
    monkeypatch.setattr(service, "_finish", real)
    assert switch.end("stuck").json()["end_reason"] in ("completed", "lease_expired")


def _call(call_id: str, started_at: datetime, **changed: Any) -> dict[str, Any]:
    """The values an allow inserts for a call (`repository.INSERTED`)."""
    values = {
        "call_id": call_id,
        "user_id": 1,
        "outbound_profile_id": 2,
        "connection_id": 3,
        "billing_group_id": None,
        "to_number": "+12025550123",
        "from_number": "+13125550100",
        "destination_country": "US",
        "rate": None,
        "connect_fee": None,
        "initial_increment": None,
        "subsequent_increment": None,
        "started_at": started_at,
        "lease_expires_at": started_at + timedelta(hours=4),
        "last_keepalive_at": started_at,
        "max_duration_seconds": None,
        "decision": "{}",
    }
    assert tuple(values) == repository.INSERTED
    return {**values, **changed}


def test_an_allow_learns_from_its_insert_alone_that_its_call_is_new(database: Database) -> None:
    """The INSERT of a new call counts its row, and a second one with the same id counts none and reads
    the first, on both engines (psycopg counted -1 for every INSERT, so each allow read its row back)."""
    values = _call("once", datetime.now(UTC))
    reads: list[str] = []
    real = repository.get

    def counted(connection: Any, call_id: str) -> Any:
        reads.append(call_id)
        return real(connection, call_id)

    def twice(connection: Any) -> list[Any]:
        return [repository.insert(connection, values), repository.insert(connection, {**values, "to_number": "+1"})]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(repository, "get", counted)
        first, second = database.run_sync(twice, write=True)
    assert first is None
    assert second is not None
    assert second.to_number == "+12025550123"
    assert reads == ["once"]


def test_an_end_adds_its_cost_and_one_call_to_the_utc_day_its_call_started(database: Database) -> None:
    """The day's spend is added to by the statement that ends the call (a trigger), on the day the call
    started in UTC (not the day it ended, nor the day in the offset it was given in), once."""
    plus_five = timezone(timedelta(hours=5))
    late = datetime(2026, 12, 6, 23, 59, 59, 999999, tzinfo=UTC)
    calls_started = {
        "late": late,
        "offset": datetime(2026, 12, 7, 4, 59, 0, tzinfo=plus_five),  # 23:59 UTC on the 6th
        "midnight": datetime(2026, 12, 7, tzinfo=UTC),
        "unpriced": datetime(2026, 12, 7, 0, 0, 1, tzinfo=UTC),
    }
    costs = {"late": 1_000, "offset": 20_000, "midnight": 300_000, "unpriced": None}
    ended_at = datetime(2026, 12, 7, 0, 10, tzinfo=UTC)

    def work(connection: Any) -> tuple[list[bool], dict[tuple[str, int, int], tuple[int, int]]]:
        for call_id, started_at in calls_started.items():
            assert repository.insert(connection, _call(call_id, started_at)) is None
        ended = [
            repository.end(
                connection,
                call_id,
                {
                    "ended_at": ended_at,
                    "duration_seconds": 30,
                    "end_reason": "completed",
                    "billed_seconds": None if costs[call_id] is None else 30,
                    "cost_micros": costs[call_id],
                },
            )
            for call_id in [*calls_started, "late"]  # the second end of "late" ends nothing
        ]
        rows = connection.execute(
            select(
                daily_spend.c.day,
                daily_spend.c.outbound_profile_id,
                daily_spend.c.user_id,
                daily_spend.c.settled_micros,
                daily_spend.c.calls,
            )
        ).all()
        return ended, {(str(day), profile, user): (micros, count) for day, profile, user, micros, count in rows}

    ended, spend = database.run_sync(work, write=True)
    assert ended == [True, True, True, True, False]
    assert spend == {("2026-12-06", 2, 1): (21_000, 2), ("2026-12-07", 2, 1): (300_000, 2)}
