from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, PrimaryKeyConstraint, String, Table

from outbound_profiles.models.base import UtcDateTime, metadata

# What a copied resource was called where it came from (a Telnyx account, an export file), so that
# copying again updates it instead of making another. `kind` names the source and the resource,
# e.g. `telnyx:outbound_voice_profile`; `local_id` is the resource's id here, as the API shows it.
external_references = Table(
    "external_references",
    metadata,
    Column("user_id", BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("external_id", String(255), nullable=False),
    Column("local_id", String(64), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("user_id", "kind", "external_id"),
)
