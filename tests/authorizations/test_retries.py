"""A retried authorize gets the first decision whatever changed since, and a call id belongs to the
connection whose call it named first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from outbound_profiles.authorizations import repository
from tests.authorizations.conftest import Line, Switch
from tests.conftest import Api


def test_a_retry_after_the_ports_filled_up_gets_its_first_decision(switch: Switch, api: Api) -> None:
    connection = api.connection()
    api.profile(connection_ids=[connection["id"]], ports=1)
    first = switch.authorize(connection["id"], call_id="a")
    switch.end("a", 5)
    assert switch.authorize(connection["id"], call_id="b")["decision"] == "allow"  # the one port, taken
    assert switch.authorize(connection["id"], call_id="a") == first
    assert switch.authorize(connection["id"], call_id="c")["reason"] == "profile_ports_exhausted"


def test_a_retry_after_the_profile_was_disabled_gets_its_first_decision(switch: Switch, api: Api) -> None:
    connection = api.connection()
    profile = api.profile(connection_ids=[connection["id"]])
    first = switch.authorize(connection["id"], call_id="running")
    changed = api.client.patch(
        f"/termination/endpoints/{profile['id']}", json={"active": False}, headers=api.tenant.headers
    )
    assert changed.status_code == 200, changed.text
    assert switch.authorize(connection["id"], call_id="running") == first
    assert switch.authorize(connection["id"], call_id="new")["reason"] == "profile_inactive"


def _calls_per_cld(api: Api, connection_id: str, limit: int) -> None:
    """A profile on the connection whose calling window, around now, allows `limit` calls per number."""
    profile = api.profile(connection_ids=[connection_id])
    now = datetime.now(UTC)
    window = {
        "start_time": (now - timedelta(hours=1)).strftime("%H:%M:%S"),
        "end_time": (now + timedelta(hours=1)).strftime("%H:%M:%S"),
        "calls_per_cld": limit,
    }
    changed = api.client.patch(
        f"/v2/outbound_voice_profiles/{profile['id']}",
        json={"name": "windowed", "calling_window": window},
        headers=api.tenant.headers,
    )
    assert changed.status_code == 200, changed.text


def test_a_retry_of_an_ended_call_takes_no_slot_of_its_number(switch: Switch, api: Api) -> None:
    connection = api.connection()
    _calls_per_cld(api, connection["id"], 2)
    first = switch.authorize(connection["id"], call_id="a")
    assert switch.end("a", 5).status_code == 200
    assert switch.authorize(connection["id"], call_id="a") == first  # reserves nothing more
    assert switch.authorize(connection["id"], call_id="b")["decision"] == "allow"  # the number's second call
    assert switch.authorize(connection["id"], call_id="c")["reason"] == "calls_per_cld_exceeded"


def test_a_call_whose_write_failed_takes_no_slot_of_its_number(switch: Switch, api: Api, monkeypatch: Any) -> None:
    connection = api.connection()
    _calls_per_cld(api, connection["id"], 1)
    switch.authorize(connection["id"], "+12025550199", call_id="warm-up")  # the fast path answers from now on
    real = repository.insert

    def fails_once(*args: Any) -> Any:
        monkeypatch.setattr(repository, "insert", real)
        raise OSError("the database went away")

    monkeypatch.setattr(repository, "insert", fails_once)
    body = {"call_id": "a", "connection_id": connection["id"], "to": "+12025550123", "from": ""}
    failed = switch.client.post("/termination/authorizations", json=body, headers=switch.headers)
    assert failed.status_code == 500
    # The switch was told nothing, so no call was placed: its retry is the number's one call.
    assert switch.authorize(connection["id"], call_id="a")["decision"] == "allow"
    assert switch.authorize(connection["id"], call_id="b")["reason"] == "calls_per_cld_exceeded"


@pytest.mark.parametrize("remembered", [False, True], ids=["framework", "fast-path"])
def test_another_connections_call_id_is_refused_and_leaves_its_call_alone(
    switch: Switch, line: Line, other_api: Api, remembered: bool
) -> None:
    first = switch.authorize(line.connection_id, call_id="shared-id")
    theirs = other_api.connection()
    other_api.profile(connection_ids=[theirs["id"]])
    if remembered:  # the switch's token verified once: the next authorize is answered below the framework
        switch.authorize(theirs["id"], call_id="warm-up")
    body: dict[str, Any] = {"call_id": "shared-id", "connection_id": theirs["id"], "to": "+12025550123", "from": ""}
    refused = switch.client.post("/termination/authorizations", json=body, headers=switch.headers)
    assert refused.status_code == 400, refused.text
    assert refused.json()["errors"][0]["code"] == "10021"
    assert "shared-id" in refused.text
    assert first["outbound_profile_id"] not in refused.text
    # A denial is not shared either: the other connection's own refusal is its own.
    body["to"] = "+33142685300"  # outside the whitelist
    body["call_id"] = "denied-id"
    assert switch.client.post("/termination/authorizations", json=body, headers=switch.headers).json()["reason"] == (
        "destination_not_whitelisted"
    )
    assert (
        switch.authorize(line.connection_id, "+33142685300", call_id="denied-id")["outbound_profile_id"]
        == (line.profile["id"])
    )
    record = switch.end("shared-id", 7).json()
    assert (record["connection_id"], record["duration_seconds"]) == (line.connection_id, 7)


@pytest.mark.parametrize("call_id", ["a%00b", "x" * 256, "%7F"])
def test_an_end_or_keepalive_of_an_id_no_call_can_have_is_a_404(switch: Switch, line: Line, call_id: str) -> None:
    switch.authorize(line.connection_id, call_id="known")  # the token is remembered: both paths are tried
    for action in ("end", "keepalive"):
        response = switch.client.post(f"/termination/authorizations/{call_id}/{action}", headers=switch.headers)
        assert response.status_code == 404, (action, response.text)
        assert response.json()["errors"][0]["code"] == "10005"
