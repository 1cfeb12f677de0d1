"""`import telnyx`, `export` and `import json` through the installed command. The Telnyx account is
a second instance of this service, which speaks Telnyx's API v2, started on its own database: no
test talks to the network."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from outbound_profiles.app import create_app
from outbound_profiles.config import Settings
from tests.cli.helpers import assert_failed_clearly, run, run_json
from tests.live import LiveServer, live_server


@pytest.fixture
def telnyx_account(migrated_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Another instance of the service, standing for api.telnyx.com."""
    workdir = tmp_path_factory.mktemp("telnyx")
    shutil.copyfile(migrated_template, workdir / "telnyx.db")
    with live_server(f"sqlite:///{workdir / 'telnyx.db'}", workdir) as server:
        yield server


class Account:
    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.key = server.new_user("owner@telnyx.example")["token"]
        self.headers = {"Authorization": f"Bearer {self.key}"}

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = httpx.post(f"{self.server.base_url}/v2{path}", json=body, headers=self.headers)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()["data"]
        return data

    def patch(self, path: str, body: dict[str, Any]) -> None:
        response = httpx.patch(f"{self.server.base_url}/v2{path}", json=body, headers=self.headers)
        assert response.status_code == 200, response.text


def import_telnyx(settings: Settings, cwd: Path, key: str, base_url: str, *extra: str) -> list[dict[str, Any]]:
    result = run(
        settings.database_url,
        "import",
        "telnyx",
        "--api-key",
        key,
        "--base-url",
        f"{base_url}/v2",
        "--user",
        "ops@example.com",
        "--page-size",
        "2",
        "--json",
        *extra,
        cwd=cwd,
    )
    assert result.returncode == 0, result.stderr
    outcomes: list[dict[str, Any]] = json.loads(result.stdout)
    return outcomes


def actions(outcomes: list[dict[str, Any]]) -> dict[str, str]:
    return {o["name"]: o["action"] for o in outcomes}


def test_import_telnyx_copies_every_page_and_is_idempotent(
    client: TestClient[Any], settings: Settings, tmp_path: Path, telnyx_account: LiveServer
) -> None:
    user = run_json(
        settings.database_url, "users", "create", "ops@example.com", "--concurrent-call-limit", "50", cwd=tmp_path
    )
    headers = {"Authorization": f"Bearer {user['token']}"}
    source = Account(telnyx_account)
    groups = [source.post("/billing_groups", {"name": f"group {i}"}) for i in range(3)]
    source.post(
        "/outbound_voice_profiles",
        {
            "name": "office",
            "billing_group_id": groups[1]["id"],
            "whitelisted_destinations": ["US", "GB"],
            "concurrent_call_limit": 10,
            "tags": ["emea"],
            "calling_window": {"start_time": "08:00", "end_time": "20:00", "calls_per_cld": 3},
        },
    )
    for i in range(3):
        source.post("/outbound_voice_profiles", {"name": f"branch {i}"})
    too_big = source.post("/outbound_voice_profiles", {"name": "too big", "concurrent_call_limit": 51})

    first = import_telnyx(settings, tmp_path, source.key, telnyx_account.base_url)

    assert actions(first) == {
        "group 0": "created",
        "group 1": "created",
        "group 2": "created",
        "office": "created",
        "branch 0": "created",
        "branch 1": "created",
        "branch 2": "created",
        "too big": "skipped",
    }
    skipped = next(o for o in first if o["action"] == "skipped")
    assert skipped["source_id"] == too_big["id"]
    assert "/concurrent_call_limit" in skipped["reason"]
    assert "50" in skipped["reason"]
    copied = client.get("/v2/outbound_voice_profiles", params={"filter[name][contains]": "office"}, headers=headers)
    office = copied.json()["data"][0]
    local_groups = {g["name"]: g["id"] for g in client.get("/v2/billing_groups", headers=headers).json()["data"]}
    assert office["billing_group_id"] == local_groups["group 1"]
    assert office["whitelisted_destinations"] == ["US", "GB"]
    assert office["concurrent_call_limit"] == 10
    assert office["tags"] == ["emea"]
    assert office["calling_window"] == {"start_time": "08:00:00.00Z", "end_time": "20:00:00.00Z", "calls_per_cld": 3}
    assert client.get("/v2/outbound_voice_profiles", headers=headers).json()["meta"]["total_results"] == 4

    again = import_telnyx(settings, tmp_path, source.key, telnyx_account.base_url)

    assert set(actions(again).values()) == {"unchanged", "skipped"}
    assert [o["id"] for o in again] == [o["id"] for o in first]

    source.patch(f"/billing_groups/{groups[0]['id']}", {"name": "group zero"})
    source.patch(
        f"/outbound_voice_profiles/{_source_id(first, 'office')}", {"name": "office", "concurrent_call_limit": 20}
    )
    client.delete(f"/v2/outbound_voice_profiles/{_local_id(first, 'branch 0')}", headers=headers)

    third = import_telnyx(settings, tmp_path, source.key, telnyx_account.base_url)

    assert actions(third)["group zero"] == "updated"
    assert actions(third)["office"] == "updated"
    assert actions(third)["branch 0"] == "created"
    assert actions(third)["branch 1"] == "unchanged"
    assert client.get("/v2/outbound_voice_profiles", headers=headers).json()["meta"]["total_results"] == 4
    updated = client.get(f"/v2/outbound_voice_profiles/{office['id']}", headers=headers).json()["data"]
    assert updated["concurrent_call_limit"] == 20


