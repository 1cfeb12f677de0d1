"""One transaction per request (`Database.write` / `read`): all of the work commits, or none of it.

On SQLite the transaction is begun and ended on the driver, and statements run either through
SQLAlchemy or straight on the driver (`Prepared`); these tests pin that every mix of the two
commits together and rolls back together, and that a failed commit leaves the process usable.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import Connection, bindparam, event, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import Pool

from outbound_profiles.accounts import service as accounts
from outbound_profiles.config import Settings
from outbound_profiles.db import database as database_module
from outbound_profiles.db import engine as engine_module
from outbound_profiles.db import group_commit
from outbound_profiles.db.database import ATTEMPTS, Database, on_rollback
from outbound_profiles.db.engine import build_engine
from outbound_profiles.db.migrate import upgrade
from outbound_profiles.db.prepared import Prepared
from outbound_profiles.domain.ids import new_id
from outbound_profiles.models import billing_groups, users
from outbound_profiles.profiles import service as profiles_service
from tests.conftest import Api, empty_postgres
from tests.profiles.helpers import PATH

_PREPARED_GROUP = Prepared(
    insert(billing_groups).values(
        id=bindparam("id"),
        user_id=bindparam("user_id"),
        name=bindparam("name"),
        created_at=bindparam("at"),
        updated_at=bindparam("at"),
    )
)
_NOW = datetime(2026, 11, 27, tzinfo=UTC)


class Boom(Exception):
    pass


def add_user(connection: Connection, user_id: int, email: str | None = None) -> None:
    email = email or f"u{user_id}@example.com"
    connection.execute(insert(users).values(id=user_id, email=email, default_cps=100, max_cps=1000, created_at=_NOW))


def add_group_on_driver(connection: Connection, user_id: int, name: str) -> None:
    _PREPARED_GROUP.execute(connection, {"id": name, "user_id": user_id, "name": name, "at": _NOW})


def counts_in(connection: Connection) -> tuple[int, int]:
    return (
        connection.execute(select(func.count()).select_from(users)).scalar_one(),
        connection.execute(select(func.count()).select_from(billing_groups)).scalar_one(),
    )


def counts(database: Database) -> tuple[int, int]:
    return database.run_sync(counts_in, write=False)


@pytest.mark.parametrize("driver_first", [False, True])
def test_statements_through_sqlalchemy_and_on_the_driver_commit_together(
    database: Database, driver_first: bool
) -> None:
    database.run_sync(lambda c: add_user(c, 1), write=True)

    def work(connection: Connection) -> None:
        if driver_first:
            add_group_on_driver(connection, 1, "g")
            add_user(connection, 2)
        else:
            add_user(connection, 2)
            add_group_on_driver(connection, 1, "g")

    database.run_sync(work, write=True)

    assert counts(database) == (2, 1)


@pytest.mark.parametrize("on_driver_only", [False, True])
def test_a_failing_request_leaves_nothing_and_the_next_one_works(database: Database, on_driver_only: bool) -> None:
    database.run_sync(lambda c: add_user(c, 1), write=True)

    def failing(connection: Connection) -> None:
        if not on_driver_only:
            add_user(connection, 2)
        add_group_on_driver(connection, 1, "lost")
        raise Boom

    with pytest.raises(Boom):
        database.run_sync(failing, write=True)

    assert counts(database) == (1, 0)
    database.run_sync(lambda c: add_group_on_driver(c, 1, "kept"), write=True)
    assert counts(database) == (1, 1)


def test_on_rollback_runs_only_when_the_work_is_rolled_back(database: Database) -> None:
    ran: list[str] = []

    def committed(connection: Connection) -> None:
        on_rollback(connection, lambda: ran.append("committed"))
        add_user(connection, 1)

    def rolled_back(connection: Connection) -> None:
        on_rollback(connection, lambda: ran.append("rolled back"))
        add_user(connection, 2)
        raise Boom

    database.run_sync(committed, write=True)
    with pytest.raises(Boom):
        database.run_sync(rolled_back, write=True)
    database.run_sync(lambda c: None, write=False)

    assert ran == ["rolled back"]


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Iterator[Database]:
    database = Database(build_engine(Settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite'}")))
    upgrade(database.engine)
    yield database
    database.dispose()


@pytest.mark.parametrize("through_sqlalchemy", [False, True])
def test_a_commit_that_fails_rolls_back_and_the_next_request_works(
    sqlite_database: Database, through_sqlalchemy: bool
) -> None:
    """SQLite only: a deferred foreign key makes the COMMIT itself fail (ended by SQLAlchemy when a
    statement went through it, else on the driver)."""
    sqlite_database.run_sync(lambda c: add_user(c, 1), write=True)
    ran: list[str] = []

    def dangling(connection: Connection) -> None:
        if through_sqlalchemy:
            connection.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
        else:
            driver = connection.connection.driver_connection
            assert driver is not None
            driver.execute("PRAGMA defer_foreign_keys = ON")
        on_rollback(connection, lambda: ran.append("rolled back"))
        add_group_on_driver(connection, 999, "dangling")  # no user 999: refused at COMMIT

    with pytest.raises(Exception, match="FOREIGN KEY"):
        sqlite_database.run_sync(dangling, write=True)

    assert ran == ["rolled back"]
    assert counts(sqlite_database) == (1, 0)
    sqlite_database.run_sync(lambda c: add_group_on_driver(c, 1, "kept"), write=True)
    assert counts(sqlite_database) == (1, 1)


def test_a_new_id_already_taken_by_another_process_is_drawn_again(
    api: Api, client: TestClient[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ids are drawn per process; when two processes draw the same one, the second insert fails on
    the primary key and the request runs again with a fresh id instead of failing."""
    taken = int(api.profile(name="first")["id"])
    drawn: list[int] = []

    def collide_once() -> int:
        drawn.append(taken if not drawn else new_id())
        return drawn[-1]

    monkeypatch.setattr(profiles_service, "new_id", collide_once)
    response = client.post(PATH, json={"name": "second", "connection_ids": []}, headers=api.tenant.headers)

    assert response.status_code == 200, response.text
    assert int(response.json()["id"]) == drawn[-1] != taken
    assert len(drawn) == 2
    assert client.get(f"{PATH}/{taken}", headers=api.tenant.headers).json()["name"] == "first"


