"""Call records and daily spend: what an ended call costs, the budget a decision gives, and usage."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from outbound_profiles.authorizations import repository, service
from outbound_profiles.db.database import Database
from outbound_profiles.rating.service import import_default_deck
from tests.authorizations.conftest import Switch
from tests.conftest import Api

# US numbers: a cent a second, billed by the second; 1202: a cent a minute, 6/6; 44: a fee, 60/6.
DECK = """prefix,country,rate,connect_fee,initial_increment,subsequent_increment
1,US,0.60,0,1,1
1202,US,0.01,0,6,6
44,GB,0.60,0.10,60,6
"""
US = "+13125550123"  # 0.60 a minute
DC = "+12025550123"  # 0.01 a minute
GB = "+442071234567"


@pytest.fixture
def rated(switch: Switch, database: Database) -> Switch:
    """The switch, once the server has the deck in effect (it looks twice a second)."""
    import_default_deck(database, DECK.splitlines(keepends=True))
    switch.wait_for_default_deck()
    return switch


def _line(api: Api, **profile: Any) -> tuple[str, str]:
    connection = api.connection()
    created = api.profile(connection_ids=[connection["id"]], whitelisted_destinations=["US", "GB"], **profile)
    return connection["id"], created["id"]


def _usage(api: Api, profile_id: str) -> dict[str, Any]:
    response = api.client.get(f"/termination/endpoints/{profile_id}/usage", headers=api.tenant.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_an_ended_call_is_billed_by_the_tariff_it_was_allowed_under(rated: Switch, api: Api) -> None:
    connection_id, _ = _line(api)
    allowed = rated.authorize(connection_id, DC, call_id="dc")
    assert (allowed["rate"], allowed["max_duration_seconds"]) == ("0.01", None)  # no spend limit: no cap
    record = rated.end("dc", 61).json()
    assert (record["billed_seconds"], record["cost"], record["connect_fee"]) == (66, "0.011000", "0")
    rated.authorize(connection_id, GB, call_id="gb")
    record = rated.end("gb", 61).json()  # 0.10 + 0.60 * 66 / 60
    assert (record["billed_seconds"], record["cost"]) == (66, "0.760000")
    rated.authorize(connection_id, GB, call_id="unanswered")
    assert rated.end("unanswered", 0).json()["cost"] == "0.100000"  # the connect fee only


def test_a_call_without_a_rate_has_no_cost(switch: Switch, api: Api) -> None:
    connection_id, profile_id = _line(api, daily_spend_limit="1.00", daily_spend_limit_enabled=True)
    allowed = switch.authorize(connection_id, US, call_id="unrated")
    assert (allowed["decision"], allowed["rate"], allowed["max_duration_seconds"]) == ("allow", None, None)
    record = switch.end("unrated", 30).json()
    assert (record["billed_seconds"], record["cost"]) == (None, None)
    assert _usage(api, profile_id)["spend"] == "0.000000"


def test_the_daily_budget_caps_each_call_and_refuses_once_spent(rated: Switch, api: Api) -> None:
    connection_id, profile_id = _line(api, daily_spend_limit="1.00", daily_spend_limit_enabled=True)
    first = rated.authorize(connection_id, US, call_id="first")
    assert first["max_duration_seconds"] == 100  # 1.00 at a cent a second
    # Its lease is its maximum duration and a grace of 60 s, not the 4 h default.
    lease = datetime.fromisoformat(first["lease_expires_at"]) - datetime.now(UTC)
    assert timedelta(seconds=150) < lease <= timedelta(seconds=160)
    assert rated.end("first", 60).json()["cost"] == "0.600000"
    second = rated.authorize(connection_id, US, call_id="second")
    assert second["max_duration_seconds"] == 40
    usage = _usage(api, profile_id)
    assert (usage["spend"], usage["active_calls"], usage["calls_today"]) == ("0.600000", 1, 2)
    assert usage["date"] == time.strftime("%Y-%m-%d", time.gmtime())
    rated.end("second", 40)
    refused = rated.authorize(connection_id, US, call_id="third")
    assert (refused["decision"], refused["reason"], refused["sip_code"]) == ("deny", "daily_spend_limit_reached", 403)
    assert _usage(api, profile_id)["spend"] == "1.000000"


def test_a_budget_that_does_not_buy_the_first_increment_refuses(rated: Switch, api: Api) -> None:
    connection_id, _ = _line(api, daily_spend_limit="1.00", daily_spend_limit_enabled=True)
    rated.authorize(connection_id, US, call_id="long")
    rated.end("long", 95)  # 0.95 spent: 0.05 left
    refused = rated.authorize(connection_id, GB)  # 0.10 to connect
    assert refused["reason"] == "daily_spend_limit_reached"
    assert rated.authorize(connection_id, US)["max_duration_seconds"] == 5


def test_a_budget_that_buys_more_than_a_week_allows_a_week(switch: Switch, api: Api, database: Database) -> None:
    # 100.00 at a millionth of a dollar a minute buys 6 x 10^9 s: more than the database's integer.
    import_default_deck(database, [f"{DECK.splitlines()[0]}\n", "1,US,0.000001,0,1,1\n"])
    switch.wait_for_default_deck()
    connection_id, profile_id = _line(api, daily_spend_limit="100.00", daily_spend_limit_enabled=True)

    allowed = switch.authorize(connection_id, US, call_id="long")

    assert (allowed["decision"], allowed["max_duration_seconds"]) == ("allow", 7 * 86_400)
    simulated = api.client.post(
        f"/termination/endpoints/{profile_id}/actions/simulate_call",
        json={"to": US, "from": "+13125550100"},
        headers=api.tenant.headers,
    ).json()
    assert simulated["figures"]["max_duration_seconds"] == 7 * 86_400
    record = switch.end("long", 7 * 86_400).json()
    assert (record["billed_seconds"], record["cost"]) == (7 * 86_400, "0.010080")


def test_running_calls_count_what_they_have_cost_so_far(rated: Switch, api: Api) -> None:
    connection_id, profile_id = _line(api, daily_spend_limit="0.50", daily_spend_limit_enabled=True)
    assert rated.authorize(connection_id, US, call_id="running")["max_duration_seconds"] == 50
    time.sleep(2.1)
    spent = Decimal(_usage(api, profile_id)["spend"])
    assert Decimal("0.02") <= spent < Decimal("0.10")
    later = rated.authorize(connection_id, US, call_id="later")
    assert later["max_duration_seconds"] <= 48
    simulated = api.client.post(
        f"/termination/endpoints/{profile_id}/actions/simulate_call",
        json={"to": US, "from": "+13125550100"},
        headers=api.tenant.headers,
    ).json()
    figures = simulated["figures"]
    assert figures["daily_spend_limit"] == "0.50"
    assert Decimal(figures["spend_today"]) >= Decimal("0.02")  # the first call, two seconds in
    assert Decimal(figures["budget_left"]) == Decimal("0.50") - Decimal(figures["spend_today"])
    assert figures["max_duration_seconds"] == int(Decimal(figures["budget_left"]) * 100) <= 48
    assert figures["deck_row"]["initial_increment"] == "1"


def test_spend_overshoots_only_by_calls_running_when_the_limit_is_reached(rated: Switch, api: Api) -> None:
    """Five calls start together with the whole budget left: each may spend it, and the day's spend
    ends at five times the limit, within the stated bound ((running calls + 1) x limit); after it,
    no call is allowed."""
    ports = 5
    connection_id, profile_id = _line(api, daily_spend_limit="1.00", daily_spend_limit_enabled=True, ports=ports)
    caps = [rated.authorize(connection_id, US, call_id=f"c{n}")["max_duration_seconds"] for n in range(ports)]
    assert caps == [100] * ports
    assert rated.authorize(connection_id, US)["reason"] == "profile_ports_exhausted"
    costs = [Decimal(rated.end(f"c{n}", caps[n]).json()["cost"]) for n in range(ports)]
    assert all(cost <= Decimal("1.00") for cost in costs)  # each within the budget left when it started
    spent = Decimal(_usage(api, profile_id)["spend"])
    assert spent == sum(costs) == Decimal("5.00")
    assert spent <= (ports + 1) * Decimal("1.00")
    assert rated.authorize(connection_id, US)["reason"] == "daily_spend_limit_reached"


def test_an_expired_lease_is_billed_to_the_last_keepalive(rated: Switch, api: Api, database: Database) -> None:
    connection_id, profile_id = _line(api)
    rated.authorize(connection_id, GB, call_id="silent")
    data_plane = rated.client.app.state.data_plane
    database.run_sync(lambda c: c.exec_driver_sql("UPDATE calls SET lease_expires_at = started_at"), write=True)
    with rated.client.portal() as portal:
        portal.call(data_plane.sweep)  # unless the sweeper, every second, came first
    record = rated.end("silent").json()
    assert (record["end_reason"], record["duration_seconds"], record["billed_seconds"]) == ("lease_expired", 0, 0)
    assert record["cost"] == "0.100000"  # the connect fee
    usage = _usage(api, profile_id)
    assert (usage["active_calls"], usage["calls_today"], usage["spend"]) == (0, 1, "0.100000")  # counted once


def test_usage_is_the_tenants_own(api: Api, other_api: Api) -> None:
    _, profile_id = _line(api)
    assert _usage(api, profile_id) == {
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
        "spend": "0.000000",
        "active_calls": 0,
        "calls_today": 0,
    }
    response = other_api.client.get(f"/termination/endpoints/{profile_id}/usage", headers=other_api.tenant.headers)
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "10005"


def test_a_call_allowed_here_is_ended_without_a_read_and_its_record_is_the_one_a_read_gives(
    rated: Switch, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process keeps what it wrote of the calls it allowed (none of it changes), so their end bills and
    answers from memory; a call allowed elsewhere (another node, before a restart) is read. Both give the
    same record, and both settle the day's spend."""
    connection_id, profile_id = _line(api)
    rated.authorize(connection_id, GB, call_id="here")
    rated.authorize(connection_id, GB, call_id="elsewhere")
    rated.client.app.state.data_plane._started.pop("elsewhere")  # as if another node had allowed it

    def no_read(*args: Any) -> Any:
        raise AssertionError("the call's row was read")

    monkeypatch.setattr(repository, "get", no_read)
    here = rated.end("here", 61)
    assert here.status_code == 200, here.text
    monkeypatch.undo()
    elsewhere = rated.end("elsewhere", 61).json()
    mine = here.json()
    for record in (mine, elsewhere):
        assert (record["billed_seconds"], record["cost"], record["connect_fee"]) == (66, "0.760000", "0.10")
    moments = ("call_id", "started_at", "ended_at")
    assert {k: v for k, v in mine.items() if k not in moments} == {
        k: v for k, v in elsewhere.items() if k not in moments
    }
    assert rated.end("here", 5).json() == mine  # a second end reads the record, and changes nothing
    assert _usage(api, profile_id)["spend"] == "1.520000"


