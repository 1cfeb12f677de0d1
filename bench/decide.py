"""Decisions per second of the pure `policy.decide.decide()`, in one process, with a deck of 10^5 rows.

Target: >= 50,000 decisions/s. Measured twice: with a few thousand numbers called again and again
(libphonenumber's parse and validation cached per number, `destination()`'s LRU), and with every
number new to the cache (more distinct numbers than the LRU holds, called in turn: each one misses).
Then what one decision costs, part by part. See bench/README.md.

    .venv/bin/python bench/decide.py [--deck-rows 100000] [--calls 200000] [--rounds 5]

Rates are per second of the process's CPU time (the machine may be shared); wall-clock beside them.

Exit status: 0 the target is met with repeated numbers, 1 it is not, 2 could not run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `python bench/decide.py` finds `bench`

import phonenumbers

from bench.dataplane import DENIED_NUMBER, deck_lines, valid_numbers
from bench.harness import RESULTS_DIR, busy_note, load_average, source_version
from outbound_profiles.policy import destinations
from outbound_profiles.policy.decide import Call, Plan, ProfileSnapshot, Target, decide
from outbound_profiles.rating.deck import Deck, DeckBuilder

RESULTS = RESULTS_DIR / "decide.json"
TARGET = 50_000


def build_deck(rows: int) -> Deck:
    builder = DeckBuilder()
    lines = deck_lines(rows)
    next(lines)
    for line in lines:
        prefix, country, rate, fee, first, then = line.rstrip("\n").split(",")
        builder.add_stored((prefix, country, rate, fee, int(first), int(then)))
    return builder.finish(1)


def library_region(number: str) -> str | None:
    """What destination() did before `policy.numbering`: the library's general parse, then validation
    and the region lookup (which match the same patterns twice)."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.region_code_for_number(parsed) if phonenumbers.is_valid_number(parsed) else None


def target() -> Target:
    profile = ProfileSnapshot(
        id=1,
        active=True,
        service_plan=4,
        whitelist=dict.fromkeys(("US", "GB")),
        max_rate=Decimal("0.5"),
        cps=1_000_000,
        ports=None,
        tariff=False,
        rate_deck_id=None,
        recording_type="none",
        recording_numbers={},
        recording_format="wav",
        recording_channels="single",
        billing_group_id=None,
        window=None,
        daily_spend_limit=None,
    )
    return Target(connection_id=1, active=True, account_id=1, account_ports=None, profile=profile)


def rate(label: str, count: int, rounds: int, run: Callable[[], object]) -> dict[str, float]:
    """`run` (which does `count` operations) `rounds` times: the median per second, wall and CPU."""
    walls, cpus = [], []
    for _ in range(rounds):
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    wall_s, cpu_s = statistics.median(walls), statistics.median(cpus)
    # Per second of CPU time: on a shared machine the wall clock also counts other processes' turns.
    result = {"per_s": count / cpu_s, "us": cpu_s / count * 1e6, "wall_us": wall_s / count * 1e6}
    print(f"  {label:52} {result['per_s']:>10,.0f}/s  CPU {result['us']:6.2f} µs  (wall {result['wall_us']:.2f} µs)")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deck-rows", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=200_000, help="decisions per round (default 200,000)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeated", type=int, default=4000, help="distinct numbers of the repeated case")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    deck = build_deck(args.deck_rows)
    lru = destinations.destination.cache_info().maxsize or 0
    distinct = valid_numbers(max(lru + lru // 2, args.repeated))
    repeated = distinct[: args.repeated]
    print(f"set-up {time.perf_counter() - started:.1f} s")
    the_target = target()
    now = time.time()
    calls_repeated = [Call(f"c{i}", "1", repeated[i % len(repeated)], "+13125550100") for i in range(args.calls)]
    calls_distinct = [Call(f"c{i}", "1", distinct[i % len(distinct)], "+13125550100") for i in range(args.calls)]
    denied = [Call(f"c{i}", "1", DENIED_NUMBER, "+13125550100") for i in range(args.calls)]
    if not isinstance(decide(calls_repeated[0], the_target, deck, now), Plan):
        print("decide: the first call is not allowed; the set-up is wrong", file=sys.stderr)
        return 2
    load = load_average()
    print(
        f"decide(): deck {len(deck):,} rows; {args.calls:,} decisions a round, median of {args.rounds}; "
        f"LRU of {lru:,} numbers; {os.cpu_count()} CPUs; load average {load:.2f}; source {source_version()}"
    )
    note = busy_note(load)
    if note:
        print(note)

    def decide_all(calls: list[Call]) -> Callable[[], None]:
        def run() -> None:
            for call in calls:
                decide(call, the_target, deck, now)

        return run

    def distinct_run() -> None:
        destinations.destination.cache_clear()  # and more numbers than it holds, called in turn: all miss
        decide_all(calls_distinct)()

    results = {}
    print("decisions:")
    for call in repeated:
        destinations.destination(call)
    results["repeated"] = rate(
        f"allow, {len(repeated):,} numbers repeated (cached)", args.calls, args.rounds, decide_all(calls_repeated)
    )
    results["distinct"] = rate(
        f"allow, every number new ({len(distinct):,} in turn)", args.calls, args.rounds, distinct_run
    )
    results["deny"] = rate("deny (not whitelisted, one number, cached)", args.calls, args.rounds, decide_all(denied))

    print("parts of one decision:")
    parse = destinations.destination.__wrapped__
    numbers = [c.to for c in calls_distinct]
    digits = [n[1:] for n in numbers]
    results["parse_validate"] = rate(
        "destination() uncached: region and validity",
        args.calls,
        args.rounds,
        lambda: [parse(n) for n in numbers] and None,
    )
    results["library"] = rate(
        "libphonenumber's parse + is_valid + region (reference)",
        args.calls,
        args.rounds,
        lambda: [library_region(n) for n in numbers] and None,
    )
    for call in repeated:
        destinations.destination(call)
    rep_numbers = [c.to for c in calls_repeated]
    results["parse_cached"] = rate(
        "destination() cached (LRU hit)",
        args.calls,
        args.rounds,
        lambda: [destinations.destination(n) for n in rep_numbers] and None,
    )
    results["deck_match"] = rate(
        f"Deck.match() ({len(deck):,} rows)", args.calls, args.rounds, lambda: [deck.match(d) for d in digits] and None
    )
    results["loop"] = rate("the loop alone", args.calls, args.rounds, lambda: [None for _ in numbers] and None)
    rest = (
        results["repeated"]["us"] - results["parse_cached"]["us"] - results["deck_match"]["us"] - results["loop"]["us"]
    )
    print(f"  the rest of decide() (checks, Plan), by difference:  CPU ~{rest:.2f} µs")
    results["rest_us"] = {"us": rest, "per_s": 0.0, "wall_us": 0.0}

    ok = results["repeated"]["per_s"] >= TARGET
    print(f"repeated numbers: {results['repeated']['per_s']:,.0f}/s  target >= {TARGET:,}  {'PASS' if ok else 'FAIL'}")
    distinct_ok = results["distinct"]["per_s"] >= TARGET
    print(
        f"every number new: {results['distinct']['per_s']:,.0f}/s  "
        f"target >= {TARGET:,}  {'met' if distinct_ok else 'not met'}"
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps({"source": source_version(), "load": load, "results": results, "target": TARGET}, indent=2) + "\n"
    )
    print(f"results: {args.output}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
