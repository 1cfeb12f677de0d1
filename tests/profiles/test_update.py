"""PUT /termination/endpoints/{id} (and PATCH): partial, null-aware, strict, all-or-nothing (SPEC §4)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.profiles.helpers import ISO_8601_UTC, Endpoints, ok, only_problem, problems

NULLABLE = {
    "name": "office",
    "ports": 3,
    "translation_rule": "rule",
    "max_destination_rate": 0.5,
    "daily_spend_limit": "10.00",
}
NOT_NULLABLE = [
    "connection_ids",
    "traffic_type",
    "service_plan",
    "active",
    "cps_limit_increase",
    "tag_list",
    "usage_payment_method",
    "whitelisted_destination_format",
    "whitelisted_destinations",
    "call_recording_type",
    "call_recording_phone_numbers",
    "call_recording_format",
    "call_recording_channels",
    "daily_spend_limit_enabled",
]


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_an_update_changes_only_the_fields_sent(endpoints: Endpoints, method: str) -> None:
    before = endpoints.profile(name="before", ports=4, tag_list=["x"])

    after = ok(endpoints.update(before["id"], {"ports": 9, "active": False}, method=method))

    assert after["ports"] == 9
    assert after["active"] is False
    unchanged = {k: v for k, v in before.items() if k not in ("ports", "active", "updated_at")}
    assert {k: after[k] for k in unchanged} == unchanged
    assert endpoints.read(before["id"]) == after


def test_an_empty_body_changes_nothing(endpoints: Endpoints) -> None:
    before = endpoints.profile(name="same")

    assert endpoints.updated(before["id"], {}) == before


def test_an_update_moves_updated_at_but_not_created_at(endpoints: Endpoints) -> None:
    before = endpoints.profile()

    after = endpoints.updated(before["id"], {"name": "new"})

    assert after["created_at"] == before["created_at"]
    assert ISO_8601_UTC.match(after["updated_at"])
    assert after["updated_at"] > before["updated_at"]


def test_explicit_null_clears_every_nullable_field(endpoints: Endpoints) -> None:
    group = endpoints.api.billing_group()["id"]
    profile = endpoints.profile(**NULLABLE, billing_group_id=group)
    assert {k: profile[k] for k in NULLABLE} == NULLABLE

    cleared = endpoints.updated(profile["id"], dict.fromkeys([*NULLABLE, "billing_group_id"]))

    assert all(cleared[field] is None for field in [*NULLABLE, "billing_group_id"])
    assert endpoints.read(profile["id"]) == cleared


def test_null_on_a_field_that_is_not_nullable_is_refused(endpoints: Endpoints) -> None:
    profile = endpoints.profile()

    only_problem(endpoints.update(profile["id"], {"active": None}), "/active")
    found = problems(endpoints.update(profile["id"], dict.fromkeys(NOT_NULLABLE)))

    assert found.keys() == {f"/{field}" for field in NOT_NULLABLE}
    assert endpoints.read(profile["id"]) == profile


def test_connection_ids_replaces_the_attached_set_in_the_order_given(endpoints: Endpoints) -> None:
    a, b, c = (endpoints.connection_id(name) for name in "abc")
    profile = endpoints.profile(connection_ids=[a, b])

    after = endpoints.updated(profile["id"], {"connection_ids": [c, a]})

    assert [x["id"] for x in after["connections"]] == [c, a]
    assert after["connection_id"] == c
    assert (
        endpoints.api.client.get(f"/security/connections/{b}", headers=endpoints.headers).json()["outbound_profile_id"]
        is None
    )
    assert endpoints.read(profile["id"])["connections"] == after["connections"]


def test_changing_the_connections_moves_updated_at(endpoints: Endpoints) -> None:
    a, b = endpoints.connection_id("a"), endpoints.connection_id("b")
    profile = endpoints.profile(connection_ids=[a, b])

    same = endpoints.updated(profile["id"], {"connection_ids": [a, b]})
    reordered = endpoints.updated(profile["id"], {"connection_ids": [b, a]})

    assert same == profile
    assert reordered["updated_at"] > profile["updated_at"]
    assert endpoints.read(profile["id"]) == reordered


def test_connection_ids_can_reorder_and_empty_the_set(endpoints: Endpoints) -> None:
    a, b = endpoints.connection_id("a"), endpoints.connection_id("b")
    profile = endpoints.profile(connection_ids=[a, b])

    assert endpoints.updated(profile["id"], {"connection_ids": [b, a]})["connection_id"] == b
    emptied = endpoints.updated(profile["id"], {"connection_ids": []})
    assert emptied["connections"] == []
    assert emptied["connection_id"] is None


def test_duplicate_connection_ids_attach_once(endpoints: Endpoints) -> None:
    a = endpoints.connection_id()
    profile = endpoints.profile()

    assert [c["id"] for c in endpoints.updated(profile["id"], {"connection_ids": [a, a]})["connections"]] == [a]


def test_a_connection_id_with_leading_zeros_is_no_such_connection(endpoints: Endpoints) -> None:
    a = endpoints.connection_id()
    profile = endpoints.profile()

    only_problem(endpoints.update(profile["id"], {"connection_ids": [a, "0" + a]}), "/connection_ids/1")
    assert endpoints.read(profile["id"]) == profile


def test_a_profile_read_can_be_sent_back_unchanged(endpoints: Endpoints) -> None:
    connection = endpoints.connection_id()
    group = endpoints.api.billing_group()["id"]
    profile = endpoints.profile(
        connection_ids=[connection],
        name="full",
        ports=2,
        max_destination_rate=0.1,
        daily_spend_limit="5.5",
        daily_spend_limit_enabled=True,
        tag_list=["t"],
        billing_group_id=group,
    )

    assert endpoints.updated(profile["id"], profile) == profile
    assert endpoints.read(profile["id"]) == profile


def test_read_only_fields_in_a_body_are_ignored(endpoints: Endpoints) -> None:
    profile = endpoints.profile()
    body = {
        "id": "42",
        "user_id": "42",
        "connections": [{"id": "1"}],
        "connection_id": "1",
        "cps_limit": 1,
        "custom_rate_deck": True,
        "rate_deck_url": "http://example.com",
        "created_at": "2000-01-01T00:00:00Z",
        "updated_at": 5,
    }

    assert endpoints.updated(profile["id"], body) == profile


def test_an_unknown_field_is_refused(endpoints: Endpoints) -> None:
    profile = endpoints.profile()

    detail = only_problem(endpoints.update(profile["id"], {"colour": "red"}), "/colour")

    assert "colour" in detail


def test_the_pointer_of_an_unknown_field_is_escaped(endpoints: Endpoints) -> None:
    profile = endpoints.profile()

    only_problem(endpoints.update(profile["id"], {"a/b~c": 1}), "/a~1b~0c")


# Values of the wrong JSON type or out of range; one body per round, each field at most once.
INVALID: list[tuple[str, Any]] = [
    ("ports", "1"),
    ("ports", True),
    ("ports", 1.5),
    ("ports", 1.0),
    ("ports", -1),
    ("traffic_type", "1"),
    ("traffic_type", True),
    ("traffic_type", 3),
    ("service_plan", "4"),
    ("cps_limit_increase", False),
    ("cps_limit_increase", -1),
    ("active", 1),
    ("active", "true"),
    ("daily_spend_limit_enabled", 0),
    ("name", 5),
    ("name", "x" * 256),
    ("translation_rule", "x" * 256),
    ("translation_rule", ["a"]),
    ("tag_list", "a"),
    ("usage_payment_method", "free"),
    ("whitelisted_destination_format", "alpha4"),
    ("whitelisted_destinations", "US"),
    ("max_destination_rate", "0.5"),
    ("max_destination_rate", True),
    ("max_destination_rate", -0.01),
    ("call_recording_type", "some"),
    ("call_recording_format", "ogg"),
    ("call_recording_channels", "stereo"),
    ("call_recording_phone_numbers", "+13125550100"),
    ("billing_group_id", 5),
    ("connection_ids", "1"),
]


def _rounds(cases: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    rounds: list[dict[str, Any]] = []
    for field, value in cases:
        target = next((r for r in rounds if field not in r), None)
        if target is None:
            target = {}
            rounds.append(target)
        target[field] = value
    return rounds


def test_a_wrong_type_alone_is_reported_at_its_field(endpoints: Endpoints) -> None:
    profile = endpoints.profile()

    detail = only_problem(endpoints.update(profile["id"], {"ports": "1"}), "/ports")

    assert "int" in detail
    assert endpoints.read(profile["id"]) == profile


@pytest.mark.parametrize("body", _rounds(INVALID))
def test_json_types_and_values_are_strict(endpoints: Endpoints, body: dict[str, Any]) -> None:
    profile = endpoints.profile()

    found = problems(endpoints.update(profile["id"], body))

    assert found.keys() == {f"/{field}" for field in body}
    assert endpoints.read(profile["id"]) == profile


def test_connection_ids_entries_must_be_strings(endpoints: Endpoints) -> None:
    profile = endpoints.profile()

    only_problem(endpoints.update(profile["id"], {"connection_ids": [1]}), "/connection_ids/0")


def test_every_problem_is_reported_together_with_its_pointer(endpoints: Endpoints) -> None:
    profile = endpoints.profile()
    body = {
        "ports": "1",
        "active": 1,
        "whitelisted_destinations": ["US", "FR", "XX"],
        "call_recording_phone_numbers": ["12345", "+13125550100"],
        "tag_list": ["ok", ""],
        "daily_spend_limit": "1.234",
        "surprise": True,
    }

    found = problems(endpoints.update(profile["id"], body))

    assert found.keys() == {
        "/ports",
        "/active",
        "/whitelisted_destinations/2",
        "/call_recording_phone_numbers/0",
        "/tag_list/1",
        "/daily_spend_limit",
        "/surprise",
    }
    assert all(detail.startswith("10015: ") for detail in found.values())
    assert endpoints.read(profile["id"]) == profile


@pytest.mark.parametrize("reverse", [False, True], ids=["amount-first", "number-first"])
def test_problems_found_making_values_canonical_come_in_the_order_of_the_body(
    endpoints: Endpoints, reverse: bool
) -> None:
    """The schema lets both through; the amount parser and libphonenumber refuse them."""
    profile = endpoints.profile()
    fields = [("daily_spend_limit", "1\n"), ("call_recording_phone_numbers", ["+99912345678"])]
    body = dict(reversed(fields) if reverse else fields)

    found = problems(endpoints.update(profile["id"], body))

    expected = ["/daily_spend_limit", "/call_recording_phone_numbers/0"]
    assert list(found) == (expected[::-1] if reverse else expected)


def test_a_refused_update_changes_nothing(endpoints: Endpoints) -> None:
    a, b = endpoints.connection_id("a"), endpoints.connection_id("b")
    profile = endpoints.profile(connection_ids=[a], name="keep")
    body = {"name": "lost", "connection_ids": [b], "tag_list": ["new"], "ports": -5}

    problems(endpoints.update(profile["id"], body))

    assert endpoints.read(profile["id"]) == profile
    connection = endpoints.api.client.get(f"/security/connections/{b}", headers=endpoints.headers).json()
    assert connection["outbound_profile_id"] is None


def test_a_rule_broken_by_a_valid_update_changes_nothing(endpoints: Endpoints) -> None:
    profile = endpoints.profile(name="keep")

    problems(endpoints.update(profile["id"], {"name": "lost", "daily_spend_limit_enabled": True}))

    assert endpoints.read(profile["id"]) == profile


def test_the_body_must_be_a_json_object(endpoints: Endpoints) -> None:
    profile = endpoints.profile()

    response = endpoints.update(profile["id"], [{"name": "x"}])

    assert response.status_code == 400
    assert [e["code"] for e in response.json()["errors"]] == ["10023"]


def test_a_body_over_one_mib_is_413(endpoints: Endpoints) -> None:
    profile = endpoints.profile()

    response = endpoints.update(profile["id"], {"name": "x" * (1024 * 1024)})

    assert response.status_code == 413
    assert endpoints.read(profile["id"]) == profile


def test_an_update_shows_destinations_in_the_query_format(endpoints: Endpoints) -> None:
    profile = endpoints.profile()

    shown = endpoints.updated(profile["id"], {"name": "n"}, whitelisted_destination_format="alpha2")

    assert shown["whitelisted_destination_format"] == "alpha2"
    assert shown["whitelisted_destinations"] == ["US", "CA"]
    assert endpoints.read(profile["id"])["whitelisted_destination_format"] == "alpha3"


def test_an_unknown_query_parameter_on_update_is_refused(endpoints: Endpoints) -> None:
    profile = endpoints.profile()

    only_problem(endpoints.update(profile["id"], {"name": "n"}, dry_run="1"), "dry_run")
    assert endpoints.read(profile["id"]) == profile
