"""`Idempotency-Key` on creates (v1 and v2, one mechanism): a retry gets the first answer and creates
nothing; the same key with another request is a 422; keys are the user's, kept 24 hours, in the
database (so they outlive the process)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import update

from outbound_profiles.app import create_app
from outbound_profiles.config import Settings
from outbound_profiles.db.database import Database
from outbound_profiles.db.engine import build_engine
from outbound_profiles.domain.timestamps import now
from outbound_profiles.models import idempotency_keys
from tests.conftest import Api

CREATES = [
    ("/termination/endpoints", {"connection_ids": [], "name": "office"}),
    ("/v2/outbound_voice_profiles", {"name": "office"}),
    ("/billing_groups", {"name": "group"}),
    ("/v2/billing_groups", {"name": "group"}),
    ("/security/connections", {"connection_name": "trunk"}),
]


def _post(client: TestClient[Any], api: Api, path: str, body: Any, key: str | None = "key-1") -> Any:
    headers = {**api.tenant.headers, **({"Idempotency-Key": key} if key is not None else {})}
    return client.post(path, json=body, headers=headers)


def _count(client: TestClient[Any], api: Api, path: str) -> int:
    body = client.get(path, headers=api.tenant.headers).json()
    return len(body["data"] if isinstance(body, dict) else body)


@pytest.mark.parametrize(("path", "body"), CREATES, ids=[p for p, _ in CREATES])
def test_a_retried_create_gets_the_first_answer_and_creates_nothing(
    client: TestClient[Any], api: Api, path: str, body: dict[str, Any]
) -> None:
    first = _post(client, api, path, body)
    again = _post(client, api, path, body)

    assert first.status_code == again.status_code == 200, first.text
    assert again.json() == first.json()
    assert _count(client, api, path) == 1
    assert _post(client, api, path, body, key=None).status_code == 200  # without a key: a new resource
    assert _count(client, api, path) == 2


@pytest.mark.parametrize(("path", "body"), CREATES, ids=[p for p, _ in CREATES])
def test_the_same_key_with_another_request_is_refused(
    client: TestClient[Any], api: Api, path: str, body: dict[str, Any]
) -> None:
    assert _post(client, api, path, body).status_code == 200

    response = _post(client, api, path, {**body, "name": "another"} if "name" in body else {**body, "active": False})

    assert response.status_code == 422
    assert response.headers["x-should-retry"] == "false"
    [error] = response.json()["errors"]
    assert error["code"] == "10015"
    assert error["source"] == {"parameter": "Idempotency-Key"}
    assert "already used for a different request" in error["detail"]
    assert _count(client, api, path) == 1


def test_a_key_is_the_users_and_bound_to_its_endpoint(client: TestClient[Any], api: Api, other_api: Api) -> None:
    assert _post(client, api, "/billing_groups", {"name": "group"}).status_code == 200

    assert _post(client, other_api, "/billing_groups", {"name": "group"}).status_code == 200
    assert _count(client, other_api, "/billing_groups") == 1
    assert _post(client, api, "/v2/billing_groups", {"name": "group"}).status_code == 422


def test_the_same_json_written_differently_is_the_same_request(client: TestClient[Any], api: Api) -> None:
    headers = {**api.tenant.headers, "Idempotency-Key": "k", "Content-Type": "application/json"}
    first = client.post("/billing_groups", content=b'{"name": "g"}', headers=headers)
    again = client.post("/billing_groups", content=b'{ "name":"g" }\n', headers=headers)

    assert again.json() == first.json()


@pytest.mark.parametrize(
    ("path", "first", "then"),
    [
        # One double holds both numbers; the second is refused (more than 15 significant digits).
        ("/termination/endpoints", b'{"connection_ids": [], "max_destination_rate": 0.1}', b"0.10000000000000000001"),
        ("/v2/outbound_voice_profiles", b'{"name": "office", "max_destination_rate": 0.1}', b"0.10000000000000000001"),
        ("/termination/endpoints", b'{"connection_ids": [], "max_destination_rate": 0.1}', b"1e99999999999999999999"),
    ],
)
def test_numbers_that_one_double_holds_are_still_different_requests(
    client: TestClient[Any], api: Api, path: str, first: bytes, then: bytes
) -> None:
    headers = {**api.tenant.headers, "Idempotency-Key": "k"}
    assert client.post(path, content=first, headers=headers).status_code == 200

    again = client.post(path, content=first.replace(b"0.1}", then + b"}"), headers=headers)

    assert again.status_code == 422, again.text
    assert again.json()["errors"][0]["source"] == {"parameter": "Idempotency-Key"}
    assert _count(client, api, path) == 1


def test_a_failed_create_stores_nothing(client: TestClient[Any], api: Api) -> None:
    assert _post(client, api, "/v2/outbound_voice_profiles", {"name": "no"}).status_code == 422

    fixed = _post(client, api, "/v2/outbound_voice_profiles", {"name": "now valid"})

    assert fixed.status_code == 200, fixed.text
    assert _count(client, api, "/v2/outbound_voice_profiles") == 1


def test_a_bad_key_is_refused(client: TestClient[Any], api: Api) -> None:
    for key in ("x" * 256, "with space", ""):
        response = _post(client, api, "/billing_groups", {"name": "g"}, key=key)

        assert response.status_code == 422, key
        assert response.json()["errors"][0]["source"] == {"parameter": "Idempotency-Key"}
    assert _count(client, api, "/billing_groups") == 0


def test_keys_expire_after_24_hours(client: TestClient[Any], api: Api, database: Database) -> None:
    assert _post(client, api, "/billing_groups", {"name": "g"}).status_code == 200
    database.run_sync(
        lambda c: c.execute(update(idempotency_keys).values(expires_at=now() - timedelta(seconds=1))), write=True
    )

    assert _post(client, api, "/billing_groups", {"name": "other"}).status_code == 200
    assert _count(client, api, "/billing_groups") == 2


def test_keys_outlive_the_process(client: TestClient[Any], api: Api, settings: Settings) -> None:
    first = _post(client, api, "/v2/outbound_voice_profiles", {"name": "office"})

    restarted = Database(build_engine(settings))
    try:
        with TestClient(create_app(settings, restarted)) as fresh:
            again = _post(fresh, api, "/v2/outbound_voice_profiles", {"name": "office"})
    finally:
        restarted.dispose()

    assert again.json() == first.json()
    assert _count(client, api, "/v2/outbound_voice_profiles") == 1
