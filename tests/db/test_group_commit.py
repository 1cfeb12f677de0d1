"""Group commit on SQLite (`db/group_commit.py`): the requests of one event-loop turn share a COMMIT,
each in its own savepoint, and none answers before that COMMIT is done."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from outbound_profiles.accounts import service as accounts
from outbound_profiles.accounts.account import Account
from outbound_profiles.config import Settings
from outbound_profiles.connections import service as connections
from outbound_profiles.db import group_commit
from outbound_profiles.db.database import Database, table_written
from outbound_profiles.db.engine import build_engine
from outbound_profiles.db.migrate import upgrade
from outbound_profiles.profiles import service as profiles
from tests.db.test_database import Boom, add_group_on_driver, add_user, counts, counts_in

T = TypeVar("T")


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "db.sqlite"


@pytest.fixture
def database(path: Path) -> Iterator[Database]:
    database = Database(build_engine(Settings(database_url=f"sqlite:///{path}")))
    upgrade(database.engine)
    database.run_sync(lambda c: add_user(c, 1), write=True)
    yield database
    database.dispose()


@pytest.fixture
def commits(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per COMMIT of a batch (or of a transaction of its own)."""
    seen: list[int] = []
    real_end = group_commit.end

    def counting_end(connection: Connection, driver: Any, *, commit: bool) -> None:
        real_end(connection, driver, commit=commit)
        if commit:
            seen.append(1)

    monkeypatch.setattr("outbound_profiles.db.database.end", counting_end)
    return seen


def committed_counts(path: Path) -> tuple[int, int]:
    """(users, billing groups) as another connection sees them: only what was committed."""
    with sqlite3.connect(path) as other:
        users = other.execute("SELECT count(*) FROM users").fetchone()[0]
        groups = other.execute("SELECT count(*) FROM billing_groups").fetchone()[0]
    return users, groups


def together(*requests: Awaitable[Any]) -> list[Any]:
    """The requests started in one loop turn, as a server starts the requests that arrived at once."""

    async def run() -> list[Any]:
        return await asyncio.gather(*requests, return_exceptions=True)

    return asyncio.run(run())


def group(name: str) -> Callable[[Connection], str]:
    def work(connection: Connection) -> str:
        add_group_on_driver(connection, 1, name)
        return name

    return work


def test_the_writes_of_one_turn_share_one_commit_and_each_gets_its_answer(
    database: Database, path: Path, commits: list[int]
) -> None:
    answers = together(*(database.write(group(f"g{n}")) for n in range(5)))

    assert answers == [f"g{n}" for n in range(5)]
    assert len(commits) == 1
    assert committed_counts(path) == (1, 5)


def test_no_write_answers_before_its_commit(database: Database, path: Path) -> None:
    seen_at_answer: list[tuple[int, int]] = []

    async def write_and_look(name: str) -> None:
        await database.write(group(name))
        seen_at_answer.append(committed_counts(path))

    together(write_and_look("a"), write_and_look("b"))

    assert seen_at_answer == [(1, 2), (1, 2)]


def test_a_failing_request_rolls_back_alone(database: Database, path: Path, commits: list[int]) -> None:
    def failing(connection: Connection) -> None:
        add_user(connection, 2)
        add_group_on_driver(connection, 1, "lost")
        raise Boom

    answers = together(database.write(group("before")), database.write(failing), database.write(group("after")))

    assert answers[0] == "before"
    assert answers[2] == "after"
    assert isinstance(answers[1], Boom)
    assert len(commits) == 1
    assert committed_counts(path) == (1, 2)


def test_a_commit_that_fails_fails_every_request_of_the_batch_and_the_next_batch_works(
    database: Database, path: Path
) -> None:
    def dangling(connection: Connection) -> None:
        driver = group_commit.driver_of(connection)
        driver.execute("PRAGMA defer_foreign_keys = ON")  # the missing user is found at COMMIT
        add_group_on_driver(connection, 999, "dangling")

    answers = together(database.write(group("innocent")), database.write(dangling))

    assert all("FOREIGN KEY" in str(answer) for answer in answers), answers
    assert committed_counts(path) == (1, 0)
    assert together(database.write(group("next"))) == ["next"]
    assert committed_counts(path) == (1, 1)


def test_a_read_during_a_batch_sees_its_writes_and_answers_after_its_commit(database: Database, path: Path) -> None:
    async def read() -> tuple[tuple[int, int], tuple[int, int]]:
        seen = await database.read(counts_in)
        return seen, committed_counts(path)

    answers = together(database.write(group("g")), read())

    assert answers[1] == ((1, 1), (1, 1))


