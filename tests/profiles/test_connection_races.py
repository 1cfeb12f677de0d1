"""Races between real parallel requests on what a profile references (SPEC §5 rules 8 and 9, README
"Deleting a connection" and "Deleting a billing group").

Whatever order the racing requests take effect in, the outcome is one that running them one after
the other could give: every answer is a 200 or a 4xx in the envelope (never a 5xx), a refused
request changed nothing, and no profile is left naming a connection or billing group that is gone.

The server runs with two workers, so the racing requests run at the same time on SQLite too (two
processes on one file) and on PostgreSQL (two processes, each with a pool of connections), and each
worker's cached views must follow what the other commits. Every racing request gets its own TCP
connection, which the kernel hands to either worker; the checks afterwards read through a client
pinned to each worker.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from functools import partial
from typing import Any

import httpx
import pytest

from tests.contract.helpers import BAD_REQUEST, NOT_FOUND, RESOURCE_IN_USE, errors_of
from tests.live_database import DATABASES, live_database_url
from tests.multiprocess.sides import CONNECTIONS, PROFILES, Pair, Side, bearer, two_workers
from tests.profiles.test_concurrency import in_parallel

ROUNDS = 12
CLAIMED = 24  # connections per claim: the more rows claims lock one by one, the likelier they overlap
CLAIM_ROUNDS = 6


@pytest.fixture(scope="module", params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    return live_database_url(request, tmp_path_factory.mktemp("live"))


@pytest.fixture(scope="module")
def workers(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    with two_workers(database_url, tmp_path_factory.mktemp("serve")) as running:
        yield running


@pytest.fixture
def pair(workers: Pair) -> Pair:
    """Both workers, used by a user of this test's own."""
    return workers.as_user(f"{uuid.uuid4().hex}@example.com")


def test_a_connection_deleted_while_being_attached_leaves_no_dangling_reference(pair: Pair) -> None:
    a = pair.a
    keep = a.ok("POST", CONNECTIONS, {"connection_name": "keep"})["id"]
    first = a.ok("POST", PROFILES, {"connection_ids": []})["id"]
    second = a.ok("POST", PROFILES, {"connection_ids": [keep], "name": "start"})["id"]

    for round_ in range(ROUNDS):
        doomed = a.ok("POST", CONNECTIONS, {"connection_name": f"doomed {round_}"})["id"]
        for side in pair.both:  # each worker has both profiles in its cache, if it keeps one
            side.ok("GET", f"{PROFILES}/{first}")
            side.ok("GET", f"{PROFILES}/{second}")
        name = f"round {round_}"
        attach = ("PUT", f"{PROFILES}/{first}/actions/attach_connections", {"connection_ids": [doomed]})
        update = ("PUT", f"{PROFILES}/{second}", {"connection_ids": [keep, doomed], "name": name})
        delete = ("DELETE", f"{CONNECTIONS}/{doomed}", None)
        attached, updated, deleted = race(pair, attach, update, delete)

        assert deleted.status_code == 200, deleted.text
        # A claim either happened before the delete (and shows the connection) or is refused whole.
        assert not (attached.status_code == updated.status_code == 200), (attached.text, updated.text)
        if attached.status_code == 200:
            assert doomed in ids(attached.json()), attached.text
        else:
            assert_errors(attached, 400, BAD_REQUEST, {"/connection_ids/0"})
        if updated.status_code == 200:
            assert ids(updated.json()) == [keep, doomed], updated.text
            assert updated.json()["name"] == name
        else:
            assert_errors(updated, 400, BAD_REQUEST, {"/connection_ids/1"})

        for side in pair.both:
            assert doomed not in ids(side.ok("GET", f"{PROFILES}/{first}")), f"{side.name}, round {round_}"
            shown = side.ok("GET", f"{PROFILES}/{second}")
            assert ids(shown) == [keep], f"{side.name}, round {round_}: {shown}"
            assert (shown["name"] == name) == (updated.status_code == 200), f"{side.name}: half of a refused PUT"
            assert_errors(side.request("GET", f"{CONNECTIONS}/{doomed}"), 404, NOT_FOUND, {None})
        assert_consistent(a)
    assert_consistent(pair.b)


