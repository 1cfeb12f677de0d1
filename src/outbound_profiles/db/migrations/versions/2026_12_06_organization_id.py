"""every user gets a UUID (API v2's `organization_id`)

Existing users get a random one; the column is then made required and unique. New users get
theirs from the table's column default.

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


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("organization_id", sa.String(length=36), nullable=True))
    users = sa.table("users", sa.column("id", sa.BigInteger()), sa.column("organization_id", sa.String(36)))
    bind = op.get_bind()
    for (user_id,) in bind.execute(sa.select(users.c.id).where(users.c.organization_id.is_(None))).all():
        bind.execute(users.update().where(users.c.id == user_id).values(organization_id=str(uuid.uuid4())))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("organization_id", existing_type=sa.String(length=36), nullable=False)
        batch_op.create_unique_constraint("uq_users_organization_id", ["organization_id"])


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint("uq_users_organization_id", type_="unique")
        batch_op.drop_column("organization_id")
