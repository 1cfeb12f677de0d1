"""Group commit on SQLite: the writes of one turn of the event loop share one COMMIT.

A SQLite COMMIT costs more than a profile update's own statements (the WAL frames of every page
it touched are written out, one system call each), and a process's requests run one after
another on its one connection anyway (see `db/database.py`). So a request's work does not get a
transaction of its own: it runs inside a SAVEPOINT of the batch's transaction, which the first
write of a loop turn begins (BEGIN IMMEDIATE) and a callback it queues then commits (after the
callbacks already queued, so the requests that start in the same turn join it). Each request waits
for that COMMIT before it answers, so nothing is acknowledged before it is durable, and a request
that fails rolls back to its savepoint alone.

- A read that starts while a batch is open joins it (it may see what the batch wrote) and waits
  for the same COMMIT, so no answer shows state that could still be rolled back. A read that only
  fills a cache kept by this process's writes runs at once when the batch has written none of the
  cache's tables (`Batch.written`): all it can see is committed.
- A write of one statement (`Database.write(..., one_statement=True)`) runs without a savepoint:
  SQLite undoes a failed statement by itself. A failure that ends the transaction (a full disk, an
  I/O error), there or in a read run at once, fails the batch whole.
- A COMMIT that fails fails every request of the batch: none of them was acknowledged. The
  in-process caches are cleared then: what they took in during the batch was never committed.
- Work run synchronously (the command line, start-up) first commits an open batch.
"""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any, TypeVar

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from outbound_profiles.db.cache import Cache

T = TypeVar("T")


class Batch:
    """The open batch: each request that joined it waits on a future of its own (`waiter`), which
    the batch's end resolves. A request cancelled while it waits cancels only that future; the
    COMMIT still runs for the others (and for the cancelled request's work, already done)."""

    __slots__ = ("_waiters", "connection", "cursor", "driver", "info", "loop", "written")

    def __init__(self, loop: asyncio.AbstractEventLoop, connection: Connection, driver: Any) -> None:
        self.loop = loop
        self.connection = connection  # the one its transaction is on
        self.driver = driver  # its sqlite3 connection
        self.cursor = driver.cursor()  # for the savepoint statements
        self.info = connection.info
        self._waiters: list[asyncio.Future[None]] = []
        self.written: set[str] = set()  # the tables its requests said they wrote (`table_written`)

    def waiter(self) -> asyncio.Future[None]:
        waiter: asyncio.Future[None] = self.loop.create_future()
        self._waiters.append(waiter)
        return waiter

    def settle(self, error: BaseException | None = None) -> None:
        """Let the requests answer: committed (no `error`), or failed with `error`."""
        if self.loop.is_closed():
            return  # no request is left to answer
        for waiter in self._waiters:
            if waiter.done():
                continue  # its request was cancelled
            if error is None:
                waiter.set_result(None)
            else:
                waiter.set_exception(error)

    def unwritten(self, cache: Cache[Any, Any]) -> bool:
        """None of `cache`'s tables was written in the batch, and every write of them is declared."""
        return cache.cleared_by_writes and self.written.isdisjoint(cache.depends_on) and not self.lost()

    def ended(self) -> bool:
        """Its transaction is gone: its connection was lost, or a failure ended the transaction (SQLite
        does on a full disk or an I/O error), taking its requests' writes with it."""
        return self.lost() or not self.driver.in_transaction

    def lost(self) -> bool:
        """Its connection was closed or invalidated: its transaction is gone."""
        return self.connection.closed or self.connection.invalidated


def driver_of(connection: Connection) -> Any:
    """The sqlite3 connection under a SQLAlchemy one: with pysqlite the DBAPI connection is sqlite3's
    own (read as an attribute; `driver_connection` is the same object through three calls)."""
    driver = connection.connection.dbapi_connection
    assert driver is not None
    return driver


def driver_call(driver: Any, sql: str) -> None:
    """A statement on the driver (a sqlite3 connection, or a cursor of one), its failure raised as
    SQLAlchemy's error (as Connection.execute does)."""
    try:
        driver.execute(sql)
    except sqlite3.Error as error:
        raise DBAPIError.instance(sql, None, error, sqlite3.Error) from error


def end(connection: Connection, driver: Any, *, commit: bool) -> None:
    """End the transaction begun on the driver: through SQLAlchemy if a statement made it begin
    its own on top (db/engine.py), else on the driver."""
    if not commit:
        try:
            connection.rollback()
        finally:
            if driver.in_transaction:
                driver.rollback()
        return
    if connection.in_transaction():
        connection.commit()
        return
    try:
        driver.commit()
    except sqlite3.Error as error:
        raise DBAPIError.instance("COMMIT", None, error, sqlite3.Error) from error
