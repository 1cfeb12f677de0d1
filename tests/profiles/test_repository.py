"""`repository.save` writes the columns it is given, and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, insert, select, update

from outbound_profiles.accounts.account import Account
from outbound_profiles.db.database import Database
from outbound_profiles.models import outbound_profiles, users
from outbound_profiles.profiles import repository
from outbound_profiles.profiles.model import new_profile, to_row

_AT = datetime(2026, 11, 27, 1, 2, 3, tzinfo=UTC)
_ACCOUNT = Account(1, "u@example.com", None, 100, 1000)


def _stored(database: Database, write: Any) -> Any:
    """Insert profile 10 with name "stored", set its name behind the service's back, run `write`, read it back."""

    def work(connection: Connection) -> Any:
        connection.execute(
            insert(users).values(id=1, email=_ACCOUNT.email, default_cps=100, max_cps=1000, created_at=_AT)
        )
        connection.execute(insert(outbound_profiles).values(to_row(new_profile(10, _ACCOUNT, {"name": "stored"}, _AT))))
        connection.execute(update(outbound_profiles).values(name="set directly"))
        write(connection, to_row(new_profile(10, _ACCOUNT, {"name": "saved", "ports": 5}, _AT)))
        return connection.execute(select(outbound_profiles)).one()

    return database.run_sync(work, write=True)


def test_a_save_writes_only_the_columns_named(database: Database) -> None:
    row = _stored(database, lambda c, values: repository.save(c, values, ["ports"]))

    assert (row.ports, row.name) == (5, "set directly")


def test_a_save_of_every_writable_column_writes_them_all(database: Database) -> None:
    row = _stored(database, lambda c, values: repository.save(c, values, repository.WRITABLE))

    assert (row.ports, row.name) == (5, "saved")


def test_past_the_statement_limit_a_save_writes_every_writable_column(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(repository, "_saves", {})
    monkeypatch.setattr(repository, "_MAX_SAVE_STATEMENTS", 0)

    row = _stored(database, lambda c, values: repository.save(c, values, ["ports"]))

    assert (row.ports, row.name) == (5, "saved")


@pytest.mark.parametrize("column", ["id", "user_id", "created_at", "no_such_column"])
def test_a_save_refuses_a_column_that_is_not_writable(database: Database, column: str) -> None:
    with pytest.raises(ValueError, match=column):
        _stored(database, lambda c, values: repository.save(c, values, ["ports", column]))
