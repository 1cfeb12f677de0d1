"""One transaction per request.

A request's work is a plain function of a Connection. `Database.write` and `Database.read` open
the transaction, run it, and commit on success or roll back on any error, so a request that
fails changes nothing. Services only execute statements; they never commit.

On SQLite the function runs inline on the event loop, on one connection the process keeps open:
it never awaits, so the process's transactions run one after another (SQLite has one writer
anyway) and a write costs tens of microseconds instead of a thread hop and a pool checkout. The
requests of one turn of the event loop share one COMMIT, each in a savepoint of its own (unless it
writes with one statement) and each answered only once that COMMIT is done (`db/group_commit.py`).
On PostgreSQL the function runs on the event loop too, on a pooled connection of the asynchronous
driver (psycopg), where row locks order writers; a read runs in a REPEATABLE READ transaction, one
snapshot for all its statements. `run_sync` (the command line, tests) runs the same function on a
synchronous connection.

The Database also keeps the in-process caches valid (see `db/cache.py`): `start_watching` looks for
other processes' commits from the event loop (SQLite's `PRAGMA data_version`, PostgreSQL's
notifications, `db/changes.py`), and `on_change` lets other components hear of them too.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
import threading
from collections.abc import Callable, Coroutine
from contextlib import suppress
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

from outbound_profiles.db.cache import ALL, Cache, Clock
from outbound_profiles.db.changes import Listener
from outbound_profiles.db.engine import async_engine_like, is_memory, is_sqlite
from outbound_profiles.db.group_commit import Batch, driver_call, driver_of, end

logger = logging.getLogger("outbound_profiles.db")
T = TypeVar("T")
_ON_ROLLBACK = "outbound_profiles.on_rollback"
_DATABASE = "outbound_profiles.database"
_SINCE = "outbound_profiles.since"
_AFTER = "outbound_profiles.after"
# How often a SQLite process looks for another process's commit between its own transactions.
WATCH_INTERVAL_S = 0.25
# How often SQLite's WAL is checkpointed: a checkpoint's fsyncs take as long as what it copies, and
# requests wait meanwhile, so small ones often (decision 5).
CHECKPOINT_INTERVAL_S = 0.1
CHECKPOINT_FAILURE_LOG_S = 60.0  # while checkpoints keep failing, how often that is logged again


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
        self._pools: WeakKeyDictionary[asyncio.AbstractEventLoop, _Pool] = WeakKeyDictionary()
        self._clock = Clock()
        self._listening = False  # PostgreSQL: the listener is connected, so the caches may be used
        self._listener: Listener | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._subscribers: list[_Subscriber] = []

    def cache(
        self,
        name: str,
        *,
        depends_on: tuple[str, ...] = (),
        keyed_by: str | None = None,
        parse_key: Callable[[str], Any] = str,
        max_entries: int = 100_000,
        cleared_by_writes: bool = False,
    ) -> Cache[Any, Any]:
        """The named cache of this database (created on first use). `depends_on`: the tables whose
        change in another process makes it stale; `keyed_by`: the one of them whose row id, read
        with `parse_key`, is the key (see `Cache`). On PostgreSQL it is disabled while no listener
        is connected (`start_watching`)."""
        existing = self._caches.get(name)
        if existing is None:
            existing = self._caches[name] = Cache(
                name,
                max_entries=max_entries,
                enabled=self.is_sqlite or self._listening,
                clock=self._clock,
                depends_on=depends_on,
                keyed_by=keyed_by,
                parse_key=parse_key,
                cleared_by_writes=cleared_by_writes,
            )
        return existing

    def caches_of(self, table: str) -> list[Cache[Any, Any]]:
        """The caches this process's writes of `table` invalidate (those made with `cleared_by_writes`)."""
        return [cache for cache in self._caches.values() if cache.cleared_by_writes and table in cache.depends_on]

    def on_change(self, tables: tuple[str, ...], callback: Callable[[], None]) -> None:
        """Call `callback` on the event loop when one of `tables` may have changed other than through
        this process's caches: on PostgreSQL, when a transaction (of any process, this one's too)
        commits a change of one, and whenever the listener (re)connects (what it missed is unknown);
        on SQLite, whenever another process has committed anything. Calls that come while one is
        pending make one call. `callback` must not use the database itself: it schedules the work."""
        self._subscribers.append(_Subscriber(frozenset(tables), callback))

    async def start_watching(self) -> None:
        """Look for other processes' commits from the running event loop until `stop_watching`: on
        SQLite every `WATCH_INTERVAL_S`, on PostgreSQL through a LISTEN connection (returns once its
        first attempt to connect has ended, so a server starts with its caches on)."""
        loop = asyncio.get_running_loop()
        watcher = self._watcher
        if watcher is not None and not watcher.done():
            if watcher.get_loop() is loop:
                return
            with suppress(RuntimeError):  # left by an event loop that stopped without shutting down
                watcher.cancel()
        self._watcher = None
        self._stopped_listening()
        if self.is_sqlite:
            if not is_memory(str(self.engine.url)):  # no other process can open an in-memory database
                self._watcher = loop.create_task(self._watch_data_version(), name="sqlite-data-version")
            return
        listener = self._listener = Listener(
            self.engine.url, changed=self._changed, lost=self._stopped_listening, listening=self._started_listening
        )
        self._watcher = loop.create_task(listener.run(), name="database-changes")
        await listener.first_attempt.wait()

    async def stop_watching(self) -> None:
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            with suppress(RuntimeError):  # its event loop is closed: nothing runs it any more
                watcher.cancel()
            if watcher.get_loop() is asyncio.get_running_loop():
                with suppress(asyncio.CancelledError):
                    await watcher
        self._listener = None
        self._stopped_listening()

    @property
    def listener_pid(self) -> int | None:
        """PostgreSQL: the server process of the LISTEN connection, while it is connected."""
        return None if self._listener is None else self._listener.backend_pid

    def _changed(self, payload: str) -> None:
        """PostgreSQL: a notification, `<table>:<id>` or `<table>` (many rows, or all)."""
        table, _, key = payload.partition(":")
        for cache in self._caches.values():
            if table not in cache.depends_on:
                continue
            if key and cache.keyed_by == table:
                try:
                    cache.invalidate(cache.parse_key(key))
                except ValueError:
                    cache.invalidate()
            else:
                cache.invalidate()
        for subscriber in self._subscribers:
            if table in subscriber.tables:
                subscriber.signal()

    def _started_listening(self) -> None:
        self._listening = True
        for cache in self._caches.values():
            cache.enable()
        for subscriber in self._subscribers:
            subscriber.signal()

    def _stopped_listening(self) -> None:
        if self.is_sqlite:
            return
        self._listening = False
        for cache in self._caches.values():
            cache.disable()

    async def _watch_data_version(self) -> None:
        while True:
            await asyncio.sleep(WATCH_INTERVAL_S)
            self._look_for_other_writers()

    def _look_for_other_writers(self) -> None:
        """SQLite: read `PRAGMA data_version` between transactions (an open batch reads it when it
        commits and the next one begins)."""
        connection = self._inline
        if self._batch is not None or connection is None or connection.closed or connection.invalidated:
            return
        driver = driver_of(connection)
        if driver.in_transaction:
            return
        try:
            version = driver.execute("PRAGMA data_version").fetchone()[0]
        except sqlite3.Error:  # the connection is failing: the next transaction finds out
            return
        self._saw_data_version(version)

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

    def write(self, work: Callable[[Connection], T], *, one_statement: bool = False) -> Coroutine[Any, Any, T]:
        """`work` in a transaction that commits before the answer. `one_statement`: all `work` writes,
        it writes with one statement, and nothing it does after that statement wrote anything can
        fail; on SQLite it then runs without a savepoint of its own (SQLite undoes a failed statement
        by itself), which costs two statements less."""
        # Not a coroutine itself: it hands over the one that does the work (one frame less per write).
        if self.is_sqlite:
            return self._batched(work, savepoint=not one_statement)
        return self._on_event_loop(work, write=True)

    async def read(self, work: Callable[[Connection], T], *, filling: tuple[Cache[Any, Any], ...] = ()) -> T:
        """`work` in a transaction that writes nothing. `filling`: the caches whose entries `work` reads
        and fills, and nothing else (caches kept by this process's writes, `cleared_by_writes`)."""
        if self.is_sqlite:
            batch = self._batch
            if batch is None:  # a read alone commits nothing and answers at once
                return self.run_sync(work, write=False)
            if filling and batch.loop is asyncio.get_running_loop() and all(map(batch.unwritten, filling)):
                # Every write of the cache's tables is declared (`table_written`) and the batch made
                # none: what `work` reads is committed, so it need not wait for the batch's COMMIT.
                try:
                    return work(batch.connection)
                except BaseException as error:
                    if batch.ended():
                        self._fail_batch(error)  # it took the batch's writes with it (as in `_run_in_batch`)
                    raise
            # It may see the batch's writes: it joins the batch and waits for its COMMIT.
            return await self._batched(work)
        if self._listening:
            # The caches are kept valid: a read they answer whole needs no connection, no transaction.
            try:
                return work(_MemoryOnly(self))  # type: ignore[arg-type]
            except _NeedsDatabase:
                pass  # it needed a statement before it did anything else: run it on the database
        return await self._on_event_loop(work, write=False)

    async def _on_event_loop(self, work: Callable[[Connection], T], *, write: bool) -> T:
        """PostgreSQL: `work` on the event loop, on the asynchronous driver. `work` is the same plain
        function as everywhere: each statement it runs suspends the request (SQLAlchemy's greenlet
        bridge) while PostgreSQL answers, and other requests run meanwhile; no thread, no GIL hand-off.

        Requests take the pool's connections in the order they asked (`_Pool.turns`), and keep their
        turn through a retry."""
        pool = self._pool()
        async with pool.turns:
            for attempt in range(1, ATTEMPTS + 1):
                try:
                    async with pool.engine.connect() as connection:
                        return await connection.run_sync(self._run_here, work, write)
                except DBAPIError as error:
                    if attempt == ATTEMPTS or not (_worth_retrying(error) or _lost_before_commit(error)):
                        raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _run_here(self, connection: Connection, work: Callable[[Connection], T], write: bool) -> T:
        connection.info[_DATABASE] = self
        return self._run(connection, work, write=write)

    def _pool(self) -> _Pool:
        """The asynchronous engine of the running event loop and its requests' turns: a driver
        connection belongs to the loop that opened it (a server has one loop; tests may run several)."""
        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is None:
            pool = self._pools[loop] = _Pool(async_engine_like(self.engine))
        return pool

    async def _batched(self, work: Callable[[Connection], T], *, savepoint: bool = True) -> T:
        """SQLite: `work` in the loop turn's batch (in a savepoint of its own unless told it needs
        none), answered after the batch's COMMIT."""
        batch = self._batch
        if batch is not None and batch.loop is not asyncio.get_running_loop():
            self.commit_batch()  # left open by an event loop that stopped before its COMMIT
            batch = None
        batch = batch or self._open_batch()
        committed = batch.waiter()
        try:
            result = self._run_in_savepoint(batch, work) if savepoint else self._run_in_batch(batch, work)
        finally:
            await committed
        return result

    def _open_batch(self) -> Batch:
        connection = self._connection()
        driver = driver_of(connection)
        self._begin(driver, write=True, info=connection.info)
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
            # each page a write touches, so a batch of n open ones costs n² (decision 8).
            self._savepoint(cursor, "RELEASE request")
            # Should the batch fail as a whole, every cache is cleared (`_fail_batch`).
            batch.info.pop(_ON_ROLLBACK, None)
            return result
        raise AssertionError("unreachable")  # pragma: no cover

    def _run_in_batch(self, batch: Batch, work: Callable[[Connection], T]) -> T:
        """`work` that writes with one statement at most (`write(one_statement=True)`): should that
        statement fail, SQLite has undone it, and the batch's transaction goes on without it; unless
        the failure ended the transaction itself (SQLite's answer to a full disk or an I/O error,
        say), which then fails the batch whole, as a failed savepoint statement does."""
        if batch.lost():
            error = DBAPIError("SAVEPOINT", None, Exception("the batch's connection was lost"))
            self._fail_batch(error)
            raise error
        connection = batch.connection
        for attempt in range(1, ATTEMPTS + 1):
            try:
                result = work(connection)
            except BaseException as error:
                _rolled_back(connection)
                if batch.ended():
                    self._fail_batch(error)
                    raise
                if isinstance(error, DBAPIError) and attempt < ATTEMPTS and _worth_retrying(error):
                    continue
                raise
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
            cache.invalidate()
        batch.settle(error)

    def start_checkpoints(self, interval: float = CHECKPOINT_INTERVAL_S) -> None:
        """Checkpoint SQLite's WAL from a background thread, so no request waits for its fsync."""
        # An in-memory database has no WAL, and its one connection is the requests' own.
        if not self.is_sqlite or self._checkpointer is not None or is_memory(self.engine.url):
            return
        self._stop.clear()
        self._checkpointer = threading.Thread(
            target=self._checkpoint_loop, args=(interval,), name="sqlite-checkpoints", daemon=True
        )
        self._checkpointer.start()

    def _checkpoint_loop(self, interval: float) -> None:
        failures = 0  # in a row
        with self.engine.connect() as connection:
            driver = driver_of(connection)
            while not self._stop.wait(interval):
                try:
                    # PASSIVE never blocks writers: it copies what it can and leaves the rest for next time.
                    driver.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error:
                    # A failed checkpoint (a full disk, say) is tried again; dying would leave the
                    # checkpoints to the requests' own commits. Logged at the first failure and
                    # then once a minute, not ten times a second.
                    if failures % max(1, round(CHECKPOINT_FAILURE_LOG_S / interval)) == 0:
                        logger.exception(
                            "a WAL checkpoint failed (%d in a row); trying again every %g s", failures + 1, interval
                        )
                    failures += 1
                else:
                    if failures:
                        logger.warning("WAL checkpoints succeed again, after %d failures", failures)
                    failures = 0

    async def close_connections(self) -> None:
        """Close the asynchronous driver's connections of the running event loop (at shutdown)."""
        pool = self._pools.pop(asyncio.get_running_loop(), None)
        if pool is not None:
            await pool.engine.dispose()

    def dispose(self) -> None:
        for loop, pool in list(self._pools.items()):
            if loop.is_running():
                continue  # another thread's loop (tests run several apps): it closes its own at shutdown
            # Left by an event loop that has stopped: closed on it if it can still run.
            del self._pools[loop]
            if loop.is_closed():
                pool.engine.sync_engine.dispose(close=False)
            else:
                loop.run_until_complete(pool.engine.dispose())
        self.commit_batch()
        self._stopped_listening()
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

    def _begin(self, driver: Any, *, write: bool, info: dict[Any, Any]) -> None:
        if driver.in_transaction:  # left open by a failure that could not be cleaned up: start afresh
            driver.rollback()
        try:
            # Writers take the write lock up front: another process's writer then waits (busy_timeout)
            # instead of failing halfway with SQLITE_BUSY when a read lock cannot be upgraded.
            driver_call(driver, "BEGIN IMMEDIATE" if write else "BEGIN")
            self._notice_other_writers(driver)
            info[_SINCE] = self._clock.now
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
        self._begin(driver, write=write, info=connection.info)
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
        # Before the first statement, so before the snapshot: what it reads may be cached only if
        # nothing it reads was invalidated after this (see db/cache.py).
        connection.info[_SINCE] = self._clock.now
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
        finally:
            # Even if it failed: a COMMIT whose answer was lost may have committed.
            for callback in connection.info.pop(_AFTER, ()):
                callback()
        connection.info.pop(_ON_ROLLBACK, None)
        return result

    def _notice_other_writers(self, driver: Any) -> None:
        self._saw_data_version(driver.execute("PRAGMA data_version").fetchone()[0])

    def _saw_data_version(self, version: int) -> None:
        if version == self._data_version:
            return
        # Another process committed (or this is the first look): nothing cached can be trusted.
        self._data_version = version
        for cache in self._caches.values():
            cache.invalidate()
        for subscriber in self._subscribers:
            subscriber.signal()


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


