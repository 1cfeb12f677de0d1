"""The OpenAPI document tells the truth about API v2 and about Idempotency-Key."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient


def test_v2_documents_its_shapes_and_422(client: TestClient[Any]) -> None:
    document = client.get("/openapi.json").json()
    paths = document["paths"]
    schemas = document["components"]["schemas"]

    for path in ("/v2/outbound_voice_profiles", "/v2/outbound_voice_profiles/{profile_id}", "/v2/billing_groups"):
        for method, operation in paths[path].items():
            if method in ("get", "post", "patch", "delete"):
                assert "422" in operation["responses"], (method, path)
                assert "400" not in operation["responses"], (method, path)
    create = paths["/v2/outbound_voice_profiles"]["post"]
    body = create["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert schemas[body]["required"] == ["name"]
    assert {"calling_window", "call_recording", "concurrent_call_limit", "enabled", "tags"} <= set(
        schemas[body]["properties"]
    )
    listed = {p["name"] for p in paths["/v2/outbound_voice_profiles"]["get"]["parameters"]}
    assert listed == {"page[number]", "page[size]", "filter[name][contains]", "sort"}
    # Unknown members are ignored by default, so the v2 bodies do not forbid them.
    for name in (body, "CallRecording", "CallingWindowIn", "BillingGroupWriteV2"):
        assert schemas[name].get("additionalProperties", True) is not False, name
    in_use = paths["/v2/billing_groups/{group_id}"]["delete"]["responses"]["409"]
    assert in_use["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorEnvelope")


def test_every_create_documents_the_idempotency_key(client: TestClient[Any]) -> None:
    paths = client.get("/openapi.json").json()["paths"]

    # The data plane's POSTs are idempotent by the call's id, and are no creates.
    creates = [
        (path, item["post"])
        for path, item in paths.items()
        if "post" in item and "/authorizations" not in path and not path.endswith("/simulate_call")
    ]
    assert len(creates) == 5
    for path, operation in creates:
        headers = [p for p in operation["parameters"] if p["in"] == "header"]
        assert [h["name"] for h in headers] == ["Idempotency-Key"], path
        assert "422" in operation["responses"], path
