"""`UtcDateTime` on SQLite stores exactly the text SQLAlchemy's own DATETIME stores, in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import DateTime
from sqlalchemy.dialects import sqlite

from outbound_profiles.models.base import UtcDateTime

_DIALECT = sqlite.dialect()


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 11, 27, 4, 5, 6, 123456, tzinfo=UTC),
        datetime(2026, 11, 27, 4, 5, 6, tzinfo=UTC),  # no fraction: still six zeros
        datetime(999, 1, 2, tzinfo=UTC),  # a year of three digits: padded
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 11, 27, 23, 5, 6, 1, tzinfo=timezone(timedelta(hours=-5))),  # the next day in UTC
        datetime(2026, 11, 27, 4, 5, 6, 7, tzinfo=timezone.utc),  # noqa: UP017 (UTC by another name)
    ],
)
def test_a_timestamp_is_stored_as_sqlalchemy_stores_its_utc_time(value: datetime) -> None:
    ours = UtcDateTime().dialect_impl(_DIALECT).bind_processor(_DIALECT)
    sqlalchemy = DateTime(timezone=True).dialect_impl(_DIALECT).bind_processor(_DIALECT)
    assert ours is not None
    assert sqlalchemy is not None

    assert ours(value) == sqlalchemy(value.astimezone(UTC))


def test_none_is_null_and_a_naive_timestamp_is_refused() -> None:
    ours = UtcDateTime().dialect_impl(_DIALECT).bind_processor(_DIALECT)
    assert ours is not None

    assert ours(None) is None
    with pytest.raises(ValueError, match="naive"):
        ours(datetime(2026, 11, 27))
