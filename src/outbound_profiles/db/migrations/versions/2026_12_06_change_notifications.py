"""change notifications: PostgreSQL tells every process what a commit changed

Revision ID: 0010
Revises: 0009
Created: 2026-12-06 19:00:00

On PostgreSQL only (nothing on SQLite, where `PRAGMA data_version` does the job): after each
statement that inserts, updates or deletes rows of a table the processes cache, a trigger sends
`pg_notify('outbound_profiles_changes', '<table>:<id>')` per changed row, or `'<table>'` once when
the statement changed more than 100 rows or the table was truncated (`db/changes.py`
listens). An update of api_tokens that changes only `last_used_at` (authentication records a use
at most hourly) sends nothing.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTION = "outbound_profiles_notify_changes"
# Each table with the columns whose change alone is not worth a notification.
TABLES: dict[str, tuple[str, ...]] = {
    "outbound_profiles": (),
    "connections": (),
    "users": (),
    "api_tokens": ("last_used_at",),
    "billing_groups": (),
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # Statement-level, with transition tables: one call per statement however many rows it
    # changed, so an import of thousands of rows sends one notification, not thousands.
    op.execute(
        """
        CREATE FUNCTION outbound_profiles_notify_changes() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            ids text[];
            id text;
        BEGIN
            IF TG_OP = 'TRUNCATE' THEN
                PERFORM pg_notify('outbound_profiles_changes', TG_TABLE_NAME);
                RETURN NULL;
            ELSIF TG_OP = 'INSERT' THEN
                SELECT array_agg(changed.id::text) INTO ids
                FROM (SELECT new_rows.id FROM new_rows LIMIT 101) AS changed;
            ELSIF TG_OP = 'DELETE' THEN
                SELECT array_agg(changed.id::text) INTO ids
                FROM (SELECT old_rows.id FROM old_rows LIMIT 101) AS changed;
            ELSE
                SELECT array_agg(changed.id::text) INTO ids
                FROM (
                    SELECT new_rows.id FROM new_rows JOIN old_rows ON old_rows.id = new_rows.id
                    WHERE to_jsonb(new_rows) - coalesce(TG_ARGV, '{}'::text[])
                        IS DISTINCT FROM to_jsonb(old_rows) - coalesce(TG_ARGV, '{}'::text[])
                    LIMIT 101
                ) AS changed;
            END IF;
            IF ids IS NULL THEN
                RETURN NULL;
            ELSIF cardinality(ids) > 100 THEN
                PERFORM pg_notify('outbound_profiles_changes', TG_TABLE_NAME);
            ELSE
                FOREACH id IN ARRAY ids LOOP
                    PERFORM pg_notify('outbound_profiles_changes', TG_TABLE_NAME || ':' || id);
                END LOOP;
            END IF;
            RETURN NULL;
        END
        $$
        """
    )
    for table, ignored in TABLES.items():
        arguments = ", ".join(f"'{column}'" for column in ignored)
        for event, transition in (
            ("INSERT", "NEW TABLE AS new_rows"),
            ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
            ("DELETE", "OLD TABLE AS old_rows"),
        ):
            op.execute(
                f"CREATE TRIGGER {table}_notify_{event.lower()} AFTER {event} ON {table} "
                f"REFERENCING {transition} FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}({arguments})"
            )
        op.execute(
            f"CREATE TRIGGER {table}_notify_truncate AFTER TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        for event in ("insert", "update", "delete", "truncate"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_notify_{event} ON {table}")
    op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
