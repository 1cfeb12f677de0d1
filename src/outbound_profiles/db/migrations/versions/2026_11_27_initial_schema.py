"""initial schema

Revision ID: 0001
Revises: (none)
Created: 2026-11-27 04:00:28.457242
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("concurrent_call_limit", sa.Integer(), nullable=True),
        sa.Column("default_cps", sa.Integer(), nullable=False),
        sa.Column("max_cps", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "billing_groups",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_billing_groups_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_groups")),
    )
    with op.batch_alter_table("billing_groups", schema=None) as batch_op:
        batch_op.create_index("ix_billing_groups_user_id_created_at", ["user_id", "created_at", "id"], unique=False)

    op.create_table(
        "outbound_profiles",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("traffic_type", sa.SmallInteger(), nullable=False),
        sa.Column("service_plan", sa.SmallInteger(), nullable=False),
        sa.Column("cps_limit", sa.Integer(), nullable=False),
        sa.Column("cps_limit_increase", sa.Integer(), nullable=False),
        sa.Column("ports", sa.Integer(), nullable=True),
        sa.Column("translation_rule", sa.String(length=255), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column(
            "tag_list",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("usage_payment_method", sa.String(length=16), nullable=False),
        sa.Column("whitelisted_destination_format", sa.String(length=16), nullable=False),
        sa.Column(
            "whitelisted_destinations",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("max_destination_rate", sa.String(length=40), nullable=True),
        sa.Column("call_recording_type", sa.String(length=32), nullable=False),
        sa.Column(
            "call_recording_phone_numbers",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("call_recording_format", sa.String(length=8), nullable=False),
        sa.Column("call_recording_channels", sa.String(length=8), nullable=False),
        sa.Column("daily_spend_limit_cents", sa.BigInteger(), nullable=True),
        sa.Column("daily_spend_limit_enabled", sa.Boolean(), nullable=False),
        sa.Column("billing_group_id", sa.String(length=36), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["billing_group_id"],
            ["billing_groups.id"],
            name=op.f("fk_outbound_profiles_billing_group_id_billing_groups"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_outbound_profiles_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbound_profiles")),
    )
    with op.batch_alter_table("outbound_profiles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbound_profiles_billing_group_id"), ["billing_group_id"], unique=False)
        batch_op.create_index("ix_outbound_profiles_user_id_created_at", ["user_id", "created_at", "id"], unique=False)
        batch_op.create_index("ix_outbound_profiles_user_id_id", ["user_id", "id"], unique=False)
        batch_op.create_index("ix_outbound_profiles_user_id_name", ["user_id", "name", "id"], unique=False)

    op.create_table(
        "connections",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("connection_name", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("outbound_profile_id", sa.BigInteger(), nullable=True),
        sa.Column("attach_position", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["outbound_profile_id"],
            ["outbound_profiles.id"],
            name=op.f("fk_connections_outbound_profile_id_outbound_profiles"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_connections_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connections")),
    )
    with op.batch_alter_table("connections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_connections_outbound_profile_id"), ["outbound_profile_id"], unique=False)
        batch_op.create_index("ix_connections_user_id_id", ["user_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("connections", schema=None) as batch_op:
        batch_op.drop_index("ix_connections_user_id_id")
        batch_op.drop_index(batch_op.f("ix_connections_outbound_profile_id"))

    op.drop_table("connections")
    with op.batch_alter_table("outbound_profiles", schema=None) as batch_op:
        batch_op.drop_index("ix_outbound_profiles_user_id_name")
        batch_op.drop_index("ix_outbound_profiles_user_id_id")
        batch_op.drop_index("ix_outbound_profiles_user_id_created_at")
        batch_op.drop_index(batch_op.f("ix_outbound_profiles_billing_group_id"))

    op.drop_table("outbound_profiles")
    with op.batch_alter_table("billing_groups", schema=None) as batch_op:
        batch_op.drop_index("ix_billing_groups_user_id_created_at")

    op.drop_table("billing_groups")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))

    op.drop_table("api_tokens")
    op.drop_table("users")
