"""A default rate deck of 10^6 prefixes: how fast `rate-decks import` stores it, how much memory a
server's copy takes, and how fast a number is matched against it.

    .venv/bin/python bench/rate_deck_import.py [--rows 1000000] [--postgres URL] [--numbers 200000]

The deck is generated (realistic prefixes: E.164 country codes followed by 1 to 7 digits, a few
tariffs per country) into a temporary file; `outbound-profiles rate-decks import FILE --json` is
timed as a separate process twice on each database: into an empty database, then replacing that
deck (which also deletes the old deck's rows). SQLite always (a fresh file); PostgreSQL when a
server URL is given (`--postgres`, or OUTBOUND_PROFILES_BENCH_POSTGRES_URL), in a database of the
benchmark's own (`outbound_profiles_rating_bench`, dropped and created afresh, dropped at the end).

Then, in this process, the deck is loaded as a server loads it (`repository.load_default_deck`):
the load's time, the growth of the resident set (RSS), and the memory the deck keeps (tracemalloc,
a second load); beside it, the same rows as a plain dict of prefix strings to row tuples, the
layout not chosen. Last, `Deck.match` on `--numbers` numbers (half of them under a prefix of the
deck), in matches per second.

Exit status: 0 when every import took under 60 s, 1 when one did not, 2 when it could not run.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import phonenumbers

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `python bench/rate_deck_import.py` finds `bench`

from bench import pg
from bench.harness import CLI, BenchError, load_average, source_version
from outbound_profiles.config import Settings
from outbound_profiles.db.database import Database
from outbound_profiles.db.engine import build_engine
from outbound_profiles.domain.countries import BY_ALPHA2
from outbound_profiles.rating import repository
from outbound_profiles.rating.deck import Deck

TARGET_S = 60.0
PG_DATABASE = "outbound_profiles_rating_bench"


def generate(path: Path, rows: int, seed: int = 6) -> None:
    """`rows` distinct prefixes spread over the country codes, CSV with every column."""
    rng = random.Random(seed)
    codes = sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE.items())
    seen: set[str] = set()
    with path.open("w", encoding="utf-8") as out:
        out.write("prefix,country,rate,connect_fee,initial_increment,subsequent_increment\n")
        while len(seen) < rows:
            code, regions = rng.choice(codes)
            # 001: non-geographic (800, 882, 883, ...); XK, AC and TA are not ISO 3166-1 codes.
            country = next((region for region in regions if region in BY_ALPHA2), "")
            prefix = f"{code}{rng.randrange(10 ** rng.randint(1, 7))}"
            if prefix in seen or len(prefix) > 15:
                continue
            seen.add(prefix)
            tier = rng.randrange(4)  # fixed, mobile, premium, special: a few tariffs per country
            rate = f"0.{(code * 37 + tier * 1000) % 100000:06d}"
            increments = "1,1" if tier == 0 else "60,60" if tier == 1 else "30,6"
            fee = "0" if tier < 3 else "0.05"
            out.write(f"{prefix},{country},{rate},{fee},{increments}\n")


def time_import(url: str, deck: Path, cwd: Path) -> dict[str, Any]:
    env = {**os.environ, "OUTBOUND_PROFILES_DATABASE_URL": url, "OUTBOUND_PROFILES_LOG_LEVEL": "warning"}
    subprocess.run([*CLI, "db", "upgrade"], env=env, cwd=cwd, check=True, capture_output=True)
    started = time.perf_counter()
    result = subprocess.run(
        [*CLI, "rate-decks", "import", str(deck), "--json"], env=env, cwd=cwd, capture_output=True, text=True
    )
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise BenchError(f"rate-decks import failed: {(result.stderr or result.stdout).strip()[:2000]}")
    outcome: dict[str, Any] = json.loads(result.stdout)
    outcome["wall_s"] = wall
    return outcome


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


def measure_memory(url: str) -> tuple[Deck, dict[str, float]]:
    database = Database(build_engine(Settings(database_url=url)))
    try:
        gc.collect()
        before = rss_bytes()
        started = time.perf_counter()
        deck = database.run_sync(repository.load_default_deck, write=False)
        load_s = time.perf_counter() - started
        gc.collect()
        rss_growth = rss_bytes() - before
        if deck is None:
            raise BenchError("no default deck to load")
        del deck
        gc.collect()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        deck = database.run_sync(repository.load_default_deck, write=False)
        gc.collect()
        current, peak = tracemalloc.get_traced_memory()
        assert deck is not None
        as_dict = {row.prefix: row for row in deck.rows()}
        gc.collect()
        with_dict = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        del as_dict
    finally:
        database.dispose()
    figures = {
        "load_s": load_s,
        "rss_growth_mb": rss_growth / 1e6,
        "deck_mb": (current - base) / 1e6,
        "load_peak_mb": (peak - base) / 1e6,
        "dict_layout_mb": (with_dict - current) / 1e6,
    }
    return deck, figures


def measure_match(deck: Deck, count: int, seed: int = 7) -> dict[str, float]:
    rng = random.Random(seed)
    prefixes = [row.prefix for row in deck.rows()]
    numbers = [
        (rng.choice(prefixes) if n % 2 else str(rng.randrange(1, 10))) + str(rng.randrange(10**8)).zfill(8)
        for n in range(count)
    ]
    as_dict = {row.prefix: row for row in deck.rows()}
    match = deck.match
    started = time.perf_counter()
    found = sum(1 for number in numbers if match(number) is not None)
    arrays_s = time.perf_counter() - started

    def dict_match(digits: str) -> object:
        for length in range(min(len(digits), 15), 0, -1):
            row = as_dict.get(digits[:length])
            if row is not None:
                return row
        return None

    started = time.perf_counter()
    sum(1 for number in numbers if dict_match(number) is not None)
    dict_s = time.perf_counter() - started
    return {"matches_per_s": count / arrays_s, "found": found, "dict_matches_per_s": count / dict_s}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--numbers", type=int, default=200_000, help="numbers matched for the match speed")
    parser.add_argument("--postgres", default=os.environ.get("OUTBOUND_PROFILES_BENCH_POSTGRES_URL"))
    args = parser.parse_args(argv)
    machine = f"{os.cpu_count()} CPUs; load average {load_average():.2f}"
    print(f"rate deck of {args.rows:,} rows; {machine}; {source_version()}")
    slowest = 0.0
    try:
        with ExitStack() as stack:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="rate-deck-bench-")))
            deck_file = work / "deck.csv"
            started = time.perf_counter()
            generate(deck_file, args.rows)
            size_mb = deck_file.stat().st_size / 1e6
            print(f"generated {deck_file.name}: {size_mb:.1f} MB in {time.perf_counter() - started:.1f} s")
            urls = {"SQLite": f"sqlite:///{work / 'bench.db'}"}
            if args.postgres:
                urls["PostgreSQL"] = stack.enter_context(pg.fresh_database(args.postgres, PG_DATABASE))
            for name, url in urls.items():
                for run in ("into an empty database", "replacing the deck"):
                    outcome = time_import(url, deck_file, work)
                    slowest = max(slowest, outcome["wall_s"])
                    print(
                        f"{name:<10} import {run:<22}: {outcome['wall_s']:5.1f} s wall "
                        f"({outcome['seconds']:.1f} s in the command), "
                        f"{outcome['rows'] / outcome['wall_s']:,.0f} rows/s"
                    )
            deck, memory = measure_memory(urls["SQLite"])
            print(
                f"loaded by a server: {memory['load_s']:.1f} s; RSS growth {memory['rss_growth_mb']:.0f} MB; "
                f"the deck keeps {memory['deck_mb']:.1f} MB (tracemalloc; {memory['load_peak_mb']:.0f} MB at the "
                f"load's peak); the same rows as a dict of strings: {memory['dict_layout_mb']:.0f} MB more"
            )
            speed = measure_match(deck, args.numbers)
            print(
                f"match: {speed['matches_per_s']:,.0f} numbers/s ({speed['found']:,} of {args.numbers:,} found); "
                f"a dict of strings, longest first: {speed['dict_matches_per_s']:,.0f}/s"
            )
    except BenchError as error:
        print(f"rate_deck_import: {error}", file=sys.stderr)
        return 2
    verdict = "PASS" if slowest < TARGET_S else "FAIL"
    print(f"slowest import {slowest:.1f} s, target < {TARGET_S:.0f} s: {verdict}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
