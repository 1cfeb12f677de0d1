"""`GET /termination/cdrs`: the caller's ended calls as JSON pages, each filter, paging, errors and
credentials. CSV is in test_csv.py."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.authorizations.conftest import Line, Switch
from tests.cdrs.conftest import GROUP, PATH, PROFILE, T0, Records
from tests.conftest import Api, Tenant
from tests.contract.helpers import BAD_REQUEST, assert_error, errors_of


def listed(client: TestClient[Any], tenant: Tenant, **params: Any) -> list[dict[str, Any]]:
    response = client.get(PATH, params=params, headers=tenant.headers)
    assert response.status_code == 200, response.text
    body: list[dict[str, Any]] = response.json()
    return body


def ids(client: TestClient[Any], tenant: Tenant, **params: Any) -> list[str]:
    return [record["call_id"] for record in listed(client, tenant, **params)]


def test_a_record_shows_every_member(client: TestClient[Any], tenant: Tenant, records: Records) -> None:
    records(tenant, call_id="c1", duration_seconds=63, billed_seconds=120, cost_micros=11_000)

    assert listed(client, tenant) == [
        {
            "call_id": "c1",
            "outbound_profile_id": str(PROFILE),
            "connection_id": "7000000000000000101",
            "billing_group_id": GROUP,
            "to": "+12025550123",
            "from": "+13125550100",
            "destination_country": "US",
            "started_at": "2026-12-01T09:00:00.000000Z",
            "ended_at": "2026-12-01T09:01:03.000000Z",
            "duration_seconds": 63,
            "billed_seconds": 120,
            "rate": "0.0100",
            "connect_fee": "0.0010",
            "cost": "0.011000",
            "end_reason": "completed",
        }
    ]


def test_a_call_without_a_rate_has_no_cost(client: TestClient[Any], tenant: Tenant, records: Records) -> None:
    records(
        tenant,
        rate=None,
        connect_fee=None,
        billed_seconds=None,
        cost_micros=None,
        billing_group_id=None,
        destination_country=None,
        end_reason="lease_expired",
    )

    [record] = listed(client, tenant)
    assert record["rate"] is record["connect_fee"] is record["cost"] is record["billed_seconds"] is None
    assert record["billing_group_id"] is record["destination_country"] is None
    assert record["end_reason"] == "lease_expired"


@pytest.mark.parametrize(("micros", "shown"), [(0, "0.000000"), (1, "0.000001"), (12_345_678, "12.345678")])
def test_the_cost_is_usd_with_six_decimals(
    client: TestClient[Any], tenant: Tenant, records: Records, micros: int, shown: str
) -> None:
    records(tenant, cost_micros=micros)

    assert listed(client, tenant)[0]["cost"] == shown


def test_another_tenants_records_never_appear(
    client: TestClient[Any], tenant: Tenant, other_tenant: Tenant, records: Records
) -> None:
    records(tenant, call_id="mine")
    records(other_tenant, call_id="theirs", outbound_profile_id=PROFILE + 1)

    assert ids(client, tenant) == ["mine"]
    assert ids(client, other_tenant) == ["theirs"]
    # Filtering on the other tenant's profile or group finds nothing rather than their records.
    assert ids(client, tenant, **{"filter[outbound_profile_id]": str(PROFILE + 1)}) == []
    assert ids(client, other_tenant, **{"filter[billing_group_id]": GROUP, "per_page": 1000}) == ["theirs"]
    response = client.get(PATH, headers=tenant.headers)
    assert response.headers["X-Total-Count"] == "1"


def test_active_calls_are_not_records(client: TestClient[Any], tenant: Tenant, records: Records) -> None:
    records(tenant, call_id="ended")
    records(tenant, call_id="active", ended=False)

    assert ids(client, tenant) == ["ended"]


def test_records_are_ordered_by_start_then_call_id(client: TestClient[Any], tenant: Tenant, records: Records) -> None:
    records(tenant, call_id="late", started_at=T0 + timedelta(seconds=1))
    records(tenant, call_id="b", started_at=T0)
    records(tenant, call_id="a", started_at=T0)
    records(tenant, call_id="early", started_at=T0 - timedelta(microseconds=1))

    assert ids(client, tenant) == ["early", "a", "b", "late"]


def test_filter_by_outbound_profile(client: TestClient[Any], tenant: Tenant, records: Records) -> None:
    records(tenant, call_id="p1", outbound_profile_id=PROFILE)
    records(tenant, call_id="p2", outbound_profile_id=PROFILE + 1)

    assert ids(client, tenant, **{"filter[outbound_profile_id]": str(PROFILE + 1)}) == ["p2"]
    assert ids(client, tenant, **{"filter[outbound_profile_id]": "1"}) == []


def test_filter_by_billing_group_in_any_case(client: TestClient[Any], tenant: Tenant, records: Records) -> None:
    records(tenant, call_id="grouped", billing_group_id=GROUP)
    records(tenant, call_id="ungrouped", billing_group_id=None)
    records(tenant, call_id="elsewhere", billing_group_id="6a09cdc3-3b39-4c36-8a8b-3d0b3c1d7e02")

    assert ids(client, tenant, **{"filter[billing_group_id]": GROUP}) == ["grouped"]
    assert ids(client, tenant, **{"filter[billing_group_id]": GROUP.upper()}) == ["grouped"]


def test_filter_by_start_gte_is_inclusive_and_lt_exclusive(
    client: TestClient[Any], tenant: Tenant, records: Records
) -> None:
    for hour in range(4):
        records(tenant, call_id=f"h{hour}", started_at=T0 + timedelta(hours=hour))

    assert ids(client, tenant, **{"filter[started_at][gte]": "2026-12-01T10:00:00Z"}) == ["h1", "h2", "h3"]
    assert ids(client, tenant, **{"filter[started_at][lt]": "2026-12-01T10:00:00Z"}) == ["h0"]
    both = {"filter[started_at][gte]": "2026-12-01T10:00:00Z", "filter[started_at][lt]": "2026-12-01T12:00:00Z"}
    assert ids(client, tenant, **both) == ["h1", "h2"]
    # An offset names the same instant: 11:00+01:00 is 10:00Z.
    assert ids(client, tenant, **{"filter[started_at][gte]": "2026-12-01T11:00:00+01:00"}) == ["h1", "h2", "h3"]
    assert ids(client, tenant, **{"filter[started_at][gte]": "2026-12-01T10:00:00.000001Z"}) == ["h2", "h3"]
    # Finer than a microsecond: h1 started at 10:00:00.000000, before 10:00:00.0000001.
    assert ids(client, tenant, **{"filter[started_at][gte]": "2026-12-01T10:00:00.0000001Z"}) == ["h2", "h3"]
    assert ids(client, tenant, **{"filter[started_at][lt]": "2026-12-01T10:00:00.0000001Z"}) == ["h0", "h1"]


def test_filters_combine(client: TestClient[Any], tenant: Tenant, records: Records) -> None:
    records(tenant, call_id="match", outbound_profile_id=PROFILE, started_at=T0 + timedelta(hours=1))
    records(tenant, call_id="too-early", outbound_profile_id=PROFILE, started_at=T0)
    records(tenant, call_id="other-profile", outbound_profile_id=PROFILE + 1, started_at=T0 + timedelta(hours=1))
    records(tenant, call_id="other-group", billing_group_id=None, started_at=T0 + timedelta(hours=1))

    params = {
        "filter[outbound_profile_id]": str(PROFILE),
        "filter[billing_group_id]": GROUP,
        "filter[started_at][gte]": "2026-12-01T09:30:00Z",
    }
    assert ids(client, tenant, **params) == ["match"]
    assert client.get(PATH, params=params, headers=tenant.headers).headers["X-Total-Count"] == "1"


def test_pages_with_total_and_links(client: TestClient[Any], tenant: Tenant, records: Records) -> None:
    for i in range(5):
        records(tenant, call_id=f"c{i}", started_at=T0 + timedelta(minutes=i))
    params = {"filter[outbound_profile_id]": str(PROFILE), "page": "2", "per_page": "2"}

    response = client.get(PATH, params=params, headers=tenant.headers)

    assert response.status_code == 200, response.text
    assert [r["call_id"] for r in response.json()] == ["c2", "c3"]
    assert response.headers["X-Total-Count"] == "5"
    links = response.headers["Link"]
    for page, rel in ((1, "first"), (1, "prev"), (3, "next"), (3, "last")):
        assert f'page={page}&per_page=2>; rel="{rel}"' in links, links
    assert f"filter%5Boutbound_profile_id%5D={PROFILE}" in links
    assert ids(client, tenant, page=3, per_page=2) == ["c4"]
    assert ids(client, tenant, page=4, per_page=2) == []
    assert len(listed(client, tenant)) == 5  # 100 a page by default


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("filter[outbound_profile_id]", "abc"),
        ("filter[outbound_profile_id]", "0123"),
        ("filter[outbound_profile_id]", "99999999999999999999"),
        ("filter[billing_group_id]", "not-a-uuid"),
        ("filter[started_at][gte]", "yesterday"),
        ("filter[started_at][gte]", "2026-12-01"),  # a date alone
        ("filter[started_at][gte]", "2026-12-01T00:00:00"),  # no offset: which instant?
        ("filter[started_at][lt]", "2026-02-30T00:00:00Z"),
        ("filter[started_at][lt]", "0001-01-01T00:00:00+01:00"),  # before UTC's year 1
        ("filter[started_at]", "2026-12-01T00:00:00Z"),  # unknown: the operator is required
        ("filter[ended_at][gte]", "2026-12-01T00:00:00Z"),
        ("page", "0"),
        ("per_page", "1001"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(
    client: TestClient[Any], tenant: Tenant, records: Records, parameter: str, value: str
) -> None:
    records(tenant)

    for accept in ("application/json", "text/csv"):
        response = client.get(PATH, params={parameter: value}, headers={**tenant.headers, "Accept": accept})

        error = assert_error(response, 400, BAD_REQUEST, parameter=parameter)
        assert parameter in error["detail"]


@pytest.mark.parametrize("parameter", ["filter[outbound_profile_id]", "page"])
def test_a_parameter_given_twice_is_a_400_naming_it(
    client: TestClient[Any], tenant: Tenant, records: Records, parameter: str
) -> None:
    records(tenant)
    values = {"filter[outbound_profile_id]": ["1", str(PROFILE)], "page": ["1", "2"]}[parameter]

    for accept in ("application/json", "text/csv"):
        response = client.get(
            PATH, params=[(parameter, value) for value in values], headers={**tenant.headers, "Accept": accept}
        )

        error = assert_error(response, 400, BAD_REQUEST, parameter=parameter)
        assert "more than once" in error["detail"]


def test_every_bad_parameter_is_reported_together(client: TestClient[Any], tenant: Tenant) -> None:
    params: dict[str, str] = {"filter[outbound_profile_id]": "x", "filter[started_at][lt]": "y", "sort": "started_at"}

    errors = errors_of(client.get(PATH, params=params, headers=tenant.headers), 400)

    assert {e["source"]["parameter"] for e in errors} == set(params)


def test_credentials_are_required_and_a_switch_token_is_refused(
    client: TestClient[Any], tenant: Tenant, records: Records, switch_headers: dict[str, str]
) -> None:
    records(tenant)

    assert_error(client.get(PATH), 401, "10009")
    assert_error(client.get(PATH, headers={"Authorization": "Bearer nope"}), 401, "10009")
    for accept in ("application/json", "text/csv"):
        assert_error(client.get(PATH, headers={**switch_headers, "Accept": accept}), 403, "10010")


def test_a_call_the_switch_ended_is_a_record(client: TestClient[Any], api: Api, switch: Switch, line: Line) -> None:
    allowed = switch.authorize(line.connection_id, call_id="through-the-switch")
    switch.authorize(line.connection_id, call_id="still-running")
    assert switch.end("through-the-switch", 63).status_code == 200

    [record] = listed(client, api.tenant)

    assert record["call_id"] == "through-the-switch"
    assert record["outbound_profile_id"] == allowed["outbound_profile_id"] == line.profile["id"]
    assert record["connection_id"] == line.connection_id
    assert record["duration_seconds"] == 63
    assert record["end_reason"] == "completed"
    assert record["rate"] == allowed["rate"]
    assert record["started_at"] < record["ended_at"]
