"""A write load from several threads whose every outcome can be checked after a crash.

Each thread (`Writer`) owns a profile and a few connections that no other thread touches, and shares
a pool of profiles with the others. It creates profiles (they join the pool), writes marked fields
of pool profiles (the threads race on them), replaces its own profile's fields and connection list in
one PUT, and attaches its connections to pool profiles and detaches them. Field writes go to the
`Ledger`; the thread's connections are modelled exactly (`Attachments`), since only it changes them:
after a crash they must be as the model says, or, if its last request got no answer, as they were
before that request.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.durability.ledger import Ledger, Write, marked, marker_of

PROFILES = "/termination/endpoints"
CONNECTIONS = "/security/connections"
Send = Callable[[str, str, dict[str, Any]], dict[str, Any]]  # method, path, JSON body -> the 200's body


class ServerGone(Exception):
    """The request got no answer: the server died (it may or may not have applied it)."""


@dataclass
class Pool:
    """The profiles every thread writes to (thread-safe)."""

    ids: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, profile_id: str) -> None:
        with self._lock:
            self.ids.append(profile_id)

    def pick(self, rng: random.Random) -> str:
        with self._lock:
            return rng.choice(self.ids)


@dataclass
class InFlight:
    """How many requests are waiting for an answer (so the crash can land while some are)."""

    count: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, delta: int) -> None:
        with self._lock:
            self.count += delta


@dataclass(frozen=True)
class Attachments:
    """Where a thread's connections are: connection id -> profile id (or None), and its own
    profile's connections in their order."""

    holder: dict[str, str | None]
    own_order: list[str]


class Writer:
    def __init__(self, number: int, own: str, connections: list[str], ledger: Ledger, pool: Pool) -> None:
        self.number = number
        self.own = own
        self.connections = connections
        self.ledger = ledger
        self.pool = pool
        self.model = Attachments(dict.fromkeys(connections), [])
        # The state before the last request, while it is not known whether that request was applied.
        self.before_unanswered: Attachments | None = None

    def possible(self) -> list[Attachments]:
        return [self.model] if self.before_unanswered is None else [self.model, self.before_unanswered]

    def settle(self, observed: Attachments) -> None:
        """After a restart: the attachments as found, which must be one of the possible ones."""
        assert observed in self.possible(), f"writer {self.number}: found {observed}, possible: {self.possible()}"
        self.model, self.before_unanswered = observed, None

    def run(self, base_url: str, token: str, seed: int, stop: threading.Event, in_flight: InFlight) -> int:
        """Send writes until `stop` is set or the server dies; the number of answered requests."""
        rng = random.Random(seed)
        answered = 0
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base_url, headers=headers, timeout=20) as http:

            def send(method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
                in_flight.add(1)
                try:
                    response = http.request(method, path, json=body)
                except httpx.TransportError as exc:
                    raise ServerGone from exc
                finally:
                    in_flight.add(-1)
                assert response.status_code == 200, f"{method} {path} {body}: {response.text}"
                result: dict[str, Any] = response.json()
                return result

            operations = [self._create, self._write_pool, self._write_own, self._attach, self._detach]
            while not stop.is_set():
                operation = rng.choices(operations, weights=[15, 35, 20, 15, 15])[0]
                try:
                    operation(send, rng)
                except ServerGone:
                    break
                answered += 1
        return answered

    def _create(self, send: Send, rng: random.Random) -> None:
        write = self._write()
        try:
            created = send("POST", PROFILES, {"connection_ids": [], **marked(write.marker)})
        except ServerGone:
            self.ledger.record(None, write)
            raise
        self._answered(created["id"], created, write)
        self.ledger.record(created["id"], write)
        self.pool.add(created["id"])

    def _write_pool(self, send: Send, rng: random.Random) -> None:
        profile_id = self.pool.pick(rng)
        write = self._write()
        self.ledger.record(profile_id, write)
        self._answered(profile_id, send("PUT", f"{PROFILES}/{profile_id}", marked(write.marker)), write)

    def _write_own(self, send: Send, rng: random.Random) -> None:
        """Fields and the whole connection list at once: all of it is applied, or none."""
        free = [c for c, holder in self.model.holder.items() if holder in (None, self.own)]
        wanted = rng.sample(free, rng.randint(0, len(free)))
        holder = {c: self.own if c in wanted else (None if h == self.own else h) for c, h in self.model.holder.items()}
        write = self._write()
        self.ledger.record(self.own, write)
        body = {**marked(write.marker), "connection_ids": wanted}
        shown = self._change(send, "PUT", f"{PROFILES}/{self.own}", body, Attachments(holder, wanted))
        self._answered(self.own, shown, write)
        assert [c["id"] for c in shown["connections"]] == wanted, shown

    def _attach(self, send: Send, rng: random.Random) -> None:
        free = [c for c, holder in self.model.holder.items() if holder is None]
        if not free:
            return
        chosen, profile_id = rng.sample(free, min(len(free), rng.randint(1, 2))), self.pool.pick(rng)
        holder = {**self.model.holder, **dict.fromkeys(chosen, profile_id)}
        path = f"{PROFILES}/{profile_id}/actions/attach_connections"
        shown = self._change(send, "PUT", path, {"connection_ids": chosen}, Attachments(holder, self.model.own_order))
        assert set(chosen) <= {c["id"] for c in shown["connections"]}, shown

    def _detach(self, send: Send, rng: random.Random) -> None:
        attached = [c for c, holder in self.model.holder.items() if holder is not None]
        if not attached:
            return
        chosen = rng.choice(attached)
        profile_id = self.model.holder[chosen]
        holder = {**self.model.holder, chosen: None}
        order = [c for c in self.model.own_order if c != chosen]
        path = f"{PROFILES}/{profile_id}/actions/detach_connections"
        shown = self._change(send, "PUT", path, {"connection_ids": [chosen]}, Attachments(holder, order))
        assert chosen not in {c["id"] for c in shown["connections"]}, shown

    def _change(self, send: Send, method: str, path: str, body: dict[str, Any], after: Attachments) -> dict[str, Any]:
        before, self.model = self.model, after
        try:
            return send(method, path, body)
        except ServerGone:
            self.before_unanswered = before
            raise

    def _write(self) -> Write:
        return Write(self.ledger.next_marker(), time.monotonic(), math.inf, answered=False)

    @staticmethod
    def _answered(profile_id: str, shown: dict[str, Any], write: Write) -> None:
        write.done, write.answered = time.monotonic(), True
        assert shown["id"] == profile_id
        assert marker_of(shown) == write.marker, shown