def test_work_that_keeps_failing_is_not_retried_forever(database: Database) -> None:
    database.run_sync(lambda c: add_user(c, 1), write=True)
    attempts: list[int] = []

    def always_taken(connection: Connection) -> None:
        attempts.append(1)
        add_user(connection, 1, email=f"new{len(attempts)}@example.com")  # the id is taken, the email is not

    with pytest.raises(IntegrityError):
        database.run_sync(always_taken, write=True)
    assert len(attempts) == ATTEMPTS


def test_other_failures_are_not_retried(database: Database) -> None:
    database.run_sync(lambda c: add_user(c, 1), write=True)
    attempts: list[int] = []

    def dangling(connection: Connection) -> None:
        attempts.append(1)
        add_group_on_driver(connection, 999, "g")  # no user 999

    with pytest.raises(IntegrityError):
        database.run_sync(dangling, write=True)
    assert len(attempts) == 1


def test_a_transaction_left_open_on_the_driver_does_not_block_the_next_request(sqlite_database: Database) -> None:
    def leave_open(connection: Connection) -> None:
        driver = connection.connection.driver_connection
        assert driver is not None
        driver.commit()  # end the request's transaction behind the Database's back...
        driver.execute("BEGIN IMMEDIATE")  # ...and leave another one open, as a failed cleanup could

    sqlite_database.run_sync(leave_open, write=True)
    sqlite_database.run_sync(lambda c: add_user(c, 1), write=True)

    assert counts(sqlite_database) == (1, 0)


