"""The process hears of other processes' commits without a request of its own: its caches serve
repeated reads from memory, drop what another process changed within a second, and are off while
the process cannot hear (PostgreSQL's listener lost)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from litestar.testing import TestClient
from sqlalchemy import Engine, Pool, event, text

from outbound_profiles.config import Settings
from outbound_profiles.db.database import Database
from outbound_profiles.db.engine import build_engine
from outbound_profiles.profiles import service as profiles_service
from tests.conftest import Api, Tenant

WITHIN_S = 1.0


def within(deadline_s: float, seen: Callable[[], bool], what: str) -> float:
    start = time.monotonic()
    while not seen():
        if time.monotonic() - start > deadline_s:
            raise AssertionError(f"not within {deadline_s} s: {what}")
        time.sleep(0.01)
    return time.monotonic() - start


@contextmanager
def statements() -> Iterator[list[str]]:
    """The statements any engine of this process runs meanwhile (the asynchronous ones too)."""
    seen: list[str] = []

    def record(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


def test_a_repeated_get_is_answered_from_memory(client: TestClient[Any], api: Api, tenant: Tenant) -> None:
    url = f"/termination/endpoints/{api.profile(name='cached')['id']}"
    # A read during which the creation's own notification came is not cached: read until one is.
    for _ in range(3):
        with statements() as seen:
            assert client.get(url, headers=tenant.headers).status_code == 200
        if not seen:
            break
    with statements() as seen:
        for _ in range(5):
            response = client.get(url, headers=tenant.headers)
            assert response.status_code == 200
            assert response.json()["name"] == "cached"
    assert seen == []


def test_another_process_s_commit_is_heard_within_a_second(
    settings: Settings, database: Database, client: TestClient[Any], api: Api, tenant: Tenant
) -> None:
    profile_id = api.profile(name="before")["id"]
    url = f"/termination/endpoints/{profile_id}"
    views = database.cache("profile_views")
    within(WITHIN_S, lambda: client.get(url, headers=tenant.headers).status_code == 200 and len(views) == 1, "cached")
    heard = threading.Event()
    database.on_change(("outbound_profiles",), heard.set)
    heard.clear()  # (a listener that has just connected calls every subscriber once)

    other = Database(build_engine(settings))  # as another process would
    try:
        other.run_sync(lambda c: profiles_service.update(c, tenant.account, profile_id, {"name": "after"}), write=True)
    finally:
        other.dispose()

    # Without a request on this side: the watcher or the listener drops the entry.
    within(WITHIN_S, heard.is_set, "the subscriber was called")
    within(WITHIN_S, lambda: views.get(int(profile_id)) is None, "the cached view was dropped")
    assert client.get(url, headers=tenant.headers).json()["name"] == "after"


def test_a_read_that_started_before_a_change_does_not_cache_what_it_read(
    settings: Settings, database: Database, tenant: Tenant, api: Api
) -> None:
    """The generation check end to end: the clock a transaction noted at its start is older than
    an invalidation that came while it ran, so its fill is refused."""
    profile_id = int(api.profile(name="x")["id"])
    views = database.cache("profile_views")
    views.invalidate()

    def read_then_invalidated(connection: Any) -> None:
        profiles_service.retrieve(connection, tenant.account, str(profile_id))  # fills
        views.discard(profile_id)
        views.invalidate(profile_id)  # as a notification handled while the read was suspended
        profiles_service.retrieve(connection, tenant.account, str(profile_id))  # fills again: refused

    database.run_sync(read_then_invalidated, write=False)
    assert views.get(profile_id) is None
    database.run_sync(lambda c: profiles_service.retrieve(c, tenant.account, str(profile_id)), write=False)
    assert views.get(profile_id) is not None or not views.enabled


def test_after_the_listener_was_lost_nothing_cached_before_is_used(
    migrated_postgres: str, database: Database, client: TestClient[Any], api: Api, tenant: Tenant
) -> None:
    if database.is_sqlite:
        return
    url = f"/termination/endpoints/{api.profile(name='p')['id']}"
    views = database.cache("profile_views")
    # A read during which the creation's own notification came is not cached: read until one is.
    within(WITHIN_S, lambda: client.get(url, headers=tenant.headers).status_code == 200 and len(views) == 1, "cached")
    reconnected = threading.Event()
    database.on_change(("outbound_profiles",), reconnected.set)
    reconnected.clear()
    pid = database.listener_pid
    assert pid is not None

    with database.engine.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    # Off at once (every entry dropped), and on again, empty, once it listens on a new connection.
    within(5.0, lambda: views.enabled and database.listener_pid not in (None, pid), "listening again")
    within(WITHIN_S, reconnected.is_set, "subscribers are told (what was missed is unknown)")
    assert len(views) == 0  # nothing from before the loss is kept
    assert client.get(url, headers=tenant.headers).status_code == 200
    assert len(views) == 1


def test_a_read_the_caches_answer_takes_no_connection(client: TestClient[Any], api: Api, tenant: Tenant) -> None:
    """On PostgreSQL a read answered from the caches alone runs without a connection (nor a transaction):
    none is checked out of the pool. On SQLite the one connection is always at hand."""
    url = f"/termination/endpoints/{api.profile(name='from memory')['id']}"
    for _ in range(3):  # until the profile's view is cached (see above)
        with statements() as seen:
            assert client.get(url, headers=tenant.headers).status_code == 200
        if not seen:
            break
    checkouts: list[object] = []

    def checked_out(*_args: Any) -> None:
        checkouts.append(_args[0])

    event.listen(Pool, "checkout", checked_out)
    try:
        for _ in range(5):
            assert client.get(url, headers=tenant.headers).json()["name"] == "from memory"
    finally:
        event.remove(Pool, "checkout", checked_out)
    assert checkouts == []
