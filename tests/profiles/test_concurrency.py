"""Concurrent requests against a real server process: no lost update, no double attach (SPEC §4, §5)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

import httpx

from tests.live import LiveServer

T = TypeVar("T")
PATH = "/termination/endpoints"
ROUNDS = 4

# One field per thread, and the value a thread writes in a round.
WRITERS: dict[str, Callable[[int], Any]] = {
    "name": lambda r: f"name-{r}",
    "traffic_type": lambda r: 1 + r % 2,
    "cps_limit_increase": lambda r: r + 1,
    "ports": lambda r: 10 + r,
    "translation_rule": lambda r: f"rule-{r}",
    "active": lambda r: r % 2 == 1,
    "tag_list": lambda r: [f"tag-{r}"],
    "usage_payment_method": lambda r: ["rate-deck", "tariff"][r % 2],
    "whitelisted_destination_format": lambda r: ["alpha2", "iso_numeric"][r % 2],
    "max_destination_rate": lambda r: r / 4,
    "call_recording_phone_numbers": lambda r: [f"+1312555010{r}"],
    "call_recording_format": lambda r: ["wav", "mp3"][r % 2],
    "call_recording_channels": lambda r: ["single", "dual"][r % 2],
    "daily_spend_limit": lambda r: f"{r + 1}.50",
    "daily_spend_limit_enabled": lambda r: r % 2 == 0,
    "call_recording_type": lambda r: ["none", "all"][r % 2],
}


def in_parallel(tasks: Sequence[Callable[[], T]]) -> list[T]:
    """Run the tasks in threads released together, so their requests overlap."""
    barrier = threading.Barrier(len(tasks))

    def start(task: Callable[[], T]) -> T:
        barrier.wait(timeout=30)
        return task()

    with ThreadPoolExecutor(max_workers=len(tasks)) as pool:
        return list(pool.map(start, tasks))


def client(server: LiveServer, email: str) -> httpx.Client:
    token = server.new_user(email)["token"]
    return httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def created(http: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = http.post(path, json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_parallel_updates_lose_nothing_and_readers_never_see_half_of_one(server: LiveServer) -> None:
    assert len(WRITERS) == 16
    with client(server, "writers@example.com") as http:
        url = f"{PATH}/{created(http, PATH, {'connection_ids': [], 'daily_spend_limit': '1.00'})['id']}"

        for round_ in range(ROUNDS):
            tasks = [partial(write_field, http, url, field, round_) for field in WRITERS]
            assert in_parallel(tasks) == [200] * len(WRITERS)

            final = http.get(url).json()
            assert {field: final[field] for field in WRITERS} == {
                field: value(round_) for field, value in WRITERS.items()
            }

        # Readers racing writers that change three fields together see all three or none.
        assert http.put(url, json={"name": "v0", "tag_list": ["v0"], "ports": 0}).status_code == 200
        seen = in_parallel([partial(write_versions, http, url), partial(read_versions, http, url)] * 2)
        for versions in seen:
            assert all(tags == [name] and name == f"v{ports}" for name, tags, ports in versions), versions


def write_field(http: httpx.Client, url: str, field: str, round_: int) -> int:
    return http.put(url, json={field: WRITERS[field](round_)}).status_code


def write_versions(http: httpx.Client, url: str) -> list[tuple[str, list[str], int]]:
    for i in range(20):
        assert http.put(url, json={"name": f"v{i}", "tag_list": [f"v{i}"], "ports": i}).status_code == 200
    return []


def read_versions(http: httpx.Client, url: str) -> list[tuple[str, list[str], int]]:
    bodies = [http.get(url).json() for _ in range(20)]
    return [(b["name"], b["tag_list"], b["ports"]) for b in bodies]


def test_racing_for_one_connection_exactly_one_wins(server: LiveServer) -> None:
    with client(server, "racers@example.com") as http:
        first = created(http, PATH, {"connection_ids": []})["id"]
        second = created(http, PATH, {"connection_ids": []})["id"]

        for attempt in range(6):
            connection = created(http, "/security/connections", {"connection_name": "contested"})["id"]
            # Half of the races through the action, half through an update's connection_ids.
            action = attempt % 2 == 0
            responses = in_parallel([partial(claim, http, p, connection, action=action) for p in (first, second)])

            assert sorted(r.status_code for r in responses) == [200, 400], [r.text for r in responses]
            winner, loser = (first, responses[1]) if responses[0].status_code == 200 else (second, responses[0])
            [error] = loser.json()["errors"]
            assert error["code"] == "10015"
            assert error["source"] == {"pointer": "/connection_ids/0"}
            assert winner in error["detail"]
            assert http.get(f"/security/connections/{connection}").json()["outbound_profile_id"] == winner
            holders = [http.get(f"{PATH}/{p}").json()["connections"] for p in (first, second)]
            assert sum(connection in [c["id"] for c in held] for held in holders) == 1


def claim(http: httpx.Client, profile_id: str, connection: str, *, action: bool) -> httpx.Response:
    if action:
        return http.put(f"{PATH}/{profile_id}/actions/attach_connections", json={"connection_ids": [connection]})
    current = [c["id"] for c in http.get(f"{PATH}/{profile_id}").json()["connections"]]
    return http.put(f"{PATH}/{profile_id}", json={"connection_ids": [connection, *current]})
