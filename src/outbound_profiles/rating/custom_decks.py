"""A profile's own rate deck: set whole from a CSV upload, downloaded, removed.

The file is read and checked before the request's transaction begins (`parse`, the default deck's
parser: the same format and the same problems, by line and column), so a bad deck changes nothing
and holds no lock. A good one is then written in the request's one transaction (`put`): the
profile is locked, its old deck deleted, the new deck and its rows inserted (sorted by prefix, the
primary key's order, with the driver's bulk path), and the profile saved with the new deck's id
and a new version. Every reader sees the old deck or the new one, never a mix; the profile's ETag
changes, and the data plane of every process hears of the change through the profile's row (its
targets depend on `outbound_profiles`) and rates with the new deck from then on.
"""

from __future__ import annotations

import functools
import io
from collections.abc import AsyncIterator
from operator import itemgetter

import msgspec
from sqlalchemy import Connection

from outbound_profiles.accounts.account import Account
from outbound_profiles.db.database import Database
from outbound_profiles.domain.ids import new_id
from outbound_profiles.domain.timestamps import now
from outbound_profiles.errors import ErrorCode, InvalidRequest, NotFound, Problem
from outbound_profiles.profiles import repository as profiles
from outbound_profiles.profiles import views
from outbound_profiles.profiles.model import to_row
from outbound_profiles.profiles.views import ProfileView
from outbound_profiles.rating import repository
from outbound_profiles.rating.deck import COLUMNS
from outbound_profiles.rating.parse import DeckParser, StoredRow

# A request body: 10^5 rows of a deck take 3-4 MB, a million prefixes about 35 MB. Beyond this a
# deck is the operator's business (`rate-decks import`), not a request's.
MAX_DECK_BYTES = 16 * 1024 * 1024
_SAVED = ("rate_deck_id", "version", "updated_at")


def parse(raw: bytes) -> list[StoredRow]:
    """The deck's rows sorted by prefix, or a 400 naming every problem by line and column."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise InvalidRequest(
            [Problem(ErrorCode.BAD_REQUEST, f"line {line}: the rate deck is not UTF-8 text.", line=line, column=1)]
        ) from error
    parser = DeckParser(chunk_rows=1 << 62)  # one chunk: the file is in memory already
    # Lines as a file opened with newline="" gives them to the csv module (as `rate-decks import` does).
    rows = [row for chunk in parser.chunks(io.StringIO(text, newline="")) for row in chunk]
    if parser.failed:
        problems = [Problem(ErrorCode.BAD_REQUEST, f"{p}.", line=p.line, column=p.column) for p in parser.problems]
        if parser.more_problems:
            more = f"{parser.more_problems} more problems; the rate deck was refused whole."
            problems.append(Problem(ErrorCode.BAD_REQUEST, more))
        raise InvalidRequest(problems)
    rows.sort(key=itemgetter(0))
    return rows


def check(connection: Connection, account: Account, profile_id: str) -> None:
    """The caller's profile exists (else a 404): asked before a long upload is read and parsed."""
    views.load(connection, account, profile_id)


def put(connection: Connection, account: Account, profile_id: str, rows: list[StoredRow]) -> int:
    """Make `rows` (from `parse`) the profile's deck, in place of the one it had; how many rows."""
    view = views.load(connection, account, profile_id, for_update=True)
    profile_key = view.profile.id
    at = now()
    deck_id = new_id()
    repository.delete_profile_decks(connection, profile_key)
    repository.insert_custom_deck(connection, deck_id=deck_id, profile_id=profile_key, row_count=len(rows), now=at)
    repository.write_sorted_rows(connection, deck_id, rows)
    _save(connection, view, deck_id)
    return len(rows)


def remove(connection: Connection, account: Account, profile_id: str) -> int:
    """Delete the profile's deck (the default deck applies again); how many rows it had."""
    view = views.load(connection, account, profile_id, for_update=True)
    if view.profile.rate_deck_id is None:
        raise _no_deck(profile_id)
    removed = repository.delete_profile_decks(connection, view.profile.id)
    _save(connection, view, None)
    return removed


def in_effect(connection: Connection, account: Account, profile_id: str) -> tuple[int, int]:
    """The id and row count of the deck that rates the profile's calls: its own, unless it pays by
    tariff or has none; then the operator's default deck (a 404 when there is none either)."""
    profile = views.load(connection, account, profile_id).profile
    deck_id = profile.rate_deck_id if profile.usage_payment_method != "tariff" else None
    if deck_id is None:
        deck_id = repository.default_deck_id(connection)
    count = None if deck_id is None else repository.deck_row_count(connection, deck_id)
    if deck_id is None or count is None:
        raise NotFound(f"No rate deck rates the calls of the outbound profile {profile_id!r}: none is in effect.")
    return deck_id, count


async def download(database: Database, deck_id: int, rows: int) -> AsyncIterator[bytes]:
    """A deck as CSV, header first, read in chunks in prefix order, each chunk a short read of its
    own (a default deck may have millions of rows). Should the deck be replaced, and its rows deleted,
    while it is read, the download stops short with an error, never as a file that looks whole."""
    yield (",".join(COLUMNS) + "\n").encode()
    after, sent = "", 0
    while True:
        chunk = await database.read(functools.partial(repository.deck_rows_after, deck_id=deck_id, after=after))
        if not chunk:
            break
        yield "".join(",".join(map(str, row)) + "\n" for row in chunk).encode()
        sent += len(chunk)
        after = chunk[-1][0]
    if sent != rows:
        raise RuntimeError(f"rate deck {deck_id} changed during its download: {sent} of {rows} rows sent")


def _save(connection: Connection, view: ProfileView, deck_id: int | None) -> None:
    """The profile with its deck's id, a new version (its ETag changes: it shows `custom_rate_deck`)."""
    profile = view.profile
    saved = msgspec.structs.replace(profile, rate_deck_id=deck_id, version=profile.version + 1, updated_at=now())
    profiles.save(connection, to_row(saved), _SAVED)
    views.remember(connection, ProfileView(saved, view.connections))


def _no_deck(profile_id: str) -> NotFound:
    return NotFound(f"The outbound profile {profile_id!r} has no custom rate deck; the default deck applies.")
