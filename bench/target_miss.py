"""CPU per miss of the data plane's targets cache: the connection, its account and profile read and built.

Profiles of varied settings (calling window, spend limit, recording, own rates), each with one
connection, are made through the API on a SQLite file; then `Targets.load` (what a
decision runs when the cache misses: the read, the `Target` built, the cache filled) is timed on
random connections in one process, as CPU time, and the read alone (`repository.target`) beside it.
To compare two versions, run it with `PYTHONPATH` at each one's source in turn.

    .venv/bin/python bench/target_miss.py [--profiles 200] [--misses 20000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from litestar.testing import TestClient
from sqlalchemy import Connection

from outbound_profiles.accounts import service as accounts
from outbound_profiles.app import create_app
from outbound_profiles.authorizations import repository
from outbound_profiles.authorizations.service import DataPlane
from outbound_profiles.config import Settings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.dataplane_cpu import scratch_database

BATCH = 100  # misses per transaction


def _variety(n: int) -> dict[str, Any]:
    """Settings that differ from profile to profile, so every branch of the build is taken."""
    body: dict[str, Any] = {"whitelisted_destinations": ["US", "CA", "GB"][: 1 + n % 3], "tag_list": [f"t{n}"]}
    if n % 2:
        body |= {"daily_spend_limit": f"{n}.25", "daily_spend_limit_enabled": n % 4 == 1}
    if n % 3 == 0:
        body |= {"max_destination_rate": 0.05, "usage_payment_method": "tariff", "ports": 10 + n}
    if n % 5 == 0:
        body |= {"call_recording_type": "by_caller_phone_number", "call_recording_phone_numbers": ["+13125550100"]}
    return body


def _copy(settings: Settings, connection_id: int, copies: int) -> list[int]:
    """`copies` profiles like the connection's, each with a connection of its own (ids from 10^15 on),
    inserted by SQLite itself; their connections' ids."""
    first = 10**15
    path = settings.database_url.removeprefix("sqlite:///")
    db = sqlite3.connect(path)
    series = "WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < :copies) "
    with db:
        (profile_id,) = db.execute(
            "SELECT outbound_profile_id FROM connections WHERE id = ?", (connection_id,)
        ).fetchone()
        for table, template, replaced in (
            ("outbound_profiles", profile_id, {"id": ":first + g"}),
            ("connections", connection_id, {"id": ":first + g", "outbound_profile_id": ":first + g"}),
        ):
            columns = [row[1] for row in db.execute(f"PRAGMA table_info({table})")]
            values = [replaced.get(c, f"t.{c}") for c in columns]
            db.execute(
                f"{series}INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} FROM s "  # noqa: S608
                f"CROSS JOIN (SELECT * FROM {table} WHERE id = :template) AS t",
                {"copies": copies, "first": first, "template": template},
            )
    db.close()
    return list(range(first + 1, first + copies + 1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profiles", type=int, default=200, help="profiles, one connection each (default 200)")
    parser.add_argument("--misses", type=int, default=20_000, help="misses per round (default 20000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the median is reported (default 3)")
    parser.add_argument(
        "--copies",
        type=int,
        default=0,
        help="copies of the first profile and its connection, timed instead (default 0)",
    )
    args = parser.parse_args(argv)
    settings, database = scratch_database("target-miss-")
    user = database.run_sync(lambda c: accounts.create_user(c, "miss@example.com"), write=True)
    tenant = {"Authorization": f"Bearer {user.token}"}
    ids: list[int] = []
    with TestClient(create_app(settings, database)) as client:
        for n in range(args.profiles):
            made = client.post("/security/connections", json={"connection_name": f"c{n}"}, headers=tenant)
            connection_id = made.json()["id"]
            profile = client.post(
                "/termination/endpoints", json={"connection_ids": [connection_id], **_variety(n)}, headers=tenant
            )
            if profile.status_code != 200:
                print(f"target_miss: a profile could not be made: {profile.text}", file=sys.stderr)
                return 2
            if n % 7 == 0:
                window = {"start_time": "08:00:00", "end_time": "18:00:00", "calls_per_cld": n % 3 or None}
                windowed = client.patch(
                    f"/v2/outbound_voice_profiles/{profile.json()['id']}",
                    json={"name": f"profile {n}", "calling_window": window},
                    headers=tenant,
                )
                if windowed.status_code != 200:
                    print(f"target_miss: a window could not be set: {windowed.text}", file=sys.stderr)
                    return 2
            ids.append(int(connection_id))
        if args.copies:
            ids = _copy(settings, ids[0], args.copies)
        data_plane: DataPlane = client.app.state.data_plane
        chosen = random.Random(7)

        def timed(step: Any) -> float:
            picks = [chosen.choice(ids) for _ in range(args.misses)]
            started = time.process_time()
            for first in range(0, len(picks), BATCH):
                batch = picks[first : first + BATCH]

                def work(connection: Connection, batch: list[int] = batch) -> None:
                    for connection_id in batch:
                        step(connection, connection_id)

                database.run_sync(work, write=False)
            return (time.process_time() - started) / len(picks) * 1e6

        async def measure() -> tuple[list[float], list[float]]:
            # On the app's event loop, as a request's work runs: never beside a commit in flight.
            timed(data_plane.targets.load)  # warm
            misses, reads = [], []
            for _ in range(args.rounds):
                misses.append(timed(data_plane.targets.load))
                reads.append(timed(repository.target))
            return misses, reads

        with client.portal() as portal:
            misses, reads = portal.call(measure)
    database.dispose()
    rounds = ", ".join(f"{x:.1f}" for x in misses)
    print(f"miss: {statistics.median(misses):5.1f} us CPU (rounds {rounds})", end="  ")
    print(f"read alone: {statistics.median(reads):5.1f} us (rounds {', '.join(f'{x:.1f}' for x in reads)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
