from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, ForeignKey, Index, Integer, SmallInteger, String, Table

from outbound_profiles.models.base import UtcDateTime, json_list, metadata

outbound_profiles = Table(
    "outbound_profiles",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("user_id", BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(255), nullable=True),
    Column("traffic_type", SmallInteger, nullable=False),
    Column("service_plan", SmallInteger, nullable=False),
    Column("cps_limit", Integer, nullable=False),
    Column("cps_limit_increase", Integer, nullable=False),
    Column("ports", Integer, nullable=True),
    Column("translation_rule", String(255), nullable=True),
    Column("active", Boolean, nullable=False),
    Column("tag_list", json_list(), nullable=False),
    Column("usage_payment_method", String(16), nullable=False),
    Column("whitelisted_destination_format", String(16), nullable=False),
    # ISO 3166-1 alpha-2 codes in the order first given; shown in any format on the way out.
    Column("whitelisted_destinations", json_list(), nullable=False),
    # USD per minute as decimal text: exact, and the same on every database.
    Column("max_destination_rate", String(40), nullable=True),
    Column("call_recording_type", String(32), nullable=False),
    Column("call_recording_phone_numbers", json_list(), nullable=False),
    Column("call_recording_format", String(8), nullable=False),
    Column("call_recording_channels", String(8), nullable=False),
    Column("daily_spend_limit_cents", BigInteger, nullable=True),
    Column("daily_spend_limit_enabled", Boolean, nullable=False),
    Column("billing_group_id", String(36), ForeignKey("billing_groups.id"), nullable=True, index=True),
    # The calling window (API v2): UTC "HH:MM:SS" times, all null when the profile has none.
    Column("calling_window_start_time", String(8), nullable=True),
    Column("calling_window_end_time", String(8), nullable=True),
    Column("calling_window_calls_per_cld", Integer, nullable=True),
    # The profile's own rate deck in effect (rate_decks.id), null: the default deck. Set with the
    # deck, in the same transaction, which also bumps `version` (rating/custom_decks.py).
    Column("rate_deck_id", BigInteger, nullable=True),
    # Bumped by every change: the basis of ETags and of cache invalidation.
    Column("version", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_outbound_profiles_user_id_id", "user_id", "id"),
    Index("ix_outbound_profiles_user_id_created_at", "user_id", "created_at", "id"),
    # On PostgreSQL `name` in this index has COLLATE "C" (migration 0004): names sort by code point.
    Index("ix_outbound_profiles_user_id_name", "user_id", "name", "id"),
)
