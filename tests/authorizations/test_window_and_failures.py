"""The calling window (set through API v2), the counters out of reach (fail closed, fail open), and
the data plane's metrics."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import TestClient

from outbound_profiles.app import create_app
from outbound_profiles.authorizations import service
from outbound_profiles.config import Settings
from outbound_profiles.db.database import Database
from tests.authorizations.conftest import Switch
from tests.conftest import Api, Tenant


def _window(api: Api, profile_id: str, start: datetime, end: datetime, calls_per_cld: int | None) -> None:
    response = api.client.patch(
        f"/v2/outbound_voice_profiles/{profile_id}",
        json={
            "name": "windowed",
            "calling_window": {
                "start_time": start.strftime("%H:%M:%S"),
                "end_time": end.strftime("%H:%M:%S"),
                "calls_per_cld": calls_per_cld,
            },
        },
        headers=api.tenant.headers,
    )
    assert response.status_code == 200, response.text


def test_outside_the_calling_window_is_denied(switch: Switch, api: Api) -> None:
    connection = api.connection()
    profile = api.profile(connection_ids=[connection["id"]])
    now = datetime.now(UTC)
    _window(api, profile["id"], now + timedelta(hours=2), now + timedelta(hours=3), None)
    assert switch.authorize(connection["id"])["reason"] == "outside_calling_window"
    # A window that wraps midnight around now lets calls through.
    _window(api, profile["id"], now - timedelta(hours=1), now + timedelta(hours=1), None)
    assert switch.authorize(connection["id"])["decision"] == "allow"


def test_calls_per_cld_counts_calls_to_one_number_in_the_window(switch: Switch, api: Api) -> None:
    connection = api.connection()
    profile = api.profile(connection_ids=[connection["id"]], whitelisted_destinations=["US"])
    now = datetime.now(UTC)
    _window(api, profile["id"], now - timedelta(hours=1), now + timedelta(hours=1), 2)
    first = switch.authorize(connection["id"], "+12025550123")
    switch.end(first["call_id"], 5)  # an ended call still counts: the limit is on calls placed
    assert switch.authorize(connection["id"], "+12025550123")["decision"] == "allow"
    assert switch.authorize(connection["id"], "+12025550123")["reason"] == "calls_per_cld_exceeded"
    assert switch.authorize(connection["id"], "+12025550124")["decision"] == "allow"


@pytest.fixture(params=["closed", "open"])
def unreachable(request: pytest.FixtureRequest, settings: Settings, database: Database) -> Iterator[TestClient[Any]]:
    # Nothing listens on port 1: every Redis command fails at once.
    broken = Settings(
        database_url=settings.database_url, redis_url="redis://127.0.0.1:1/0", counters_failure=request.param
    )
    with TestClient(create_app(broken, database)) as client:
        yield client


def test_counters_out_of_reach_fail_closed_or_open(
    unreachable: TestClient[Any], switch_headers: dict[str, str], tenant: Tenant
) -> None:
    api = Api(unreachable, tenant)
    connection = api.connection()
    api.profile(connection_ids=[connection["id"]])
    switch = Switch(unreachable, switch_headers)
    answer = switch.authorize(connection["id"], call_id="c")
    if unreachable.app.state.settings.counters_failure == "closed":
        assert (answer["decision"], answer["reason"], answer["sip_code"]) == ("deny", "counters_unavailable", 503)
        # Not remembered: once the counters are back, a retry gets a decision.
        assert switch.authorize(connection["id"], call_id="c")["reason"] == "counters_unavailable"
    else:
        assert answer["decision"] == "allow"
        assert switch.end("c", 3).status_code == 200


def test_decisions_are_counted_in_the_metrics(
    client: TestClient[Any], switch: Switch, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    connection = api.connection()
    api.profile(connection_ids=[connection["id"]])
    switch.authorize(connection["id"], call_id="allowed")
    switch.authorize(connection["id"], "+33612345678")
    text = client.get("/metrics").text
    assert 'outbound_profiles_authorizations_total{decision="allow",reason=""} 1.0' in text
    assert 'outbound_profiles_authorizations_total{decision="deny",reason="destination_not_whitelisted"} 1.0' in text
    assert "outbound_profiles_authorize_duration_seconds_count 2.0" in text
    assert "outbound_profiles_active_calls 1.0" in text  # counted as it is read
    for table in ("connections", "outbound_profiles", "users"):  # the call's connection, profile and account
        assert f'outbound_profiles_decision_cache_entries{{table="{table}"}} 1.0' in text
    assert switch.end("allowed", 3).status_code == 200
    assert "outbound_profiles_active_calls 1.0" in client.get("/metrics").text  # at most once a second
    monkeypatch.setattr(service, "COUNT_INTERVAL_S", 0.0)
    assert "outbound_profiles_active_calls 0.0" in client.get("/metrics").text


def test_metrics_count_the_active_calls_again_after_the_app_restarts_on_another_event_loop(
    settings: Settings, database: Database
) -> None:
    app = create_app(settings, database)
    with TestClient(app) as first:
        assert "outbound_profiles_active_calls 0.0" in first.get("/metrics").text
    with TestClient(app) as second:  # within the second, on an event loop of its own
        assert second.get("/metrics").status_code == 200
