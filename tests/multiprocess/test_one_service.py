"""Several processes behave as one service: what one process commits, the other shows at once.

On SQLite each process caches profile views and credentials, and must drop them as soon as another
process commits (PRAGMA data_version); on PostgreSQL the caches are off. Either way a client that
writes through one process and reads through another must never see an older state, a revoked
token must stop working everywhere, and a deleted profile must be gone everywhere.

Each test runs on two independent `serve` processes on one database, and on the two workers of one
`serve --workers 2`; every answer is checked to come from the process the test meant (`sides.py`).
"""

from __future__ import annotations

import json
import threading
from typing import Any

import httpx

from tests.contract.helpers import AUTHENTICATION_FAILED, NOT_FOUND, RESOURCE_IN_USE, assert_error
from tests.multiprocess.sides import CONNECTIONS, PROFILES, Pair, Side, bearer

ROUNDS = 24


def test_each_process_reads_what_the_other_just_wrote(pair: Pair) -> None:
    a, b = pair.both
    trunks = [a.ok("POST", CONNECTIONS, {"connection_name": f"trunk-{i}"})["id"] for i in range(4)]
    assert [c["id"] for c in b.ok("GET", CONNECTIONS)] == trunks
    profile = a.ok("POST", PROFILES, {"connection_ids": [trunks[0]], "name": "start"})
    url = f"{PROFILES}/{profile['id']}"
    assert b.ok("GET", url) == profile

    for round_ in range(ROUNDS):
        writer, reader = (a, b) if round_ % 2 == 0 else (b, a)
        before = reader.ok("GET", url)  # now in the reader's cache, if it keeps one
        method, path, body = next_write(round_, url, before, trunks)
        written = writer.ok(method, path, body)
        assert written != before, (method, path, body)

        seen = reader.request("GET", url)
        assert seen.status_code == 200, seen.text
        assert seen.json() == written, f"round {round_}: {reader.name} still shows an older state"
        assert seen.headers.get("etag") == writer.request("GET", url).headers.get("etag")
        assert [p for p in reader.ok("GET", PROFILES) if p["id"] == profile["id"]] == [written]
        attached = [c["id"] for c in written["connections"]]
        assert {c["id"]: c["outbound_profile_id"] for c in reader.ok("GET", CONNECTIONS)} == {
            trunk: profile["id"] if trunk in attached else None for trunk in trunks
        }

    # A connection deleted through one process is gone from the profile as the other shows it.
    for deleter, other in ((a, b), (b, a)):
        held = other.ok("GET", url)["connections"]
        if not held:
            held = other.ok("PUT", f"{url}/actions/attach_connections", {"connection_ids": trunks[:1]})["connections"]
        gone = held[0]["id"]
        deleter.ok("DELETE", f"{CONNECTIONS}/{gone}")
        trunks.remove(gone)
        assert gone not in [c["id"] for c in other.ok("GET", url)["connections"]]
        assert_error(other.request("GET", f"{CONNECTIONS}/{gone}"), 404, NOT_FOUND)
        assert_error(
            other.request("PUT", f"{url}/actions/attach_connections", json={"connection_ids": [gone]}),
            400,
            pointer="/connection_ids/0",
        )


