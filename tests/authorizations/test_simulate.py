"""POST /termination/endpoints/{id}/actions/simulate_call: the decision and its figures, reserving nothing."""

from __future__ import annotations

from typing import Any

from tests.authorizations.conftest import Line, Switch
from tests.conftest import Api


def _simulate(api: Api, profile_id: str, to: str, caller: str = "+13125550100") -> Any:
    return api.client.post(
        f"/termination/endpoints/{profile_id}/actions/simulate_call",
        json={"to": to, "from": caller},
        headers=api.tenant.headers,
    )


def test_simulate_shows_the_figures_and_reserves_nothing(api: Api, switch: Switch) -> None:
    connection = api.connection()
    profile = api.profile(connection_ids=[connection["id"]], ports=1)
    answer = _simulate(api, profile["id"], "+12025550123")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["decision"] == "allow"
    assert body["figures"]["destination_country"] == "US"
    assert body["figures"]["ports"] == 1
    assert body["figures"]["ports_in_use"] == 0
    # Simulating took no port: the switch still gets it, and the simulation then says so.
    assert switch.authorize(connection["id"])["decision"] == "allow"
    after = _simulate(api, profile["id"], "+12025550123").json()
    assert after["reason"] == "profile_ports_exhausted"
    assert after["figures"]["ports_in_use"] == 1
    assert after["figures"]["cps_used"] == 1


def test_simulate_explains_a_refusal(api: Api, line: Line) -> None:
    body = _simulate(api, line.profile["id"], "+33612345678").json()
    assert body["decision"] == "deny"
    assert body["reason"] == "destination_not_whitelisted"
    assert body["sip_code"] == 403
    assert body["figures"]["destination_country"] == "FR"


def test_simulate_is_a_tenants_own(api: Api, other_api: Api, line: Line) -> None:
    assert _simulate(other_api, line.profile["id"], "+12025550123").status_code == 404
    assert _simulate(api, "999", "+12025550123").status_code == 404
    missing = api.client.post(
        f"/termination/endpoints/{line.profile['id']}/actions/simulate_call", json={}, headers=api.tenant.headers
    )
    assert missing.status_code == 400
    assert missing.json()["errors"][0]["source"]["pointer"] == "/to"
