from __future__ import annotations

from sqlalchemy import BigInteger, Column, Date, Index, Integer, PrimaryKeyConstraint, String, Table, Text, text

from outbound_profiles.models.base import UtcDateTime, metadata

# One row per allowed call, from its authorization (active: `ended_at` null) to its end. Written
# before the switch is told "allow", so a crash of the service forgets no active call or its port.
calls = Table(
    "calls",
    metadata,
    # The switch's id for the call (a SIP Call-ID): what makes authorize and end idempotent.
    Column("call_id", String(255), primary_key=True),
    # No foreign keys: a record outlives the profile, connection or billing group it names.
    Column("user_id", BigInteger, nullable=False),
    Column("outbound_profile_id", BigInteger, nullable=False),
    Column("connection_id", BigInteger, nullable=False),
    Column("billing_group_id", String(36), nullable=True),
    Column("to_number", String(32), nullable=False),
    Column("from_number", String(64), nullable=False),
    Column("destination_country", String(2), nullable=True),
    # The deck row's tariff, as the call was authorized under it (all null when no row matched):
    # USD per minute and per call as decimal text, increments in seconds.
    Column("rate", String(40), nullable=True),
    Column("connect_fee", String(20), nullable=True),
    Column("initial_increment", Integer, nullable=True),
    Column("subsequent_increment", Integer, nullable=True),
    Column("started_at", UtcDateTime, nullable=False),
    Column("lease_expires_at", UtcDateTime, nullable=False),
    Column("last_keepalive_at", UtcDateTime, nullable=False),
    Column("max_duration_seconds", Integer, nullable=True),
    # The answer the switch was given, as JSON: a retried authorize gets it again.
    Column("decision", Text, nullable=False),
    Column("ended_at", UtcDateTime, nullable=True),
    Column("duration_seconds", Integer, nullable=True),
    Column("end_reason", String(32), nullable=True),
    # Set when the call ends (null without a rate): what it is billed, cost in millionths of a USD.
    Column("billed_seconds", Integer, nullable=True),
    Column("cost_micros", BigInteger, nullable=True),
    # Active calls: rebuilt into the counters at start-up, and swept when their lease expires.
    Index(
        "ix_calls_active_lease",
        "lease_expires_at",
        sqlite_where=text("ended_at IS NULL"),
        postgresql_where=text("ended_at IS NULL"),
    ),
    Index(
        "ix_calls_active_user",
        "user_id",
        "outbound_profile_id",
        sqlite_where=text("ended_at IS NULL"),
        postgresql_where=text("ended_at IS NULL"),
    ),
    Index("ix_calls_user_id_started_at", "user_id", "started_at"),
    Index("ix_calls_profile_started_at", "outbound_profile_id", "started_at"),
)

# Each profile's settled spend per UTC day (the day its calls started): the sum of its ended calls'
# costs, added to in the transaction that ends each call, so a decision reads one row, not a day of
# records.
daily_spend = Table(
    "daily_spend",
    metadata,
    Column("outbound_profile_id", BigInteger, nullable=False),
    Column("day", Date, nullable=False),
    Column("user_id", BigInteger, nullable=False),
    Column("settled_micros", BigInteger, nullable=False),
    Column("calls", Integer, nullable=False),  # ended calls
    PrimaryKeyConstraint("outbound_profile_id", "day"),
)
