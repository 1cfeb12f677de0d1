"""Call records written straight into `calls`, with known values: what the data plane's end would
leave (its cost included), without going through a switch."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from outbound_profiles.cdrs import repository
from outbound_profiles.db.database import Database
from outbound_profiles.models import calls
from tests.authorizations.conftest import line, switch, switch_headers  # noqa: F401 (fixtures)
from tests.conftest import Tenant

PATH = "/termination/cdrs"
T0 = datetime(2026, 12, 1, 9, 0, 0, tzinfo=UTC)
PROFILE = 7_000_000_000_000_000_001
CONNECTION = 7_000_000_000_000_000_101
GROUP = "6a09cdc3-3b39-4c36-8a8b-3d0b3c1d7e01"


class Records:
    """Inserts ended calls (or, with `ended=False`, active ones) with keyword defaults."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.count = 0

    def values(
        self,
        tenant: Tenant,
        *,
        call_id: str | None = None,
        started_at: datetime = T0,
        duration_seconds: int = 63,
        ended: bool = True,
        outbound_profile_id: int = PROFILE,
        connection_id: int = CONNECTION,
        billing_group_id: str | None = GROUP,
        to: str = "+12025550123",
        caller: str = "+13125550100",
        destination_country: str | None = "US",
        rate: str | None = "0.0100",
        connect_fee: str | None = "0.0010",
        billed_seconds: int | None = 120,
        cost_micros: int | None = 21_000,
        end_reason: str = "completed",
    ) -> dict[str, Any]:
        self.count += 1
        ended_at = started_at + timedelta(seconds=duration_seconds)
        return {
            "call_id": call_id or f"call-{self.count:07d}",
            "user_id": tenant.account.id,
            "outbound_profile_id": outbound_profile_id,
            "connection_id": connection_id,
            "billing_group_id": billing_group_id,
            "to_number": to,
            "from_number": caller,
            "destination_country": destination_country,
            "rate": rate,
            "connect_fee": connect_fee,
            "initial_increment": None if rate is None else 60,
            "subsequent_increment": None if rate is None else 60,
            "started_at": started_at,
            "lease_expires_at": started_at + timedelta(hours=4),
            "last_keepalive_at": started_at,
            "max_duration_seconds": None,
            "decision": "{}",
            "ended_at": ended_at if ended else None,
            "duration_seconds": duration_seconds if ended else None,
            "end_reason": end_reason if ended else None,
            "billed_seconds": billed_seconds if ended else None,
            "cost_micros": cost_micros if ended else None,
        }

    def __call__(self, tenant: Tenant, **fields: Any) -> dict[str, Any]:
        row = self.values(tenant, **fields)
        self.insert([row])
        return row

    def insert(self, rows: Sequence[dict[str, Any]]) -> None:
        self.database.run_sync(lambda c: c.execute(calls.insert(), list(rows)), write=True)

    def many(self, tenant: Tenant, count: int) -> None:
        """`count` ended calls, one a second from T0 (call ids `bulk-0000000`...), made by the database
        itself: tens of thousands in a fraction of a second (row by row from Python takes seconds)."""
        if self.database.is_sqlite:
            at = "strftime('%Y-%m-%d %H:%M:%S', '2026-12-01 09:00:00', '+' || (i + {0}) || ' seconds') || '.000000'"
            series = f"WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {count - 1})"  # noqa: S608
            source = "n"
        else:
            at = "timestamptz '2026-12-01 09:00:00+00' + (i + {0}) * interval '1 second'"
            series = ""
            source = f"generate_series(0, {count - 1}) AS n(i)"
        # Integers and constants only.
        sql = f"""{series}
            INSERT INTO calls (call_id, user_id, outbound_profile_id, connection_id, billing_group_id, to_number,
              from_number, destination_country, rate, connect_fee, initial_increment, subsequent_increment,
              started_at, lease_expires_at, last_keepalive_at, decision, ended_at, duration_seconds, end_reason,
              billed_seconds, cost_micros)
            SELECT 'bulk-' || substr('000000' || i, -7), {tenant.account.id}, {PROFILE}, {CONNECTION}, '{GROUP}',
              '+12025550123', '+13125550100', 'US', '0.0100', '0.0010', 60, 60,
              {at.format(0)}, {at.format(4 * 3600)}, {at.format(0)}, '{{}}', {at.format(60)}, 60, 'completed',
              60, 11000
            FROM {source}"""  # noqa: S608
        self.database.run_sync(lambda c: c.exec_driver_sql(sql), write=True)


@pytest.fixture
def records(database: Database) -> Records:
    return Records(database)


def count_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of each chunk read by `repository.after`, as they happen."""
    reads: list[int] = []
    original = repository.after

    def counted(*args: Any) -> Sequence[Any]:
        rows = original(*args)
        reads.append(len(rows))
        return rows

    monkeypatch.setattr(repository, "after", counted)
    return reads
