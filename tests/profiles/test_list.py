"""GET /termination/endpoints: bare array, headers for pagination, filter, sort (SPEC §2)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.profiles.helpers import Endpoints, only_problem

LINK = re.compile(r'<([^>]*)>\s*;\s*rel="([^"]+)"')


def links(response: httpx.Response) -> dict[str, dict[str, list[str]]]:
    """The Link header as {rel: query of its target} (RFC 8288)."""
    header = response.headers["Link"]
    found = {rel: parse_qs(urlsplit(target).query) for target, rel in LINK.findall(header)}
    assert len(found) == header.count("rel="), header
    return found


def listed(endpoints: Endpoints, **params: str) -> list[dict[str, Any]]:
    response = endpoints.list(**params)
    assert response.status_code == 200, response.text
    body: list[dict[str, Any]] = response.json()
    assert isinstance(body, list)
    return body


def ids(profiles: list[dict[str, Any]]) -> list[str]:
    return [p["id"] for p in profiles]


def test_an_empty_list_is_a_bare_array_with_headers(endpoints: Endpoints) -> None:
    response = endpoints.list()

    assert response.status_code == 200
    assert response.json() == []
    assert response.headers["X-Total-Count"] == "0"
    assert set(links(response)) == {"first", "last"}


def test_profiles_are_listed_oldest_first_as_they_are_read(endpoints: Endpoints) -> None:
    created = [endpoints.profile(name=f"p{i}", connection_ids=[endpoints.connection_id()]) for i in range(3)]

    assert listed(endpoints) == created


def test_pages_with_total_count_and_links(endpoints: Endpoints) -> None:
    created = ids([endpoints.profile(name=f"p{i}") for i in range(5)])

    response = endpoints.list(page="2", per_page="2")

    assert ids(response.json()) == created[2:4]
    assert response.headers["X-Total-Count"] == "5"
    found = links(response)
    assert {rel: (q["page"], q["per_page"]) for rel, q in found.items()} == {
        "first": (["1"], ["2"]),
        "prev": (["1"], ["2"]),
        "next": (["3"], ["2"]),
        "last": (["3"], ["2"]),
    }


def test_the_first_and_last_pages_have_no_prev_and_no_next(endpoints: Endpoints) -> None:
    for i in range(3):
        endpoints.profile(name=f"p{i}")

    assert set(links(endpoints.list(per_page="2"))) == {"first", "next", "last"}
    last = endpoints.list(per_page="2", page="2")
    assert set(links(last)) == {"first", "prev", "last"}
    assert len(last.json()) == 1


def test_a_page_past_the_end_is_empty_and_points_back(endpoints: Endpoints) -> None:
    endpoints.profile()

    response = endpoints.list(page="9")

    assert response.json() == []
    assert response.headers["X-Total-Count"] == "1"
    assert links(response)["prev"]["page"] == ["1"]


def test_links_keep_the_filter_sort_and_format(endpoints: Endpoints) -> None:
    for name in ("alpha", "alps", "beta"):
        endpoints.profile(name=name)

    response = endpoints.list(**{"filter[name]": "al", "sort": "-name", "per_page": "1"})
    found = links(response)

    assert response.headers["X-Total-Count"] == "2"
    assert found["next"] == {"filter[name]": ["al"], "sort": ["-name"], "page": ["2"], "per_page": ["1"]}
    assert ids(listed(endpoints, **{k: v[0] for k, v in found["next"].items()}))[0] != ids(response.json())[0]


def test_per_page_defaults_to_100_and_allows_1000(endpoints: Endpoints) -> None:
    endpoints.profile()

    assert links(endpoints.list())["first"]["per_page"] == ["100"]
    assert links(endpoints.list(per_page="1000"))["first"]["per_page"] == ["1000"]


BAD_PAGES = [("page", "0"), ("page", "-1"), ("page", "x"), ("page", ""), ("page", "1.0")]
BAD_PAGES += [("per_page", "0"), ("per_page", "1001"), ("per_page", "1.5"), ("per_page", "\u0661")]


def test_a_bad_page_value_names_the_parameter(endpoints: Endpoints) -> None:
    for parameter, value in BAD_PAGES:
        detail = only_problem(endpoints.list(**{parameter: value}), parameter)
        assert parameter in detail


@pytest.mark.parametrize(
    "query",
    ["page=2&page=x", "page=1&page=2", "per_page=1&per_page=5000", "sort=name&sort=colour", "sort=name&sort=name"],
)
def test_a_parameter_given_twice_is_refused_not_guessed(endpoints: Endpoints, query: str) -> None:
    response = endpoints.client.get(f"/termination/endpoints?{query}", headers=endpoints.headers)

    [error] = response.json()["errors"]
    assert response.status_code == 400, response.text
    assert error["source"] == {"parameter": query.partition("=")[0]}
    assert "more than once" in error["detail"]


def test_a_query_given_twice_to_a_change_changes_nothing(endpoints: Endpoints) -> None:
    made = endpoints.profile(name="office")
    query = "whitelisted_destination_format=alpha2&whitelisted_destination_format=bogus"

    response = endpoints.client.put(
        f"/termination/endpoints/{made['id']}?{query}", json={"name": "changed"}, headers=endpoints.headers
    )

    assert response.status_code == 400, response.text
    assert endpoints.read(made["id"]) == made


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_a_bad_query_and_a_bad_body_are_reported_together(endpoints: Endpoints, method: str) -> None:
    made = endpoints.profile(name="office")

    response = endpoints.update(made["id"], {"ports": -1, "name": 5}, method=method, colour="red")

    assert response.status_code == 400, response.text
    assert [e["source"] for e in response.json()["errors"]] == [
        {"parameter": "colour"},
        {"pointer": "/ports"},
        {"pointer": "/name"},
    ]
    assert endpoints.read(made["id"]) == made


def test_a_bad_query_is_reported_with_a_body_that_is_not_json(endpoints: Endpoints) -> None:
    response = endpoints.client.post(
        "/termination/endpoints?colour=red",
        content=b"{",
        headers={**endpoints.headers, "content-type": "application/json"},
    )

    assert response.status_code == 400, response.text
    assert [e["code"] for e in response.json()["errors"]] == ["10015", "10023"]


def test_a_good_body_with_a_bad_query_creates_and_changes_nothing(endpoints: Endpoints) -> None:
    made = endpoints.profile(name="office")
    connection_id = endpoints.connection_id()

    created = endpoints.create({"name": "new", "connection_ids": [connection_id]}, colour="red")
    updated = endpoints.update(made["id"], {"name": "changed"}, colour="red")
    attached = endpoints.client.put(
        f"/termination/endpoints/{made['id']}/actions/attach_connections?colour=red",
        json={"connection_ids": [connection_id]},
        headers=endpoints.headers,
    )

    assert [only_problem(r, "colour") for r in (created, updated, attached)]
    assert ids(listed(endpoints)) == [made["id"]]
    assert endpoints.read(made["id"]) == made


def test_a_bad_query_comes_before_an_unknown_profile(endpoints: Endpoints) -> None:
    only_problem(endpoints.update("1", {"name": "x"}, colour="red"), "colour")


def test_every_bad_query_parameter_is_reported(endpoints: Endpoints) -> None:
    response = endpoints.list(page="0", per_page="5000", sort="colour", **{"filter[colour]": "red"})

    assert response.status_code == 400
    names = {e["source"]["parameter"] for e in response.json()["errors"]}
    assert names == {"page", "per_page", "sort", "filter[colour]"}


def test_an_unknown_query_parameter_is_refused(endpoints: Endpoints) -> None:
    for parameter in ["filter[colour]", "name", "limit", "page[number]", "Page"]:
        detail = only_problem(endpoints.list(**{parameter: "1"}), parameter)
        assert parameter in detail


def test_filter_by_name_is_a_case_insensitive_substring(endpoints: Endpoints) -> None:
    office = endpoints.profile(name="Main Office")
    endpoints.profile(name="warehouse")
    endpoints.profile()
    branch = endpoints.profile(name="branch OFFICE")

    assert ids(listed(endpoints, **{"filter[name]": "offIce"})) == [office["id"], branch["id"]]
    assert endpoints.list(**{"filter[name]": "offIce"}).headers["X-Total-Count"] == "2"
    assert listed(endpoints, **{"filter[name]": "nothing"}) == []


def test_filter_by_name_ignores_case_beyond_ascii(endpoints: Endpoints) -> None:
    ecole = endpoints.profile(name="ÉCOLE Ørsted")
    endpoints.profile(name="ecole")

    assert ids(listed(endpoints, **{"filter[name]": "école ørs"})) == [ecole["id"]]
    assert ids(listed(endpoints, **{"filter[name]": "ÉCOLE"})) == [ecole["id"]]
    # Letters whose lower case differs between Python and PostgreSQL still find themselves.
    greek = endpoints.profile(name="ΟΔΟΣ")
    assert ids(listed(endpoints, **{"filter[name]": "ΟΔΟΣ"})) == [greek["id"]]
    assert ids(listed(endpoints, **{"filter[name]": "οδοσ"})) == [greek["id"]]


def test_names_sort_by_code_point_on_every_database(endpoints: Endpoints) -> None:
    """The same order on SQLite and on PostgreSQL whatever its locale: Unicode code points
    (upper case before lower case, accented letters after z)."""
    names = ["beta", "Zeta", "émile", "alpha", "Émile", "Ångström", "zulu", "Alpha", "10", "9"]
    for name in names:
        endpoints.profile(name=name)

    assert [p["name"] for p in listed(endpoints, sort="name")] == sorted(names)
    assert [p["name"] for p in listed(endpoints, sort="-name")] == sorted(names, reverse=True)


def test_filter_by_name_takes_wildcards_literally(endpoints: Endpoints) -> None:
    percent = endpoints.profile(name="50% off")
    endpoints.profile(name="500 off")
    underscore = endpoints.profile(name="a_b")
    endpoints.profile(name="axb")
    slash = endpoints.profile(name="a/b")

    assert ids(listed(endpoints, **{"filter[name]": "0%"})) == [percent["id"]]
    assert ids(listed(endpoints, **{"filter[name]": "_"})) == [underscore["id"]]
    assert ids(listed(endpoints, **{"filter[name]": "a/b"})) == [slash["id"]]


SORTABLE: dict[str, list[Any]] = {
    "name": ["b", "c", "a", None],
    "active": [True, False, True, False],
    "service_plan": [4, 1, 2, 4],
    "traffic_type": [2, 1, 2, 1],
    "usage_payment_method": ["tariff", "rate-deck", "tariff", "rate-deck"],
}


def _profiles_for_sorting(endpoints: Endpoints) -> list[dict[str, Any]]:
    rows = zip(*SORTABLE.values(), strict=True)
    return [endpoints.profile(**dict(zip(SORTABLE, row, strict=True))) for row in rows]


def _expected(profiles: list[dict[str, Any]], field: str, *, descending: bool) -> list[str]:
    """Sorted by the field (nulls first ascending, last descending), ties by id ascending."""

    def key(p: dict[str, Any]) -> tuple[bool, Any]:
        value = p[field]
        return (value is not None, value if value is not None else 0)

    by_id = sorted(profiles, key=lambda p: int(p["id"]))
    if not descending:
        return ids(sorted(by_id, key=key))
    groups: dict[Any, list[str]] = {}
    for p in sorted(by_id, key=key, reverse=True):
        groups.setdefault(p[field], []).append(p["id"])
    return [i for group in groups.values() for i in sorted(group, key=int)]


@pytest.mark.parametrize("field", SORTABLE)
def test_sort_by_each_allowed_field_with_ties_by_id(endpoints: Endpoints, field: str) -> None:
    profiles = _profiles_for_sorting(endpoints)

    assert ids(listed(endpoints, sort=field)) == _expected(profiles, field, descending=False)
    assert ids(listed(endpoints, sort=f"-{field}")) == _expected(profiles, field, descending=True)


def test_sort_by_created_at(endpoints: Endpoints) -> None:
    created = ids([endpoints.profile() for _ in range(3)])

    assert ids(listed(endpoints, sort="created_at")) == created
    assert ids(listed(endpoints, sort="-created_at")) == created[::-1]


def test_sort_by_several_fields(endpoints: Endpoints) -> None:
    a1 = endpoints.profile(name="a", traffic_type=1)
    b2 = endpoints.profile(name="b", traffic_type=2)
    a2 = endpoints.profile(name="a", traffic_type=2)
    b1 = endpoints.profile(name="b", traffic_type=1)

    assert ids(listed(endpoints, sort="-traffic_type,name")) == ids([a2, b2, a1, b1])


def test_an_unknown_sort_field_names_sort(endpoints: Endpoints) -> None:
    for sort in ["colour", "-colour", "name,ports", "", "name,", "+name", "id", "--name", "NAME"]:
        only_problem(endpoints.list(sort=sort), "sort")


def test_another_tenants_profiles_are_never_listed(endpoints: Endpoints, other_endpoints: Endpoints) -> None:
    mine = endpoints.profile(name="shared name")
    other_endpoints.profile(name="shared name")

    assert ids(listed(endpoints)) == [mine["id"]]
    assert ids(listed(endpoints, **{"filter[name]": "shared"})) == [mine["id"]]
    assert endpoints.list().headers["X-Total-Count"] == "1"
    assert len(listed(other_endpoints)) == 1


def test_the_list_needs_credentials(endpoints: Endpoints) -> None:
    response = endpoints.client.get("/termination/endpoints")

    assert response.status_code == 401


def test_a_bad_query_and_a_refused_idempotency_key_are_one_400(endpoints: Endpoints) -> None:
    connection_id = endpoints.connection_id()
    key = {**endpoints.headers, "Idempotency-Key": "k-1"}
    first = endpoints.client.post(
        "/termination/endpoints", json={"name": "a", "connection_ids": [connection_id]}, headers=key
    )
    assert first.status_code == 200, first.text

    again = endpoints.client.post(
        "/termination/endpoints?colour=red", json={"name": "b", "connection_ids": [connection_id]}, headers=key
    )

    assert again.status_code == 400, again.text
    assert [e["source"] for e in again.json()["errors"]] == [{"parameter": "colour"}, {"parameter": "Idempotency-Key"}]
