"""A server's copy of the default rate deck: read per call with no I/O, replaced whole in the background.

`current()` is what rating a call uses: a plain attribute read, never a query. `watch()` asks the
database twice a second which deck is in effect (one indexed row), and when that changed, loads
the new deck in a thread, on a connection of its own, in one transaction (one snapshot), and only
then swaps it in: meanwhile the old deck keeps serving, and a deck is never seen half loaded. So a
`rate-decks import` on any node is in effect on every server about half a second after it commits,
plus the load's own time.

The thread keeps the event loop turning while a million rows are read and sorted (the GIL is handed
back and forth, so requests slow down but are not held up for the whole load). An in-memory SQLite
database has one connection, the requests' own, which a thread must not use: there the load runs
on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from outbound_profiles.db.database import Database
from outbound_profiles.db.engine import is_memory
from outbound_profiles.rating import repository
from outbound_profiles.rating.deck import Deck

logger = logging.getLogger("outbound_profiles.rating")
WATCH_INTERVAL_S = 0.5


class DefaultDeck:
    __slots__ = ("_deck",)

    def __init__(self, deck: Deck | None = None) -> None:
        self._deck = deck

    def current(self) -> Deck | None:
        """The default deck in effect as last loaded; None until one was imported and loaded."""
        return self._deck

    async def refresh(self, database: Database) -> bool:
        """Load the default deck if another is now in effect; whether the copy changed."""
        deck_id = await database.read(repository.default_deck_id)
        held = self._deck
        if deck_id == (None if held is None else held.deck_id):
            return False
        if deck_id is None:
            self._deck = None
            return True
        if is_memory(str(database.engine.url)):
            deck = database.run_sync(lambda c: repository.load_deck(c, deck_id), write=False)
        else:
            deck = await asyncio.to_thread(load_on_own_connection, database, deck_id)
        if deck is None:
            return False  # replaced again while it loaded: the next refresh loads the newer one
        self._deck = deck
        logger.info("rate deck %s in effect: %d rows", deck.deck_id, len(deck))
        return True

    async def watch(
        self, database: Database, interval: float = WATCH_INTERVAL_S, *, stop: asyncio.Event | None = None
    ) -> None:
        """Refresh every `interval` seconds until `stop` is set (or the task is cancelled); a failed
        refresh is logged and tried again. Setting `stop` ends it between two refreshes, so no query
        is cut off halfway (at shutdown, set it and await the task)."""
        stop = stop or asyncio.Event()
        while not stop.is_set():
            try:
                await self.refresh(database)
            except Exception:
                logger.exception("the default rate deck could not be refreshed; the one held keeps serving")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)


def load_on_own_connection(database: Database, deck_id: int) -> Deck | None:
    """`deck_id`, whole, read in one transaction on a connection no other thread uses."""
    with database.engine.connect() as connection:
        if not database.is_sqlite:
            connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            return repository.load_deck(connection, deck_id)
