"""Importing the default rate deck: all of it or nothing, without holding up the servers.

The rows are written under a new deck id, in chunks of short transactions, while the deck before
it stays in effect: a server's writes wait at most one chunk for SQLite's write lock, and a
PostgreSQL reader never waits. Only once every row is in does one short transaction put the new
deck in effect and retire the old one; the old one's rows are deleted afterwards, again in chunks.
A file with any problem is refused whole: what was written of it is deleted and nothing else
changed. An import whose process died leaves an `importing` deck that no server reads; the next
import deletes it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from outbound_profiles.db.database import Database
from outbound_profiles.domain.ids import new_id
from outbound_profiles.domain.timestamps import now
from outbound_profiles.rating import repository
from outbound_profiles.rating.parse import DeckParser, Problem

DELETE_CHUNK_ROWS = 50_000
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
    written = 0
    try:
        for chunk in parser.chunks(lines):
            database.run_sync(partial(repository.write_rows, deck_id=deck_id, rows=chunk), write=True)
            written += len(chunk)
        if parser.failed:
            raise DeckRefused(parser.problems, parser.more_problems, parser.rows)
        replaced = database.run_sync(lambda c: repository.put_in_effect(c, deck_id, written, now()), write=True)
    except BaseException:
        discard(database, deck_id)
        raise
    if replaced is not None:
        discard(database, replaced)
    return Imported(deck_id, written, replaced, time.perf_counter() - started)


def discard(database: Database, deck_id: int) -> None:
    """Delete a deck, its rows a chunk at a time, unless it is in effect (as it may be after all if
    the switch's COMMIT was lost on the way back)."""
    while database.run_sync(lambda c: repository.delete_some_rows(c, deck_id, DELETE_CHUNK_ROWS), write=True):
        pass
    database.run_sync(lambda c: repository.delete_deck(c, deck_id), write=True)


def discard_abandoned(database: Database) -> None:
    started_before = now() - ABANDONED_AFTER
    for deck_id in database.run_sync(lambda c: repository.decks_to_discard(c, started_before), write=False):
        discard(database, deck_id)
