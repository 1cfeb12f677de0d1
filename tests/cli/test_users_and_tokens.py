"""`outbound-profiles users create`, `tokens create`, `tokens revoke` and `db upgrade`, run
as separate processes on the test's database; the API in the test then uses what they printed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from litestar.testing import TestClient

from outbound_profiles.app import create_app
from outbound_profiles.config import Settings
from tests.cli.helpers import assert_failed_clearly, run, run_json
from tests.contract.helpers import AUTHENTICATION_FAILED, BAD_REQUEST, assert_error

PROFILES = "/termination/endpoints"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_users_create_json_prints_credentials_that_work(
    client: TestClient[Any], settings: Settings, tmp_path: Path
) -> None:
    credentials = run_json(settings.database_url, "users", "create", "ops@example.com", cwd=tmp_path)

    assert set(credentials) == {"user_id", "email", "token_id", "token"}
    assert re.fullmatch(r"[1-9][0-9]{0,18}", credentials["user_id"])
    assert credentials["email"] == "ops@example.com"
    assert credentials["token"].startswith(credentials["token_id"] + "_")
    for headers in (
        bearer(credentials["token"]),
        {"x-api-user": credentials["email"], "x-api-token": credentials["token"]},
        {"x-api-user": credentials["token_id"], "x-api-token": credentials["token"]},
    ):
        response = client.get(PROFILES, headers=headers)
        assert response.status_code == 200, response.text
    headers = bearer(credentials["token"])
    created = client.post(PROFILES, json={"connection_ids": []}, headers=headers)
    assert created.json()["user_id"] == credentials["user_id"]
    assert created.json()["cps_limit"] == 100
    # Made without limits: no concurrent call limit, and a maximum of 1000 CPS (100 + 900).
    many_ports = client.post(PROFILES, json={"connection_ids": [], "ports": 100_000}, headers=headers)
    max_cps = client.post(PROFILES, json={"connection_ids": [], "cps_limit_increase": 900}, headers=headers)
    over = client.post(PROFILES, json={"connection_ids": [], "cps_limit_increase": 901}, headers=headers)
    assert many_ports.status_code == 200, many_ports.text
    assert max_cps.status_code == 200, max_cps.text
    assert_error(over, 400, BAD_REQUEST, pointer="/cps_limit_increase")


def test_users_create_prints_the_token_readably_and_refuses_a_duplicate_email(
    client: TestClient[Any], settings: Settings, tmp_path: Path
) -> None:
    result = run(settings.database_url, "users", "create", "twice@example.com", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    token = re.search(r"^token:\s+(\S+)", result.stdout, re.MULTILINE)
    assert token is not None, result.stdout
    assert "twice@example.com" in result.stdout
    assert client.get(PROFILES, headers=bearer(token.group(1))).status_code == 200
    for email in ("twice@example.com", "TWICE@example.com"):
        duplicate = run(settings.database_url, "users", "create", email, "--json", cwd=tmp_path)

        assert_failed_clearly(duplicate, "already exists", email)


def test_a_bad_user_is_refused_clearly(settings: Settings, tmp_path: Path) -> None:
    cases = [
        (["not-an-email"], "not an email address"),
        (["low@example.com", "--max-cps", "50"], "maximum CPS"),
    ]
    for args, reason in cases:
        assert_failed_clearly(run(settings.database_url, "users", "create", *args, cwd=tmp_path), reason)


def test_a_malformed_command_is_a_usage_error(settings: Settings, tmp_path: Path) -> None:
    result = run(settings.database_url, "users", "create", "x@example.com", "--max-cps", "many", cwd=tmp_path)

    assert result.returncode == 2, result
    assert "usage: outbound-profiles" in result.stderr
    assert result.stdout == ""


def test_the_account_limits_given_at_creation_bind_the_rules(
    client: TestClient[Any], settings: Settings, tmp_path: Path
) -> None:
    credentials = run_json(
        settings.database_url,
        "users",
        "create",
        "limited@example.com",
        "--concurrent-call-limit",
        "10",
        "--max-cps",
        "150",
        cwd=tmp_path,
    )
    headers = bearer(credentials["token"])

    too_many_ports = client.post(PROFILES, json={"connection_ids": [], "ports": 11}, headers=headers)
    too_fast = client.post(PROFILES, json={"connection_ids": [], "cps_limit_increase": 51}, headers=headers)
    at_the_limits = client.post(
        PROFILES, json={"connection_ids": [], "ports": 10, "cps_limit_increase": 50}, headers=headers
    )

    assert_error(too_many_ports, 400, BAD_REQUEST, pointer="/ports")
    assert_error(too_fast, 400, BAD_REQUEST, pointer="/cps_limit_increase")
    assert at_the_limits.status_code == 200, at_the_limits.text
    assert at_the_limits.json()["cps_limit"] == 100
    raised = client.put(f"{PROFILES}/{at_the_limits.json()['id']}", json={"ports": 11}, headers=headers)
    assert_error(raised, 400, BAD_REQUEST, pointer="/ports")


def test_tokens_are_issued_and_revoked(client: TestClient[Any], settings: Settings, tmp_path: Path) -> None:
    url = settings.database_url
    first = run_json(url, "users", "create", "rotate@example.com", cwd=tmp_path)
    second = run_json(url, "tokens", "create", "rotate@example.com", cwd=tmp_path)
    assert set(second) == {"user_id", "email", "token_id", "token"}
    assert (second["user_id"], second["email"]) == (first["user_id"], first["email"])
    assert second["token_id"] != first["token_id"]
    assert client.get(PROFILES, headers=bearer(second["token"])).status_code == 200

    revoked = run(url, "tokens", "revoke", first["token_id"], cwd=tmp_path)

    assert revoked.returncode == 0, revoked.stderr
    assert first["token_id"] in revoked.stdout
    assert_error(client.get(PROFILES, headers=bearer(first["token"])), 401, AUTHENTICATION_FAILED)
    pair = {"x-api-user": first["email"], "x-api-token": first["token"]}
    assert_error(client.get(PROFILES, headers=pair), 401, AUTHENTICATION_FAILED)
    assert client.get(PROFILES, headers=bearer(second["token"])).status_code == 200
    assert_failed_clearly(run(url, "tokens", "revoke", first["token_id"], cwd=tmp_path), first["token_id"])
    assert_failed_clearly(run(url, "tokens", "create", "nobody@example.com", cwd=tmp_path), "nobody@example.com")


def test_db_upgrade_makes_a_database_and_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"

    first = run(url, "db", "upgrade", cwd=tmp_path)
    credentials = run_json(url, "users", "create", "kept@example.com", cwd=tmp_path)
    second = run(url, "db", "upgrade", cwd=tmp_path)

    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert first.stdout.splitlines()[0] == "applied 0001 (initial schema)"
    assert first.stdout.count("applied ") >= 5
    assert "the latest" in first.stdout.splitlines()[-1]
    assert second.stdout == first.stdout.splitlines()[-1] + "\n"  # nothing left to apply
    assert (tmp_path / "fresh.db").exists()
    with TestClient(create_app(Settings(database_url=url))) as client:
        assert client.get(PROFILES, headers=bearer(credentials["token"])).status_code == 200
