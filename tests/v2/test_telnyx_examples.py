"""Telnyx's own request examples for outbound voice profiles and billing groups, sent as published.

Source: Telnyx's public OpenAPI document, github.com/team-telnyx/openapi, file `openapi/spec3.yml`
(the version of 2026-07-16, commit 4f3a6bd), the `example` of each operation's request body:
`CreateVoiceProfile` (POST /outbound_voice_profiles), `UpdateOutboundVoiceProfile` (PATCH
/outbound_voice_profiles/{id}), `CreateBillingGroup` (POST /billing_groups), `UpdateBillingGroup`
(PATCH /billing_groups/{id}), the `example` of the `call_recording` property of the profile bodies,
and the `example` of the list's `filter[name][contains]` parameter. The only change: the
billing group id of the profile examples (`6a09cdc3-...`, a group of Telnyx's) is replaced by one of
the test user's groups, since a profile may only name its own user's group.
"""

from __future__ import annotations

import copy
from typing import Any

from litestar.testing import TestClient

from tests.conftest import Api

TELNYX_BILLING_GROUP_ID = "6a09cdc3-8948-47f0-aa62-74ac943d6c58"

# CreateVoiceProfile and UpdateOutboundVoiceProfile publish the same example.
PROFILE_EXAMPLE: dict[str, Any] = {
    "billing_group_id": "6a09cdc3-8948-47f0-aa62-74ac943d6c58",
    "calling_window": {"calls_per_cld": 5, "end_time": "20:00:00.00Z", "start_time": "08:00:00.00Z"},
    "concurrent_call_limit": 10,
    "daily_spend_limit": "100.00",
    "daily_spend_limit_enabled": True,
    "enabled": True,
    "max_destination_rate": 10,
    "name": "office",
    "service_plan": "global",
    "tags": ["office-profile"],
    "traffic_type": "conversational",
    "usage_payment_method": "rate-deck",
    "whitelisted_destinations": ["US", "BR", "AU"],
}
CALL_RECORDING_EXAMPLE: dict[str, Any] = {
    "call_recording_caller_phone_numbers": ["+19705555098"],
    "call_recording_channels": "dual",
    "call_recording_format": "mp3",
    "call_recording_type": "by_caller_phone_number",
}
BILLING_GROUP_EXAMPLE: dict[str, Any] = {"name": "string"}  # CreateBillingGroup and UpdateBillingGroup
NAME_FILTER_EXAMPLE = "office-profile"


def _ok(response: Any) -> dict[str, Any]:
    assert 200 <= response.status_code < 300, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def _with_group(example: dict[str, Any], group_id: str) -> dict[str, Any]:
    body = copy.deepcopy(example)
    assert body["billing_group_id"] == TELNYX_BILLING_GROUP_ID
    body["billing_group_id"] = group_id
    return body


def test_telnyx_s_billing_group_examples_succeed(client: TestClient[Any], api: Api) -> None:
    headers = api.tenant.headers

    created = _ok(client.post("/v2/billing_groups", json=BILLING_GROUP_EXAMPLE, headers=headers))
    updated = _ok(client.patch(f"/v2/billing_groups/{created['id']}", json=BILLING_GROUP_EXAMPLE, headers=headers))

    assert created["name"] == updated["name"] == "string"
    assert _ok(client.delete(f"/v2/billing_groups/{created['id']}", headers=headers))["id"] == created["id"]


def test_telnyx_s_outbound_voice_profile_examples_succeed(client: TestClient[Any], api: Api) -> None:
    headers = api.tenant.headers
    group = _ok(client.post("/v2/billing_groups", json=BILLING_GROUP_EXAMPLE, headers=headers))
    body = _with_group(PROFILE_EXAMPLE, group["id"])

    created = _ok(client.post("/v2/outbound_voice_profiles", json=body, headers=headers))
    url = f"/v2/outbound_voice_profiles/{created['id']}"
    updated = _ok(client.patch(url, json=body, headers=headers))
    recorded = _ok(client.patch(url, json={**body, "call_recording": CALL_RECORDING_EXAMPLE}, headers=headers))
    listed = client.get(
        "/v2/outbound_voice_profiles",
        params={"filter[name][contains]": NAME_FILTER_EXAMPLE, "page[number]": 1, "page[size]": 20},
        headers=headers,
    )

    for shown in (created, updated, recorded):
        # What was sent is what is shown, in the form of Telnyx's answer examples.
        assert {k: shown[k] for k in body} == body
    assert recorded["call_recording"] == CALL_RECORDING_EXAMPLE
    assert listed.status_code == 200, listed.text
    assert listed.json()["data"] == []  # the example filters on a name no profile here has
    assert _ok(client.delete(url, headers=headers))["id"] == created["id"]
