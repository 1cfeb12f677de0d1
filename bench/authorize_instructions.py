"""CPU instructions per allow and per authorize+end pair of the served app, inside one process,
counted by callgrind.

`authorize_inprocess.py` run under `valgrind --tool=callgrind` twice per path, with two request
counts and the same warm-up; the difference of the two totals, divided by the difference of the
counts, is what one more allow (or pair: the authorization of a call, then its end writing the
call's record) costs, start-up and warm-up left out. Both runs start from copies of one database
prepared beforehand (outside valgrind: the deck import would take minutes under it). An
instruction count hardly moves with the machine's load (the same command twice: within 0.5%), so
it tells whether a change to the service's Python made an allow cheaper by 1%. It leaves out uvicorn's HTTP parsing and
sockets; `authorize_ratio.py` measures the targets.

    .venv/bin/python bench/authorize_instructions.py [--requests 2000] [--concurrency 16] [--paths allow,pair]

Needs valgrind (`apt-get install valgrind`); takes a few minutes (two runs at once, one per core).
Exit status: 0, or 2 when it cannot run.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `python bench/...` finds `bench`

from bench.authorize_inprocess import DATABASE, SETUP, prepare
from bench.put_instructions import callgrind, totals

INPROCESS = Path(__file__).resolve().parent / "authorize_inprocess.py"
WARM_UP = 1000  # allows or pairs before the counted ones, in both runs
PATHS = ("allow", "pair")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000, help="allows (pairs) more in the second run (2000)")
    parser.add_argument("--concurrency", type=int, default=16, help="clients at once (default 16, as under load)")
    parser.add_argument("--deck-rows", type=int, default=100_000, help="prefixes in the default deck (default 10^5)")
    parser.add_argument("--paths", default=",".join(PATHS), help="allow, pair or both (default allow,pair)")
    args = parser.parse_args(argv)
    paths = args.paths.split(",")
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        print("authorize_instructions: valgrind not found; install it: apt-get install valgrind", file=sys.stderr)
        return 2
    if args.requests <= 0 or args.concurrency <= 0 or args.requests % args.concurrency or not set(paths) <= set(PATHS):
        print(
            "authorize_instructions: --requests and --concurrency must be positive, --requests a multiple of "
            "--concurrency, --paths allow and/or pair",
            file=sys.stderr,
        )
        return 2
    low, high = args.concurrency, args.concurrency + args.requests
    with tempfile.TemporaryDirectory(prefix="authorize-instructions-") as workdir:
        prepared = Path(workdir) / "prepared"
        prepared.mkdir()
        prepare(prepared, args.deck_rows)
        for path in paths:
            runs = []
            for requests in (low, high):
                folder = Path(workdir) / f"{path}.{requests}"
                folder.mkdir()
                for name in (DATABASE, SETUP):
                    shutil.copyfile(prepared / name, folder / name)
                script = [
                    *(str(INPROCESS), "--mode", path, "--requests", str(requests)),
                    *("--concurrency", str(args.concurrency), "--warm-up", str(WARM_UP), "--prepared", str(folder)),
                ]
                runs.append(callgrind(valgrind, script, folder / "callgrind.out"))
            try:
                counted = totals(runs)
            except (RuntimeError, subprocess.TimeoutExpired) as error:
                print(f"authorize_instructions: {error}", file=sys.stderr)
                return 2
            each = (counted[1] - counted[0]) / (high - low)
            what = "allow" if path == "allow" else "pair (authorize, then end of that call)"
            print(f"{each:,.0f} instructions per {what} (in-process, SQLite, {args.concurrency} clients at once)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
