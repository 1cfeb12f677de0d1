"""Call records: a tenant's ended calls, one page at a time (JSON) or all of them as streamed CSV.

A CSV download of any size holds one chunk of records in memory at a time: it reads `CHUNK_ROWS`
records after the last one sent (a keyset read), each chunk in its own short read transaction, so
no transaction stays open while the client downloads. Every read takes only the records that had
ended when the request began (`as_of`); records do not change once ended, so the file is the same
however long the download takes, and holds as many records as `X-Total-Count` says.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Connection

from outbound_profiles.accounts.account import Account
from outbound_profiles.cdrs import repository
from outbound_profiles.cdrs.repository import Filters
from outbound_profiles.cdrs.schemas import FIELDS, CdrOut
from outbound_profiles.db.database import Database
from outbound_profiles.domain.money import format_micros
from outbound_profiles.domain.timestamps import iso8601
from outbound_profiles.http.pagination import Page
from outbound_profiles.models.base import Record

# Records per read of a CSV download: a few hundred KiB of text, and a few milliseconds of the
# event loop per read on SQLite (where reads run inline).
CHUNK_ROWS = 2_000


def render(row: Record) -> CdrOut:
    return CdrOut(*shown(row))


# The members a caller of the tenant's can choose (call id and numbers come from the SIP request).
_SENT_BY_THE_SWITCH: Final = tuple(FIELDS.index(name) for name in ("call_id", "to", "from"))
# What starts a formula: the signs, a tab or a carriage return, and the full-width signs some locales
# read as the signs.
_FORMULA_START: Final = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")
# Digits, spaces, brackets, dots and signs: arithmetic at most, with no function or reference to run.
_PLAIN_NUMBER: Final = re.compile(r"[+-]?[0-9 ().+-]*")


def shown(row: Record) -> tuple[Any, ...]:
    """A record's members as the API shows them, in `CdrOut`'s order (the CSV writes them as they are)."""
    # Unpacked by position (the repository's column order): a million records' worth of attribute
    # lookups by name cost more than rendering them.
    (call_id, profile_id, connection_id, group_id, to, caller, country, started_at, ended_at, duration, billed, rate,
     connect_fee, cost, end_reason) = row  # fmt: skip
    return (
        call_id,
        str(profile_id),
        str(connection_id),
        group_id,
        to,
        caller,
        country,
        iso8601(started_at),
        iso8601(ended_at),
        duration,
        billed,
        rate,
        connect_fee,
        None if cost is None else format_micros(cost),
        end_reason,
    )


def list_page(
    connection: Connection, account: Account, filters: Filters, as_of: datetime, page: Page
) -> tuple[list[CdrOut], int]:
    rows = repository.page(connection, account.id, filters, as_of, offset=page.offset, limit=page.size)
    return [render(row) for row in rows], repository.count(connection, account.id, filters, as_of)


@dataclass(frozen=True, slots=True)
class Download:
    """What a CSV download needs to go on after its first read (which authenticated the caller)."""

    user_id: int
    filters: Filters
    as_of: datetime
    total: int
    first: Sequence[Record]
    whole: bool  # every matching record, read on in chunks; else `first` is the one page asked for


def start_download(
    connection: Connection, account: Account, filters: Filters, as_of: datetime, page: Page | None
) -> Download:
    """The first read of a CSV download: how many records match, and the first chunk (or the page)."""
    total = repository.count(connection, account.id, filters, as_of)
    if page is not None:
        first = repository.page(connection, account.id, filters, as_of, offset=page.offset, limit=page.size)
    else:
        first = repository.after(connection, account.id, filters, as_of, None, CHUNK_ROWS)
    return Download(account.id, filters, as_of, total, first, whole=page is None)


async def csv_chunks(database: Database, download: Download) -> AsyncIterator[bytes]:
    """The CSV text, header first, one chunk of records at a time."""
    yield (",".join(FIELDS) + "\n").encode()
    rows, download = download.first, replace(download, first=())  # the first chunk is not kept to the end
    while rows:
        yield csv_text(rows)
        if not download.whole or len(rows) < CHUNK_ROWS:
            return
        last = (rows[-1].started_at, rows[-1].call_id)
        rows = ()  # the chunk sent is let go before the next one is read
        rows = await database.read(_chunk_after(download, last))


def _chunk_after(download: Download, last: tuple[datetime, str]) -> Callable[[Connection], Sequence[Record]]:
    return lambda c: repository.after(c, download.user_id, download.filters, download.as_of, last, CHUNK_ROWS)


def csv_text(rows: Sequence[Record]) -> bytes:
    """Records as CSV lines, the fields as the JSON shows them (RFC 4180 quoting; null is empty), but
    for what the switch sent that a spreadsheet would run as a formula (`inert`)."""
    out = io.StringIO()
    write = csv.writer(out, lineterminator="\n").writerow
    for row in rows:
        values = list(shown(row))
        for at in _SENT_BY_THE_SWITCH:
            values[at] = inert(values[at])
        write(values)
    return out.getvalue().encode()


def inert(value: str | None) -> str | None:
    """`value` as a spreadsheet cannot run it: if it would be read as a formula (past any leading
    spaces, which a spreadsheet may trim, it starts with =, +, -, @, their full-width forms, a tab or
    a carriage return) and is not a plain number such as +12025550123 or +1 (202) 555-0123, with a
    leading apostrophe."""
    if not value:
        return value
    start = value.lstrip()
    if start and start[0] in _FORMULA_START and not _PLAIN_NUMBER.fullmatch(start):
        return "'" + value
    return value
