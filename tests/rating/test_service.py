"""Importing the default deck on SQLite and PostgreSQL: in effect only once whole, all or nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from outbound_profiles.db.database import Database
from outbound_profiles.domain.timestamps import now
from outbound_profiles.models import rate_deck_rows, rate_decks
from outbound_profiles.rating import repository, service
from outbound_profiles.rating.parse import StoredRow
from tests.rating.helpers import deck_lines, failing_after


def counts(database: Database) -> tuple[int, int]:
    """How many decks and rows are stored, whatever their state."""

    def work(connection: Connection) -> tuple[int, int]:
        decks = connection.execute(select(func.count()).select_from(rate_decks)).scalar_one()
        rows = connection.execute(select(func.count()).select_from(rate_deck_rows)).scalar_one()
        return decks, rows

    return database.run_sync(work, write=False)


def test_an_import_puts_the_deck_in_effect_and_a_second_replaces_it(database: Database) -> None:
    assert database.run_sync(repository.load_default_deck, write=False) is None

    first = service.import_default_deck(database, deck_lines(50, rate="0.01"), chunk_rows=7)
    deck = database.run_sync(repository.load_default_deck, write=False)

    assert first.rows == 50
    assert first.replaced is None
    assert deck is not None
    assert deck.deck_id == first.deck_id
    assert len(deck) == 50
    found = deck.match("10000071234")
    assert found is not None
    assert (found.prefix, found.rate, found.initial_increment) == ("1000007", Decimal("0.01"), 6)

    second = service.import_default_deck(database, deck_lines(30, rate="0.02"))
    deck = database.run_sync(repository.load_default_deck, write=False)

    assert second.replaced == first.deck_id
    assert deck is not None
    assert deck.deck_id == second.deck_id
    assert len(deck) == 30
    assert database.run_sync(repository.default_deck_id, write=False) == second.deck_id
    assert counts(database) == (1, 30)  # the old deck and its rows are gone


def test_a_bad_deck_changes_nothing(database: Database) -> None:
    good = service.import_default_deck(database, deck_lines(20))
    bad = [*deck_lines(40, rate="0.5"), "1000003,US,0.5\n", "12,XX,0.1\n"]

    with pytest.raises(service.DeckRefused) as refused:
        service.import_default_deck(database, bad, chunk_rows=5)

    assert [str(p) for p in refused.value.problems] == [
        "line 42, column 1 (prefix): prefix 1000003 is already on line 5",
        "line 43, column 2 (country): 'XX' is not an ISO 3166-1 alpha-2 country code (leave it empty for none)",
    ]
    assert database.run_sync(repository.default_deck_id, write=False) == good.deck_id
    assert counts(database) == (1, 20)
    deck = database.run_sync(repository.load_default_deck, write=False)
    assert deck is not None
    assert len(deck) == 20


def test_a_file_that_fails_halfway_changes_nothing(database: Database) -> None:
    good = service.import_default_deck(database, deck_lines(20))

    with pytest.raises(OSError, match="disk"):
        service.import_default_deck(database, failing_after(deck_lines(100), 60), chunk_rows=10)

    assert database.run_sync(repository.default_deck_id, write=False) == good.deck_id
    assert counts(database) == (1, 20)


def test_an_import_abandoned_long_ago_is_cleared_by_the_next(database: Database) -> None:
    abandoned, recent = 11, 12

    def leave_imports(connection: Connection) -> None:
        repository.create_deck(connection, abandoned, now() - timedelta(days=1))
        repository.create_deck(connection, recent, now())  # perhaps still running on another node
        row = StoredRow("1", "US", "0.01", "0", 60, 60)
        repository.write_rows(connection, deck_id=abandoned, rows=[row])
        repository.write_rows(connection, deck_id=recent, rows=[row])

    database.run_sync(leave_imports, write=True)
    imported = service.import_default_deck(database, deck_lines(5))

    ids = database.run_sync(lambda c: set(c.execute(select(rate_decks.c.id)).scalars()), write=False)
    assert ids == {imported.deck_id, recent}


def test_a_deck_missing_rows_is_not_loaded(database: Database) -> None:
    imported = service.import_default_deck(database, deck_lines(10))
    database.run_sync(lambda c: repository.delete_some_rows(c, imported.deck_id, 3), write=True)

    # Rows of a deck in effect are never deleted...
    assert counts(database) == (1, 10)

    def half_delete(connection: Connection) -> None:
        connection.execute(rate_deck_rows.delete().where(rate_deck_rows.c.prefix.in_(["1000001", "1000002"])))

    database.run_sync(half_delete, write=True)

    # ...but should some go, the deck is not served short of them.
    assert database.run_sync(repository.load_default_deck, write=False) is None


def test_discard_leaves_the_deck_in_effect_alone(database: Database) -> None:
    imported = service.import_default_deck(database, deck_lines(10))

    service.discard(database, imported.deck_id)

    assert database.run_sync(repository.default_deck_id, write=False) == imported.deck_id
    assert counts(database) == (1, 10)


def test_the_database_allows_one_default_deck_in_effect(database: Database) -> None:
    service.import_default_deck(database, deck_lines(3))

    def second_in_effect(connection: Connection) -> None:
        connection.execute(
            insert(rate_decks).values(id=99, profile_id=None, state="in_effect", row_count=0, created_at=now())
        )

    with pytest.raises(IntegrityError):
        database.run_sync(second_in_effect, write=True)


def test_a_switch_to_a_deck_no_longer_importing_is_refused(database: Database) -> None:
    imported = service.import_default_deck(database, deck_lines(3))
    database.run_sync(lambda c: repository.create_deck(c, 5, now()), write=True)
    database.run_sync(
        lambda c: c.execute(update(rate_decks).where(rate_decks.c.id == 5).values(state="retired")), write=True
    )

    with pytest.raises(LookupError, match="no longer being imported"):
        database.run_sync(lambda c: repository.put_in_effect(c, 5, 0, now()), write=True)

    assert database.run_sync(repository.default_deck_id, write=False) == imported.deck_id
