"""Authorizations (allows) or authorize+end pairs through the served ASGI app, inside one process.

The application `serve` runs (`create_served_app`: the observability middleware, FastAuthorize,
Litestar, the tuned garbage collector), called with scope, receive and send as uvicorn calls it,
without sockets or HTTP parsing; `--concurrency` clients at once, so the writes of one loop turn
share a COMMIT as under load. SQLite file, in-process counters, a default deck of `--deck-rows`
prefixes, a profile allowing US and GB, a switch token; every answer is checked to be an allow (and
every end a completed call's record), so it measures the path meant. `authorize_instructions.py`
runs it under callgrind; with `--profile`, a cProfile of the measured requests.

    .venv/bin/python bench/authorize_inprocess.py [--mode allow|pair] [--requests 4000] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import logging.config
import os
import pstats
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `python bench/...` finds `bench`

from bench.dataplane import deck_lines, valid_numbers
from bench.dataplane_cpu import scratch_database
from bench.put_inprocess import Asgi
from outbound_profiles.accounts import service as accounts
from outbound_profiles.app import create_served_app
from outbound_profiles.authorizations import service
from outbound_profiles.db import database as db
from outbound_profiles.db.database import Database
from outbound_profiles.observability.logs import log_config
from outbound_profiles.rating import service as rating
from outbound_profiles.rating.default_deck import DefaultDeck

PATH = "/termination/authorizations"
CALLER = "+13125550100"
SETUP = "setup.json"
DATABASE = "bench.db"
CPS = 1_000_000
# Distinct numbers called: the warm-up calls each of them, so the measured calls find their
# destinations cached, as a server long under load does (`policy/destinations.py`).
NUMBERS = 500


def _env(database: Path) -> None:
    """The configuration `serve` reads (`create_served_app` takes it from the environment)."""
    os.environ["OUTBOUND_PROFILES_DATABASE_URL"] = f"sqlite:///{database}"
    os.environ["OUTBOUND_PROFILES_LOG_LEVEL"] = "warning"
    os.environ.pop("OUTBOUND_PROFILES_REDIS_URL", None)  # in-process counters
    os.environ.pop("OUTBOUND_PROFILES_DATA_PLANE", None)


def prepare(folder: Path, deck_rows: int) -> None:
    """A database in `folder` (DATABASE) with a user, a switch token, a connection, a US/GB profile
    and a default deck, and what the driver needs to know of them (SETUP)."""
    settings, database = scratch_database("authorize-inprocess-")
    user = database.run_sync(
        lambda c: accounts.create_user(c, "bench@example.com", max_cps=CPS, default_cps=10), write=True
    )
    switch = database.run_sync(accounts.create_switch_token, write=True)
    rating.import_default_deck(database, deck_lines(deck_rows))
    database.dispose()
    source = Path(str(settings.database_url).removeprefix("sqlite:///"))
    shutil.copyfile(source, folder / DATABASE)
    _env(folder / DATABASE)

    async def through_api() -> dict[str, str]:
        app = create_served_app()
        async with app.lifespan():
            client = Asgi(app, user.token)
            connection = (await client.expect("POST", "/security/connections", {"connection_name": "bench"}))["id"]
            await client.expect(
                "POST",
                "/termination/endpoints",
                {
                    "name": "bench",
                    "connection_ids": [connection],
                    "ports": None,
                    "cps_limit_increase": CPS - 10,
                    "whitelisted_destination_format": "alpha2",
                    "whitelisted_destinations": ["US", "GB"],
                    "service_plan": 4,
                    "max_destination_rate": 0.5,
                    "usage_payment_method": "rate-deck",
                },
            )
        app.state.database.dispose()
        return {"connection_id": connection, "switch_token": switch.token}

    setup = {**asyncio.run(through_api()), "numbers": valid_numbers(NUMBERS)}
    (folder / SETUP).write_text(json.dumps(setup))
    # All of it in the database file itself, so that a copy of that file alone holds it.
    driver = sqlite3.connect(folder / DATABASE)
    driver.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    driver.close()


def _hourly_background() -> None:
    """What runs by the clock (the lease sweeper, the watches for other writers and for a new deck,
    WAL checkpoints) runs once an hour: under valgrind a run lasts a hundred times as long, and what
    it did meanwhile would count as the requests' cost, a different amount in each run. The deck is
    still loaded at start, by the watch's first look."""
    hour = 3600.0
    service.SWEEP_INTERVAL_S = hour  # type: ignore[misc]
    db.WATCH_INTERVAL_S = hour
    DefaultDeck.watch.__defaults__ = (hour,)
    Database.start_checkpoints.__defaults__ = (hour,)


