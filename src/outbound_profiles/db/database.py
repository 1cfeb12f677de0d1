"""One transaction per request.

A request's work is a plain function of a Connection. `Database.write` and `Database.read` open
the transaction, run it, and commit on success or roll back on any error, so a request that
fails changes nothing. Services only execute statements; they never commit.

On SQLite the function runs inline on the event loop: it never awaits, so the process's
transactions run one after another (SQLite has one writer anyway) and a write costs tens of
microseconds instead of a thread hop. On PostgreSQL it runs in a worker thread, where row locks
order concurrent writers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import anyio.to_thread
from sqlalchemy import Connection, Engine

from outbound_profiles.db.engine import is_sqlite

T = TypeVar("T")


class Database:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.is_sqlite = is_sqlite(str(engine.url))

    def run_sync(self, work: Callable[[Connection], T], *, write: bool) -> T:
        with self.engine.connect() as connection:
            if write:
                connection = connection.execution_options(write=True)
            with connection.begin():
                return work(connection)

    async def write(self, work: Callable[[Connection], T]) -> T:
        if self.is_sqlite:
            return self.run_sync(work, write=True)
        return await anyio.to_thread.run_sync(lambda: self.run_sync(work, write=True))

    async def read(self, work: Callable[[Connection], T]) -> T:
        if self.is_sqlite:
            return self.run_sync(work, write=False)
        return await anyio.to_thread.run_sync(lambda: self.run_sync(work, write=False))

    def dispose(self) -> None:
        self.engine.dispose()
