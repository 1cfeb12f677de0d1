"""Administering tenants with the installed command: `users list|update|disable|enable` and
`tokens list|revoke`, each run as its own process against the test's database, while the API
(another process's view of the same database) sees the effect at once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from litestar.testing import TestClient
from sqlalchemy import update

from outbound_profiles.config import Settings
from outbound_profiles.db.engine import build_engine
from outbound_profiles.models.accounts import users
from tests.cli.helpers import assert_failed_clearly, run, run_json
from tests.contract.helpers import AUTHENTICATION_FAILED, BAD_REQUEST, assert_error

PROFILES = "/termination/endpoints"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def output(settings: Settings, tmp_path: Path, *args: str) -> str:
    result = run(settings.database_url, *args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return result.stdout


def as_json(settings: Settings, tmp_path: Path, *args: str) -> Any:
    return json.loads(output(settings, tmp_path, *args, "--json"))


def test_users_list_shows_every_user_with_its_settings(settings: Settings, tmp_path: Path) -> None:
    assert output(settings, tmp_path, "users", "list").startswith("no users")
    first = run_json(settings.database_url, "users", "create", "one@example.com", cwd=tmp_path)
    run_json(settings.database_url, "tokens", "create", "one@example.com", cwd=tmp_path)
    run_json(
        settings.database_url,
        "users",
        "create",
        "two@example.com",
        "--concurrent-call-limit",
        "5",
        "--max-cps",
        "300",
        "--default-cps",
        "50",
        cwd=tmp_path,
    )

    users = as_json(settings, tmp_path, "users", "list")
    text = output(settings, tmp_path, "users", "list")

    assert [u["email"] for u in users] == ["one@example.com", "two@example.com"]
    assert users[0]["user_id"] == first["user_id"]
    assert (users[0]["concurrent_call_limit"], users[0]["default_cps"], users[0]["max_cps"]) == (None, 100, 1000)
    assert (users[1]["concurrent_call_limit"], users[1]["default_cps"], users[1]["max_cps"]) == (5, 50, 300)
    assert [u["active_tokens"] for u in users] == [2, 1]
    assert [u["disabled_at"] for u in users] == [None, None]
    assert all(u["created_at"].endswith("Z") for u in users)
    header, *rows = text.splitlines()
    assert header.split()[:2] == ["EMAIL", "USER"]
    assert [row.split()[0] for row in rows] == ["one@example.com", "two@example.com"]
    assert "none" in rows[0]
    assert first["token"] not in text


def test_users_update_changes_the_limits_the_rules_use(
    client: TestClient[Any], settings: Settings, tmp_path: Path
) -> None:
    credentials = run_json(settings.database_url, "users", "create", "ops@example.com", cwd=tmp_path)
    headers = bearer(credentials["token"])
    profile = client.post(PROFILES, json={"connection_ids": [], "ports": 20}, headers=headers).json()

    lowered = as_json(settings, tmp_path, "users", "update", "OPS@example.com", "--concurrent-call-limit", "10")

    assert lowered["concurrent_call_limit"] == 10
    assert (lowered["default_cps"], lowered["max_cps"]) == (100, 1000)  # left unchanged
    # The operator lowered the limit below the profile's ports: its updates are refused until lowered.
    assert_error(client.put(f"{PROFILES}/{profile['id']}", json={"name": "x"}, headers=headers), 400, BAD_REQUEST)
    assert client.put(f"{PROFILES}/{profile['id']}", json={"ports": 10}, headers=headers).status_code == 200

    text = output(settings, tmp_path, "users", "update", "ops@example.com", "--max-cps", "200", "--default-cps", "150")
    created = client.post(PROFILES, json={"connection_ids": [], "cps_limit_increase": 50}, headers=headers)
    too_fast = client.post(PROFILES, json={"connection_ids": [], "cps_limit_increase": 51}, headers=headers)

    assert "maximum CPS:           200" in text
    assert created.status_code == 200, created.text
    assert created.json()["cps_limit"] == 150
    assert_error(too_fast, 400, BAD_REQUEST, pointer="/cps_limit_increase")

    unlimited = as_json(settings, tmp_path, "users", "update", "ops@example.com", "--concurrent-call-limit", "none")
    assert unlimited["concurrent_call_limit"] is None
    big = client.post(PROFILES, json={"connection_ids": [], "ports": 100_000}, headers=headers)
    assert big.status_code == 200, big.text


def test_users_update_refuses_what_cannot_be(settings: Settings, tmp_path: Path) -> None:
    run_json(settings.database_url, "users", "create", "ops@example.com", cwd=tmp_path)
    url = settings.database_url
    cases = [
        (["nobody@example.com", "--max-cps", "500"], "nobody@example.com"),
        (["ops@example.com", "--max-cps", "50"], "maximum CPS (50) must be at least the default CPS (100)"),
        (["ops@example.com", "--default-cps", "0"], "default CPS must be from 1 to 2147483647"),
        (["ops@example.com", "--concurrent-call-limit", "-1"], "concurrent call limit must be from 0 to 2147483647"),
        (["ops@example.com", "--max-cps", str(2**31)], "maximum CPS must be from 1 to 2147483647"),
        (["ops@example.com", "--concurrent-call-limit", str(10**30)], "concurrent call limit must be from 0"),
        (["ops@example.com"], "nothing to change"),
    ]
    for args, reason in cases:
        assert_failed_clearly(run(url, "users", "update", *args, cwd=tmp_path), reason)
    unchanged = as_json(settings, tmp_path, "users", "list")[0]
    assert (unchanged["concurrent_call_limit"], unchanged["default_cps"], unchanged["max_cps"]) == (None, 100, 1000)
    usage = run(url, "users", "update", "ops@example.com", "--concurrent-call-limit", "lots", cwd=tmp_path)
    assert usage.returncode == 2
    assert "not a number or 'none'" in usage.stderr


def test_a_disabled_users_tokens_are_refused_at_once_and_work_again_once_enabled(
    client: TestClient[Any], settings: Settings, tmp_path: Path
) -> None:
    user = run_json(settings.database_url, "users", "create", "ops@example.com", cwd=tmp_path)
    other = run_json(settings.database_url, "users", "create", "other@example.com", cwd=tmp_path)
    pair = {"x-api-user": user["email"], "x-api-token": user["token"]}
    assert client.get(PROFILES, headers=bearer(user["token"])).status_code == 200  # now cached by the server

    disabled = as_json(settings, tmp_path, "users", "disable", "ops@example.com")

    assert disabled["disabled_at"] is not None
    assert_error(client.get(PROFILES, headers=bearer(user["token"])), 401, AUTHENTICATION_FAILED)
    assert_error(client.get("/v2/outbound_voice_profiles", headers=bearer(user["token"])), 401, AUTHENTICATION_FAILED)
    assert_error(client.get(PROFILES, headers=pair), 401, AUTHENTICATION_FAILED)
    assert client.get(PROFILES, headers=bearer(other["token"])).status_code == 200
    again = output(settings, tmp_path, "users", "disable", "ops@example.com")
    assert "already disabled" in again
    assert "disabled since" in output(settings, tmp_path, "users", "list") + again

    enabled = as_json(settings, tmp_path, "users", "enable", "ops@example.com")

    assert enabled["disabled_at"] is None
    assert client.get(PROFILES, headers=bearer(user["token"])).status_code == 200
    assert_failed_clearly(
        run(settings.database_url, "users", "disable", "x@example.com", cwd=tmp_path), "x@example.com"
    )


def test_tokens_list_shows_ids_and_dates_never_secrets(
    client: TestClient[Any], settings: Settings, tmp_path: Path
) -> None:
    first = run_json(settings.database_url, "users", "create", "ops@example.com", cwd=tmp_path)
    second = run_json(settings.database_url, "tokens", "create", "ops@example.com", cwd=tmp_path)
    other = run_json(settings.database_url, "users", "create", "other@example.com", cwd=tmp_path)
    assert client.get(PROFILES, headers=bearer(second["token"])).status_code == 200
    assert client.get(PROFILES, headers=bearer(second["token"])).status_code == 200
    output(settings, tmp_path, "tokens", "revoke", first["token_id"])

    everyone = as_json(settings, tmp_path, "tokens", "list")
    mine = as_json(settings, tmp_path, "tokens", "list", "ops@example.com")
    text = output(settings, tmp_path, "tokens", "list")

    assert [t["token_id"] for t in everyone] == [first["token_id"], second["token_id"], other["token_id"]]
    assert [t["token_id"] for t in mine] == [first["token_id"], second["token_id"]]
    assert set(mine[0]) == {"token_id", "kind", "email", "created_at", "last_used_at", "revoked_at"}
    assert mine[0]["revoked_at"] is not None
    assert mine[0]["last_used_at"] is None
    assert mine[1]["revoked_at"] is None
    assert mine[1]["last_used_at"] is not None
    assert mine[1]["last_used_at"] >= mine[1]["created_at"]
    for secret in (first["token"], second["token"], other["token"]):
        assert secret.partition("_")[2] not in text + json.dumps(everyone)
    assert "never" in text
    assert "revoked" in text
    assert_failed_clearly(run(settings.database_url, "tokens", "list", "x@example.com", cwd=tmp_path), "x@example.com")


def test_tokens_revoke_takes_the_whole_token_too(client: TestClient[Any], settings: Settings, tmp_path: Path) -> None:
    user = run_json(settings.database_url, "users", "create", "ops@example.com", cwd=tmp_path)

    revoked = as_json(settings, tmp_path, "tokens", "revoke", user["token"])

    assert revoked == {"token_id": user["token_id"], "revoked": True}
    assert_error(client.get(PROFILES, headers=bearer(user["token"])), 401, AUTHENTICATION_FAILED)
    again = run(settings.database_url, "tokens", "revoke", user["token"], cwd=tmp_path)
    assert_failed_clearly(again, user["token_id"], "tokens list")
    assert user["token"].partition("_")[2] not in again.stderr


def test_users_create_refuses_settings_out_of_range_and_creates_nobody(settings: Settings, tmp_path: Path) -> None:
    url = settings.database_url
    cases = [
        (["--default-cps", "0"], "default CPS must be from 1 to 2147483647"),
        (["--max-cps", str(10**30)], "maximum CPS must be from 1 to 2147483647"),
        (["--concurrent-call-limit", "-1"], "concurrent call limit must be from 0 to 2147483647"),
        (["--max-cps", "50"], "maximum CPS (50) must be at least the default CPS (100)"),
    ]
    for args, reason in cases:
        assert_failed_clearly(run(url, "users", "create", "ops@example.com", *args, cwd=tmp_path), reason)
    assert as_json(settings, tmp_path, "users", "list") == []


def test_users_update_changes_one_setting_of_an_account_whose_others_predate_the_ranges(
    settings: Settings, tmp_path: Path
) -> None:
    run_json(settings.database_url, "users", "create", "ops@example.com", cwd=tmp_path)
    engine = build_engine(settings)
    with engine.begin() as connection:  # as an older version's `users create --default-cps 0` left it
        connection.execute(update(users).values(default_cps=0))
    engine.dispose()
    changed = run(
        settings.database_url, "users", "update", "ops@example.com", "--concurrent-call-limit", "7", cwd=tmp_path
    )
    assert changed.returncode == 0, changed.stderr
    listed = as_json(settings, tmp_path, "users", "list")[0]
    assert (listed["concurrent_call_limit"], listed["default_cps"]) == (7, 0)
