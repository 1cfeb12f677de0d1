from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, String, Table

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
    # Set by `users disable`: the user's tokens no longer authenticate (cleared by `users enable`).
    Column("disabled_at", UtcDateTime, nullable=True),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("user_id", BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    # sha256 of the secret part; the token itself is shown once and never stored.
    Column("secret_hash", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
    # When the token last authenticated a request, to within `accounts.service.LAST_USED_RESOLUTION_S`.
    Column("last_used_at", UtcDateTime, nullable=True),
)
