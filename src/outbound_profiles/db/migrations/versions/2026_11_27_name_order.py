"""names sort by code point on PostgreSQL

PostgreSQL sorts text by the database's locale (en_US orders "a" < "B" < "b"); SQLite sorts by
code point. The list sorts names with COLLATE "C" on PostgreSQL, so the index it pages through
must have that collation too, and NULLS FIRST, where ascending sorts put them. SQLite's index
already orders by code point.

Revision ID: 0004
Revises: 0003
Created: 2026-11-27 07:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_outbound_profiles_user_id_name", table_name="outbound_profiles")
        op.execute(
            "CREATE INDEX ix_outbound_profiles_user_id_name"
            ' ON outbound_profiles (user_id, name COLLATE "C" NULLS FIRST, id)'
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_outbound_profiles_user_id_name", table_name="outbound_profiles")
        op.create_index("ix_outbound_profiles_user_id_name", "outbound_profiles", ["user_id", "name", "id"])
