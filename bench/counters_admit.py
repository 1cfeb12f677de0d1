"""What one admission costs: the in-process counters beside Redis's (a round trip and a Lua script).

Admits `--calls` calls (a new call id each, one profile, no port limit) in turn on each backend,
one at a time and then `--concurrency` at once, alternating the backends for `--rounds` rounds;
medians of wall-clock and CPU microseconds per admission. Redis's figure minus the in-process one is
what the round trip adds to each authorization. Uses `--redis` (default logical db 11) and empties
that db (FLUSHDB) when done.

    .venv/bin/python bench/counters_admit.py [--redis redis://127.0.0.1:6379/11] [--calls 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `python bench/counters_admit.py` finds `bench`

from bench.harness import busy_note, load_average, source_version
from outbound_profiles.counters import Admission, Counters, MemoryCounters
from outbound_profiles.counters.redis import RedisCounters


async def admit_all(counters: Counters, label: str, calls: int, concurrency: int) -> tuple[float, float]:
    """(wall µs, CPU µs) per admission of `calls` new calls, `concurrency` in flight."""
    now_ms = int(time.time() * 1000)
    await counters.restore(1, [], now_ms)
    admissions = [
        Admission(f"{label}-{i}", 1, 2, 10**9, None, None, None, None, None, now_ms + i // 1000) for i in range(calls)
    ]
    wall, cpu = time.perf_counter(), time.process_time()
    for start in range(0, calls, concurrency):
        verdicts = await asyncio.gather(*(counters.admit(a) for a in admissions[start : start + concurrency]))
        if any(v is not None for v in verdicts):
            raise SystemExit(f"counters_admit: an admission was refused: {verdicts}")
    return (time.perf_counter() - wall) / calls * 1e6, (time.process_time() - cpu) / calls * 1e6


async def run(args: argparse.Namespace) -> int:
    redis = RedisCounters.from_url(args.redis, prefix=f"bench{int(time.time())}")
    memory = MemoryCounters()
    load = load_average()
    print(
        f"admissions: {args.calls:,} per run, {args.rounds} rounds alternating; load average {load:.2f}; "
        f"source {source_version()}"
    )
    note = busy_note(load)
    if note:
        print(note)
    figures: dict[tuple[str, int], list[tuple[float, float]]] = {}
    try:
        for round_ in range(args.rounds):
            for concurrency in (1, args.concurrency):
                for name, counters in (("in-process", memory), ("redis", redis)):
                    label = f"{name}-{round_}-{concurrency}"
                    figures.setdefault((name, concurrency), []).append(
                        await admit_all(counters, label, args.calls, concurrency)
                    )
    finally:
        await redis._client.flushdb()
        await redis.close()
    for concurrency in (1, args.concurrency):
        rows = {}
        for name in ("in-process", "redis"):
            walls, cpus = zip(*figures[(name, concurrency)], strict=True)
            rows[name] = (statistics.median(walls), statistics.median(cpus))
            print(
                f"  {name:10} {concurrency:>3} in flight: {rows[name][0]:7.1f} µs wall  {rows[name][1]:7.1f} µs CPU "
                "per admission"
            )
        print(
            f"  Redis adds {rows['redis'][0] - rows['in-process'][0]:.1f} µs wall, "
            f"{rows['redis'][1] - rows['in-process'][1]:.1f} µs of this process's CPU per admission "
            f"({concurrency} in flight)"
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/11")
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=32)
    return asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
