"""calling window (API v2)

Revision ID: 0002
Revises: 0001
Created: 2026-11-27 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbound_profiles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("calling_window_start_time", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("calling_window_end_time", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("calling_window_calls_per_cld", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbound_profiles", schema=None) as batch_op:
        batch_op.drop_column("calling_window_calls_per_cld")
        batch_op.drop_column("calling_window_end_time")
        batch_op.drop_column("calling_window_start_time")
