"""Decisions rated by a profile's own deck: the switch's authorizations and `simulate_call` use it,
a `tariff` profile and a profile without one use the default deck, a change reaches another node's
decisions within a second, and the decks held in memory stay within their bound."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from outbound_profiles.accounts import service as accounts
from outbound_profiles.config import Settings
from outbound_profiles.db.database import Database
from outbound_profiles.policy.decide import ProfileSnapshot
from outbound_profiles.profiles.model import Profile
from outbound_profiles.rating import repository
from outbound_profiles.rating.default_deck import DefaultDeck
from outbound_profiles.rating.profile_decks import ProfileDecks
from outbound_profiles.rating.service import import_default_deck
from tests.authorizations.conftest import Switch
from tests.conftest import Api
from tests.live import LiveServer, live_servers
from tests.rating.helpers import HEADER

DEFAULT = HEADER + "1,US,0.0100\n44,GB,0.0200\n"
OWN = HEADER + "1,US,0.0070\n1202,US,0.0030\n44,GB,0.5000\n"
US, DC, GB = "+13125550123", "+12025550123", "+442071234567"


@pytest.fixture
def switch(client: TestClient[Any], database: Database) -> Switch:
    issued = database.run_sync(accounts.create_switch_token, write=True)
    return Switch(client, {"Authorization": f"Bearer {issued.token}"})


def _default_in_effect(database: Database, switch: Switch) -> None:
    import_default_deck(database, DEFAULT.splitlines(keepends=True))
    switch.wait_for_default_deck()


def _line(api: Api, **fields: Any) -> tuple[str, dict[str, Any]]:
    connection = api.connection()
    fields.setdefault("whitelisted_destinations", ["US", "GB"])
    return connection["id"], api.profile(connection_ids=[connection["id"]], **fields)


def _put(api: Api, profile: dict[str, Any], deck: str) -> None:
    response = api.client.put(
        f"/termination/endpoints/{profile['id']}/rate_deck",
        content=deck,
        headers={**api.tenant.headers, "Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text


def test_the_switch_is_answered_with_the_profiles_own_rates_and_its_maximum(
    switch: Switch, api: Api, database: Database
) -> None:
    _default_in_effect(database, switch)
    connection_id, profile = _line(api, max_destination_rate=0.25)
    assert switch.authorize(connection_id, DC)["rate"] == "0.0100"  # the default deck, before

    _put(api, profile, OWN)

    assert switch.authorize(connection_id, DC)["rate"] == "0.0030"
    assert switch.authorize(connection_id, US)["rate"] == "0.0070"
    above = switch.authorize(connection_id, GB)  # 0.0200 by default: allowed; 0.5000 in its own
    assert (above["decision"], above["reason"], above["telnyx_cause"], above["rate"]) == (
        "deny",
        "rate_above_max",
        "D24",
        "0.5000",
    )


def test_removing_the_deck_brings_back_the_default(switch: Switch, api: Api, database: Database) -> None:
    _default_in_effect(database, switch)
    connection_id, profile = _line(api)
    _put(api, profile, OWN)
    assert switch.authorize(connection_id, US)["rate"] == "0.0070"

    removed = api.client.delete(f"/termination/endpoints/{profile['id']}/rate_deck", headers=api.tenant.headers)

    assert removed.status_code == 200
    assert switch.authorize(connection_id, US)["rate"] == "0.0100"


def test_a_tariff_profile_is_rated_with_the_default_deck(switch: Switch, api: Api, database: Database) -> None:
    _default_in_effect(database, switch)
    connection_id, profile = _line(api, usage_payment_method="tariff")
    _put(api, profile, OWN)

    assert switch.authorize(connection_id, US)["rate"] == "0.0100"
    changed = api.client.put(
        f"/termination/endpoints/{profile['id']}",
        json={"usage_payment_method": "rate-deck"},
        headers=api.tenant.headers,
    )
    assert changed.status_code == 200
    assert switch.authorize(connection_id, US)["rate"] == "0.0070"


def test_simulate_call_shows_the_row_of_the_deck_in_effect(switch: Switch, api: Api, database: Database) -> None:
    _default_in_effect(database, switch)
    _, profile = _line(api)
    url = f"/termination/endpoints/{profile['id']}/actions/simulate_call"

    def figures() -> dict[str, Any]:
        response = api.client.post(url, json={"to": DC}, headers=api.tenant.headers)
        assert response.status_code == 200, response.text
        shown: dict[str, Any] = response.json()["figures"]
        return shown

    row = figures()["deck_row"]
    assert (row["prefix"], row["country"], row["rate"]) == ("1", "US", "0.0100")
    _put(api, profile, OWN)
    row = figures()["deck_row"]
    assert (row["prefix"], row["country"], row["rate"]) == ("1202", "US", "0.0030")
    assert figures()["rate"] == "0.0030"


def _authorize(server: LiveServer, switch: dict[str, str], connection_id: str, call_id: str) -> dict[str, Any]:
    body = {"call_id": call_id, "connection_id": connection_id, "to": US, "from": "+13125550100"}
    response = httpx.post(f"{server.base_url}/termination/authorizations", json=body, headers=switch)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def _within_a_second(decider: LiveServer, switch: dict[str, str], connection_id: str, rate: str, tag: str) -> float:
    started = time.monotonic()
    attempt = 0
    while _authorize(decider, switch, connection_id, f"{tag}-{attempt}")["rate"] != rate:
        attempt += 1
        assert time.monotonic() - started < 5, f"{tag}: never rated at {rate}"
        time.sleep(0.02)
    return time.monotonic() - started


def test_a_deck_change_on_one_node_reaches_the_others_decisions_within_a_second(
    settings: Settings, database: Database, tmp_path: Path
) -> None:
    user = database.run_sync(lambda c: accounts.create_user(c, "decks@example.com"), write=True)
    tenant = {"Authorization": f"Bearer {user.token}"}
    switch = {"Authorization": f"Bearer {database.run_sync(accounts.create_switch_token, write=True).token}"}
    import_default_deck(database, DEFAULT.splitlines(keepends=True))
    with live_servers(settings.database_url, tmp_path, 2) as (changer, decider):
        base = changer.base_url
        connection_id = httpx.post(
            f"{base}/security/connections", json={"connection_name": "t"}, headers=tenant
        ).json()["id"]
        profile = httpx.post(
            f"{base}/termination/endpoints",
            json={"connection_ids": [connection_id], "cps_limit_increase": 900},
            headers=tenant,
        ).json()
        deck_url = f"{base}/termination/endpoints/{profile['id']}/rate_deck"
        _within_a_second(decider, switch, connection_id, "0.0100", "default")  # warm: the default deck
        csv = {**tenant, "Content-Type": "text/csv"}

        assert httpx.put(deck_url, content=OWN, headers=csv).status_code == 200
        assert _within_a_second(decider, switch, connection_id, "0.0070", "own") < 1.0

        assert httpx.put(deck_url, content=OWN.replace("0.0070", "0.0060"), headers=csv).status_code == 200
        assert _within_a_second(decider, switch, connection_id, "0.0060", "replaced") < 1.0

        assert httpx.delete(deck_url, headers=tenant).status_code == 200
        assert _within_a_second(decider, switch, connection_id, "0.0100", "removed") < 1.0


def _snapshot(profile_id: int, deck_id: int | None, *, tariff: bool = False) -> ProfileSnapshot:
    profile = Profile(
        id=profile_id,
        user_id=1,
        name=None,
        traffic_type=1,
        service_plan=4,
        cps_limit=100,
        cps_limit_increase=0,
        ports=None,
        translation_rule=None,
        active=True,
        tag_list=[],
        usage_payment_method="tariff" if tariff else "rate-deck",
        whitelisted_destination_format="alpha3",
        whitelisted_destinations=["US"],
        max_destination_rate=None,
        call_recording_type="none",
        call_recording_phone_numbers=[],
        call_recording_format="wav",
        call_recording_channels="single",
        daily_spend_limit=None,
        daily_spend_limit_enabled=False,
        billing_group_id=None,
        rate_deck_id=deck_id,
        version=1,
        created_at=None,  # type: ignore[arg-type]
        updated_at=None,  # type: ignore[arg-type]
    )
    return ProfileSnapshot.of(profile)


def _deck_id(database: Database, profile: dict[str, Any]) -> int | None:
    return database.run_sync(lambda c: repository.profile_deck_id(c, int(profile["id"])), write=False)


def test_the_decks_held_stay_within_their_bound_least_recently_used_first(
    api: Api, database: Database, client: TestClient[Any]
) -> None:
    profiles = [api.profile() for _ in range(3)]
    for profile in profiles:
        _put(api, profile, HEADER + "".join(f"{p},US,0.01\n" for p in range(100, 140)))  # 40 rows each
    deck_ids = [_deck_id(database, p) for p in profiles]
    decks = ProfileDecks(database, DefaultDeck(), max_rows=100)
    snapshots = [_snapshot(int(p["id"]), d) for p, d in zip(profiles, deck_ids, strict=True)]

    async def use(*indexes: int) -> list[Any]:
        return [await decks.for_profile(snapshots[i]) for i in indexes]

    first = asyncio.run(use(0, 1))
    assert decks.held() == (2, 80)
    assert asyncio.run(use(0))[0] is first[0]  # held: the same deck, not loaded again
    asyncio.run(use(2))  # 120 rows: the least recently used (1) goes
    assert decks.held() == (2, 80)
    assert asyncio.run(use(0))[0] is first[0]
    assert asyncio.run(use(1))[0] is not first[1]  # loaded again
    tariff = _snapshot(int(profiles[0]["id"]), deck_ids[0], tariff=True)
    assert asyncio.run(decks.for_profile(tariff)) is None  # the default deck (none imported)
    assert asyncio.run(decks.for_profile(snapshots[0])).match("1005550123").rate == Decimal("0.01")  # type: ignore[union-attr]


def test_a_decision_naming_a_replaced_deck_is_rated_with_the_one_in_effect(
    api: Api, database: Database, client: TestClient[Any]
) -> None:
    profile = api.profile()
    _put(api, profile, OWN)
    old = _deck_id(database, profile)
    _put(api, profile, OWN.replace("0.0070", "0.0060"))
    decks = ProfileDecks(database, DefaultDeck())

    deck = asyncio.run(decks.for_profile(_snapshot(int(profile["id"]), old)))

    assert deck is not None
    assert deck.match("13125550123").rate == Decimal("0.0060")  # type: ignore[union-attr]
