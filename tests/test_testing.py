"""`outbound_profiles.testing`: the recipe another project's test suite uses, as its README shows
it, driven with the official SDK and plain HTTP; and the same in-memory store under `serve`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import telnyx
from telnyx import Telnyx

from outbound_profiles.testing import RunningService, running_service
from tests.cli.test_serve import serve_demo


@pytest.fixture(scope="module")
def telnyx_api() -> Iterator[RunningService]:
    with running_service() as service:
        yield service


def test_the_sdk_works_against_the_stand_in(telnyx_api: RunningService) -> None:
    client = Telnyx(api_key=telnyx_api.token, base_url=f"{telnyx_api.base_url}/v2", max_retries=0)

    created = client.outbound_voice_profiles.create(name="office", whitelisted_destinations=["US"]).data
    assert created is not None
    assert created.id is not None
    fetched = client.outbound_voice_profiles.retrieve(created.id).data

    assert fetched is not None
    assert fetched.name == "office"
    assert fetched.whitelisted_destinations == ["US"]
    with pytest.raises(telnyx.AuthenticationError):
        Telnyx(api_key="KEY0_nope", base_url=f"{telnyx_api.base_url}/v2", max_retries=0).outbound_voice_profiles.list()


def test_tenants_of_the_stand_in_are_apart(telnyx_api: RunningService) -> None:
    other = telnyx_api.new_tenant("other@example.com")
    created = httpx.post(
        f"{telnyx_api.base_url}/termination/endpoints", json={"connection_ids": []}, headers=other.headers
    )

    seen = httpx.get(f"{telnyx_api.base_url}/termination/endpoints/{created.json()['id']}", headers=other.headers)
    hidden = httpx.get(
        f"{telnyx_api.base_url}/termination/endpoints/{created.json()['id']}", headers=telnyx_api.tenant.headers
    )

    assert created.status_code == 200, created.text
    assert seen.status_code == 200
    assert hidden.status_code == 404


def test_each_stand_in_starts_empty_and_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for _ in range(2):
        with running_service(email="same@example.com") as service:
            listed = httpx.get(f"{service.base_url}/termination/endpoints", headers=service.tenant.headers)
            httpx.post(
                f"{service.base_url}/termination/endpoints", json={"connection_ids": []}, headers=service.tenant.headers
            )

        assert listed.json() == []
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{service.base_url}/healthz", timeout=2)
    assert list(tmp_path.iterdir()) == []


def test_serve_on_an_in_memory_database_keeps_its_data_while_it_runs(tmp_path: Path) -> None:
    with serve_demo("sqlite:///:memory:", tmp_path) as demo:
        headers = {"Authorization": f"Bearer {demo.token}"}
        connections = httpx.get(f"{demo.base_url}/security/connections", headers=headers)
        created = httpx.post(
            f"{demo.base_url}/termination/endpoints",
            json={"connection_ids": [connections.json()[0]["id"]], "name": "kept"},
            headers=headers,
        )
        fetched = httpx.get(f"{demo.base_url}/termination/endpoints/{created.json()['id']}", headers=headers)
        ready = httpx.get(f"{demo.base_url}/readyz")

    assert connections.status_code == 200, connections.text
    assert len(connections.json()) == 2
    assert created.status_code == 200, created.text
    assert fetched.json()["name"] == "kept"
    assert ready.status_code == 200
    assert list(tmp_path.iterdir()) == []