def test_two_deletes_of_one_connection_at_once_one_succeeds_and_the_other_is_404(pair: Pair) -> None:
    profile = pair.a.ok("POST", PROFILES, {"connection_ids": []})["id"]
    for round_ in range(ROUNDS // 2):
        doomed = pair.a.ok("POST", CONNECTIONS, {"connection_name": f"doomed {round_}"})["id"]
        if round_ % 2:
            pair.a.ok("PUT", f"{PROFILES}/{profile}/actions/attach_connections", {"connection_ids": [doomed]})
        deleted = race(pair, *[("DELETE", f"{CONNECTIONS}/{doomed}", None)] * 2)

        # As when they come one after the other: one deleted it, the other found nothing to delete.
        assert sorted(r.status_code for r in deleted) == [200, 404], [r.text for r in deleted]
        assert_errors(next(r for r in deleted if r.status_code == 404), 404, NOT_FOUND, {None})
        for side in pair.both:
            assert ids(side.ok("GET", f"{PROFILES}/{profile}")) == [], side.name


def test_a_billing_group_deleted_while_a_profile_takes_it_leaves_no_dangling_reference(pair: Pair) -> None:
    profile = pair.a.ok("POST", PROFILES, {"connection_ids": []})["id"]
    for round_ in range(ROUNDS // 2):
        group = pair.a.ok("POST", "/billing_groups", {"name": f"group {round_}"})["id"]
        take = ("PUT", f"{PROFILES}/{profile}", {"billing_group_id": group})
        delete = ("DELETE", f"/billing_groups/{group}", None)
        taken, deleted = race(pair, take, delete)

        # Either the profile took it first (and the delete is refused: in use), or the delete came first.
        assert sorted([taken.status_code, deleted.status_code]) == [200, 400], (taken.text, deleted.text)
        if taken.status_code == 200:
            assert taken.json()["billing_group_id"] == group
            assert_errors(deleted, 400, RESOURCE_IN_USE, {None})
        else:
            assert_errors(taken, 400, BAD_REQUEST, {"/billing_group_id"})
        for side in pair.both:
            exists = side.request("GET", f"/billing_groups/{group}").status_code == 200
            assert exists == (taken.status_code == 200), side.name
            shown = side.ok("GET", f"{PROFILES}/{profile}")["billing_group_id"]
            assert shown == (group if exists else None), side.name
        pair.a.ok("PUT", f"{PROFILES}/{profile}", {"billing_group_id": None})


def test_claims_of_the_same_connections_in_different_orders_give_one_winner_and_no_5xx(pair: Pair) -> None:
    a = pair.a
    profiles = [a.ok("POST", PROFILES, {"connection_ids": []})["id"] for _ in range(3)]
    trunks = [a.ok("POST", CONNECTIONS, {"connection_name": f"trunk {i}"})["id"] for i in range(CLAIMED)]
    half = CLAIMED // 2
    orders = [trunks, trunks[::-1], trunks[half:] + trunks[:half]]

    for round_ in range(CLAIM_ROUNDS):
        action = "/actions/attach_connections" if round_ % 2 == 0 else ""  # half through an update
        claims = [
            ("PUT", f"{PROFILES}/{p}{action}", {"connection_ids": o}) for p, o in zip(profiles, orders, strict=True)
        ]
        responses = race(pair, *claims)

        statuses = [r.status_code for r in responses]
        assert sorted(statuses) == [200, 400, 400], (
            statuses,
            [r.text[:300] for r in responses if r.status_code != 400],
        )
        won = next(i for i, r in enumerate(responses) if r.status_code == 200)
        assert ids(responses[won].json()) == orders[won]
        for lost in responses[:won] + responses[won + 1 :]:
            for error in assert_errors(lost, 400, BAD_REQUEST, {f"/connection_ids/{i}" for i in range(CLAIMED)}):
                assert profiles[won] in error["detail"], error
        for side in pair.both:
            holders = {c["id"]: c["outbound_profile_id"] for c in side.ok("GET", f"{CONNECTIONS}?per_page=1000")}
            assert [holders[t] for t in trunks] == [profiles[won]] * CLAIMED, side.name
            assert [ids(side.ok("GET", f"{PROFILES}/{p}")) for p in profiles] == [
                orders[won] if i == won else [] for i in range(len(profiles))
            ], side.name
        # Free them again, so that the next round's claims start from empty profiles.
        a.ok("PUT", f"{PROFILES}/{profiles[won]}/actions/detach_connections", {"connection_ids": trunks})
    assert_consistent(pair.b)


def race(pair: Pair, *requests: tuple[str, str, Any]) -> list[httpx.Response]:
    """The requests at the same moment, each on a connection of its own, opened beforehand (the
    kernel hands each new connection to either worker)."""
    with ExitStack() as stack:
        clients = [
            stack.enter_context(httpx.Client(base_url=pair.server.base_url, headers=bearer(pair.a.token), timeout=30))
            for _ in requests
        ]
        for http in clients:
            assert http.get("/healthz").status_code == 200
        return in_parallel(
            [
                partial(http.request, method, path, json=body)
                for http, (method, path, body) in zip(clients, requests, strict=True)
            ]
        )


def ids(profile: dict[str, Any]) -> list[str]:
    return [c["id"] for c in profile["connections"]]


def assert_errors(response: httpx.Response, status: int, code: str, pointers: set[str | None]) -> list[dict[str, Any]]:
    """The response is the error envelope with this status, every error has `code`, and points
    into `pointers` (None: no pointer)."""
    errors = errors_of(response, status)
    for error in errors:
        assert error["code"] == code, error
        assert error.get("source", {}).get("pointer") in pointers, error
    return errors


def assert_consistent(side: Side) -> None:
    """Every connection a profile names exists, is on that profile alone, and says so itself."""
    connections = {c["id"]: c["outbound_profile_id"] for c in side.ok("GET", f"{CONNECTIONS}?per_page=1000")}
    holders: dict[str, str] = {}
    for profile in side.ok("GET", f"{PROFILES}?per_page=1000"):
        for connection_id in ids(profile):
            assert connection_id in connections, f"{side.name}: profile {profile['id']} names a deleted connection"
            assert connection_id not in holders, f"{side.name}: connection {connection_id} is on two profiles"
            holders[connection_id] = profile["id"]
    assert connections == {c: holders.get(c) for c in connections}, side.name
