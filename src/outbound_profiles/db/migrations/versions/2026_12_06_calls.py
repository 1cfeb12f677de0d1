"""calls: the data plane's active calls and their ends; switch tokens belong to no user

Revision ID: 0008
Revises: 0007
Created: 2026-12-06 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACTIVE = sa.text("ended_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "calls",
        sa.Column("call_id", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("outbound_profile_id", sa.BigInteger(), nullable=False),
        sa.Column("connection_id", sa.BigInteger(), nullable=False),
        sa.Column("billing_group_id", sa.String(length=36), nullable=True),
        sa.Column("to_number", sa.String(length=32), nullable=False),
        sa.Column("from_number", sa.String(length=64), nullable=False),
        sa.Column("destination_country", sa.String(length=2), nullable=True),
        sa.Column("rate", sa.String(length=40), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_keepalive_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("max_duration_seconds", sa.Integer(), nullable=True),
        sa.Column("decision", sa.Text(), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column("end_reason", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("call_id", name=op.f("pk_calls")),
    )
    op.create_index(
        "ix_calls_active_lease", "calls", ["lease_expires_at"], sqlite_where=_ACTIVE, postgresql_where=_ACTIVE
    )
    op.create_index(
        "ix_calls_active_user",
        "calls",
        ["user_id", "outbound_profile_id"],
        sqlite_where=_ACTIVE,
        postgresql_where=_ACTIVE,
    )
    op.create_index("ix_calls_user_id_started_at", "calls", ["user_id", "started_at"])
    # Nothing references api_tokens, so SQLite's copy of the table (to drop NOT NULL) loses nothing.
    with op.batch_alter_table("api_tokens") as batch:
        batch.alter_column("user_id", existing_type=sa.BigInteger(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM api_tokens WHERE user_id IS NULL")
    with op.batch_alter_table("api_tokens") as batch:
        batch.alter_column("user_id", existing_type=sa.BigInteger(), nullable=False)
    op.drop_table("calls")
