"""POST /termination/authorizations: each check in its order, the answer's shape, and idempotency."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from outbound_profiles.accounts import service as accounts
from outbound_profiles.db.database import Database
from tests.authorizations.conftest import Line, Switch
from tests.conftest import Api, Tenant, TenantFactory

US = "+12025550123"
UK = "+447911123456"


def test_an_allowed_call_carries_the_profile_and_a_lease(switch: Switch, line: Line) -> None:
    answer = switch.authorize(line.connection_id, US, call_id="first")
    assert answer["decision"] == "allow"
    assert answer["reason"] is None
    assert answer["sip_code"] == 200
    assert answer["telnyx_cause"] is None
    assert answer["outbound_profile_id"] == line.profile["id"]
    assert answer["destination_country"] == "US"
    assert answer["record"] is False
    assert answer["recording"] == {"format": "wav", "channels": "single"}
    assert answer["max_duration_seconds"] is None
    assert answer["lease_expires_at"].endswith("Z")
    assert answer["call_id"] == "first"


def _reason(answer: dict[str, Any]) -> tuple[str, str | None, int, str | None]:
    return answer["decision"], answer["reason"], answer["sip_code"], answer["telnyx_cause"]


def test_an_unknown_connection_is_denied(switch: Switch) -> None:
    assert _reason(switch.authorize("123456789")) == ("deny", "unknown_connection", 403, None)
    assert _reason(switch.authorize("not-a-number")) == ("deny", "unknown_connection", 403, None)


def test_a_connection_id_spelled_with_leading_zeros_names_no_connection(switch: Switch, line: Line) -> None:
    # As everywhere in the API, "07" is not "7": the call is not allowed under connection 7 (whose
    # retry, sent as "07" again, was then refused as another connection's call), and its retry gets
    # the same answer.
    for _ in range(2):
        answer = switch.authorize("0" + line.connection_id, call_id="zeros")
        assert _reason(answer) == ("deny", "unknown_connection", 403, None)
    assert switch.authorize(line.connection_id)["decision"] == "allow"


def test_another_tenants_connection_ids_are_known_to_the_switch(switch: Switch, line: Line, other_api: Api) -> None:
    other = other_api.connection()
    assert _reason(switch.authorize(other["id"])) == ("deny", "no_outbound_profile", 403, "D38")
    assert switch.authorize(line.connection_id)["decision"] == "allow"


def test_inactive_connection_then_inactive_profile(switch: Switch, api: Api) -> None:
    connection = api.connection(active=False)
    api.profile(connection_ids=[connection["id"]], active=False)
    assert _reason(switch.authorize(connection["id"])) == ("deny", "connection_inactive", 403, None)
    active = api.connection()
    api.profile(connection_ids=[active["id"]], active=False)
    assert _reason(switch.authorize(active["id"])) == ("deny", "profile_inactive", 403, None)


@pytest.mark.parametrize("number", ["12025550123", "+1202555", "+999123456789", "+1 202 555 0123"])
def test_a_number_that_is_not_valid_e164_is_denied(switch: Switch, line: Line, number: str) -> None:
    assert _reason(switch.authorize(line.connection_id, number)) == ("deny", "invalid_destination", 403, None)


def test_the_service_plan_comes_before_the_whitelist(switch: Switch, api: Api) -> None:
    connection = api.connection()
    api.profile(connection_ids=[connection["id"]], service_plan=1, whitelisted_destinations=["US"])
    answer = switch.authorize(connection["id"], UK)
    assert _reason(answer) == ("deny", "destination_outside_service_plan", 403, "D12")
    assert answer["destination_country"] == "GG"  # +44 7911 is Guernsey's range


def test_a_country_outside_the_whitelist_is_denied(switch: Switch, line: Line) -> None:
    answer = switch.authorize(line.connection_id, "+33612345678")
    assert _reason(answer) == ("deny", "destination_not_whitelisted", 403, None)
    assert answer["destination_country"] == "FR"


def test_shared_and_small_regions(switch: Switch, api: Api) -> None:
    connection = api.connection()
    api.profile(connection_ids=[connection["id"]], whitelisted_destinations=["JM", "VA"])
    assert switch.authorize(connection["id"], "+18765551234")["destination_country"] == "JM"
    assert switch.authorize(connection["id"], "+390669812345")["destination_country"] == "VA"
    assert switch.authorize(connection["id"], US)["reason"] == "destination_not_whitelisted"


def test_a_non_geographic_number_needs_a_deck_row(switch: Switch, line: Line) -> None:
    answer = switch.authorize(line.connection_id, "+80012345678")
    assert _reason(answer) == ("deny", "destination_not_whitelisted", 403, None)
    assert answer["destination_country"] is None


def test_a_maximum_rate_without_a_deck_row_is_denied(switch: Switch, api: Api) -> None:
    connection = api.connection()
    api.profile(connection_ids=[connection["id"]], max_destination_rate=0.5)
    assert _reason(switch.authorize(connection["id"])) == ("deny", "rate_unavailable", 403, None)


def test_recording_follows_the_profile(switch: Switch, api: Api) -> None:
    everything = api.connection()
    api.profile(connection_ids=[everything["id"]], call_recording_type="all", call_recording_format="mp3")
    answer = switch.authorize(everything["id"])
    assert answer["record"] is True
    assert answer["recording"] == {"format": "mp3", "channels": "single"}
    some = api.connection()
    api.profile(
        connection_ids=[some["id"]],
        call_recording_type="by_call_phone_number",
        call_recording_phone_numbers=["+13125550100"],
    )
    assert switch.authorize(some["id"], caller="+13125550100")["record"] is True
    assert switch.authorize(some["id"], caller="+13125550199")["record"] is False


def test_ports_are_reserved_and_freed_by_the_end(switch: Switch, api: Api) -> None:
    connection = api.connection()
    api.profile(connection_ids=[connection["id"]], ports=2)
    first, second = switch.authorize(connection["id"]), switch.authorize(connection["id"])
    assert first["decision"] == second["decision"] == "allow"
    assert _reason(switch.authorize(connection["id"])) == ("deny", "profile_ports_exhausted", 503, "D2")
    assert switch.end(first["call_id"], 30).status_code == 200
    assert switch.authorize(connection["id"])["decision"] == "allow"


def test_ports_zero_allows_nothing(switch: Switch, api: Api) -> None:
    connection = api.connection()
    api.profile(connection_ids=[connection["id"]], ports=0)
    assert switch.authorize(connection["id"])["reason"] == "profile_ports_exhausted"


def test_the_account_limit_spans_its_profiles(
    switch: Switch, make_tenant: TenantFactory, client: TestClient[Any]
) -> None:
    limited = Api(client, make_tenant(concurrent_call_limit=1))
    one, two = limited.connection(), limited.connection()
    limited.profile(connection_ids=[one["id"]])
    limited.profile(connection_ids=[two["id"]])
    assert switch.authorize(one["id"])["decision"] == "allow"
    assert _reason(switch.authorize(two["id"])) == ("deny", "account_ports_exhausted", 503, "D1")


def test_cps_counts_allowed_authorizations_over_the_last_second(
    switch: Switch, make_tenant: TenantFactory, client: TestClient[Any], database: Database
) -> None:
    tenant = make_tenant()
    database.run_sync(lambda c: accounts.update_user(c, tenant.email, default_cps=2), write=True)
    api = Api(client, tenant)
    connection = api.connection()
    profile = api.profile(connection_ids=[connection["id"]], cps_limit_increase=1)
    assert profile["cps_limit"] == 2
    # Three allows (2 + 1 increase) within a second, then a refusal; the exact sliding window is
    # the counters' own test.
    answers = [switch.authorize(connection["id"]) for _ in range(4)]
    assert [a["decision"] for a in answers[:3]] == ["allow"] * 3
    assert _reason(answers[3]) == ("deny", "cps_limit_exceeded", 503, None)


def test_a_retried_authorize_gets_the_first_decision_and_reserves_nothing_more(switch: Switch, api: Api) -> None:
    connection = api.connection()
    api.profile(connection_ids=[connection["id"]], ports=1)
    first = switch.authorize(connection["id"], call_id="same")
    assert switch.authorize(connection["id"], call_id="same") == first
    assert switch.authorize(connection["id"], call_id="other")["reason"] == "profile_ports_exhausted"
    assert switch.authorize(connection["id"], call_id="other")["reason"] == "profile_ports_exhausted"
    switch.end("same", 10)
    # The call has ended: its id still answers with its first decision, and holds no port.
    assert switch.authorize(connection["id"], call_id="same") == first
    assert switch.authorize(connection["id"], call_id="third")["decision"] == "allow"


def test_a_profile_change_applies_to_the_next_call(switch: Switch, api: Api, line: Line) -> None:
    assert switch.authorize(line.connection_id)["decision"] == "allow"
    api.client.put(f"/termination/endpoints/{line.profile['id']}", json={"active": False}, headers=api.tenant.headers)
    assert switch.authorize(line.connection_id)["reason"] == "profile_inactive"
    api.client.put(
        f"/termination/endpoints/{line.profile['id']}/actions/detach_connections",
        json={"connection_ids": [line.connection_id]},
        headers=api.tenant.headers,
    )
    assert switch.authorize(line.connection_id)["reason"] == "no_outbound_profile"


def test_tokens_of_the_wrong_kind_are_forbidden(
    client: TestClient[Any], switch_headers: dict[str, str], tenant: Tenant, line: Line
) -> None:
    body = {"call_id": "x", "connection_id": line.connection_id, "to": US, "from": "+13125550100"}
    refused = client.post("/termination/authorizations", json=body, headers=tenant.headers)
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["code"] == "10010"
    forbidden = client.get("/termination/endpoints", headers=switch_headers)
    assert forbidden.status_code == 403
    assert forbidden.json()["errors"][0]["code"] == "10010"
    assert (
        client.put(
            f"/termination/endpoints/{line.profile['id']}", json={"name": "x"}, headers=switch_headers
        ).status_code
        == 403
    )
    assert client.post("/termination/authorizations", json=body).status_code == 401


def test_the_switch_tokens_v1_pair_must_name_the_token(switch: Switch, line: Line) -> None:
    token = switch.headers["Authorization"].removeprefix("Bearer ")
    token_id = token.partition("_")[0]
    body = {"call_id": "v1", "connection_id": line.connection_id, "to": US, "from": ""}
    for _ in range(2):  # the second time, the token is one this process has verified before
        wrong = {"x-api-user": "someone@example.com", "x-api-token": token}
        refused = switch.client.post("/termination/authorizations", json=body, headers=wrong)
        assert refused.status_code == 401, refused.text
        assert switch.client.post("/termination/authorizations/v1/end", headers=wrong).status_code == 401
        right = {"x-api-user": token_id, "x-api-token": token}
        assert switch.client.post("/termination/authorizations", json=body, headers=right).status_code == 200


@pytest.mark.parametrize(
    ("body", "pointer", "code"),
    [
        ({"connection_id": "1", "to": US, "from": "+1"}, "/call_id", "10004"),
        ({"call_id": "a", "to": US, "from": "+1"}, "/connection_id", "10004"),
        ({"call_id": "a", "connection_id": "1", "from": "+1"}, "/to", "10004"),
        ({"call_id": "a", "connection_id": 1, "to": US, "from": "+1"}, "/connection_id", "10015"),
        ({"call_id": "", "connection_id": "1", "to": US, "from": "+1"}, "/call_id", "10015"),
        ({"call_id": "a" * 256, "connection_id": "1", "to": US, "from": "+1"}, "/call_id", "10015"),
        # A final newline too: Python's `$` matches before one.
        ({"call_id": "a\n", "connection_id": "1", "to": US, "from": "+1"}, "/call_id", "10015"),
        ({"call_id": "a", "connection_id": "1", "to": US, "from": "+1\n"}, "/from", "10015"),
        # C1 controls too (U+0085, NEL, ends a line in many log readers).
        ({"call_id": "a\u0085b", "connection_id": "1", "to": US, "from": "+1"}, "/call_id", "10015"),
        ({"call_id": "a", "connection_id": "1", "to": "+1202555\u009f0123", "from": "+1"}, "/to", "10015"),
        ({"call_id": "a", "connection_id": "1", "to": US, "from": "+1\u0080"}, "/from", "10015"),
        ({"call_id": "a", "connection_id": "1", "to": US, "from": "+1", "extra": 1}, "/extra", "10015"),
    ],
)
def test_a_bad_request_gets_the_envelope(
    client: TestClient[Any], switch_headers: dict[str, str], body: dict[str, Any], pointer: str, code: str
) -> None:
    response = client.post("/termination/authorizations", json=body, headers=switch_headers)
    assert response.status_code == 400, response.text
    errors = response.json()["errors"]
    assert {"code": code, "pointer": pointer} in [
        {"code": e["code"], "pointer": e.get("source", {}).get("pointer")} for e in errors
    ]


def test_malformed_json_is_10023(client: TestClient[Any], switch_headers: dict[str, str]) -> None:
    response = client.post("/termination/authorizations", content=b"{nope", headers=switch_headers)
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "10023"
