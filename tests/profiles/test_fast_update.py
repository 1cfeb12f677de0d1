"""`PUT`/`PATCH /termination/endpoints/{id}` answered before routing (`profiles/fast_update.py`).

Its premise: what the fast path answers is byte for byte what Litestar's `update_profile` would
have sent (status, body, headers but the `date` and `server` uvicorn adds). Most tests run a request twice on
one state, by Litestar alone and as the application runs (`tests/profiles/differential.py`), and
check which path gave the second answer, so they fail if the fast path silently stops being taken.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final

import pytest
from litestar.testing import TestClient

from tests.observability.helpers import parse_metrics
from tests.profiles.differential import (
    FAST,
    Paths,
    Twice,
    World,
    answer,
    request,
)
from tests.profiles.helpers import Endpoints, ok

REQUESTS: Final = "outbound_profiles_http_requests_total"
PROFILE_ROUTE: Final = "/termination/endpoints/{profile_id}"
CHUNK: Final = 64 * 1024


def scrape_requests(client: TestClient[Any]) -> dict[tuple[str, str, str], float]:
    """outbound_profiles_http_requests_total by (route, method, status)."""
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    counts: dict[tuple[str, str, str], float] = {}
    for (name, labels), count in parse_metrics(response.text).items():
        if name == REQUESTS:
            by_name = dict(labels)
            counts[by_name["route"], by_name["method"], by_name["status"]] = count
    return counts


# Bodies of valid updates, as functions of the world's ids.
VALID_BODIES: dict[str, Callable[[World], dict[str, Any]]] = {
    "empty": lambda w: {},
    "same-values": lambda w: {"name": "office", "ports": 4},
    "one-field": lambda w: {"name": "renamed"},
    "several-fields": lambda w: {"ports": 9, "active": False, "tag_list": ["y", "z"], "cps_limit_increase": 0},
    "unicode-and-escapes": lambda w: {"name": 'Büro \u2013 東京 \u2028 "quoted" \\ ok', "tag_list": ["ü", "😀"]},
    "explicit-nulls": lambda w: {
        **dict.fromkeys(
            ["name", "ports", "translation_rule", "max_destination_rate", "daily_spend_limit", "billing_group_id"]
        ),
        "daily_spend_limit_enabled": False,
    },
    "connections-replaced": lambda w: {"connection_ids": [w.c, w.a]},
    "connections-reordered": lambda w: {"connection_ids": [w.b, w.a]},
    "connections-same": lambda w: {"connection_ids": [w.a, w.b]},
    "connections-emptied": lambda w: {"connection_ids": []},
    "connections-duplicated": lambda w: {"connection_ids": [w.c, w.c]},
    "destinations-alpha2": lambda w: {"whitelisted_destinations": ["DE", "FR", "US"]},
    "destinations-alpha3": lambda w: {"whitelisted_destination_format": "alpha3", "whitelisted_destinations": ["DEU"]},
    "destinations-numeric": lambda w: {
        "whitelisted_destination_format": "iso_numeric",
        "whitelisted_destinations": ["276", "840"],
    },
    "destinations-format-only": lambda w: {"whitelisted_destination_format": "alpha3"},
    "destinations-emptied": lambda w: {"whitelisted_destinations": []},
    "call-recording": lambda w: {
        "call_recording_type": "by_call_phone_number",
        "call_recording_phone_numbers": ["+13125550100", "+442071838750"],
        "call_recording_format": "mp3",
        "call_recording_channels": "dual",
    },
    "call-recording-v2-spelling": lambda w: {
        "call_recording_type": "by_caller_phone_number",
        "call_recording_phone_numbers": ["+13125550100"],
    },
    "billing-group": lambda w: {"billing_group_id": w.other_group},
    "daily-spend-limit": lambda w: {"daily_spend_limit": "12.5", "daily_spend_limit_enabled": False},
    "rate": lambda w: {"max_destination_rate": 0.1234567890123},
    "plan-and-traffic": lambda w: {"traffic_type": 2, "service_plan": 4, "usage_payment_method": "rate-deck"},
    "read-only-fields-sent-back": lambda w: {**w.profile, "name": "sent back"},
}


# 1. What the fast path answers is what Litestar would have answered.


@pytest.mark.parametrize("body", VALID_BODIES.values(), ids=VALID_BODIES.keys())
def test_a_valid_update_is_answered_by_the_fast_path_as_litestar_answers_it(
    endpoints: Endpoints, world: World, twice: Twice, paths: Paths, body: Callable[[World], dict[str, Any]]
) -> None:
    litestar, fast = twice(request(endpoints, "PUT", world.path, body=body(world)))

    assert litestar.status_code == 200, litestar.text
    assert paths.taken() == FAST
    assert answer(fast) == answer(litestar)
    assert {name for name, _ in answer(fast)[1]} == {b"content-type", b"content-length", b"etag", b"x-request-id"}


def test_updates_in_a_row_are_answered_by_the_fast_path_as_litestar_answers_them(
    endpoints: Endpoints, world: World, twice: Twice, paths: Paths
) -> None:
    """Each starts from the state (and, on SQLite, the cached view) the one before left."""
    updates = [request(endpoints, "PUT", world.path, body=body(world)) for body in VALID_BODIES.values()]

    litestar, fast = twice(lambda: [answer(update()) for update in updates])

    assert paths.taken() == FAST
    assert paths.fast == len(updates)
    assert fast == litestar


def test_an_update_without_a_request_id_gets_a_new_one_from_the_fast_path(endpoints: Endpoints, paths: Paths) -> None:
    profile = endpoints.profile()

    paths.reset()
    first = endpoints.update(profile["id"], {"name": "a"})
    second = endpoints.update(profile["id"], {"name": "b"})

    assert paths.taken() == FAST
    ids = [response.headers["x-request-id"] for response in (first, second)]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids), ids
    assert ids[0] != ids[1]


# 2. PATCH is PUT.


def test_a_patch_is_answered_by_the_fast_path_as_the_same_put(
    endpoints: Endpoints, world: World, twice: Twice, paths: Paths
) -> None:
    body = {"name": "patched", "connection_ids": [world.c]}

    litestar_patch, fast_patch = twice(request(endpoints, "PATCH", world.path, body=body))
    assert paths.taken() == FAST
    twice.tables.put_back(twice.before)
    _, fast_put = twice(request(endpoints, "PUT", world.path, body=body))

    assert answer(fast_patch) == answer(litestar_patch) == answer(fast_put)


# 3. Metrics count a fast answer under the route Litestar names.


def test_a_fast_update_and_a_refusal_are_counted_under_litestars_route_template(
    client: TestClient[Any], endpoints: Endpoints, world: World, paths: Paths
) -> None:
    paths.reset()
    ok(endpoints.update(world.id, {"name": "fast"}, whitelisted_destination_format="alpha2"))
    assert endpoints.update(world.id, {"ports": -1}).status_code == 400
    assert paths.taken() == FAST

    puts = {key: n for key, n in scrape_requests(client).items() if key[1] == "PUT"}

    assert puts == {(PROFILE_ROUTE, "PUT", "200"): 1, (PROFILE_ROUTE, "PUT", "400"): 1}


def test_a_fast_patch_is_counted_as_a_patch(
    client: TestClient[Any], endpoints: Endpoints, world: World, paths: Paths
) -> None:
    paths.reset()
    ok(endpoints.update(world.id, {"name": "fast"}, method="PATCH"))
    assert paths.taken() == FAST
    ok(endpoints.update(world.id, {"name": "again"}, method="PATCH", whitelisted_destination_format="alpha2"))

    patches = {key: n for key, n in scrape_requests(client).items() if key[1] == "PATCH"}

    assert patches == {(PROFILE_ROUTE, "PATCH", "200"): 2}


# 4. Idempotency-Key is no part of an update: both paths ignore it alike.


def test_an_update_with_an_idempotency_key_is_answered_by_the_fast_path_as_litestar_answers_it(
    endpoints: Endpoints, world: World, twice: Twice, paths: Paths
) -> None:
    """Two different updates under one key: both are made (no replay of the first), on either path."""
    headers = {**endpoints.headers, "Idempotency-Key": "same-key"}
    first = request(endpoints, "PUT", world.path, body={"name": "first"}, headers=headers)
    second = request(endpoints, "PUT", world.path, body={"name": "second"}, headers=headers)

    litestar, fast = twice(lambda: [first(), second()])

    assert paths.taken() == FAST
    assert [ok(r)["name"] for r in fast] == ["first", "second"]
    assert [answer(r) for r in fast] == [answer(r) for r in litestar]
    assert twice.after["idempotency_keys"] == twice.before["idempotency_keys"] == {}
