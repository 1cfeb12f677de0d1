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
from sqlalchemy.util import await_only

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
    """`rows` straight into the deck (small decks, tests); an import goes through a staging table."""
    if connection.dialect.name == "sqlite":
        driver_of(connection).executemany(_INSERT_SQLITE, [(deck_id, *row) for row in rows])
        return
    _copy(connection, "rate_deck_rows", _COLUMNS, ((deck_id, *row) for row in rows))


_INSERT_SQLITE = f"INSERT INTO rate_deck_rows ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"  # noqa: S608 (constant)
_STAGED = "prefix, country, rate, connect_fee, initial_increment, subsequent_increment"
_STAGING_COLUMNS = (
    "(prefix TEXT, country TEXT, rate TEXT, connect_fee TEXT, initial_increment INTEGER, subsequent_increment INTEGER)"
)


# Rows written in the order of the primary key fill one page of its B-tree after another; in the
# file's order each chunk touches pages all over it. So an import stages the rows in a temporary
# table of its connection (in memory: temp_store), and copies them into the deck sorted.


def sqlite_stage(connection: Connection, rows: list[StoredRow]) -> None:
    """SQLite: append `rows` to this connection's staging table (no lock on the database: the
    temporary database is the connection's own)."""
    driver = driver_of(connection)
    driver.execute(f"CREATE TEMP TABLE IF NOT EXISTS rate_deck_staging {_STAGING_COLUMNS}")
    driver.executemany(f"INSERT INTO temp.rate_deck_staging ({_STAGED}) VALUES (?, ?, ?, ?, ?, ?)", rows)  # noqa: S608


def sqlite_sort_staged(connection: Connection) -> int:
    """SQLite: the staged rows again, sorted by prefix: rowid 1 is the first. How many there are."""
    driver = driver_of(connection)
    driver.execute("DROP TABLE IF EXISTS temp.rate_deck_sorted")
    driver.execute("CREATE TEMP TABLE rate_deck_sorted AS SELECT * FROM temp.rate_deck_staging ORDER BY prefix")
    driver.execute("DROP TABLE temp.rate_deck_staging")
    count: int = driver.execute("SELECT count(*) FROM temp.rate_deck_sorted").fetchone()[0]
    return count


def sqlite_copy_sorted(connection: Connection, *, deck_id: int, start: int, stop: int) -> None:
    """SQLite: the sorted staged rows `start` < rowid <= `stop` into the deck."""
    driver_of(connection).execute(
        f"INSERT INTO main.rate_deck_rows ({_COLUMNS}) SELECT ?, {_STAGED} FROM temp.rate_deck_sorted "  # noqa: S608
        "WHERE rowid > ? AND rowid <= ?",
        (deck_id, start, stop),
    )


def sqlite_drop_staged(connection: Connection) -> None:
    driver = driver_of(connection)
    driver.execute("DROP TABLE IF EXISTS temp.rate_deck_staging")
    driver.execute("DROP TABLE IF EXISTS temp.rate_deck_sorted")


def postgres_begin_staging(connection: Connection) -> None:
    """PostgreSQL: a staging table that lives as long as the transaction."""
    connection.exec_driver_sql(f"CREATE TEMP TABLE rate_deck_staging {_STAGING_COLUMNS} ON COMMIT DROP")


def postgres_stage(connection: Connection, rows: list[StoredRow]) -> None:
    _copy(connection, "rate_deck_staging", _STAGED, rows)


def postgres_copy_staged(connection: Connection, deck_id: int) -> int:
    """PostgreSQL: the staged rows into the deck, sorted; how many."""
    result = connection.exec_driver_sql(
        f"INSERT INTO rate_deck_rows ({_COLUMNS}) SELECT %(deck_id)s, {_STAGED} FROM rate_deck_staging "  # noqa: S608
        "ORDER BY prefix",
        {"deck_id": deck_id},
    )
    return int(result.rowcount)


def _copy(connection: Connection, table: str, columns: str, rows: Iterable[tuple[Any, ...]]) -> None:
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


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


