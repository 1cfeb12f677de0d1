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


_INDEX = "ix_outbound_profiles_user_id_name"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # CONCURRENTLY, outside the migration's transaction: the table stays readable and writable while
    # the new index is built (a plain DROP + CREATE would lock it for the whole build). IF [NOT]
    # EXISTS lets a run that was interrupted halfway be run again.
    with op.get_context().autocommit_block():
        op.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {_INDEX}_c"
            ' ON outbound_profiles (user_id, name COLLATE "C" NULLS FIRST, id)'
        )
        op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {_INDEX}")
        op.execute(f"ALTER INDEX {_INDEX}_c RENAME TO {_INDEX}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index(_INDEX, table_name="outbound_profiles")
        op.create_index(_INDEX, "outbound_profiles", ["user_id", "name", "id"])
