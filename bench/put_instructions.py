"""CPU instructions per `PUT /termination/endpoints/{id}` inside one process, counted by callgrind.

`put_inprocess.py` run under `valgrind --tool=callgrind` twice, with two request counts and the
same warm-up; the difference of the two totals, divided by the difference of the counts, is what
one more PUT costs, start-up and warm-up left out. An instruction count does not move with the
machine's load as times do (the same total twice, whatever else runs), so it tells whether a change
to the service's Python made a PUT cheaper by 1%. It leaves out what the HTTP server costs;
`put_ratio.py` measures the target.

    .venv/bin/python bench/put_instructions.py [--requests 2000] [--concurrency 16]

Needs valgrind (`apt-get install valgrind`); takes about a minute (both runs at once, one per core).
Exit status: 0, or 2 when it cannot run.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

INPROCESS = Path(__file__).resolve().parent / "put_inprocess.py"
WARM_UP = 2000  # put_inprocess.py's warm-up: min(2000, requests) PUTs
_COLLECTED = re.compile(r"Collected : (\d+)")


def instructions(valgrind: str, requests: int, concurrency: int, workdir: Path) -> subprocess.Popen[str]:
    """Start one callgrind run of put_inprocess.py; its stderr ends with the total it counted."""
    script = (str(INPROCESS), "--requests", str(requests), "--concurrency", str(concurrency))
    return callgrind(valgrind, script, workdir / f"callgrind.{requests}.out")


def callgrind(valgrind: str, script: Sequence[str], out_file: Path) -> subprocess.Popen[str]:
    """Start `python *script` under callgrind; `total` reads what it counted."""
    command = [valgrind, "--tool=callgrind", f"--callgrind-out-file={out_file}", sys.executable, *script]
    # One hash seed for every run: dict layouts, and so the instructions, are then the same.
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def total(run: subprocess.Popen[str]) -> int:
    _, stderr = run.communicate(timeout=1800)
    found = _COLLECTED.search(stderr)
    if run.returncode != 0 or found is None:
        raise RuntimeError(f"callgrind run failed (exit {run.returncode}):\n{stderr[-2000:]}")
    return int(found.group(1))


def totals(runs: Sequence[subprocess.Popen[str]]) -> list[int]:
    """What each run counted; should one fail, every run is stopped and its error raised."""
    try:
        return [total(run) for run in runs]
    except (RuntimeError, subprocess.TimeoutExpired):
        for run in runs:
            run.kill()
        raise


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000, help="PUTs more in the second run (default 2000)")
    parser.add_argument("--concurrency", type=int, default=16, help="clients at once (default 16, as under load)")
    args = parser.parse_args(argv)
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        print("put_instructions: valgrind not found; install it: apt-get install valgrind", file=sys.stderr)
        return 2
    if args.requests <= 0 or args.concurrency <= 0:
        print("put_instructions: --requests and --concurrency must be positive", file=sys.stderr)
        return 2
    # Both runs have the same warm-up when each has at least WARM_UP requests.
    low, high = WARM_UP, WARM_UP + args.requests
    with tempfile.TemporaryDirectory(prefix="put-instructions-") as workdir:
        runs = [instructions(valgrind, n, args.concurrency, Path(workdir)) for n in (low, high)]
        try:
            counted = totals(runs)
        except (RuntimeError, subprocess.TimeoutExpired) as error:
            print(f"put_instructions: {error}", file=sys.stderr)
            return 2
    per_put = (counted[1] - counted[0]) / (high - low)
    print(f"{per_put:,.0f} instructions per PUT (in-process, SQLite, {args.concurrency} clients at once)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
