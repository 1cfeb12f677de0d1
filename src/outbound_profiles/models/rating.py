from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, PrimaryKeyConstraint, String, Table, text

from outbound_profiles.models.base import UtcDateTime, metadata

# A rate deck: the operator's default one (profile_id null), or a profile's own. A deck is
# written whole while `importing`, then put `in_effect` in one short transaction that retires the
# one before it (rating/repository.py); a retired deck's rows are deleted after the switch.
rate_decks = Table(
    "rate_decks",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("profile_id", BigInteger, ForeignKey("outbound_profiles.id", ondelete="CASCADE"), nullable=True),
    Column("state", String(16), nullable=False),  # importing, in_effect, retired
    Column("row_count", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("in_effect_at", UtcDateTime, nullable=True),
    # At most one default deck in effect, whatever two importers do at the same moment.
    Index(
        "uq_rate_decks_default_in_effect",
        "state",
        unique=True,
        sqlite_where=text("profile_id IS NULL AND state = 'in_effect'"),
        postgresql_where=text("profile_id IS NULL AND state = 'in_effect'"),
    ),
    Index("ix_rate_decks_profile_id", "profile_id"),
    # At most one custom deck in effect per profile (migration 0012).
    Index(
        "uq_rate_decks_profile_in_effect",
        "profile_id",
        unique=True,
        sqlite_where=text("profile_id IS NOT NULL AND state = 'in_effect'"),
        postgresql_where=text("profile_id IS NOT NULL AND state = 'in_effect'"),
    ),
)

# One row per prefix of a deck. Money is decimal text, exact and the same on every database.
rate_deck_rows = Table(
    "rate_deck_rows",
    metadata,
    Column("deck_id", BigInteger, ForeignKey("rate_decks.id", ondelete="CASCADE"), nullable=False),
    Column("prefix", String(15), nullable=False),
    Column("country", String(2), nullable=False),  # "" for a non-geographic prefix
    Column("rate", String(20), nullable=False),  # USD a minute
    Column("connect_fee", String(20), nullable=False),  # USD a call
    Column("initial_increment", Integer, nullable=False),  # seconds
    Column("subsequent_increment", Integer, nullable=False),  # seconds
    PrimaryKeyConstraint("deck_id", "prefix"),
    # SQLite: the rows live in the primary key's tree, not in a rowid table plus an index beside it.
    sqlite_with_rowid=False,
)
