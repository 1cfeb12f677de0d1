"""One transaction per request.

A request's work is a plain function of a Connection. `Database.write` and `Database.read` open
the transaction, run it, and commit on success or roll back on any error, so a request that
fails changes nothing. Services only execute statements; they never commit.

On SQLite the function runs inline on the event loop, on one connection the process keeps open:
it never awaits, so the process's transactions run one after another (SQLite has one writer
anyway) and a write costs tens of microseconds instead of a thread hop and a pool checkout. The
requests of one turn of the event loop share one COMMIT, each in a savepoint of its own and each
answered only once that COMMIT is done (`db/group_commit.py`). On PostgreSQL the function runs on
the event loop too, on a pooled connection of the asynchronous driver (psycopg), where row locks
order writers; a read runs in a REPEATABLE READ transaction, one snapshot for all its
statements. `run_sync` (the command line, tests) runs the same function on a synchronous connection.

The Database also keeps the in-process caches valid (see `db/cache.py`).
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from outbound_profiles.db.cache import Cache
from outbound_profiles.db.engine import async_engine_like, is_sqlite
from outbound_profiles.db.group_commit import Batch, driver_call, driver_of, end

T = TypeVar("T")
_ON_ROLLBACK = "outbound_profiles.on_rollback"
_DATABASE = "outbound_profiles.database"


class Database:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.is_sqlite = is_sqlite(str(engine.url))
        self._inline: Connection | None = None
        self._batch: Batch | None = None
        self._data_version: int | None = None
        self._caches: dict[str, Cache[Any, Any]] = {}
        self._checkpointer: threading.Thread | None = None
        self._stop = threading.Event()
        self._async_engines: WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncEngine] = WeakKeyDictionary()

    def cache(self, name: str, *, max_entries: int = 100_000, depends_on: tuple[str, ...] = ()) -> Cache[Any, Any]:
        """The named cache of this database (created on first use; disabled off SQLite). A cache that
        names the tables it is read from is cleared whenever this process writes one (`wrote`)."""
        existing = self._caches.get(name)
        if existing is None:
            existing = self._caches[name] = Cache(
                name, max_entries=max_entries, enabled=self.is_sqlite, depends_on=frozenset(depends_on)
            )
        return existing

    def tables_changed(self, *tables: str) -> None:
        for cache in self._caches.values():
            if not cache.depends_on.isdisjoint(tables):
                cache.clear()

    def run_sync(self, work: Callable[[Connection], T], *, write: bool) -> T:
        """`work` in one transaction; run again from the start (at most `ATTEMPTS` times in all)
        when it failed in a way that running it again cures (see `_worth_retrying`)."""
        if self.is_sqlite:
            self.commit_batch()  # work run here comes after the requests already answered for
        for attempt in range(1, ATTEMPTS + 1):
            try:
                if self.is_sqlite:
                    return self._run_inline(work, write=write)
                with self.engine.connect() as connection:
                    connection.info[_DATABASE] = self
                    return self._run(connection, work, write=write)
            except DBAPIError as error:
                if attempt == ATTEMPTS or not (_worth_retrying(error) or _lost_before_commit(error)):
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def write(self, work: Callable[[Connection], T]) -> Coroutine[Any, Any, T]:
        # Not a coroutine itself: it hands over the one that does the work (one frame less per write).
        if self.is_sqlite:
            return self._batched(work)
        return self._on_event_loop(work, write=True)

    async def read(self, work: Callable[[Connection], T]) -> T:
        if self.is_sqlite:
            # A read alone commits nothing and answers at once; during a batch it may see the
            # batch's writes, so it joins the batch and waits for its COMMIT.
            return self.run_sync(work, write=False) if self._batch is None else await self._batched(work)
        return await self._on_event_loop(work, write=False)

    async def _on_event_loop(self, work: Callable[[Connection], T], *, write: bool) -> T:
        """PostgreSQL: `work` on the event loop, on the asynchronous driver. `work` is the same plain
        function as everywhere: each statement it runs suspends the request (SQLAlchemy's greenlet
        bridge) while PostgreSQL answers, and other requests run meanwhile; no thread, no GIL hand-off."""
        engine = self._async_engine()
        for attempt in range(1, ATTEMPTS + 1):
            try:
                async with engine.connect() as connection:
                    return await connection.run_sync(self._run_here, work, write)
            except DBAPIError as error:
                if attempt == ATTEMPTS or not (_worth_retrying(error) or _lost_before_commit(error)):
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _run_here(self, connection: Connection, work: Callable[[Connection], T], write: bool) -> T:
        connection.info[_DATABASE] = self
        return self._run(connection, work, write=write)

    def _async_engine(self) -> AsyncEngine:
        """The asynchronous engine of the running event loop: a driver connection belongs to the
        loop that opened it (a server has one loop; tests may run several)."""
        loop = asyncio.get_running_loop()
        engine = self._async_engines.get(loop)
        if engine is None:
            engine = self._async_engines[loop] = async_engine_like(self.engine)
        return engine

    async def _batched(self, work: Callable[[Connection], T]) -> T:
        """SQLite: `work` in a savepoint of the loop turn's batch, answered after the batch's COMMIT."""
        batch = self._batch
        if batch is not None and batch.loop is not asyncio.get_running_loop():
            self.commit_batch()  # left open by an event loop that stopped before its COMMIT
            batch = None
        batch = batch or self._open_batch()
        committed = batch.waiter()
        try:
            result = self._run_in_savepoint(batch, work)
        finally:
            await committed
        return result

    def _open_batch(self) -> Batch:
        connection = self._connection()
        driver = driver_of(connection)
        self._begin(driver, write=True)
        batch = self._batch = Batch(asyncio.get_running_loop(), connection, driver)
        asyncio.get_running_loop().call_soon(self.commit_batch)
        return batch

    def _run_in_savepoint(self, batch: Batch, work: Callable[[Connection], T]) -> T:
        if batch.lost():
            error = DBAPIError("SAVEPOINT", None, Exception("the batch's connection was lost"))
            self._fail_batch(error)
            raise error
        connection, cursor = batch.connection, batch.cursor
        for attempt in range(1, ATTEMPTS + 1):
            self._savepoint(cursor, "SAVEPOINT request")
            try:
                result = work(connection)
            except BaseException as error:
                _rolled_back(connection)
                self._savepoint(cursor, "ROLLBACK TO request")
                self._savepoint(cursor, "RELEASE request")
                if isinstance(error, DBAPIError) and attempt < ATTEMPTS and _worth_retrying(error):
                    continue
                raise
            # Released at once, not left open for the COMMIT: SQLite checks every open savepoint on
            # each page a write touches, so a batch of n open ones costs n² (5,000 requests in one
            # batch: 53 µs a request against 3).
            self._savepoint(cursor, "RELEASE request")
            # Should the batch fail as a whole, every cache is cleared (`_fail_batch`).
            batch.info.pop(_ON_ROLLBACK, None)
            return result
        raise AssertionError("unreachable")  # pragma: no cover

    def _savepoint(self, cursor: Any, sql: str) -> None:
        """A savepoint statement; if one fails, what the batch holds is unknown: it fails whole."""
        try:
            driver_call(cursor, sql)
        except DBAPIError as error:
            self._fail_batch(error)
            raise

    def commit_batch(self) -> None:
        """Commit the open batch, if any, and let its requests answer."""
        batch = self._batch
        if batch is None:
            return
        if batch.lost():
            self._fail_batch(DBAPIError("COMMIT", None, Exception("the batch's connection was lost")))
            return
        try:
            end(batch.connection, batch.driver, commit=True)
        except BaseException as error:
            self._fail_batch(error)
            return
        self._batch = None
        batch.settle()

    def _fail_batch(self, error: BaseException) -> None:
        """The batch's transaction failed as a whole: roll it back and fail all its requests."""
        batch, self._batch = self._batch, None
        if batch is None:
            return
        connection = batch.connection
        if not batch.lost():
            try:
                end(connection, batch.driver, commit=False)
            except Exception:  # the connection is dropped below; the first error is the one to report
                connection.invalidate()
        if connection.invalidated and self._inline is connection:
            self._inline = None
        # What the caches took in during the batch (reads, `load`) was never committed.
        for cache in self._caches.values():
            cache.clear()
        batch.settle(error)

    def start_checkpoints(self, interval: float = 1.0) -> None:
        """Checkpoint SQLite's WAL from a background thread, so no request waits for its fsync."""
        # An in-memory database has no WAL, and its one connection is the requests' own.
        if not self.is_sqlite or self._checkpointer is not None or self.engine.url.database in (None, "", ":memory:"):
            return
        self._stop.clear()
        self._checkpointer = threading.Thread(
            target=self._checkpoint_loop, args=(interval,), name="sqlite-checkpoints", daemon=True
        )
        self._checkpointer.start()

    def _checkpoint_loop(self, interval: float) -> None:
        with self.engine.connect() as connection:
            driver = driver_of(connection)
            while not self._stop.wait(interval):
                # PASSIVE never blocks writers: it copies what it can and leaves the rest for next time.
                driver.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    async def close_connections(self) -> None:
        """Close the asynchronous driver's connections of the running event loop (at shutdown)."""
        engine = self._async_engines.pop(asyncio.get_running_loop(), None)
        if engine is not None:
            await engine.dispose()

    def dispose(self) -> None:
        for loop, engine in list(self._async_engines.items()):
            if loop.is_running():
                continue  # another thread's loop (tests run several apps): it closes its own at shutdown
            # Left by an event loop that has stopped: closed on it if it can still run.
            del self._async_engines[loop]
            if loop.is_closed():
                engine.sync_engine.dispose(close=False)
            else:
                loop.run_until_complete(engine.dispose())
        self.commit_batch()
        if self._checkpointer is not None:
            self._stop.set()
            self._checkpointer.join()
            self._checkpointer = None
        if self._inline is not None:
            self._inline.close()
            self._inline = None
        self.engine.dispose()

    def _connection(self) -> Connection:
        """SQLite: the process's one connection (opened again if it was lost)."""
        connection = self._inline
        if connection is None or connection.closed or connection.invalidated:
            connection = self._inline = self.engine.connect()
            connection.info[_DATABASE] = self
            # PRAGMA data_version compares only within one connection: the first transaction on the
            # new one must clear the caches, as on the first connection.
            self._data_version = None
        return connection

    def _run_inline(self, work: Callable[[Connection], T], *, write: bool) -> T:
        connection = self._connection()
        try:
            return self._run_on_driver(connection, work, write=write)
        except BaseException:
            if connection.invalidated:
                self._inline = None
            raise

    def _begin(self, driver: Any, *, write: bool) -> None:
        if driver.in_transaction:  # left open by a failure that could not be cleaned up: start afresh
            driver.rollback()
        try:
            # Writers take the write lock up front: another process's writer then waits (busy_timeout)
            # instead of failing halfway with SQLITE_BUSY when a read lock cannot be upgraded.
            driver_call(driver, "BEGIN IMMEDIATE" if write else "BEGIN")
            self._notice_other_writers(driver)
        except DBAPIError:
            if driver.in_transaction:
                driver.rollback()
            raise

    def _run_on_driver(self, connection: Connection, work: Callable[[Connection], T], *, write: bool) -> T:
        """SQLite: the transaction is begun and ended on the driver, which costs a few microseconds
        where SQLAlchemy's begin and commit cost tens. A statement run through SQLAlchemy inside it
        makes SQLAlchemy begin its own transaction on top, which `db/engine.py` turns into no
        statement (the driver is already in one); it is then ended through SQLAlchemy."""
        driver = driver_of(connection)
        self._begin(driver, write=write)
        try:
            result = work(connection)
            end(connection, driver, commit=True)
        except BaseException:
            _rolled_back(connection)
            # SQLAlchemy's transaction too, if it began one (even one whose commit failed).
            end(connection, driver, commit=False)
            raise
        connection.info.pop(_ON_ROLLBACK, None)
        return result

    def _run(self, connection: Connection, work: Callable[[Connection], T], *, write: bool) -> T:
        if not write:
            # PostgreSQL: a read is one snapshot, however many statements it takes (a profile, then
            # its connections; a page, its count, their connections), so that it never shows half of
            # an update that committed in between. The pool resets the mode when the connection goes back.
            # Not READ ONLY: authentication may record a token's use (accounts/service.py).
            connection.execution_options(isolation_level="REPEATABLE READ")
        try:
            with connection.begin():
                try:
                    result = work(connection)
                except DBAPIError as error:
                    # Lost before COMMIT was sent: the server rolled the transaction back, so running
                    # it again on a new connection does it once. A failed COMMIT's outcome is unknown.
                    error.lost_before_commit = error.connection_invalidated  # type: ignore[attr-defined]
                    raise
        except BaseException:
            _rolled_back(connection)
            raise
        connection.info.pop(_ON_ROLLBACK, None)
        return result

    def _notice_other_writers(self, driver: Any) -> None:
        version = driver.execute("PRAGMA data_version").fetchone()[0]
        if version != self._data_version:
            # Another process committed (or this is the first look): nothing cached can be trusted.
            self._data_version = version
            for cache in self._caches.values():
                cache.clear()