def next_write(round_: int, url: str, before: dict[str, Any], trunks: list[str]) -> tuple[str, str, dict[str, Any]]:
    """A different kind of change each round: fields, the whole connection list, attach, detach."""
    attached = [c["id"] for c in before["connections"]]
    kind = round_ % 4
    if kind == 0 or (kind == 3 and not attached) or (kind == 2 and len(attached) == len(trunks)):
        return "PUT", url, {"name": f"v{round_}", "ports": round_, "tag_list": [f"v{round_}"], "active": round_ % 3 > 0}
    if kind == 1:
        start = round_ // 4 % len(trunks)
        pair = [trunks[start], trunks[(start + 1) % len(trunks)]]
        return "PUT", url, {"connection_ids": pair[::-1] if round_ // 4 % 2 else pair}
    if kind == 2:
        free = [t for t in trunks if t not in attached]
        return "PUT", f"{url}/actions/attach_connections", {"connection_ids": free[:1]}
    return "PUT", f"{url}/actions/detach_connections", {"connection_ids": attached[-1:]}


def test_a_token_revoked_with_the_cli_is_refused_by_every_process_at_once(pair: Pair) -> None:
    issued = json.loads(pair.server.cli("tokens", "create", pair.email, "--json"))
    ways = [bearer(issued["token"]), {"x-api-user": pair.email, "x-api-token": issued["token"]}]
    for side in pair.both:
        for headers in ways:  # each process has checked the token, and may keep it in its cache
            assert side.request("GET", PROFILES, headers=headers).status_code == 200
        assert side.request("POST", CONNECTIONS, headers=ways[0], json={"connection_name": "x"}).status_code == 200

    pair.server.cli("tokens", "revoke", issued["token_id"])

    for side in pair.both:
        for headers in ways:
            assert_error(side.request("GET", PROFILES, headers=headers), 401, AUTHENTICATION_FAILED)
        refused = side.request("POST", CONNECTIONS, headers=ways[0], json={"connection_name": "y"})
        assert_error(refused, 401, AUTHENTICATION_FAILED)
        # The user's other token is untouched.
        assert [c["connection_name"] for c in side.ok("GET", CONNECTIONS)] == ["x", "x"]


def test_a_profile_deleted_in_one_process_is_gone_in_the_other(pair: Pair) -> None:
    for deleter, other in ((pair.a, pair.b), (pair.b, pair.a)):
        trunk = deleter.ok("POST", CONNECTIONS, {"connection_name": "trunk"})["id"]
        profile = deleter.ok("POST", PROFILES, {"connection_ids": [trunk], "name": f"by {deleter.name}"})
        url = f"{PROFILES}/{profile['id']}"
        assert other.ok("GET", url) == profile  # now in the other's cache, if it keeps one

        # The other process knows the connection is attached, and that it no longer is.
        assert_error(other.request("DELETE", url), 400, RESOURCE_IN_USE)
        deleter.ok("PUT", f"{url}/actions/detach_connections", {"connection_ids": [trunk]})
        assert other.ok("GET", url)["connections"] == []

        assert deleter.ok("DELETE", url)["id"] == profile["id"]

        assert_gone(other, url, trunk)
        assert_gone(deleter, url, trunk)
        assert profile["id"] not in [p["id"] for p in other.ok("GET", PROFILES)]
        assert other.ok("GET", f"{CONNECTIONS}/{trunk}")["outbound_profile_id"] is None


def assert_gone(side: Side, url: str, trunk: str) -> None:
    assert_error(side.request("GET", url), 404, NOT_FOUND)
    assert_error(side.request("PUT", url, json={"name": "again"}), 404, NOT_FOUND)
    assert_error(side.request("PUT", f"{url}/actions/attach_connections", json={"connection_ids": [trunk]}), 404)
    assert_error(side.request("DELETE", url), 404, NOT_FOUND)


def test_no_reader_sees_half_of_an_update(pair: Pair) -> None:
    """A writer flips a profile between two whole states (name and connection together) while readers
    on the other process read it alone and in the list: every answer shows one state or the other,
    never the name of one with the connection of the other."""
    a, b = pair.both
    one, two = (a.ok("POST", CONNECTIONS, {"connection_name": name})["id"] for name in ("one", "two"))
    states = {"A": [one], "B": [two]}
    profile = a.ok("POST", PROFILES, {"connection_ids": [one], "name": "A"})
    url = f"{PROFILES}/{profile['id']}"
    stop = threading.Event()
    seen: list[tuple[str, list[str]]] = []

    def read() -> None:
        with httpx.Client(base_url=b.process.server.base_url, headers=bearer(b.token), timeout=30) as http:
            while not stop.is_set():
                shown = [http.get(url).json()]
                shown += [p for p in http.get(PROFILES).json() if p["id"] == profile["id"]]
                seen.extend((p["name"], [c["id"] for c in p["connections"]]) for p in shown)

    readers = [threading.Thread(target=read) for _ in range(3)]
    for reader in readers:
        reader.start()
    try:
        for flip in range(150):
            name = "B" if flip % 2 == 0 else "A"
            a.ok("PUT", url, {"name": name, "connection_ids": states[name]})
    finally:
        stop.set()
        for reader in readers:
            reader.join(timeout=30)

    torn = [(name, ids) for name, ids in seen if states[name] != ids]
    assert seen
    assert torn == [], f"{len(torn)} of {len(seen)} answers showed a state that never existed: {torn[:3]}"
