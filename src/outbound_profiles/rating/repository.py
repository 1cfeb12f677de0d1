"""Rate decks in the database: statements only; transactions are the caller's (`rating/service.py`).

Rows are written with each driver's fastest bulk path: on SQLite one prepared INSERT run over a
chunk (`executemany` on the sqlite3 connection), on PostgreSQL `COPY ... FROM STDIN` through
psycopg. A deck is read back in one transaction (one snapshot), and its row count is checked
against the one recorded when it was put in effect, so a half-deleted deck is never served.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, select, update

from outbound_profiles.db.group_commit import driver_of
from outbound_profiles.models import rate_deck_rows, rate_decks
from outbound_profiles.rating.deck import Deck, DeckBuilder
from outbound_profiles.rating.parse import StoredRow

IMPORTING, IN_EFFECT, RETIRED = "importing", "in_effect", "retired"
_COLUMNS = "deck_id, prefix, country, rate, connect_fee, initial_increment, subsequent_increment"
_DEFAULT = and_(rate_decks.c.profile_id.is_(None), rate_decks.c.state == IN_EFFECT)


def default_deck_id(connection: Connection) -> int | None:
    """The id of the default deck in effect (one indexed row: cheap enough to ask twice a second)."""
    deck_id: int | None = connection.execute(select(rate_decks.c.id).where(_DEFAULT)).scalar_one_or_none()
    return deck_id


def default_deck_summary(connection: Connection) -> dict[str, Any] | None:
    row = connection.execute(
        select(rate_decks.c.id, rate_decks.c.row_count, rate_decks.c.created_at, rate_decks.c.in_effect_at).where(
            _DEFAULT
        )
    ).one_or_none()
    if row is None:
        return None
    return {"deck_id": row.id, "rows": row.row_count, "created_at": row.created_at, "in_effect_at": row.in_effect_at}


def create_deck(connection: Connection, deck_id: int, now: datetime) -> None:
    connection.execute(
        insert(rate_decks).values(id=deck_id, profile_id=None, state=IMPORTING, row_count=0, created_at=now)
    )


def write_rows(connection: Connection, *, deck_id: int, rows: list[StoredRow]) -> None:
    if connection.dialect.name == "sqlite":
        driver_of(connection).executemany(
            f"INSERT INTO rate_deck_rows ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",  # noqa: S608 (constant)
            [(deck_id, *row) for row in rows],
        )
        return
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY rate_deck_rows ({_COLUMNS}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row((deck_id, *row))


def put_in_effect(connection: Connection, deck_id: int, row_count: int, now: datetime) -> int | None:
    """Make `deck_id` the default deck; the id of the one it replaces (now retired), if any."""
    replaced = default_deck_id(connection)
    if replaced is not None:
        connection.execute(update(rate_decks).where(rate_decks.c.id == replaced).values(state=RETIRED))
    changed = connection.execute(
        update(rate_decks)
        .where(rate_decks.c.id == deck_id, rate_decks.c.state == IMPORTING)
        .values(state=IN_EFFECT, row_count=row_count, in_effect_at=now)
    ).rowcount
    if changed != 1:
        raise LookupError(f"rate deck {deck_id} is no longer being imported")
    return replaced


def delete_some_rows(connection: Connection, deck_id: int, limit: int) -> int:
    """Delete up to `limit` of a deck's rows (a short transaction each); how many were deleted."""
    some = select(rate_deck_rows.c.prefix).where(rate_deck_rows.c.deck_id == deck_id).limit(limit)
    result = connection.execute(
        delete(rate_deck_rows).where(
            rate_deck_rows.c.deck_id == deck_id, rate_deck_rows.c.prefix.in_(some), _not_in_effect(deck_id)
        )
    )
    return int(result.rowcount)


def delete_deck(connection: Connection, deck_id: int) -> None:
    """The deck itself, once `delete_some_rows` has left it no rows (else the foreign key cascades)."""
    connection.execute(delete(rate_decks).where(rate_decks.c.id == deck_id, rate_decks.c.state != IN_EFFECT))


def _not_in_effect(deck_id: int) -> Any:
    return rate_deck_rows.c.deck_id.in_(
        select(rate_decks.c.id).where(rate_decks.c.id == deck_id, rate_decks.c.state != IN_EFFECT)
    )


def decks_to_discard(connection: Connection, started_before: datetime) -> list[int]:
    """Default decks left behind: retired ones, and imports that began before `started_before`
    and never finished (their process died)."""
    rows = connection.execute(
        select(rate_decks.c.id).where(
            rate_decks.c.profile_id.is_(None),
            (rate_decks.c.state == RETIRED)
            | and_(rate_decks.c.state == IMPORTING, rate_decks.c.created_at < started_before),
        )
    )
    return [deck_id for (deck_id,) in rows]


def count_rows(connection: Connection, deck_id: int) -> int:
    count: int = connection.execute(
        select(func.count()).select_from(rate_deck_rows).where(rate_deck_rows.c.deck_id == deck_id)
    ).scalar_one()
    return count


def load_deck(connection: Connection, deck_id: int) -> Deck | None:
    """The deck `deck_id` if it is whole (all the rows it was put in effect with), else None."""
    expected = connection.execute(
        select(rate_decks.c.row_count).where(rate_decks.c.id == deck_id, rate_decks.c.state == IN_EFFECT)
    ).scalar_one_or_none()
    if expected is None:
        return None
    builder = DeckBuilder()
    add = builder.add_stored
    for row in _stored_rows(connection, deck_id):
        add(row)
    if len(builder) != expected:
        return None
    return builder.finish(deck_id)


def load_default_deck(connection: Connection) -> Deck | None:
    """The default deck in effect, loaded whole; None if there is none. Run it in one transaction."""
    deck_id = default_deck_id(connection)
    return None if deck_id is None else load_deck(connection, deck_id)


_SELECT_ROWS = (
    "SELECT prefix, country, rate, connect_fee, initial_increment, subsequent_increment "
    "FROM rate_deck_rows WHERE deck_id = "
)


def _stored_rows(connection: Connection, deck_id: int) -> Iterable[tuple[str, str, str, str, int, int]]:
    """The deck's rows as plain tuples, straight from the driver (SQLAlchemy's rows cost more than
    the deck's own work for a million of them)."""
    if connection.dialect.name == "sqlite":
        cursor = driver_of(connection).execute(_SELECT_ROWS + "?", (deck_id,))
        yield from cursor
        return
    # A server-side cursor: the rows come in batches instead of all at once into the client.
    cursor = connection.connection.driver_connection.cursor(name="rate_deck_rows")  # type: ignore[union-attr]
    cursor.itersize = 10_000
    try:
        cursor.execute(_SELECT_ROWS + "%s", (deck_id,))
        yield from cursor
    finally:
        cursor.close()