def delete_some_rows(connection: Connection, deck_id: int, limit: int | None) -> int:
    """Delete up to `limit` of a deck's rows (all of them with None); how many were deleted."""
    condition = [rate_deck_rows.c.deck_id == deck_id, _not_in_effect(deck_id)]
    if limit is not None:
        some = select(rate_deck_rows.c.prefix).where(rate_deck_rows.c.deck_id == deck_id).limit(limit)
        condition.append(rate_deck_rows.c.prefix.in_(some))
    return int(connection.execute(delete(rate_deck_rows).where(*condition)).rowcount)


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


# --- a profile's own deck (rating/custom_decks.py): written whole in the request's transaction


def insert_custom_deck(connection: Connection, *, deck_id: int, profile_id: int, row_count: int, now: datetime) -> None:
    """A profile's deck, in effect at once: its rows are written in the same transaction."""
    connection.execute(
        insert(rate_decks).values(
            id=deck_id, profile_id=profile_id, state=IN_EFFECT, row_count=row_count, created_at=now, in_effect_at=now
        )
    )


def write_sorted_rows(connection: Connection, deck_id: int, rows: list[StoredRow]) -> None:
    """`rows` (sorted by prefix, the primary key's order) into the deck, with the driver's bulk path:
    sqlite3's `executemany`, psycopg's COPY (on the asynchronous driver of a request too)."""
    if connection.dialect.name == "sqlite":
        driver_of(connection).executemany(_INSERT_SQLITE, [(deck_id, *row) for row in rows])
        return
    if not connection.dialect.is_async:
        _copy(connection, "rate_deck_rows", _COLUMNS, ((deck_id, *row) for row in rows))
        return
    driver: Any = connection.connection.driver_connection  # psycopg's AsyncConnection

    async def copy() -> None:
        async with driver.cursor() as cursor, cursor.copy(f"COPY rate_deck_rows ({_COLUMNS}) FROM STDIN") as out:
            for row in rows:
                await out.write_row((deck_id, *row))

    await_only(copy())  # the request runs in SQLAlchemy's greenlet bridge (db/database.py)


def delete_profile_decks(connection: Connection, profile_id: int, *, keep: int | None = None) -> int:
    """Every deck of the profile but `keep`, rows and all; how many rows were deleted."""
    condition = [rate_decks.c.profile_id == profile_id]
    if keep is not None:
        condition.append(rate_decks.c.id != keep)
    decks = select(rate_decks.c.id).where(*condition)
    deleted = int(connection.execute(delete(rate_deck_rows).where(rate_deck_rows.c.deck_id.in_(decks))).rowcount)
    connection.execute(delete(rate_decks).where(*condition))
    return deleted


def profile_deck_id(connection: Connection, profile_id: int) -> int | None:
    """The id of the profile's own deck in effect, if it has one."""
    deck_id: int | None = connection.execute(
        select(rate_decks.c.id).where(rate_decks.c.profile_id == profile_id, rate_decks.c.state == IN_EFFECT)
    ).scalar_one_or_none()
    return deck_id


def deck_rows_after(
    connection: Connection, deck_id: int, after: str, limit: int = 5_000
) -> list[tuple[str, str, str, str, int, int]]:
    """Up to `limit` of the deck's rows whose prefix sorts after `after`, in that order (a download's chunk)."""
    rows = connection.execute(
        select(
            rate_deck_rows.c.prefix,
            rate_deck_rows.c.country,
            rate_deck_rows.c.rate,
            rate_deck_rows.c.connect_fee,
            rate_deck_rows.c.initial_increment,
            rate_deck_rows.c.subsequent_increment,
        )
        .where(rate_deck_rows.c.deck_id == deck_id, rate_deck_rows.c.prefix > after)
        .order_by(rate_deck_rows.c.prefix)
        .limit(limit)
    ).all()
    return [tuple(row) for row in rows]


def deck_row_count(connection: Connection, deck_id: int) -> int | None:
    """The rows a deck had when it was put in effect; None once it is gone."""
    count: int | None = connection.execute(
        select(rate_decks.c.row_count).where(rate_decks.c.id == deck_id)
    ).scalar_one_or_none()
    return count
