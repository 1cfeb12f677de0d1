from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeAlias

from sqlalchemy import JSON, DateTime, MetaData, Row, TypeDecorator
from sqlalchemy.engine import Dialect

from outbound_profiles.domain.timestamps import iso8601

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC, whatever the database keeps."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is UTC:
            return value
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def bind_processor(self, dialect: Dialect) -> Callable[[datetime | None], Any] | None:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        return _sqlite_text


def _sqlite_text(value: datetime | None) -> str | None:
    """The text SQLAlchemy's SQLite DATETIME stores, "2026-11-27 04:05:06.123456" (UTC), for a
    fraction of what `process_bind_param` and that type's processor (a dict, a format) cost."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetimes are not stored")
    text = iso8601(value)  # 2026-11-27T04:05:06.123456Z, in UTC (through msgspec: faster than isoformat)
    return f"{text[:10]} {text[11:26]}"


def json_list() -> Any:
    """A JSON array column (JSONB on PostgreSQL)."""
    from sqlalchemy.dialects.postgresql import JSONB

    return JSON().with_variant(JSONB(), "postgresql")


# A result row of any shape (SQLAlchemy's Row is generic over its column types).
Record: TypeAlias = Row[*tuple[Any, ...]]
