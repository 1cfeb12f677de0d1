"""every user gets a UUID (API v2's `organization_id`)

Existing users get a random one each; a unique index keeps them distinct. New users get theirs
from the table's column default.

No batch (copy-and-move) operation on SQLite: recreating `users` would drop the old table, and with
foreign keys on, that deletes every row that references a user (tokens, profiles, ...). So the
column is added in place and, on SQLite, stays nullable in the database (the application always
gives one); PostgreSQL makes it NOT NULL.

Revision ID: 0005
Revises: 0004
Created: 2026-12-06 05:10:00
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEX = "uq_users_organization_id"


def upgrade() -> None:
    op.add_column("users", sa.Column("organization_id", sa.String(length=36), nullable=True))
    users = sa.table("users", sa.column("id", sa.BigInteger()), sa.column("organization_id", sa.String(36)))
    bind = op.get_bind()
    for (user_id,) in bind.execute(sa.select(users.c.id).where(users.c.organization_id.is_(None))).all():
        bind.execute(users.update().where(users.c.id == user_id).values(organization_id=str(uuid.uuid4())))
    op.create_index(_INDEX, "users", ["organization_id"], unique=True)
    if bind.dialect.name == "postgresql":
        op.alter_column("users", "organization_id", existing_type=sa.String(length=36), nullable=False)


def downgrade() -> None:
    op.drop_index(_INDEX, table_name="users")
    op.execute("ALTER TABLE users DROP COLUMN organization_id")  # in place on SQLite too (3.35+)