def test_a_call_ended_elsewhere_meanwhile_answers_that_record_here(rated: Switch, api: Api, database: Database) -> None:
    """The call is remembered here, but another node ended it first: this end writes nothing and
    answers the other's record (its spend counted once)."""
    connection_id, profile_id = _line(api)
    rated.authorize(connection_id, DC, call_id="raced")
    database.run_sync(
        lambda c: c.exec_driver_sql(
            "UPDATE calls SET ended_at = started_at, duration_seconds = 7, end_reason = 'completed', "
            "billed_seconds = 12, cost_micros = 2000"
        ),
        write=True,
    )
    record = rated.end("raced", 600).json()
    assert (record["duration_seconds"], record["billed_seconds"], record["cost"]) == (7, 12, "0.002000")
    assert _usage(api, profile_id)["spend"] == "0.002000"


def test_the_calls_remembered_for_their_end_are_bounded(
    rated: Switch, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "_MAX_STARTED", 2)
    connection_id, profile_id = _line(api)
    for call_id in ("first", "second", "third"):
        rated.authorize(connection_id, DC, call_id=call_id)
    assert list(rated.client.app.state.data_plane._started) == ["second", "third"]
    assert rated.end("first", 61).json()["cost"] == "0.011000"  # read from its row
    assert rated.end("third", 61).json()["cost"] == "0.011000"
    assert _usage(api, profile_id)["spend"] == "0.022000"