def _source_id(outcomes: list[dict[str, Any]], name: str) -> str:
    return str(next(o["source_id"] for o in outcomes if o["name"] == name))


def _local_id(outcomes: list[dict[str, Any]], name: str) -> str:
    return str(next(o["id"] for o in outcomes if o["name"] == name))


def test_import_telnyx_prints_a_summary(settings: Settings, tmp_path: Path, telnyx_account: LiveServer) -> None:
    run_json(settings.database_url, "users", "create", "ops@example.com", cwd=tmp_path)
    source = Account(telnyx_account)
    source.post("/outbound_voice_profiles", {"name": "office"})
    source.post("/outbound_voice_profiles", {"name": "branch", "tags": ["x"]})

    result = run(
        settings.database_url,
        "import",
        "telnyx",
        "--base-url",
        f"{telnyx_account.base_url}/v2",
        "--user",
        "ops@example.com",
        cwd=tmp_path,
    )
    assert_failed_clearly(result, "API key", "TELNYX_API_KEY")
    result = run(
        settings.database_url,
        "import",
        "telnyx",
        "--api-key",
        source.key,
        "--base-url",
        f"{telnyx_account.base_url}/v2",
        "--user",
        "ops@example.com",
        cwd=tmp_path,
    )

    assert result.returncode == 0, result.stderr
    assert "profiles: 2 created, 0 updated, 0 unchanged, 0 skipped" in result.stdout


def test_import_telnyx_refuses_clearly(settings: Settings, tmp_path: Path, telnyx_account: LiveServer) -> None:
    run_json(settings.database_url, "users", "create", "ops@example.com", cwd=tmp_path)
    base = f"{telnyx_account.base_url}/v2"
    key = Account(telnyx_account).key
    cases = [
        # v1's lists are bare arrays: not the API v2 the command reads.
        (
            ["--api-key", key, "--base-url", telnyx_account.base_url, "--user", "ops@example.com"],
            ["answered 400", "--base-url"],
        ),
        (["--api-key", "KEY00_wrong", "--base-url", base, "--user", "ops@example.com"], ["refused the API key", "401"]),
        (
            ["--api-key", "KEY00_x", "--base-url", "http://127.0.0.1:1/v2", "--user", "ops@example.com"],
            ["cannot reach"],
        ),
        (["--api-key", "KEY00_x", "--base-url", base, "--user", "nobody@example.com"], ["nobody@example.com"]),
    ]
    for args, fragments in cases:
        result = run(settings.database_url, "import", "telnyx", *args, cwd=tmp_path)
        assert_failed_clearly(result, *fragments)
        assert result.returncode == 1


