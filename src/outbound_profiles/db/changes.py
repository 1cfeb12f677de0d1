"""PostgreSQL: the changes other transactions commit, as they commit, for the in-process caches.

Triggers on the tables the caches hold (migration 0010) send `pg_notify(CHANNEL, '<table>:<id>')`
for each row a statement changed, or `'<table>'` once for a statement that changed many rows (an
import) or emptied the table. PostgreSQL delivers a notification when its transaction commits, and
not at all if it rolls back.

Each process keeps one connection of its own (autocommit, outside the pool) that LISTENs on the
channel from a task of its event loop, and hands every notification to `changed`. When that
connection is lost, notifications may have been missed: `lost` is called at once (the Database
disables its caches), and the listener connects again, with a growing pause between attempts;
once it LISTENs again, `listening` is called (the Database enables the caches again, empty).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import suppress
from typing import Any

from sqlalchemy.engine import URL

CHANNEL = "outbound_profiles_changes"
# How long the listener waits for a notification before it checks that its connection still
# answers (a link that died silently shows no error until something is sent on it).
PING_AFTER_S = 5.0
PING_TIMEOUT_S = 5.0
FIRST_RETRY_S = 0.05
LAST_RETRY_S = 2.0

log = logging.getLogger(__name__)


def conninfo(url: URL) -> str:
    """libpq's connection string for a SQLAlchemy URL, with TCP keepalives, so a peer that vanished is
    noticed within seconds even between pings."""
    plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
    separator = "&" if "?" in plain else "?"
    return (
        f"{plain}{separator}connect_timeout=5&keepalives=1&keepalives_idle=5&keepalives_interval=2"
        "&keepalives_count=3&application_name=outbound-profiles-listener"
    )


class Listener:
    """The LISTEN connection of one event loop, run by `run` until cancelled."""

    def __init__(
        self,
        url: URL,
        *,
        changed: Callable[[str], None],
        lost: Callable[[], None],
        listening: Callable[[], None],
    ) -> None:
        self._conninfo = conninfo(url)
        self._changed = changed
        self._lost = lost
        self._listening = listening
        self.first_attempt = asyncio.Event()  # set once the first connection attempt ended, either way
        self.backend_pid: int | None = None  # the listening connection's server process

    async def run(self) -> None:
        pause = FIRST_RETRY_S
        while True:
            try:
                connection = await self._connect()
            except Exception as error:
                self.first_attempt.set()
                log.warning("cannot listen for database changes (caches off; retry in %.2f s): %s", pause, error)
                await asyncio.sleep(pause)
                pause = min(pause * 2, LAST_RETRY_S)
                continue
            pause = FIRST_RETRY_S
            try:
                self._listening()
                self.first_attempt.set()
                await self._receive(connection)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("lost the connection that listens for database changes (caches off): %s", error)
            finally:
                self.backend_pid = None
                self._lost()
                await _close(connection)

    async def _connect(self) -> Any:
        import psycopg  # only on PostgreSQL (an optional dependency)

        connection = await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True)
        try:
            await connection.execute(f"LISTEN {CHANNEL}")
        except BaseException:
            await _close(connection)
            raise
        self.backend_pid = connection.info.backend_pid
        return connection

    async def _receive(self, connection: Any) -> None:
        while True:
            async for notification in connection.notifies(timeout=PING_AFTER_S):
                self._changed(notification.payload)
            # LISTEN again as the ping: a no-op that leaves the connection's last query (pg_stat_activity)
            # saying what it is for. Notifications that arrive meanwhile are kept for the next round.
            await asyncio.wait_for(connection.execute(f"LISTEN {CHANNEL}"), PING_TIMEOUT_S)


async def _close(connection: Any) -> None:
    with suppress(Exception):  # already broken: nothing more to release
        await connection.close()
