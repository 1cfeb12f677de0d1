from __future__ import annotations

import uuid

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String, Table

from outbound_profiles.models.base import UtcDateTime, metadata

users = Table(
    "users",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("email", String(255), nullable=False, unique=True),
    Column("concurrent_call_limit", Integer, nullable=True),
    Column("default_cps", Integer, nullable=False),
    Column("max_cps", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    # The user's UUID, shown by API v2 as a billing group's `organization_id` (Telnyx: `format: uuid`).
    # Made on insert when the statement does not give one. (NOT NULL in the database on PostgreSQL
    # only: see the migration 2026_12_06_organization_id.)
    Column("organization_id", String(36), nullable=False, default=lambda: str(uuid.uuid4())),
    Index("uq_users_organization_id", "organization_id", unique=True),
    # Set by `users disable`: the user's tokens no longer authenticate (cleared by `users enable`).
    Column("disabled_at", UtcDateTime, nullable=True),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(32), primary_key=True),
    # Null for a switch token: it belongs to the operator, not to a tenant.
    Column("user_id", BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True),
    # sha256 of the secret part; the token itself is shown once and never stored.
    Column("secret_hash", String(64), nullable=False),
    # "tenant" (the API of one user) or "switch" (the data plane, for every tenant).
    Column("kind", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
    # When the token last authenticated a request, to within `accounts.service.LAST_USED_RESOLUTION_S`.
    Column("last_used_at", UtcDateTime, nullable=True),
)
