from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, ForeignKey, Index, Integer, String, Table

from outbound_profiles.models.base import UtcDateTime, metadata

# A connection points at its profile, so "at most one outbound profile per connection"
# is the shape of the data, and attaching is one conditional UPDATE that cannot race.
connections = Table(
    "connections",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("user_id", BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("connection_name", String(255), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("outbound_profile_id", BigInteger, ForeignKey("outbound_profiles.id"), nullable=True, index=True),
    # Order within the profile's `connections`: the order in which they were attached.
    Column("attach_position", Integer, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_connections_user_id_id", "user_id", "id"),
)