@pytest.mark.postgres
def test_one_database_serves_two_event_loops_at_once(migrated_postgres: str) -> None:
    """PostgreSQL's work runs on the asynchronous driver, whose connections belong to the loop that
    opened them: each event loop has its own pool (of the configured size), closed on that loop.
    SQLite's work runs inline on the one loop of its process, so this is PostgreSQL's alone."""
    empty_postgres(migrated_postgres)
    database = Database(build_engine(Settings(database_url=migrated_postgres, database_pool_size=1)))
    database.run_sync(lambda c: add_user(c, 1), write=True)

    async def many_reads() -> int:
        results = await asyncio.gather(*(database.read(lambda c: counts_in(c)[0]) for _ in range(50)))
        await database.close_connections()
        return sum(results)

    try:
        with ThreadPoolExecutor(2) as pool:
            totals = [f.result(timeout=60) for f in [pool.submit(asyncio.run, many_reads()) for _ in range(2)]]
    finally:
        database.dispose()
    assert totals == [50, 50]


@pytest.mark.postgres
def test_a_connection_handed_back_goes_to_the_request_that_has_waited_longest(migrated_postgres: str) -> None:
    """SQLAlchemy's pool gives a returned connection to whichever request asks first, so one arriving
    just then takes it ahead of one already waiting, which queues again at the back (under load, a
    few requests waited many times as long as the rest). The requests keep their order."""
    database = Database(build_engine(Settings(database_url=migrated_postgres, database_pool_size=1)))
    order: list[str] = []

    def work(name: str) -> Callable[[Connection], None]:
        def run(connection: Connection) -> None:
            order.append(name)
            connection.exec_driver_sql("SELECT pg_sleep(0.05)" if name == "first" else "SELECT 1")

        return run

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        late: list[asyncio.Task[None]] = []

        def arrive_as_it_is_handed_back(*_: Any) -> None:
            if not late:
                late.append(loop.create_task(database.read(work("late"))))

        event.listen(Pool, "checkin", arrive_as_it_is_handed_back)
        try:
            first = loop.create_task(database.read(work("first")))
            await asyncio.sleep(0.02)  # the first holds the only connection
            await asyncio.gather(first, database.read(work("waiting")))
            await late[0]
        finally:
            event.remove(Pool, "checkin", arrive_as_it_is_handed_back)
            await database.close_connections()

    try:
        asyncio.run(scenario())
    finally:
        database.dispose()
    assert order == ["first", "waiting", "late"]


def _backend(connection: Connection) -> int:
    pid: int = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    return pid


def _terminate(url: str, backend: int) -> None:
    """What an operator's pg_terminate_backend, or a failover, does to one pooled connection."""
    killer = build_engine(Settings(database_url=url))
    try:
        with killer.begin() as connection:
            assert connection.exec_driver_sql(f"SELECT pg_terminate_backend({backend})").scalar_one()
    finally:
        killer.dispose()


