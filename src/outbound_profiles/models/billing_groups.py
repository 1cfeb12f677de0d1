from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, String, Table

from outbound_profiles.models.base import UtcDateTime, metadata

billing_groups = Table(
    "billing_groups",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(255), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_billing_groups_user_id_created_at", "user_id", "created_at", "id"),
)