async def drive(folder: Path, mode: str, requests: int, concurrency: int, warm_up: int, profile: bool) -> str:
    """Warm up, then `requests` allows (or pairs) through the served app; a line saying what it cost."""
    setup = json.loads((folder / SETUP).read_text())
    _env(folder / DATABASE)
    _hourly_background()
    logging.config.dictConfig(log_config("warning"))  # as `serve` sets it up: no access log
    app = create_served_app()
    numbers: list[str] = setup["numbers"]
    connection_id = setup["connection_id"]
    profiler = cProfile.Profile() if profile else None
    async with app.lifespan():
        client = Asgi(app, setup["switch_token"])
        deadline = time.monotonic() + 600
        while app.state.data_plane.decks.current() is None:  # the deck loads in the background
            if time.monotonic() > deadline:
                raise SystemExit("the default deck never came into effect")
            await asyncio.sleep(0.05)

        async def one_client(label: str, client_n: int, n: int) -> None:
            for i in range(n):
                call_id = f"{label}-{client_n}-{i}"
                to = numbers[(client_n * 31 + i) % NUMBERS]
                body = f'{{"call_id":"{call_id}","connection_id":"{connection_id}","to":"{to}","from":"{CALLER}"}}'
                status, answer = await client.call("POST", PATH, body.encode())
                if status != 200 or b'"decision":"allow"' not in answer:
                    raise SystemExit(f"authorize: {status} {answer!r}")
                if mode == "pair":
                    status, answer = await client.call("POST", f"{PATH}/{call_id}/end", b'{"duration_seconds":30}')
                    if status != 200 or b'"end_reason":"completed"' not in answer:
                        raise SystemExit(f"end: {status} {answer!r}")

        async def load(label: str, n: int) -> tuple[float, float]:
            started, cpu = time.perf_counter(), time.process_time()
            await asyncio.gather(*(one_client(label, c, n // concurrency) for c in range(concurrency)))
            return time.perf_counter() - started, time.process_time() - cpu

        await load("warm", warm_up - warm_up % concurrency)
        if profiler:
            profiler.enable()
        elapsed, cpu = await load("measured", requests)
        if profiler:
            profiler.disable()
    app.state.database.dispose()
    if profiler:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(60)
    what = "allows" if mode == "allow" else "authorize+end pairs"
    return (
        f"{requests} {what} (in-process, SQLite, {concurrency} clients at once): "
        f"{elapsed / requests * 1e6:.0f} µs each, {cpu / requests * 1e6:.0f} µs of CPU"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=("allow", "pair"), default="allow", help="allows, or authorize+end pairs")
    parser.add_argument("--requests", type=int, default=4000, help="measured allows or pairs (default 4000)")
    parser.add_argument("--warm-up", type=int, default=1000, help="allows or pairs before (default 1000)")
    parser.add_argument("--concurrency", type=int, default=16, help="clients at once (default 16)")
    parser.add_argument("--deck-rows", type=int, default=100_000, help="prefixes in the default deck (default 10^5)")
    parser.add_argument("--prepared", type=Path, help="a folder `--prepare-only` filled: its database is used up")
    parser.add_argument("--prepare-only", type=Path, help="fill this folder with a database and stop")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the measured requests")
    args = parser.parse_args(argv)
    if min(args.requests, args.concurrency, args.warm_up) <= 0 or args.requests % args.concurrency:
        parser.error("--requests, --warm-up and --concurrency must be positive; --requests a multiple of clients")
    if args.prepare_only:
        prepare(args.prepare_only, args.deck_rows)
        return 0
    with tempfile.TemporaryDirectory(prefix="authorize-inprocess-") as workdir:
        folder = args.prepared
        if folder is None:
            folder = Path(workdir)
            prepare(folder, args.deck_rows)
        line = asyncio.run(drive(folder, args.mode, args.requests, args.concurrency, args.warm_up, args.profile))
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