def users_in(connection: Connection) -> int:
    return len(connection.exec_driver_sql("SELECT id FROM users").all())


def test_a_read_filling_a_cache_whose_tables_the_batch_did_not_write_answers_before_its_commit(
    database: Database, path: Path
) -> None:
    cache = database.cache("users seen", depends_on=("users",), cleared_by_writes=True)

    async def read() -> tuple[int, tuple[int, int]]:
        seen = await database.read(users_in, filling=(cache,))
        return seen, committed_counts(path)

    answers = together(database.write(group("g")), read())

    assert answers == ["g", (1, (1, 0))]  # it answered while the batch's group was not committed yet


def test_a_read_filling_a_cache_whose_tables_the_batch_wrote_waits_for_its_commit(
    database: Database, path: Path
) -> None:
    cache = database.cache("users seen", depends_on=("users",), cleared_by_writes=True)

    def add_second_user(connection: Connection) -> None:
        table_written(connection, "users")
        add_user(connection, 2)

    async def read() -> tuple[int, tuple[int, int]]:
        seen = await database.read(users_in, filling=(cache,))
        return seen, committed_counts(path)

    answers = together(database.write(add_second_user), read())

    assert answers == [None, (2, (2, 0))]


def test_a_read_filling_a_cache_not_kept_by_writes_waits_for_the_commit(database: Database, path: Path) -> None:
    cache = database.cache("users seen", depends_on=("users",))  # its tables' writes need not say so

    async def read() -> tuple[int, tuple[int, int]]:
        seen = await database.read(users_in, filling=(cache,))
        return seen, committed_counts(path)

    answers = together(database.write(group("g")), read())

    assert answers == ["g", (1, (1, 1))]


def test_work_run_synchronously_commits_the_open_batch_first(database: Database, path: Path) -> None:
    async def scenario() -> tuple[int, int]:
        pending = asyncio.ensure_future(database.write(group("g")))
        await asyncio.sleep(0)  # the write has run and waits for the batch's COMMIT
        assert committed_counts(path) == (1, 0)
        seen = counts(database)  # the command line, say
        await pending
        return seen

    assert asyncio.run(scenario()) == (1, 1)
    assert committed_counts(path) == (1, 1)


def test_a_request_cancelled_while_it_waits_leaves_the_commit_to_the_others(database: Database, path: Path) -> None:
    async def scenario() -> str:
        cancelled = asyncio.ensure_future(database.write(group("cancelled")))
        kept = asyncio.ensure_future(database.write(group("kept")))
        await asyncio.sleep(0)
        cancelled.cancel()
        return await kept

    assert asyncio.run(scenario()) == "kept"
    # The cancelled request's work was done before it was cancelled; like a client that hangs up
    # after sending, it is committed, not half-applied.
    assert committed_counts(path) == (1, 2)


def run_as(database: Database, account: Account, work: Callable[[Connection, Account], T]) -> Awaitable[T]:
    return database.write(lambda c: work(c, account))


def test_a_view_cached_by_one_request_is_dropped_by_a_later_change_in_the_same_batch(database: Database) -> None:
    """An update caches the profile it wrote; a connection deleted later in the same batch detaches
    itself from that profile, and the cache must follow (not the update's earlier view)."""
    credentials = database.run_sync(lambda c: accounts.create_user(c, "batch@example.com"), write=True)
    account = database.run_sync(lambda c: accounts.authenticate(c, credentials.token, None), write=False)
    assert account is not None
    doomed = database.run_sync(lambda c: connections.create(c, account, {"connection_name": "doomed"}), write=True)
    profile = database.run_sync(lambda c: profiles.create(c, account, {"connection_ids": []}), write=True)
    profile_id = str(profile.profile.id)

    answers = together(
        run_as(database, account, lambda c, a: profiles.update(c, a, profile_id, {"connection_ids": [doomed.id]})),
        run_as(database, account, lambda c, a: connections.delete(c, a, doomed.id)),
    )

    assert answers[0].connection_ids == (int(doomed.id),)
    shown = database.run_sync(lambda c: profiles.retrieve(c, account, profile_id), write=False)
    assert shown.connection_ids == ()


def test_a_batch_left_open_by_a_stopped_event_loop_is_committed_by_the_next_one(database: Database, path: Path) -> None:
    stopped = asyncio.new_event_loop()
    orphan = stopped.create_task(database.write(group("orphan")))
    stopped.call_soon(stopped.stop)  # the loop stops after the turn in which the write ran
    stopped.run_forever()
    assert not orphan.done()
    assert committed_counts(path) == (1, 0)  # its COMMIT was left for a turn that never came
    stopped.close()

    assert together(database.write(group("next"))) == ["next"]
    assert committed_counts(path) == (1, 2)


