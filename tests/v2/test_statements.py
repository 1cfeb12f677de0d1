"""A v2 change of a profile is the v1 change in v2's names: it reads and writes what the v1 update does,
no more (the profile is loaded for update once, not once per layer)."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from tests.conftest import Api, Tenant
from tests.db.test_watching import statements


def test_a_v2_patch_runs_the_statements_of_the_v1_update(client: TestClient[Any], api: Api, tenant: Tenant) -> None:
    profile_id = api.profile(name="counted")["id"]
    v1, v2 = f"/termination/endpoints/{profile_id}", f"/v2/outbound_voice_profiles/{profile_id}"
    for url, method in ((v1, "PUT"), (v2, "PATCH")):  # caches warm on both paths
        assert client.request(method, url, json={"name": "warm"}, headers=tenant.headers).status_code == 200

    with statements() as by_v1:
        assert client.put(v1, json={"name": "one"}, headers=tenant.headers).status_code == 200
    with statements() as by_v2:
        assert client.patch(v2, json={"name": "two"}, headers=tenant.headers).status_code == 200

    assert by_v2 == by_v1
