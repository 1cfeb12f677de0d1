"""A profile's own rate deck over the API: upload, download, refusal, removal, tenants, and how the
profile shows it (v1 and v2)."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import func, select

from outbound_profiles.accounts import service as accounts
from outbound_profiles.db.database import Database
from outbound_profiles.models import rate_deck_rows, rate_decks
from outbound_profiles.rating.custom_decks import MAX_DECK_BYTES
from outbound_profiles.rating.service import import_default_deck
from tests.conftest import Api
from tests.rating.helpers import HEADER, deck_lines

CSV = {"Content-Type": "text/csv"}
DECK = HEADER + "1,US,0.0100,0,60,60\n44,GB,0.0200,0.01,1,1\n1202,US,0.0050,0,6,6\n"


def _url(profile: dict[str, Any]) -> str:
    return f"/termination/endpoints/{profile['id']}/rate_deck"


def _put(api: Api, profile: dict[str, Any], body: str | bytes) -> Any:
    return api.client.put(_url(profile), content=body, headers={**api.tenant.headers, **CSV})


def _stored_rows(database: Database) -> int:
    return int(
        database.run_sync(
            lambda c: c.execute(select(func.count()).select_from(rate_deck_rows)).scalar_one(), write=False
        )
    )


def test_an_uploaded_deck_downloads_as_it_was_set_sorted_by_prefix(api: Api) -> None:
    profile = api.profile()

    put = _put(api, profile, DECK)

    assert put.status_code == 200, put.text
    assert put.json() == {"rows": 3}
    got = api.client.get(_url(profile), headers=api.tenant.headers)
    assert got.status_code == 200
    assert got.headers["content-type"] == "text/csv; charset=utf-8"  # the charset once
    assert got.text == HEADER + "1,US,0.0100,0,60,60\n1202,US,0.0050,0,6,6\n44,GB,0.0200,0.01,1,1\n"


def test_the_profile_shows_its_deck_in_v1_and_v2_and_its_etag_changes(api: Api) -> None:
    profile = api.profile(name="decked")
    before = api.client.get(f"/termination/endpoints/{profile['id']}", headers=api.tenant.headers)
    assert (before.json()["custom_rate_deck"], before.json()["rate_deck_url"]) == (False, None)

    assert _put(api, profile, DECK).status_code == 200

    v1 = api.client.get(f"/termination/endpoints/{profile['id']}", headers=api.tenant.headers)
    assert v1.json()["custom_rate_deck"] is True
    assert v1.json()["rate_deck_url"] == _url(profile)
    assert v1.headers["etag"] != before.headers["etag"]
    assert v1.json()["updated_at"] > before.json()["updated_at"]
    listed = api.client.get("/termination/endpoints", headers=api.tenant.headers).json()
    assert [p["custom_rate_deck"] for p in listed] == [True]
    v2 = api.client.get(f"/v2/outbound_voice_profiles/{profile['id']}", headers=api.tenant.headers).json()["data"]
    assert (v2["custom_rate_deck"], v2["rate_deck_url"]) == (True, _url(profile))
    # Read-only: sent back as read, they change nothing; they cannot be set.
    back = api.client.put(
        f"/termination/endpoints/{profile['id']}",
        json={"custom_rate_deck": False, "rate_deck_url": None},
        headers=api.tenant.headers,
    )
    assert back.status_code == 200, back.text
    assert back.json()["custom_rate_deck"] is True
    patched = api.client.patch(
        f"/v2/outbound_voice_profiles/{profile['id']}",
        json={"name": "decked", "custom_rate_deck": False, "rate_deck_url": None},
        headers=api.tenant.headers,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["data"]["custom_rate_deck"] is True

    assert api.client.delete(_url(profile), headers=api.tenant.headers).json() == {"rows": 3}

    after = api.client.get(f"/termination/endpoints/{profile['id']}", headers=api.tenant.headers).json()
    assert (after["custom_rate_deck"], after["rate_deck_url"]) == (False, None)


def test_a_bad_deck_is_refused_whole_by_line_and_column_and_the_old_one_stays(api: Api, database: Database) -> None:
    profile = api.profile()
    assert _put(api, profile, DECK).status_code == 200

    bad = _put(api, profile, HEADER + "1,US,0.02\n44,XX,0.01\n0,GB,-1\n")

    assert bad.status_code == 400
    errors = bad.json()["errors"]
    assert {e["code"] for e in errors} == {"10015"}
    assert [(e["source"]["line"], e["source"]["column"]) for e in errors] == [(3, 2), (4, 1), (4, 3)]
    assert "line 3, column 2 (country)" in errors[0]["detail"]
    assert api.client.get(_url(profile), headers=api.tenant.headers).text.startswith(HEADER + "1,US,0.0100,")
    assert _stored_rows(database) == 3
    empty = _put(api, profile, "")
    assert empty.status_code == 400
    assert empty.json()["errors"][0]["source"] == {"line": 1, "column": 1}
    not_text = _put(api, profile, HEADER.encode() + b"1,US,0.01\n\xff\n")
    assert not_text.status_code == 400
    assert not_text.json()["errors"][0]["source"]["line"] == 3


def test_a_deck_the_csv_reader_cannot_read_is_refused_and_the_old_one_stays(api: Api, database: Database) -> None:
    profile = api.profile()
    assert _put(api, profile, DECK).status_code == 200

    # A quote never closed: the rest of the file is one field, longer than the csv module takes.
    bad = _put(api, profile, HEADER + '1,US,"0.02\n' + "44,GB,0.01\n" * 20_000)

    assert bad.status_code == 400, bad.text
    [error] = bad.json()["errors"]
    assert (error["code"], error["source"]) == ("10015", {"line": 2, "column": 1})
    assert "cannot be read as CSV" in error["detail"]
    assert api.client.get(_url(profile), headers=api.tenant.headers).text.startswith(HEADER + "1,US,0.0100,")
    assert _stored_rows(database) == 3


def test_a_new_deck_replaces_the_old_one_whole(api: Api, database: Database) -> None:
    profile = api.profile()
    assert _put(api, profile, DECK).json() == {"rows": 3}

    assert _put(api, profile, "".join(deck_lines(5))).json() == {"rows": 5}

    assert api.client.get(_url(profile), headers=api.tenant.headers).text == "".join(deck_lines(5)).replace(
        ",0,6,6", ",0,6,6"
    )
    assert _stored_rows(database) == 5
    decks = database.run_sync(
        lambda c: c.execute(select(func.count()).select_from(rate_decks)).scalar_one(), write=False
    )
    assert decks == 1


def test_without_a_deck_get_and_delete_are_404(api: Api) -> None:
    profile = api.profile()

    for method in ("GET", "DELETE"):
        response = api.client.request(method, _url(profile), headers=api.tenant.headers)
        assert response.status_code == 404, method
        assert response.json()["errors"][0]["code"] == "10005"


def test_get_downloads_the_deck_in_effect_the_default_one_without_an_own_or_by_tariff(
    api: Api, database: Database
) -> None:
    import_default_deck(database, ["prefix,country,rate\n", "44,GB,0.02\n", "1,US,0.01\n"])
    default = HEADER + "1,US,0.01,0,60,60\n44,GB,0.02,0,60,60\n"
    plain = api.profile()
    tariff = api.profile(usage_payment_method="tariff")
    assert _put(api, tariff, DECK).status_code == 200  # its own deck does not rate its calls
    for profile in (plain, tariff):
        response = api.client.get(_url(profile), headers=api.tenant.headers)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/csv")
        assert response.text == default, profile["usage_payment_method"]
    assert _put(api, plain, DECK).status_code == 200
    own = api.client.get(_url(plain), headers=api.tenant.headers).text
    assert own != default
    assert own.count("\n") == 4  # the header and the deck's three rows


def test_another_tenants_profile_is_not_found_and_a_switch_token_is_forbidden(
    api: Api, other_api: Api, database: Database
) -> None:
    profile = api.profile()
    assert _put(api, profile, DECK).status_code == 200
    switch = database.run_sync(accounts.create_switch_token, write=True)

    for client_headers, status in ((other_api.tenant.headers, 404), ({"Authorization": f"Bearer {switch.token}"}, 403)):
        assert api.client.put(_url(profile), content=DECK, headers={**client_headers, **CSV}).status_code == status
        assert api.client.get(_url(profile), headers=client_headers).status_code == status
        assert api.client.delete(_url(profile), headers=client_headers).status_code == status
    assert api.client.put(_url(profile), content=DECK, headers=CSV).status_code == 401
    assert api.client.get(_url(profile), headers=api.tenant.headers).status_code == 200


def test_deleting_the_profile_deletes_its_deck(api: Api, database: Database) -> None:
    profile = api.profile()
    assert _put(api, profile, DECK).status_code == 200

    assert api.client.delete(f"/termination/endpoints/{profile['id']}", headers=api.tenant.headers).status_code == 200

    assert _stored_rows(database) == 0
    decks = database.run_sync(
        lambda c: c.execute(select(func.count()).select_from(rate_decks)).scalar_one(), write=False
    )
    assert decks == 0


def test_a_large_deck_is_accepted_and_a_body_over_the_limit_is_413(api: Api, client: TestClient[Any]) -> None:
    profile = api.profile()
    lines = deck_lines(100_000)
    body = "".join(lines)
    assert len(body) > 1024 * 1024  # over the JSON bodies' limit

    assert _put(api, profile, body).json() == {"rows": 100_000}

    too_large = _put(api, profile, b"x" * (MAX_DECK_BYTES + 1))
    assert too_large.status_code == 413
    assert str(MAX_DECK_BYTES) in too_large.json()["errors"][0]["detail"]
    assert api.client.get(_url(profile), headers=api.tenant.headers).text.count("\n") == 100_001


@pytest.mark.parametrize("query", ["?x=1"])
def test_an_unknown_query_parameter_is_refused(api: Api, query: str) -> None:
    profile = api.profile()
    assert api.client.get(_url(profile) + query, headers=api.tenant.headers).status_code == 400