def table_written(connection: Connection, table: str, key: Any = ALL) -> None:
    """The request's work writes `table`'s row `key` (any rows, by default): the caches that depend on
    it but are not kept entry by entry by their writers (the data plane's) drop that row's entry when
    they are keyed by `table`, else everything (a rollback leaves them without, which costs a read).
    Every write of such a table must say so: the caches, and the reads that fill them during a batch
    (`Database.read`), rely on it."""
    database = database_of(connection)
    if database._batch is not None:
        database._batch.written.add(table)
    for cache in database.caches_of(table):
        changed(connection, cache, key if cache.keyed_by == table else ALL)


def on_rollback(connection: Connection, callback: Callable[[], None]) -> None:
    """Run `callback` if the current request's work is rolled back (never if it commits)."""
    connection.info.setdefault(_ON_ROLLBACK, []).append(callback)


def _rolled_back(connection: Connection) -> None:
    for callback in connection.info.pop(_ON_ROLLBACK, ()):
        callback()


def fill(connection: Connection, cache: Cache[Any, Any], key: Any, value: Any) -> None:
    """Cache `value`, read in the current transaction, unless `key` changed since it started."""
    cache.put(key, value, connection.info.get(_SINCE))


def wrote(connection: Connection, cache: Cache[Any, Any], key: Any, value: Any) -> None:
    """The current transaction has just written `value` under `key`.

    SQLite: cached at once (the requests that share a commit see each other's writes, the cache
    included, and none answers before that commit); taken out again if the work rolls back.
    PostgreSQL: other requests run meanwhile on other connections and must not see it before it
    commits; the entry is invalidated when the transaction ends (`changed`)."""
    if database_of(connection).is_sqlite:
        cache.put(key, value)
        on_rollback(connection, lambda: cache.discard(key))
    else:
        changed(connection, cache, key)


