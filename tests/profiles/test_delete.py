"""DELETE /termination/endpoints/{id} (SPEC §5 rule 10) and 404 for ids a tenant cannot see."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.profiles.helpers import Endpoints, ok, only_problem

Call = Callable[[Endpoints, str], httpx.Response]

CALLS: dict[str, Call] = {
    "get": lambda e, i: e.get(i),
    "put": lambda e, i: e.update(i, {"name": "x"}),
    "patch": lambda e, i: e.update(i, {"name": "x"}, method="PATCH"),
    "delete": lambda e, i: e.delete(i),
    "attach": lambda e, i: e.attach(i, []),
    "detach": lambda e, i: e.detach(i, []),
}


def test_delete_returns_the_deleted_profile_then_it_is_gone(endpoints: Endpoints) -> None:
    profile = endpoints.profile(name="bye", tag_list=["t"])

    assert ok(endpoints.delete(profile["id"])) == profile

    only_problem(endpoints.get(profile["id"]), "", code="10005", status=404)
    only_problem(endpoints.delete(profile["id"]), "", code="10005", status=404)
    assert endpoints.list().json() == []


def test_delete_shows_destinations_in_the_query_format(endpoints: Endpoints) -> None:
    profile = endpoints.profile()

    response = endpoints.client.delete(
        f"/termination/endpoints/{profile['id']}",
        params={"whitelisted_destination_format": "iso_numeric"},
        headers=endpoints.headers,
    )

    assert ok(response)["whitelisted_destinations"] == ["840", "124"]


def test_delete_with_connections_attached_is_refused_as_in_use(endpoints: Endpoints) -> None:
    a, b = endpoints.connection_id(), endpoints.connection_id()
    profile = endpoints.profile(connection_ids=[a, b])

    detail = only_problem(endpoints.delete(profile["id"]), "", code="10021")

    assert a in detail
    assert b in detail
    assert endpoints.read(profile["id"]) == profile


def test_delete_after_detaching_succeeds_and_frees_the_connections(endpoints: Endpoints) -> None:
    connection = endpoints.connection_id()
    profile = endpoints.profile(connection_ids=[connection])
    detached = ok(endpoints.detach(profile["id"], [connection]))

    assert ok(endpoints.delete(profile["id"])) == detached
    only_problem(endpoints.get(profile["id"]), "", code="10005", status=404)
    assert endpoints.profile(connection_ids=[connection])["connection_id"] == connection


def test_a_billing_group_outlives_the_profile_that_used_it(endpoints: Endpoints) -> None:
    group = endpoints.api.billing_group()["id"]
    profile = endpoints.profile(billing_group_id=group)

    ok(endpoints.delete(profile["id"]))

    response = endpoints.client.get(f"/billing_groups/{group}", headers=endpoints.headers)
    assert response.status_code == 200


UNKNOWN_IDS = ["1293384261075731499", "abc", "-1", "0", "1e5", "99999999999999999999", "%20", "1.0"]


@pytest.mark.parametrize("call", CALLS)
def test_an_unknown_or_malformed_id_is_404(endpoints: Endpoints, call: str) -> None:
    profile = endpoints.profile()

    # "0" + id: only the canonical spelling of an id names the profile.
    for profile_id in [*UNKNOWN_IDS, "0" + profile["id"], profile["id"] + " "]:
        assert only_problem(CALLS[call](endpoints, profile_id), "", code="10005", status=404)
    assert endpoints.read(profile["id"]) == profile


@pytest.mark.parametrize("call", CALLS)
def test_another_tenants_profile_is_404_and_untouched(
    endpoints: Endpoints, other_endpoints: Endpoints, call: str
) -> None:
    theirs = other_endpoints.profile(connection_ids=[other_endpoints.connection_id()], name="theirs")

    response = CALLS[call](endpoints, theirs["id"])

    assert response.status_code == 404
    assert [e["code"] for e in response.json()["errors"]] == ["10005"]
    assert other_endpoints.read(theirs["id"]) == theirs


def test_another_tenant_cannot_detach_or_attach_through_its_own_profile(
    endpoints: Endpoints, other_endpoints: Endpoints
) -> None:
    theirs = other_endpoints.connection_id()
    held = other_endpoints.profile(connection_ids=[theirs])
    mine = endpoints.profile()

    only_problem(endpoints.detach(mine["id"], [theirs]), "/connection_ids/0")
    only_problem(endpoints.attach(mine["id"], [theirs]), "/connection_ids/0")
    assert other_endpoints.read(held["id"]) == held


@pytest.mark.parametrize("call", CALLS)
def test_every_operation_needs_credentials(endpoints: Endpoints, call: str) -> None:
    profile = endpoints.profile()
    anonymous = Endpoints(endpoints.client, endpoints.api)
    anonymous.headers = {"Authorization": "Bearer wrong"}

    only_problem(CALLS[call](anonymous, profile["id"]), "", code="10009", status=401)
    assert endpoints.read(profile["id"]) == profile