def test_export_and_import_json_move_a_tenant(
    client: TestClient[Any], settings: Settings, tmp_path: Path, migrated_template: Path
) -> None:
    # The tenant lives in an SQLite database first; it moves to the test's database (SQLite or PostgreSQL).
    shutil.copyfile(migrated_template, tmp_path / "old.db")
    old = f"sqlite:///{tmp_path / 'old.db'}"
    owner = run_json(old, "users", "create", "ops@example.com", cwd=tmp_path)
    headers = {"Authorization": f"Bearer {owner['token']}"}
    with TestClient(create_app(Settings(database_url=old))) as old_client:
        trunk = old_client.post("/security/connections", json={"connection_name": "trunk"}, headers=headers).json()
        spare = old_client.post(
            "/security/connections", json={"connection_name": "spare", "active": False}, headers=headers
        )
        group = old_client.post("/billing_groups", json={"name": "main"}, headers=headers).json()
        made = old_client.post(
            "/termination/endpoints",
            json={
                "name": "office",
                "connection_ids": [trunk["id"]],
                "billing_group_id": group["id"],
                "whitelisted_destinations": ["US", "CA"],
                "max_destination_rate": 0.25,
                "daily_spend_limit": "12.5",
                "daily_spend_limit_enabled": True,
                "translation_rule": "+1",
                "cps_limit_increase": 20,
            },
            headers=headers,
        ).json()
        old_client.patch(
            f"/v2/outbound_voice_profiles/{made['id']}",
            json={"name": "office", "calling_window": {"start_time": "22:00", "end_time": "06:00"}},
            headers=headers,
        )
    assert spare.status_code == 200
    exported = run(old, "export", "--user", "ops@example.com", "--output", str(tmp_path / "backup.json"), cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    document = json.loads((tmp_path / "backup.json").read_text())
    assert document["format"] == "outbound-profiles export"
    assert [c["connection_name"] for c in document["connections"]] == ["trunk", "spare"]

    new_owner = run_json(settings.database_url, "users", "create", "moved@example.com", cwd=tmp_path)
    new_headers = {"Authorization": f"Bearer {new_owner['token']}"}
    imported = run(
        settings.database_url,
        "import",
        "json",
        str(tmp_path / "backup.json"),
        "--user",
        "moved@example.com",
        cwd=tmp_path,
    )
    again = run(
        settings.database_url,
        "import",
        "json",
        str(tmp_path / "backup.json"),
        "--user",
        "moved@example.com",
        "--json",
        cwd=tmp_path,
    )

    assert imported.returncode == 0, imported.stderr
    assert "profiles: 1 created" in imported.stdout
    assert {o["action"] for o in json.loads(again.stdout)} == {"unchanged"}
    profiles = client.get("/termination/endpoints", headers=new_headers).json()
    assert len(profiles) == 1
    moved = profiles[0]
    assert moved["id"] != made["id"]
    for field in (
        "name",
        "whitelisted_destinations",
        "max_destination_rate",
        "daily_spend_limit",
        "daily_spend_limit_enabled",
        "translation_rule",
        "cps_limit_increase",
    ):
        assert moved[field] == made[field], field
    assert moved["daily_spend_limit"] == "12.50"
    assert [c["connection_name"] for c in moved["connections"]] == ["trunk"]
    groups = client.get("/billing_groups", headers=new_headers).json()
    assert moved["billing_group_id"] == groups[0]["id"]
    assert groups[0]["name"] == "main"
    connections = client.get("/security/connections", headers=new_headers).json()
    assert {(c["connection_name"], c["active"]) for c in connections} == {("trunk", True), ("spare", False)}
    window = client.get(f"/v2/outbound_voice_profiles/{moved['id']}", headers=new_headers).json()["data"]
    assert window["calling_window"] == {"start_time": "22:00:00.00Z", "end_time": "06:00:00.00Z", "calls_per_cld": None}
    export_again = run(settings.database_url, "export", "--user", "moved@example.com", cwd=tmp_path)
    assert json.loads(export_again.stdout)["profiles"][0]["name"] == "office"


def test_import_json_refuses_what_is_not_an_export(settings: Settings, tmp_path: Path) -> None:
    run_json(settings.database_url, "users", "create", "ops@example.com", cwd=tmp_path)
    (tmp_path / "other.json").write_text('{"data": []}')
    (tmp_path / "broken.json").write_text("{")
    for name, fragment in (
        ("other.json", "not an outbound-profiles export"),
        ("broken.json", "not an export"),
        ("missing.json", "cannot read"),
    ):
        result = run(
            settings.database_url, "import", "json", str(tmp_path / name), "--user", "ops@example.com", cwd=tmp_path
        )
        assert_failed_clearly(result, fragment)
        assert result.returncode == 2
