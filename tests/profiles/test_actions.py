"""PUT .../actions/attach_connections and .../actions/detach_connections (SPEC §2, §5 rule 8)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.profiles.helpers import Endpoints, ok, only_problem, problems, url


def attached(profile: dict[str, Any]) -> list[str]:
    return [c["id"] for c in profile["connections"]]


def holder_of(endpoints: Endpoints, connection_id: str) -> str | None:
    response = endpoints.client.get(f"/security/connections/{connection_id}", headers=endpoints.headers)
    holder: str | None = ok(response)["outbound_profile_id"]
    return holder


def test_attach_appends_in_the_order_given(endpoints: Endpoints) -> None:
    a, b, c = (endpoints.connection_id(name) for name in "abc")
    profile = endpoints.profile(connection_ids=[b])

    after = ok(endpoints.attach(profile["id"], [c, a]))

    assert attached(after) == [b, c, a]
    assert after["connection_id"] == b
    assert after["connections"][1] == {"id": c, "connection_name": "c", "active": True}
    assert endpoints.read(profile["id"]) == after
    assert holder_of(endpoints, a) == profile["id"]


def test_an_inactive_connection_is_shown_as_inactive(endpoints: Endpoints) -> None:
    connection = endpoints.api.connection(connection_name="off", active=False)["id"]
    profile = endpoints.profile()

    after = ok(endpoints.attach(profile["id"], [connection]))

    assert after["connections"] == [{"id": connection, "connection_name": "off", "active": False}]


def test_attach_and_detach_move_updated_at_only_when_the_connections_change(endpoints: Endpoints) -> None:
    a = endpoints.connection_id()
    profile = endpoints.profile()

    attached_once = ok(endpoints.attach(profile["id"], [a]))
    assert attached_once["updated_at"] > profile["updated_at"]
    assert ok(endpoints.attach(profile["id"], [a]))["updated_at"] == attached_once["updated_at"]

    detached = ok(endpoints.detach(profile["id"], [a]))
    assert detached["updated_at"] > attached_once["updated_at"]
    assert ok(endpoints.detach(profile["id"], [a]))["updated_at"] == detached["updated_at"]
    assert endpoints.read(profile["id"]) == detached


def test_attaching_an_attached_connection_again_keeps_its_place(endpoints: Endpoints) -> None:
    a, b = endpoints.connection_id("a"), endpoints.connection_id("b")
    profile = endpoints.profile(connection_ids=[a, b])

    assert attached(ok(endpoints.attach(profile["id"], [a]))) == [a, b]
    assert attached(ok(endpoints.attach(profile["id"], []))) == [a, b]


def test_attach_does_not_touch_the_profile_fields(endpoints: Endpoints) -> None:
    profile = endpoints.profile(name="n")

    after = ok(endpoints.attach(profile["id"], [endpoints.connection_id()]))

    moved = ("connections", "connection_id", "updated_at")
    assert {k: v for k, v in after.items() if k not in moved} == {k: v for k, v in profile.items() if k not in moved}


def test_attaching_a_connection_held_by_another_profile_names_it(endpoints: Endpoints) -> None:
    shared, free = endpoints.connection_id(), endpoints.connection_id()
    holder = endpoints.profile(connection_ids=[shared])
    profile = endpoints.profile()

    detail = only_problem(endpoints.attach(profile["id"], [free, shared]), "/connection_ids/1")

    assert holder["id"] in detail
    assert attached(endpoints.read(profile["id"])) == []
    assert holder_of(endpoints, free) is None
    assert holder_of(endpoints, shared) == holder["id"]


def test_attaching_unknown_or_foreign_connections_is_refused(endpoints: Endpoints, other_endpoints: Endpoints) -> None:
    theirs = other_endpoints.connection_id()
    profile = endpoints.profile()

    found = problems(endpoints.attach(profile["id"], [theirs, "42", "abc"]))

    assert found.keys() == {"/connection_ids/0", "/connection_ids/1", "/connection_ids/2"}
    assert holder_of(other_endpoints, theirs) is None


def test_detach_removes_only_the_connections_named(endpoints: Endpoints) -> None:
    a, b, c = (endpoints.connection_id(name) for name in "abc")
    profile = endpoints.profile(connection_ids=[a, b, c])

    after = ok(endpoints.detach(profile["id"], [a, c]))

    assert attached(after) == [b]
    assert after["connection_id"] == b
    assert holder_of(endpoints, a) is None
    assert endpoints.read(profile["id"]) == after


def test_detaching_an_unknown_connection_is_refused(endpoints: Endpoints, other_endpoints: Endpoints) -> None:
    a = endpoints.connection_id()
    theirs = other_endpoints.connection_id()
    profile = endpoints.profile(connection_ids=[a])

    found = problems(endpoints.detach(profile["id"], [a, "99999", theirs]))

    assert found.keys() == {"/connection_ids/1", "/connection_ids/2"}
    assert attached(endpoints.read(profile["id"])) == [a]


def test_detaching_an_own_connection_that_is_not_attached_is_a_no_op(endpoints: Endpoints) -> None:
    a, loose = endpoints.connection_id(), endpoints.connection_id()
    profile = endpoints.profile(connection_ids=[a])

    assert ok(endpoints.detach(profile["id"], [loose])) == profile
    assert ok(endpoints.detach(profile["id"], [])) == profile


def test_detach_leaves_a_connection_on_another_profile_alone(endpoints: Endpoints) -> None:
    shared = endpoints.connection_id()
    holder = endpoints.profile(connection_ids=[shared])
    profile = endpoints.profile()

    assert ok(endpoints.detach(profile["id"], [shared])) == profile
    assert holder_of(endpoints, shared) == holder["id"]


def test_a_detached_connection_can_be_attached_elsewhere(endpoints: Endpoints) -> None:
    shared = endpoints.connection_id()
    first = endpoints.profile(connection_ids=[shared])
    second = endpoints.profile()

    ok(endpoints.detach(first["id"], [shared]))

    assert attached(ok(endpoints.attach(second["id"], [shared]))) == [shared]


def test_attaching_after_detaching_appends_at_the_end(endpoints: Endpoints) -> None:
    a, b = endpoints.connection_id("a"), endpoints.connection_id("b")
    profile = endpoints.profile(connection_ids=[a, b])

    ok(endpoints.detach(profile["id"], [a]))

    assert attached(ok(endpoints.attach(profile["id"], [a]))) == [b, a]


@pytest.mark.parametrize("action", ["attach_connections", "detach_connections"])
@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({}, "/connection_ids"),
        ({"connection_ids": "1"}, "/connection_ids"),
        ({"connection_ids": None}, "/connection_ids"),
        ({"connection_ids": [1]}, "/connection_ids/0"),
        ({"connection_ids": [], "name": "x"}, "/name"),
    ],
)
def test_the_action_body_is_checked(endpoints: Endpoints, action: str, body: dict[str, Any], pointer: str) -> None:
    profile = endpoints.profile()

    response = endpoints.client.put(url(profile["id"], action), json=body, headers=endpoints.headers)

    assert pointer in problems(response)
    assert endpoints.read(profile["id"]) == profile


@pytest.mark.parametrize("action", ["attach_connections", "detach_connections"])
def test_the_action_body_must_not_name_profile_fields(endpoints: Endpoints, action: str) -> None:
    profile = endpoints.profile()
    body = {"connection_ids": [], "service_plan": 3}

    detail = only_problem(
        endpoints.client.put(url(profile["id"], action), json=body, headers=endpoints.headers), "/service_plan"
    )

    assert "Unknown field" in detail


@pytest.mark.parametrize("action", ["attach_connections", "detach_connections"])
def test_actions_show_destinations_in_the_query_format(endpoints: Endpoints, action: str) -> None:
    profile = endpoints.profile()

    response = endpoints.client.put(
        url(profile["id"], action),
        json={"connection_ids": []},
        params={"whitelisted_destination_format": "alpha2"},
        headers=endpoints.headers,
    )

    assert ok(response)["whitelisted_destinations"] == ["US", "CA"]
