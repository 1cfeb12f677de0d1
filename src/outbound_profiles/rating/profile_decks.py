"""The decks a decision rates with: the default deck, and profiles' own decks, held in memory.

A profile with its own deck (`rate_deck_id`) is rated with it, unless its `usage_payment_method` is
`tariff` (always the default deck). A profile's deck is loaded on first use, in a thread on a
connection of its own like the default deck (concurrent first uses wait for one load), and kept in
a least-recently-used store bounded by the rows held (`MAX_HELD_ROWS`): the least recently used
decks are dropped to make room, and loaded again when next needed.

A deck is immutable and known by its id, so nothing held is ever stale: a new upload is a new id.
Which id a profile uses comes with the profile (the data plane's targets, kept valid across
processes and nodes by the database's change notifications, `db/cache.py`). Should a decision
name a deck that was replaced a moment ago (its rows already deleted), the profile's deck in effect
now is loaded instead; if it has none any more, the default deck rates the call.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable
from typing import Final

from sqlalchemy import Connection

from outbound_profiles.db.database import Database
from outbound_profiles.db.engine import is_memory
from outbound_profiles.policy.decide import ProfileSnapshot, Rates
from outbound_profiles.rating import repository
from outbound_profiles.rating.deck import Deck
from outbound_profiles.rating.default_deck import DefaultDeck

logger = logging.getLogger("outbound_profiles.rating")

# What a process may hold of profiles' own decks (its memory: docs/decisions/0015).
MAX_HELD_ROWS: Final = 2_000_000


class ProfileDecks:
    __slots__ = ("_database", "_held", "_loading", "_rows", "default", "max_rows")

    def __init__(self, database: Database, default: DefaultDeck, *, max_rows: int = MAX_HELD_ROWS) -> None:
        self._database = database
        self.default = default
        self.max_rows = max_rows
        self._held: OrderedDict[int, Deck] = OrderedDict()
        self._rows = 0
        self._loading: dict[int, asyncio.Future[Deck | None]] = {}

    def current(self) -> Deck | None:
        """The default deck."""
        return self.default.current()

    async def watch(self, database: Database) -> None:
        await self.default.watch(database)

    async def for_profile(self, profile: ProfileSnapshot | None) -> Rates | None:
        """The deck in effect for `profile`: its own unless it pays by tariff, else the default."""
        if profile is None or profile.tariff or profile.rate_deck_id is None:
            return self.default.current()
        deck = self._held.get(profile.rate_deck_id)
        if deck is not None:
            self._held.move_to_end(profile.rate_deck_id)
            return deck
        deck = await self._load(profile.id, profile.rate_deck_id)
        return self.default.current() if deck is None else deck

    def held(self) -> tuple[int, int]:
        """How many decks and rows are held."""
        return len(self._held), self._rows

    async def _load(self, profile_id: int, deck_id: int) -> Deck | None:
        pending = self._loading.get(deck_id)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Deck | None] = asyncio.get_running_loop().create_future()
        self._loading[deck_id] = future
        try:
            deck = await self._read(profile_id, deck_id)
            if deck is not None:
                self._hold(deck)
            future.set_result(deck)
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: the waiters, if any, get it raised
            raise
        finally:
            del self._loading[deck_id]
        return deck

    async def _read(self, profile_id: int, deck_id: int) -> Deck | None:
        def work(connection: Connection) -> Deck | None:
            deck = repository.load_deck(connection, deck_id)
            if deck is None:  # replaced or removed since the profile was read
                now_id = repository.profile_deck_id(connection, profile_id)
                deck = None if now_id is None else repository.load_deck(connection, now_id)
            return deck

        database = self._database
        if is_memory(str(database.engine.url)):
            return database.run_sync(work, write=False)
        return await asyncio.to_thread(_on_own_connection, database, work)

    def _hold(self, deck: Deck) -> None:
        if deck.deck_id in self._held:
            return
        self._held[deck.deck_id] = deck
        self._rows += len(deck)
        # The least recently used go first; a deck larger than the bound alone is still held.
        while self._rows > self.max_rows and len(self._held) > 1:
            _, dropped = self._held.popitem(last=False)
            self._rows -= len(dropped)
        logger.info("custom rate deck %s loaded: %d rows (%d rows held)", deck.deck_id, len(deck), self._rows)


def _on_own_connection(database: Database, work: Callable[[Connection], Deck | None]) -> Deck | None:
    with database.engine.connect() as connection:
        if not database.is_sqlite:
            connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            return work(connection)