ATTEMPTS = 3
_SQLITE_PRIMARY_KEY_TAKEN = re.compile(r"UNIQUE constraint failed: \w+\.id$")


def _worth_retrying(error: DBAPIError) -> bool:
    """PostgreSQL's deadlock and serialization failures (the transaction was chosen to give way),
    and a new primary key already taken: ids are drawn per process (`domain/ids.py`), so two
    processes can, rarely, draw the same one; the retry draws another."""
    cause = error.orig
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate in ("40001", "40P01"):
        return True
    if sqlstate == "23505":
        constraint = getattr(getattr(cause, "diag", None), "constraint_name", None) or ""
        return constraint.startswith("pk_")
    return isinstance(error, IntegrityError) and bool(_SQLITE_PRIMARY_KEY_TAKEN.search(str(cause)))


def _lost_before_commit(error: DBAPIError) -> bool:
    """The connection dropped (a restarted server, a terminated backend) before the work committed."""
    return bool(getattr(error, "lost_before_commit", False))


def database_of(connection: Connection) -> Database:
    database: Database = connection.info[_DATABASE]
    return database


def wrote(connection: Connection, table: str) -> None:
    """The request's work writes `table`: the caches read from it are cleared (a rollback leaves them
    empty, which costs a read)."""
    database_of(connection).tables_changed(table)


def on_rollback(connection: Connection, callback: Callable[[], None]) -> None:
    """Run `callback` if the current request's work is rolled back (never if it commits)."""
    connection.info.setdefault(_ON_ROLLBACK, []).append(callback)


def _rolled_back(connection: Connection) -> None:
    for callback in connection.info.pop(_ON_ROLLBACK, ()):
        callback()
