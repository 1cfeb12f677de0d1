"""A `Prepared` statement stores exactly what `Connection.execute` of the same statement stores, and
reads what it reads."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from outbound_profiles.accounts.account import Account
from outbound_profiles.db.database import Database
from outbound_profiles.db.prepared import Prepared
from outbound_profiles.models import outbound_profiles, users
from outbound_profiles.profiles import repository
from outbound_profiles.profiles.model import CallingWindow, new_profile, to_row

_CREATED = datetime(2026, 11, 27, 1, 2, 3, 456789, tzinfo=UTC)
_CHANGED = {
    "name": "changed",
    "active": False,
    "tag_list": ["a", "ü"],
    "ports": 7,
    "whitelisted_destinations": ["GB"],
    "max_destination_rate": Decimal("0.125"),
    "daily_spend_limit": Decimal("12.50"),
    "daily_spend_limit_enabled": True,
    "calling_window": CallingWindow(start_time="22:00", end_time="06:00", calls_per_cld=3),
}


def raw_rows(connection: Connection) -> dict[int, tuple[Any, ...]]:
    """The stored values as the database holds them (SQLite: text, integers; no type processing)."""
    driver = connection.connection.driver_connection
    assert driver is not None
    cursor = driver.execute("SELECT * FROM outbound_profiles ORDER BY id")
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    return {row[names.index("id")]: tuple(v for n, v in zip(names, row, strict=True) if n != "id") for row in rows}


def test_an_update_run_on_the_driver_stores_what_sqlalchemy_stores(database: Database) -> None:
    account = Account(1, "u@example.com", None, 100, 1000)

    def work(connection: Connection) -> dict[int, tuple[Any, ...]]:
        connection.execute(
            insert(users).values(id=1, email=account.email, default_cps=100, max_cps=1000, created_at=_CREATED)
        )
        for profile_id in (10, 20):
            connection.execute(insert(outbound_profiles).values(to_row(new_profile(profile_id, account, {}, _CREATED))))
        later = datetime(2026, 11, 27, 5, 6, 7, 890123, tzinfo=UTC)
        for profile_id, through_sqlalchemy in ((10, False), (20, True)):
            row = to_row(new_profile(profile_id, account, _CHANGED, _CREATED)) | {"updated_at": later, "version": 2}
            if through_sqlalchemy:
                values = {k: v for k, v in row.items() if k in repository.WRITABLE}
                connection.execute(update(outbound_profiles).where(outbound_profiles.c.id == profile_id).values(values))
            else:
                repository.save(connection, row, repository.WRITABLE)
        return raw_rows(connection)

    rows = database.run_sync(work, write=True)

    assert rows[10] == rows[20]
    read_back = database.run_sync(
        lambda c: c.execute(select(outbound_profiles).where(outbound_profiles.c.id == 10)).one(), write=False
    )
    assert read_back.updated_at == datetime(2026, 11, 27, 5, 6, 7, 890123, tzinfo=UTC)
    assert read_back.tag_list == ["a", "ü"]
    assert read_back.active is False


_BY_ID = Prepared(select(outbound_profiles).where(outbound_profiles.c.id == bindparam("id")))


def test_a_select_run_on_the_driver_reads_what_sqlalchemy_reads(database: Database) -> None:
    account = Account(1, "u@example.com", None, 100, 1000)

    def work(connection: Connection) -> tuple[tuple[Any, ...] | None, tuple[Any, ...], tuple[Any, ...] | None]:
        connection.execute(
            insert(users).values(id=1, email=account.email, default_cps=100, max_cps=1000, created_at=_CREATED)
        )
        connection.execute(insert(outbound_profiles).values(to_row(new_profile(10, account, _CHANGED, _CREATED))))
        read = _BY_ID.first(connection, {"id": 10})
        expected = tuple(connection.execute(select(outbound_profiles).where(outbound_profiles.c.id == 10)).one())
        return read, expected, _BY_ID.first(connection, {"id": 11})

    read, expected, missing = database.run_sync(work, write=True)

    assert read == expected
    assert read is not None
    names = list(outbound_profiles.c.keys())
    assert read[names.index("created_at")] == _CREATED  # a timestamp, aware, not SQLite's text
    assert read[names.index("tag_list")] == ["a", "ü"]  # JSON
    assert read[names.index("active")] is False
    assert missing is None
