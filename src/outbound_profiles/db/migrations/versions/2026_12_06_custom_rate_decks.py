"""custom rate decks: a profile names its own deck in effect; at most one per profile

Revision ID: 0012
Revises: 0011
Created: 2026-12-06 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_IN_EFFECT = "profile_id IS NOT NULL AND state = 'in_effect'"


def upgrade() -> None:
    # No foreign key: rate_decks.profile_id already points the other way (and cascades); the
    # service sets both in one transaction.
    # In place on both databases: a batch copy of outbound_profiles would run its foreign keys'
    # ON DELETE actions on SQLite (connections are detached, decks deleted).
    op.add_column("outbound_profiles", sa.Column("rate_deck_id", sa.BigInteger(), nullable=True))
    op.create_index(
        "uq_rate_decks_profile_in_effect",
        "rate_decks",
        ["profile_id"],
        unique=True,
        sqlite_where=sa.text(_IN_EFFECT),
        postgresql_where=sa.text(_IN_EFFECT),
    )


def downgrade() -> None:
    op.drop_index("uq_rate_decks_profile_in_effect", table_name="rate_decks")
    op.drop_column("outbound_profiles", "rate_deck_id")  # in place (SQLite 3.35+), as in upgrade
