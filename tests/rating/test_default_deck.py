"""A server's copy of the default deck follows imports made elsewhere, and is never half a deck."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from outbound_profiles.config import Settings
from outbound_profiles.db.database import Database
from outbound_profiles.db.engine import build_engine
from outbound_profiles.db.migrate import upgrade
from outbound_profiles.rating import service
from outbound_profiles.rating.default_deck import DefaultDeck
from tests.cli.helpers import run
from tests.rating.helpers import deck_lines


async def eventually(condition: Callable[[], bool], timeout: float = 10.0) -> float:
    """Seconds until `condition` held (fails after `timeout`)."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout, "the condition never held"
        await asyncio.sleep(0.01)
    return time.monotonic() - started


def test_refresh_loads_a_new_deck_and_only_then(database: Database) -> None:
    held = DefaultDeck()

    async def scenario() -> None:
        assert await held.refresh(database) is False
        assert held.current() is None
        imported = service.import_default_deck(database, deck_lines(10))

        assert await held.refresh(database) is True
        deck = held.current()
        assert deck is not None
        assert deck.deck_id == imported.deck_id
        assert len(deck) == 10
        assert await held.refresh(database) is False
        assert held.current() is deck  # not loaded again
        await database.close_connections()

    asyncio.run(scenario())


def test_a_watching_server_takes_a_deck_imported_by_the_command_and_keeps_it_through_a_refused_one(
    database: Database, settings: Settings, tmp_path: Path
) -> None:
    held = DefaultDeck()
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text("".join(deck_lines(2_000, rate="0.02")))
    bad.write_text("".join(deck_lines(2_000, rate="0.03")) + "1,US,minus one\n")

    async def scenario() -> None:
        stop = asyncio.Event()
        watcher = asyncio.create_task(held.watch(database, interval=0.05, stop=stop))
        try:
            result = await asyncio.to_thread(
                run, settings.database_url, "rate-decks", "import", str(good), cwd=tmp_path
            )
            assert result.returncode == 0, result.stderr
            await eventually(lambda: held.current() is not None)
            deck = held.current()
            assert deck is not None
            assert len(deck) == 2_000
            match = deck.match("10000011234")
            assert match is not None
            assert str(match.rate) == "0.02"

            result = await asyncio.to_thread(run, settings.database_url, "rate-decks", "import", str(bad), cwd=tmp_path)
            assert result.returncode == 1
            await asyncio.sleep(0.3)  # several refreshes
            assert held.current() is deck
        finally:
            stop.set()
            await watcher
            await database.close_connections()

    asyncio.run(scenario())


def test_the_old_deck_serves_while_the_new_one_loads(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    held = DefaultDeck()
    first = service.import_default_deck(database, deck_lines(5, rate="0.01"))

    async def scenario() -> None:
        await held.refresh(database)
        second = service.import_default_deck(database, deck_lines(5, rate="0.02"))
        from outbound_profiles.rating import default_deck

        load = default_deck.load_on_own_connection
        seen_while_loading = []

        def slow_load(db: Database, deck_id: int) -> object:
            seen_while_loading.append(held.current())
            time.sleep(0.2)
            return load(db, deck_id)

        monkeypatch.setattr(default_deck, "load_on_own_connection", slow_load)
        refreshing = asyncio.create_task(held.refresh(database))
        await asyncio.sleep(0.05)
        current = held.current()
        assert current is not None
        assert current.deck_id == first.deck_id
        assert await refreshing is True
        current = held.current()
        assert current is not None
        assert current.deck_id == second.deck_id
        assert [d.deck_id for d in seen_while_loading if d is not None] == [first.deck_id]
        await database.close_connections()

    asyncio.run(scenario())


def test_an_in_memory_database_loads_on_the_event_loop() -> None:
    database = Database(build_engine(Settings(database_url="sqlite:///:memory:")))
    upgrade(database.engine)
    held = DefaultDeck()
    try:
        service.import_default_deck(database, deck_lines(3))
        assert asyncio.run(held.refresh(database)) is True
        deck = held.current()
        assert deck is not None
        assert len(deck) == 3
    finally:
        database.dispose()
