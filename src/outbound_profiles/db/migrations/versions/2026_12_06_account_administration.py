"""account administration: disabled users, a token's last use

Revision ID: 0006
Revises: 0005
Created: 2026-12-06 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("users", sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("api_tokens", sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # In place on SQLite too (3.35+): a batch copy of `users` with foreign keys on deletes every
    # token and profile that references a user.
    op.execute("ALTER TABLE api_tokens DROP COLUMN last_used_at")
    op.execute("ALTER TABLE users DROP COLUMN disabled_at")
