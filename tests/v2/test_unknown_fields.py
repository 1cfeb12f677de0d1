"""OUTBOUND_PROFILES_V2_UNKNOWN_FIELDS: v2 ignores members and query parameters it does not know
(as Telnyx does) unless told to refuse them; v1 always refuses them."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from outbound_profiles.config import Settings
from tests.conftest import Api

PROFILES = "/v2/outbound_voice_profiles"
GROUPS = "/v2/billing_groups"
VARIABLE = "OUTBOUND_PROFILES_V2_UNKNOWN_FIELDS"


def _problems(response: Any) -> dict[str, str]:
    assert response.status_code == 422, response.text
    return {e["source"].get("pointer") or e["source"].get("parameter"): e["detail"] for e in response.json()["errors"]}


def test_the_setting_defaults_to_ignore_and_takes_refuse(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(VARIABLE, raising=False)
    assert Settings.from_env(dotenv=False).v2_unknown_fields == "ignore"
    monkeypatch.setenv(VARIABLE, "Refuse")
    assert Settings.from_env(dotenv=False).v2_unknown_fields == "refuse"
    monkeypatch.setenv(VARIABLE, "strict")
    with pytest.raises(ValueError, match=VARIABLE):
        Settings.from_env(dotenv=False)


def test_refuse_names_every_unknown_member_and_parameter(strict_client: TestClient[Any], api: Api) -> None:
    headers = api.tenant.headers
    body = {
        "name": "strict",
        "ports": 3,
        "call_recording": {"call_recording_type": "all", "trim": "silence"},
        "calling_window": {"start_time": "08:00", "timezone": "UTC"},
        "id": "sent back as read",  # read-only members are still ignored
    }

    # The query's problems and the body's, in one answer.
    assert set(_problems(strict_client.post(f"{PROFILES}?include=all", json=body, headers=headers))) == {
        "include",
        "/ports",
        "/call_recording/trim",
        "/calling_window/timezone",
    }
    created = strict_client.post(PROFILES, json=body, headers=headers)
    assert set(_problems(created)) == {"/ports", "/call_recording/trim", "/calling_window/timezone"}
    assert _problems(created)["/ports"] == "Unknown field 'ports'."

    made = strict_client.post(PROFILES, json={"name": "strict"}, headers=headers).json()["data"]
    updated = strict_client.patch(f"{PROFILES}/{made['id']}", json={**body, "ports": None}, headers=headers)
    assert set(_problems(updated)) == {"/ports", "/call_recording/trim", "/calling_window/timezone"}
    retrieved = strict_client.get(f"{PROFILES}/{made['id']}?expand=1", headers=headers)
    assert set(_problems(retrieved)) == {"expand"}
    assert set(_problems(strict_client.post(GROUPS, json={"name": "g", "currency": "USD"}, headers=headers))) == {
        "/currency"
    }
    assert set(_problems(strict_client.get(f"{GROUPS}?page=1", headers=headers))) == {"page"}


def test_ignore_leaves_unknown_members_out(client: TestClient[Any], api: Api) -> None:
    headers = api.tenant.headers
    made = client.post(
        f"{PROFILES}?include=all",
        json={"name": "lenient", "ports": 3, "whitelisted_destination_format": "alpha3", "tags": ["a"]},
        headers=headers,
    )
    assert made.status_code == 200, made.text
    assert made.json()["data"]["concurrent_call_limit"] is None
    assert made.json()["data"]["tags"] == ["a"]
    v1 = api.client.get(f"/termination/endpoints/{made.json()['data']['id']}", headers=headers).json()
    assert (v1["ports"], v1["whitelisted_destination_format"]) == (None, "alpha3")  # untouched: the default

    group = client.post(GROUPS, json={"name": "g", "currency": "USD"}, headers=headers)
    assert group.status_code == 200, group.text
    renamed = client.patch(f"{GROUPS}/{group.json()['data']['id']}?x=1", json={"name": "h", "y": 2}, headers=headers)
    assert renamed.json()["data"]["name"] == "h"
    assert client.get(f"{GROUPS}?page=2", headers=headers).status_code == 200


def test_v1_still_refuses_them(client: TestClient[Any], api: Api) -> None:
    headers = api.tenant.headers
    response = client.post("/termination/endpoints", json={"connection_ids": [], "extra": 1}, headers=headers)
    assert response.status_code == 400
    assert client.get("/termination/endpoints?include=all", headers=headers).status_code == 400
    assert client.post("/billing_groups", json={"name": "g", "currency": "USD"}, headers=headers).status_code == 400
