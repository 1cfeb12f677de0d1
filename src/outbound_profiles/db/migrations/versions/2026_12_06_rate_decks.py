"""rate decks: the operator's default deck, one row per prefix

Revision ID: 0009
Revises: 0008
Created: 2026-12-06 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_IN_EFFECT = "profile_id IS NULL AND state = 'in_effect'"


def upgrade() -> None:
    op.create_table(
        "rate_decks",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("profile_id", sa.BigInteger(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("in_effect_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["outbound_profiles.id"],
            name=op.f("fk_rate_decks_profile_id_outbound_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_decks")),
    )
    op.create_index("ix_rate_decks_profile_id", "rate_decks", ["profile_id"])
    op.create_index(
        "uq_rate_decks_default_in_effect",
        "rate_decks",
        ["state"],
        unique=True,
        sqlite_where=sa.text(_IN_EFFECT),
        postgresql_where=sa.text(_IN_EFFECT),
    )
    op.create_table(
        "rate_deck_rows",
        sa.Column("deck_id", sa.BigInteger(), nullable=False),
        sa.Column("prefix", sa.String(length=15), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("rate", sa.String(length=20), nullable=False),
        sa.Column("connect_fee", sa.String(length=20), nullable=False),
        sa.Column("initial_increment", sa.Integer(), nullable=False),
        sa.Column("subsequent_increment", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deck_id"], ["rate_decks.id"], name=op.f("fk_rate_deck_rows_deck_id_rate_decks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("deck_id", "prefix", name=op.f("pk_rate_deck_rows")),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("rate_deck_rows")
    op.drop_index("uq_rate_decks_default_in_effect", table_name="rate_decks")
    op.drop_index("ix_rate_decks_profile_id", table_name="rate_decks")
    op.drop_table("rate_decks")