@pytest.mark.postgres
def test_a_pooled_connection_that_died_while_idle_is_replaced_before_use(
    migrated_postgres: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL restarted, or a proxy dropped the link: the next request still succeeds."""
    monkeypatch.setattr(engine_module, "PING_AFTER_IDLE_S", 0.05)
    database = Database(build_engine(Settings(database_url=migrated_postgres, database_pool_size=1)))
    try:
        backend = database.run_sync(_backend, write=False)
        _terminate(migrated_postgres, backend)
        time.sleep(0.2)

        assert database.run_sync(_backend, write=False) != backend
    finally:
        database.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("write", [False, True])
@pytest.mark.parametrize("on_event_loop", [False, True], ids=["run_sync", "event loop"])
def test_work_on_a_connection_terminated_before_it_committed_runs_again_on_a_new_one(
    migrated_postgres: str, write: bool, on_event_loop: bool
) -> None:
    """The backend was terminated (an operator, a failover) between two requests, too recently for
    the idle ping: the next request runs on a fresh connection instead of answering 500."""
    empty_postgres(migrated_postgres)
    database = Database(build_engine(Settings(database_url=migrated_postgres, database_pool_size=2)))
    runs: list[int] = []

    def work(connection: Connection) -> int:
        runs.append(1)
        if write:
            add_user(connection, 40 + len(runs))
        return _backend(connection)

    async def twice() -> tuple[int, int]:
        """The same event loop's pool both times: the second request meets the terminated connection."""
        first = await database.read(_backend)
        _terminate(migrated_postgres, first)
        after = await (database.write(work) if write else database.read(work))
        await database.close_connections()
        return first, after

    try:
        if on_event_loop:
            backend, after = asyncio.run(twice())
        else:
            backend = database.run_sync(_backend, write=False)
            _terminate(migrated_postgres, backend)
            after = database.run_sync(work, write=write)

        assert after != backend
        assert counts(database)[0] == (1 if write else 0)  # done once, not once per attempt
    finally:
        database.dispose()


def test_after_a_reconnect_another_process_s_writes_are_not_hidden_by_the_cache(tmp_path: Path) -> None:
    """PRAGMA data_version compares only within one connection, so a new connection must start by
    clearing the caches: its first reading could equal the last one of the connection it replaced."""
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    here, other = (Database(build_engine(Settings(database_url=url))) for _ in range(2))
    try:
        upgrade(here.engine)
        credentials = here.run_sync(lambda c: accounts.create_user(c, "reconnect@example.com"), write=True)
        account = here.run_sync(lambda c: accounts.authenticate(c, credentials.token, None), write=False)
        assert account is not None
        profile_id = str(
            here.run_sync(
                lambda c: profiles_service.create(c, account, {"name": "old", "connection_ids": []}), write=True
            ).profile.id
        )
        here.run_sync(lambda c: profiles_service.retrieve(c, account, profile_id), write=False)  # cached here

        inline = here._inline
        assert inline is not None
        inline.invalidate()  # lost, as after a disconnect; the next request opens a new one
        other.run_sync(lambda c: profiles_service.update(c, account, profile_id, {"name": "new"}), write=True)

        shown = here.run_sync(lambda c: profiles_service.retrieve(c, account, profile_id), write=False)
        assert shown.profile.name == "new"
    finally:
        here.dispose()
        other.dispose()


def test_the_checkpoint_thread_outlives_failed_checkpoints_and_logs_them_sparingly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Checkpoints that fail (a full disk, say) are tried again at each interval; the failure is
    logged at once and then once per `CHECKPOINT_FAILURE_LOG_S`, not at every try, and so is the
    recovery."""
    attempts: list[str] = []

    class FailsTenTimes:
        def __init__(self, real: Any) -> None:
            self.real = real

        def execute(self, sql: str) -> Any:
            attempts.append(sql)
            if len(attempts) <= 10:
                raise sqlite3.OperationalError("database or disk is full")
            return self.real.execute(sql)

    real_driver_of = group_commit.driver_of
    monkeypatch.setattr(database_module, "driver_of", lambda connection: FailsTenTimes(real_driver_of(connection)))
    monkeypatch.setattr(database_module, "CHECKPOINT_FAILURE_LOG_S", 0.1)  # every fifth try, at 0.02 s
    database = Database(build_engine(Settings(database_url=f"sqlite:///{tmp_path / 'checkpoints.db'}")))
    try:
        with caplog.at_level(logging.WARNING, logger=database_module.logger.name):
            database.start_checkpoints(interval=0.02)
            deadline = time.monotonic() + 5
            while len(attempts) < 12:
                assert time.monotonic() < deadline, f"the checkpoints stopped after {len(attempts)}"
                time.sleep(0.01)
    finally:
        database.dispose()
    failed = [r.getMessage() for r in caplog.records if "checkpoint failed" in r.getMessage()]
    assert failed == [
        "a WAL checkpoint failed (1 in a row); trying again every 0.02 s",
        "a WAL checkpoint failed (6 in a row); trying again every 0.02 s",
    ]
    assert [r.getMessage() for r in caplog.records if "succeed again" in r.getMessage()] == [
        "WAL checkpoints succeed again, after 10 failures"
    ]