def changed(connection: Connection, cache: Cache[Any, Any], key: Any = ALL) -> None:
    """The current transaction changes what `cache` holds under `key` (anything, by default).

    On PostgreSQL the entry is invalidated again once the transaction has ended: a request on
    another connection that read the old state meanwhile may have put it back, and its
    notification may come only after this process has answered."""
    if key is ALL:
        cache.clear()
    else:
        cache.discard(key)
    if not database_of(connection).is_sqlite:
        connection.info.setdefault(_AFTER, []).append(lambda: cache.invalidate(key))


class _NeedsDatabase(BaseException):
    """A read tried from memory alone asked for more than the caches (a BaseException, so that no
    `except Exception` of the read's own takes it for one of its errors)."""


class _MemoryOnly:
    """What a read tried from the caches alone gets for a connection (PostgreSQL, while they are kept
    valid): the same `info` a real one has, its dialect, and nothing else. Any other use means the
    read needs the database, before it has done anything, and it is run again on a real connection.
    What it answers is what a read on a connection answers from the same caches."""

    __slots__ = ("dialect", "info")

    def __init__(self, database: Database) -> None:
        self.dialect = database.engine.dialect
        self.info: dict[str, Any] = {_DATABASE: database, _SINCE: database._clock.now}

    def __getattr__(self, name: str) -> Any:
        raise _NeedsDatabase(name)


class _Pool:
    """PostgreSQL: the asynchronous engine of one event loop, and the turns of the requests waiting
    for its connections.

    SQLAlchemy's pool hands a returned connection to whichever request asks next, and a request
    arriving at that moment takes it ahead of those already waiting, which then queue again at the
    back: under load a few wait many times the rest. `turns` lets in at most as many requests as the
    pool holds connections, strictly in the order they came (asyncio's semaphore hands a released
    turn to the longest waiting), so the pool itself never has a request waiting."""

    __slots__ = ("engine", "turns")

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        pool = engine.sync_engine.pool
        self.turns = asyncio.Semaphore(pool.size() if isinstance(pool, QueuePool) else 1)


class _Subscriber:
    """An `on_change` callback, called once for all the signals that came while it was pending."""

    __slots__ = ("callback", "pending", "tables")

    def __init__(self, tables: frozenset[str], callback: Callable[[], None]) -> None:
        self.tables = tables
        self.callback = callback
        self.pending = False

    def signal(self) -> None:
        if self.pending:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # a synchronous caller (the command line): no loop to call it from
            self.callback()
            return
        self.pending = True
        loop.call_soon(self._call)

    def _call(self) -> None:
        self.pending = False
        self.callback()
