"""CPU per allow and per end of the data plane, in one process, without HTTP.

`DataPlane.authorize` (allows, in batches of 50 at once) and then `DataPlane.end` of each call, on a
SQLite file, the service's own app and counters; the process's CPU time over the calls. CPU time
moves far less with the machine's load than requests per second do, so two versions of the service
compare fairly on a busy machine; what HTTP adds is `authorize_ratio.py`'s to measure.

    .venv/bin/python bench/dataplane_cpu.py [--calls 4000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from litestar.testing import TestClient

from outbound_profiles.accounts import service as accounts
from outbound_profiles.app import create_app
from outbound_profiles.authorizations.service import DataPlane
from outbound_profiles.config import Settings
from outbound_profiles.db.database import Database
from outbound_profiles.db.engine import build_engine
from outbound_profiles.db.migrate import upgrade
from outbound_profiles.policy.decide import Call

BATCH = 50


def scratch_database(prefix: str) -> tuple[Settings, Database]:
    """A new SQLite database, migrated, in a temporary folder of its own (left for the system to clear)."""
    settings = Settings(database_url=f"sqlite:///{Path(tempfile.mkdtemp(prefix=prefix)) / 'bench.db'}")
    engine = build_engine(settings)
    upgrade(engine)
    engine.dispose()
    return settings, Database(build_engine(settings))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=4000, help="calls per round (default 4000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the median is reported (default 3)")
    args = parser.parse_args(argv)
    settings, database = scratch_database("dataplane-cpu-")
    user = database.run_sync(lambda c: accounts.create_user(c, "cpu@example.com", max_cps=1_000_000), write=True)
    tenant = {"Authorization": f"Bearer {user.token}"}
    with TestClient(create_app(settings, database)) as client:
        connection_id = client.post("/security/connections", json={"connection_name": "t"}, headers=tenant).json()["id"]
        profile = {"connection_ids": [connection_id], "ports": None, "cps_limit_increase": 99_990}
        created = client.post(
            "/termination/endpoints", json={**profile, "whitelisted_destinations": ["US"]}, headers=tenant
        )
        if created.status_code != 200:
            print(f"dataplane_cpu: the profile could not be made: {created.text}", file=sys.stderr)
            return 2
        data_plane: DataPlane = client.app.state.data_plane

        async def calls(label: str, count: int, ask: Callable[[str], Awaitable[object]]) -> float:
            started = time.process_time()
            for first in range(0, count, BATCH):
                await asyncio.gather(*(ask(f"{label}-{n}") for n in range(first, min(first + BATCH, count))))
            return (time.process_time() - started) / count * 1e6

        def allow(call_id: str) -> Awaitable[object]:
            return data_plane.authorize(Call(call_id, connection_id, "+12025550123", "+13125550100"))

        def end(call_id: str) -> Awaitable[object]:
            return data_plane.end(call_id, 30)

        async def measure() -> tuple[list[float], list[float]]:
            await calls("warm", 500, allow)
            allows, ends = [], []
            for round_ in range(args.rounds):
                allows.append(await calls(f"r{round_}", args.calls, allow))
                ends.append(await calls(f"r{round_}", args.calls, end))
            return allows, ends

        with client.portal() as portal:
            allows, ends = portal.call(measure)
    database.dispose()
    print(f"allow: {statistics.median(allows):.0f} us CPU per call (rounds {', '.join(f'{x:.0f}' for x in allows)})")
    print(f"end:   {statistics.median(ends):.0f} us CPU per call (rounds {', '.join(f'{x:.0f}' for x in ends)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
