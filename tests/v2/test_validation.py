"""API v2 validation (SPEC §11): 422 in the §6 envelope with v2's pointers; the §5 rules of v1 hold;
the list query; the calling window. Through HTTP, without the SDK (fast)."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import select

from outbound_profiles.db.database import Database
from outbound_profiles.models import outbound_profiles
from tests.conftest import Api

PATH = "/v2/outbound_voice_profiles"


def _errors(response: Any, status: int = 422) -> dict[str, str]:
    assert response.status_code == status, response.text
    assert response.headers["x-should-retry"] == "false"
    return {e["source"].get("pointer") or e["source"].get("parameter"): e["code"] for e in response.json()["errors"]}


def _create(client: TestClient[Any], api: Api, **body: Any) -> dict[str, Any]:
    response = client.post(PATH, json={"name": "profile", **body}, headers=api.tenant.headers)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def test_every_problem_is_reported_with_its_v2_pointer(strict_client: TestClient[Any], api: Api) -> None:
    client = strict_client
    response = client.post(
        PATH,
        json={
            "concurrent_call_limit": "5",
            "tags": ["ok", ""],
            "enabled": 1,
            "traffic_type": 2,
            "service_plan": "eea",
            "whitelisted_destinations": ["US", "USA"],
            "call_recording": {"call_recording_type": "all", "call_recording_caller_phone_numbers": ["+1", "x"]},
            "calling_window": {"start_time": "24:00", "end_time": "06:00", "calls_per_cld": -1},
            "ports": 3,
        },
        headers=api.tenant.headers,
    )

    assert _errors(response) == {
        "/name": "10004",
        "/concurrent_call_limit": "10015",
        "/tags/1": "10015",
        "/enabled": "10015",
        "/traffic_type": "10015",
        "/service_plan": "10015",
        "/whitelisted_destinations/1": "10015",
        "/call_recording/call_recording_caller_phone_numbers/0": "10015",
        "/call_recording/call_recording_caller_phone_numbers/1": "10015",
        "/calling_window/start_time": "10015",
        "/calling_window/calls_per_cld": "10015",
        "/ports": "10015",
    }
    assert client.get(PATH, headers=api.tenant.headers).json()["data"] == []


def test_the_rules_of_v1_hold_and_name_the_v2_fields(client: TestClient[Any], make_tenant: Any) -> None:
    tenant = make_tenant(concurrent_call_limit=5)
    headers = tenant.headers

    response = client.post(
        PATH,
        json={
            "name": "rules",
            "service_plan": "us",
            "whitelisted_destinations": ["US", "GB"],
            "concurrent_call_limit": 6,
            "daily_spend_limit_enabled": True,
            "call_recording": {"call_recording_type": "by_caller_phone_number"},
        },
        headers=headers,
    )

    assert _errors(response) == {
        "/whitelisted_destinations/1": "10015",
        "/concurrent_call_limit": "10015",
        "/daily_spend_limit_enabled": "10015",
        "/call_recording/call_recording_type": "10015",
    }
    details = " ".join(e["detail"] for e in response.json()["errors"])
    assert "concurrent_call_limit must be no more than" in details
    assert "by_caller_phone_number needs at least one number in call_recording_caller_phone_numbers" in details


def test_name_is_required_on_update_and_has_three_characters(client: TestClient[Any], api: Api) -> None:
    made = _create(client, api)

    assert _errors(client.patch(f"{PATH}/{made['id']}", json={"enabled": False}, headers=api.tenant.headers)) == {
        "/name": "10004"
    }
    assert _errors(client.patch(f"{PATH}/{made['id']}", json={"name": "ab"}, headers=api.tenant.headers)) == {
        "/name": "10015"
    }
    response = client.patch(f"{PATH}/{made['id']}", json={**made, "name": "abc"}, headers=api.tenant.headers)
    assert response.status_code == 200, response.text  # what was read may be sent back
    assert response.json()["data"]["name"] == "abc"


@pytest.mark.parametrize("exponent", [b"1e999999999999999999", b"-1e999999999999999999", b"1e19"])
def test_a_whole_number_far_beyond_an_integer_field_is_refused_at_once(
    client: TestClient[Any], api: Api, exponent: bytes
) -> None:
    """10.0 is an integer, and so is 1e999999999999999999: it is refused as out of range, without
    converting it to an int (of 10**999999999999999999: no memory holds it; 1e1000000 takes a minute)."""
    made = _create(client, api)
    for body in (
        b'{"name": "profile", "concurrent_call_limit": %s}' % exponent,
        b'{"name": "profile", "calling_window": {"calls_per_cld": %s}}' % exponent,
    ):
        response = client.patch(f"{PATH}/{made['id']}", content=body, headers=api.tenant.headers)

        [error] = response.json()["errors"]
        assert response.status_code == 422, response.text
        assert error["detail"].endswith(("<= 2147483647.", ">= 0.")), error
    assert client.get(f"{PATH}/{made['id']}", headers=api.tenant.headers).json()["data"] == made


def test_a_change_v1_takes_and_v2_refuses_leaves_nothing_behind(
    client: TestClient[Any], api: Api, database: Database
) -> None:
    """The v1 service accepts `name: "ab"` and writes it; v2 then refuses it (at least 3 characters),
    and the transaction rolls back: the row, the cached view and the ETag are as they were."""
    made = _create(client, api, name="before")
    v1_path = f"/termination/endpoints/{made['id']}"
    seen = client.get(v1_path, headers=api.tenant.headers)  # the view is cached now
    changed = client.patch(
        f"{PATH}/{made['id']}", json={"name": "ab", "daily_spend_limit": "5.00"}, headers=api.tenant.headers
    )
    assert _errors(changed) == {"/name": "10015"}
    stored = database.run_sync(
        lambda c: c.execute(
            select(outbound_profiles.c.name, outbound_profiles.c.daily_spend_limit_cents).where(
                outbound_profiles.c.id == int(made["id"])
            )
        ).one(),
        write=False,
    )
    assert tuple(stored) == ("before", None)
    after = client.get(v1_path, headers=api.tenant.headers)
    assert (after.json()["name"], after.headers["etag"]) == ("before", seen.headers["etag"])
    again = client.get(f"{PATH}/{made['id']}", headers=api.tenant.headers).json()["data"]
    assert (again["name"], again["daily_spend_limit"]) == ("before", made["daily_spend_limit"])


def test_the_international_plan_needs_short_duration(client: TestClient[Any], api: Api) -> None:
    made = _create(client, api, traffic_type="short_duration", service_plan="international")
    assert (made["traffic_type"], made["service_plan"]) == ("short_duration", "international")

    response = client.patch(
        f"{PATH}/{made['id']}", json={"name": "profile", "traffic_type": "conversational"}, headers=api.tenant.headers
    )
    assert _errors(response) == {"/traffic_type": "10015"}
    assert "traffic_type short_duration" in response.json()["errors"][0]["detail"]


@pytest.mark.parametrize(
    ("window", "shown"),
    [
        ({"start_time": "08:00", "end_time": "17:30"}, {"start_time": "08:00:00.00Z", "end_time": "17:30:00.00Z"}),
        (
            {"start_time": "22:00:00", "end_time": "06:00:00"},
            {"start_time": "22:00:00.00Z", "end_time": "06:00:00.00Z"},
        ),
        ({"start_time": "00:00", "end_time": "00:00"}, {"start_time": "00:00:00.00Z", "end_time": "00:00:00.00Z"}),
    ],
)
def test_a_calling_window_may_wrap_midnight_or_cover_the_whole_day(
    client: TestClient[Any], api: Api, window: dict[str, str], shown: dict[str, str]
) -> None:
    made = _create(client, api, calling_window={**window, "calls_per_cld": 2})

    assert made["calling_window"] == {**shown, "calls_per_cld": 2}


def test_a_calling_window_s_members_are_merged_and_null_clears_it(
    client: TestClient[Any], strict_client: TestClient[Any], api: Api
) -> None:
    made = _create(client, api, calling_window={"start_time": "08:00", "end_time": "17:00", "calls_per_cld": 2})
    url = f"{PATH}/{made['id']}"

    changed = client.patch(
        url,
        json={"name": "profile", "calling_window": {"start_time": "09:00", "end_time": "10:00"}},
        headers=api.tenant.headers,
    )
    assert changed.json()["data"]["calling_window"] == {
        "start_time": "09:00:00.00Z",
        "end_time": "10:00:00.00Z",
        "calls_per_cld": 2,
    }
    assert _errors(
        client.patch(
            url,
            json={"name": "profile", "calling_window": {"start_time": "08:00\n", "end_time": "09:00"}},
            headers=api.tenant.headers,
        )
    ) == {"/calling_window/start_time": "10015"}
    assert _errors(
        strict_client.patch(
            url,
            json={"name": "profile", "calling_window": {"start_time": "8:00", "end_time": "09:00", "x": 1}},
            headers=api.tenant.headers,
        )
    ) == {"/calling_window/start_time": "10015", "/calling_window/x": "10015"}
    assert _errors(
        client.patch(url, json={"name": "profile", "calling_window": {"start_time": None}}, headers=api.tenant.headers)
    ) == {"/calling_window/start_time": "10015"}
    cleared = client.patch(url, json={"name": "profile", "calling_window": None}, headers=api.tenant.headers)
    assert cleared.json()["data"]["calling_window"] is None


def test_the_list_query_is_checked(client: TestClient[Any], strict_client: TestClient[Any], api: Api) -> None:
    for query, parameter in [
        ("page[size]=251", "page[size]"),
        ("page[size]=0", "page[size]"),
        ("page[number]=0", "page[number]"),
        ("sort=active", "sort"),
        ("sort=name,-created_at", "sort"),
        ("page[size]=2&page[size]=x", "page[size]"),  # given twice: which counts would be a guess
        ("page[size]=2&page[number]=1&page[size]=3", "page[size]"),
    ]:
        assert _errors(client.get(f"{PATH}?{query}", headers=api.tenant.headers)) == {parameter: "10015"}, query
    for query, parameter in [("page=2", "page"), ("filter[name]=x", "filter[name]")]:
        assert client.get(f"{PATH}?{query}", headers=api.tenant.headers).status_code == 200, query
        answer = strict_client.get(f"{PATH}?{query}", headers=api.tenant.headers)
        assert _errors(answer) == {parameter: "10015"}, query


def test_an_empty_list_and_a_page_beyond_the_last(client: TestClient[Any], api: Api) -> None:
    empty = client.get(PATH, headers=api.tenant.headers).json()
    assert empty == {"data": [], "meta": {"page_number": 1, "page_size": 20, "total_pages": 1, "total_results": 0}}
    _create(client, api)
    beyond = client.get(f"{PATH}?page[number]=3&page[size]=250", headers=api.tenant.headers).json()
    assert beyond["data"] == []
    assert beyond["meta"] == {"page_number": 3, "page_size": 250, "total_pages": 1, "total_results": 1}


def test_sorting_by_enabled_and_other_tenants(client: TestClient[Any], api: Api, other_api: Api) -> None:
    on = _create(client, api, name="enabled")
    off = _create(client, api, name="disabled", enabled=False)
    other_api.profile(name="not mine")

    ids = [p["id"] for p in client.get(f"{PATH}?sort=enabled", headers=api.tenant.headers).json()["data"]]
    assert ids == [off["id"], on["id"]]
    ids = [p["id"] for p in client.get(f"{PATH}?sort=-enabled", headers=api.tenant.headers).json()["data"]]
    assert ids == [on["id"], off["id"]]
    assert client.get(f"{PATH}/{on['id']}", headers=other_api.tenant.headers).status_code == 404


def test_deleting_a_profile_with_connections_is_a_422_in_use(client: TestClient[Any], api: Api) -> None:
    connection = api.connection()
    made = api.profile(connection_ids=[connection["id"]], name="held")

    response = client.delete(f"{PATH}/{made['id']}", headers=api.tenant.headers)

    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "10021"
    shown = client.get(f"{PATH}/{made['id']}", headers=api.tenant.headers).json()["data"]
    assert shown["connections_count"] == 1


def test_malformed_json_is_a_422_and_unknown_routes_a_404(client: TestClient[Any], api: Api) -> None:
    response = client.post(PATH, content=b"{", headers=api.tenant.headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "10023"
    assert client.get("/v2/nothing", headers=api.tenant.headers).status_code == 404
    assert client.get(PATH).status_code == 401
