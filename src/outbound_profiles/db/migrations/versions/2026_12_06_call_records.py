"""call records: what an ended call is billed, and each profile's settled spend per UTC day

Revision ID: 0011
Revises: 0010
Created: 2026-12-06 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # In place: nullable columns need no copy of the table.
    op.add_column("calls", sa.Column("connect_fee", sa.String(length=20), nullable=True))
    op.add_column("calls", sa.Column("initial_increment", sa.Integer(), nullable=True))
    op.add_column("calls", sa.Column("subsequent_increment", sa.Integer(), nullable=True))
    op.add_column("calls", sa.Column("billed_seconds", sa.Integer(), nullable=True))
    op.add_column("calls", sa.Column("cost_micros", sa.BigInteger(), nullable=True))
    op.create_index("ix_calls_profile_started_at", "calls", ["outbound_profile_id", "started_at"])
    op.create_table(
        "daily_spend",
        sa.Column("outbound_profile_id", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("settled_micros", sa.BigInteger(), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("outbound_profile_id", "day", name=op.f("pk_daily_spend")),
    )


def downgrade() -> None:
    op.drop_table("daily_spend")
    op.drop_index("ix_calls_profile_started_at", table_name="calls")
    for name in ("cost_micros", "billed_seconds", "subsequent_increment", "initial_increment", "connect_fee"):
        op.drop_column("calls", name)  # in place (SQLite 3.35+)
