"""Importing the default rate deck: all of it or nothing, without holding up the servers.

The rows are written under a new deck id while the deck before it stays in effect. On SQLite they
are first staged in the import's own temporary tables, then copied in prefix order (the primary
key's) in chunks of short transactions, so a server's writes wait at most one chunk for the write
lock. On PostgreSQL they are COPYed into a staging table and inserted sorted, in one transaction
that holds up no one (the rows are new). Only once every row is in does one short transaction put the new
deck in effect and retire the old one; the old one's rows are deleted afterwards, again in chunks.
A file with any problem is refused whole: what was written of it is deleted and nothing else
changed. An import whose process died leaves an `importing` deck that no server reads; the next
import deletes it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import TypeVar

from sqlalchemy import Connection

from outbound_profiles.db.database import Database
from outbound_profiles.domain.ids import new_id
from outbound_profiles.domain.timestamps import now
from outbound_profiles.rating import repository
from outbound_profiles.rating.parse import DeckParser, Problem

T = TypeVar("T")

DELETE_CHUNK_ROWS = 50_000
COPY_CHUNK_ROWS = 50_000
# An import still `importing` after this long is taken for one whose process died.
ABANDONED_AFTER = timedelta(hours=6)


class DeckRefused(Exception):
    """The file has problems; nothing was changed."""

    def __init__(self, problems: list[Problem], more: int, rows: int) -> None:
        super().__init__(f"the rate deck has {len(problems) + more} problems; nothing was changed")
        self.problems = problems
        self.more = more
        self.rows = rows


@dataclass(frozen=True, slots=True)
class Imported:
    deck_id: int
    rows: int
    replaced: int | None  # the deck it took the place of
    seconds: float


def import_default_deck(database: Database, lines: Iterable[str], *, chunk_rows: int | None = None) -> Imported:
    """Read a deck's CSV from `lines` and put it in effect as the default deck, or raise
    `DeckRefused` naming every problem (then nothing changed)."""
    started = time.perf_counter()
    discard_abandoned(database)
    deck_id = new_id()
    database.run_sync(lambda c: repository.create_deck(c, deck_id, now()), write=True)
    parser = DeckParser() if chunk_rows is None else DeckParser(chunk_rows=chunk_rows)
    try:
        if database.is_sqlite:
            written = _write_on_sqlite(database, deck_id, parser, lines, chunk_rows or COPY_CHUNK_ROWS)
        else:
            written = database.run_sync(_once(partial(_write_on_postgres, deck_id, parser, lines)), write=True)
        replaced = database.run_sync(lambda c: repository.put_in_effect(c, deck_id, written, now()), write=True)
    except BaseException:
        discard(database, deck_id)
        raise
    if replaced is not None:
        discard(database, replaced)
    return Imported(deck_id, written, replaced, time.perf_counter() - started)


def _write_on_sqlite(database: Database, deck_id: int, parser: DeckParser, lines: Iterable[str], chunk: int) -> int:
    """Stage the file in the connection's temporary tables (no lock on the database), then copy it
    into the deck in prefix order, a chunk per short write transaction."""
    try:
        for rows in parser.chunks(lines):
            # write=False: it writes only the connection's own temporary database.
            database.run_sync(partial(repository.sqlite_stage, rows=rows), write=False)
        if parser.failed:
            raise DeckRefused(parser.problems, parser.more_problems, parser.rows)
        count = database.run_sync(repository.sqlite_sort_staged, write=False)
        for start in range(0, count, chunk):
            stop = min(start + chunk, count)
            database.run_sync(
                partial(repository.sqlite_copy_sorted, deck_id=deck_id, start=start, stop=stop), write=True
            )
        return count
    finally:
        database.run_sync(repository.sqlite_drop_staged, write=False)


def _write_on_postgres(deck_id: int, parser: DeckParser, lines: Iterable[str], connection: Connection) -> int:
    """COPY the file into a staging table, then into the deck sorted, in one transaction: the new
    rows are no one else's, so it holds nothing up, and a refused file leaves no row at all."""
    repository.postgres_begin_staging(connection)
    for rows in parser.chunks(lines):
        repository.postgres_stage(connection, rows)
    if parser.failed:
        raise DeckRefused(parser.problems, parser.more_problems, parser.rows)
    return repository.postgres_copy_staged(connection, deck_id)


def _once(work: Callable[[Connection], T]) -> Callable[[Connection], T]:
    """`work` that consumes the file: run again after a failure, it would see only what is left of
    it, so it refuses to (the import fails instead of storing part of a deck)."""
    runs = 0

    def run(connection: Connection) -> T:
        nonlocal runs
        runs += 1
        if runs > 1:
            raise RuntimeError("the file was read once already; run the import again")
        return work(connection)

    return run


def discard(database: Database, deck_id: int) -> None:
    """Delete a deck, its rows a chunk at a time, unless it is in effect (as it may be after all if
    the switch's COMMIT was lost on the way back)."""
    # On PostgreSQL one statement: deleting rows no one reads holds up no one.
    limit = DELETE_CHUNK_ROWS if database.is_sqlite else None
    while database.run_sync(lambda c: repository.delete_some_rows(c, deck_id, limit), write=True):
        pass
    database.run_sync(lambda c: repository.delete_deck(c, deck_id), write=True)


def discard_abandoned(database: Database) -> None:
    started_before = now() - ABANDONED_AFTER
    for deck_id in database.run_sync(lambda c: repository.decks_to_discard(c, started_before), write=False):
        discard(database, deck_id)