def test_a_failing_savepoint_statement_fails_the_whole_batch(
    database: Database, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_call = group_commit.driver_call
    releases: list[int] = []

    def release_fails_once(driver: Any, sql: str) -> None:
        if sql.startswith("RELEASE"):
            releases.append(1)
            if len(releases) == 2:
                raise DBAPIError.instance(sql, None, sqlite3.OperationalError("disk I/O error"), sqlite3.Error)
        real_call(driver, sql)

    monkeypatch.setattr("outbound_profiles.db.database.driver_call", release_fails_once)
    answers = together(*(database.write(group(f"g{n}")) for n in range(3)))

    # What the batch held is unknown once a savepoint statement failed: nothing of it is kept (the
    # first request's work included); the request after it starts a batch of its own.
    assert ["disk I/O error" in str(answer) for answer in answers[:2]] == [True, True], answers
    assert answers[2] == "g2"
    with sqlite3.connect(path) as other:
        assert other.execute("SELECT name FROM billing_groups").fetchall() == [("g2",)]


def test_a_batch_whose_connection_is_lost_commits_nothing_and_the_next_batch_reconnects(
    database: Database, path: Path
) -> None:
    def loses_the_connection(connection: Connection) -> None:
        add_group_on_driver(connection, 1, "lost")
        connection.invalidate()  # as after a disconnect: the driver connection is closed

    answers = together(database.write(group("first")), database.write(loses_the_connection))

    assert all(isinstance(answer, DBAPIError) for answer in answers), answers
    assert committed_counts(path) == (1, 0)
    assert together(database.write(group("next"))) == ["next"]
    assert committed_counts(path) == (1, 1)


def test_a_one_statement_write_takes_no_savepoint_and_its_failed_statement_is_undone_alone(
    database: Database, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_call = group_commit.driver_call
    savepoints: list[str] = []

    def counting_call(driver: Any, sql: str) -> None:
        savepoints.append(sql)
        real_call(driver, sql)

    monkeypatch.setattr("outbound_profiles.db.database.driver_call", counting_call)
    answers = together(
        database.write(group("before"), one_statement=True),
        database.write(lambda c: add_group_on_driver(c, 999, "of no user"), one_statement=True),
        database.write(group("after"), one_statement=True),
    )

    assert answers[0] == "before"
    assert answers[2] == "after"
    assert "FOREIGN KEY" in str(answers[1]), answers
    assert not [sql for sql in savepoints if sql.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO"))]
    assert committed_counts(path) == (1, 2)


def test_a_one_statement_write_whose_failure_ends_the_transaction_fails_the_whole_batch(
    database: Database, path: Path
) -> None:
    def ends_the_transaction(connection: Connection) -> None:
        # What SQLite does on some failures (a full disk, an I/O error): the whole transaction is rolled back.
        group_commit.driver_of(connection).execute("ROLLBACK")
        raise DBAPIError.instance("INSERT", None, sqlite3.OperationalError("database or disk is full"), sqlite3.Error)

    answers = together(
        database.write(group("before"), one_statement=True),
        database.write(ends_the_transaction, one_statement=True),
        database.write(group("after"), one_statement=True),
    )

    # The first request's work went with the transaction: it is not answered as done. The request
    # after it starts a batch of its own.
    assert ["disk is full" in str(answer) for answer in answers[:2]] == [True, True], answers
    assert answers[2] == "after"
    with sqlite3.connect(path) as other:
        assert other.execute("SELECT name FROM billing_groups").fetchall() == [("after",)]


def test_a_read_filling_a_cache_whose_failure_ends_the_transaction_fails_the_whole_batch(
    database: Database, path: Path
) -> None:
    """The read that runs at once on the batch's connection (`filling`) can fail as any statement can;
    a failure that ended the transaction (a full disk, an I/O error) took the batch's writes with it:
    the requests that made them must not be answered as done."""
    cache = database.cache("users seen", depends_on=("users",), cleared_by_writes=True)

    def ends_the_transaction(connection: Connection) -> int:
        group_commit.driver_of(connection).execute("ROLLBACK")
        raise DBAPIError.instance("SELECT", None, sqlite3.OperationalError("disk I/O error"), sqlite3.Error)

    answers = together(database.write(group("before")), database.read(ends_the_transaction, filling=(cache,)))

    assert ["disk I/O error" in str(answer) for answer in answers] == [True, True], answers
    assert committed_counts(path) == (1, 0)
