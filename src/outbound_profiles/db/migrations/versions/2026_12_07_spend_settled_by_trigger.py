"""spend settled by a trigger: a call's end adds its cost to its profile's day in the same statement

Revision ID: 0013
Revises: 0012
Created: 2026-12-07 20:40:00

When an update of `calls` sets `ended_at` on a call that had none, a trigger adds the call's
`cost_micros` (0 when it has no rate) and one call to `daily_spend` for its profile and the UTC day
it started. The end of a call is then one statement, atomic by itself, where it was two under a
savepoint; the sweep of expired leases settles the same way. The statement the service ran before
(`INSERT ... ON CONFLICT DO UPDATE`) is the trigger's body, so the sums are the same.

A service of an earlier version still adds the cost itself: run against this schema, it would count
each end twice. Every node of an earlier version must be stopped before this migration is applied.
A later migration that rebuilds `calls` or `daily_spend` on SQLite (a copy of the table) must drop
the trigger first and create it again after.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRIGGER = "calls_settle_spend"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION calls_settle_spend() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO daily_spend (outbound_profile_id, day, user_id, settled_micros, calls)
                VALUES (
                    NEW.outbound_profile_id, (NEW.started_at AT TIME ZONE 'UTC')::date, NEW.user_id,
                    coalesce(NEW.cost_micros, 0), 1
                )
                ON CONFLICT (outbound_profile_id, day) DO UPDATE SET
                    settled_micros = daily_spend.settled_micros + EXCLUDED.settled_micros,
                    calls = daily_spend.calls + 1;
                RETURN NULL;
            END
            $$
            """
        )
        op.execute(
            f"CREATE TRIGGER {TRIGGER} AFTER UPDATE OF ended_at ON calls FOR EACH ROW "
            f"WHEN (OLD.ended_at IS NULL AND NEW.ended_at IS NOT NULL) EXECUTE FUNCTION {TRIGGER}()"
        )
        return
    # SQLite keeps `started_at` as "YYYY-MM-DD HH:MM:SS.ffffff" in UTC and a day as "YYYY-MM-DD".
    op.execute(
        """
        CREATE TRIGGER calls_settle_spend AFTER UPDATE OF ended_at ON calls
        WHEN OLD.ended_at IS NULL AND NEW.ended_at IS NOT NULL
        BEGIN
            INSERT INTO daily_spend (outbound_profile_id, day, user_id, settled_micros, calls)
            VALUES (NEW.outbound_profile_id, date(NEW.started_at), NEW.user_id, coalesce(NEW.cost_micros, 0), 1)
            ON CONFLICT (outbound_profile_id, day) DO UPDATE SET
                settled_micros = settled_micros + excluded.settled_micros,
                calls = calls + 1;
        END
        """
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON calls")
        op.execute(f"DROP FUNCTION IF EXISTS {TRIGGER}()")
        return
    op.execute(f"DROP TRIGGER IF EXISTS {TRIGGER}")
