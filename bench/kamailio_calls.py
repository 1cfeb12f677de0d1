"""Calls through Kamailio with the service deciding each one: calls per second, and what the decision
adds to a call's set-up (INVITE sent to 200 received, at the caller).

Everything runs on 127.0.0.1: the service (one worker, a SQLite file in a temporary directory),
Kamailio with the shipped configuration (docs/integrations/kamailio/kamailio.cfg), a SIPp callee that
answers at once and a SIPp caller that hangs up as soon as it is answered. Each measurement runs
on two Kamailios of the same configuration: one as it ships (authorize before the INVITE is relayed,
end on the BYE), one with `-A NO_AUTHORIZATION` (relay only), so the difference is the decision's.
The two alternate for `--rounds` rounds, so that the machine's drifts hit both alike; the summary is
the median over rounds.

- set-up time: `--rate` calls per second for `--calls` calls; SIPp's message trace (`-trace_msg`,
  microsecond timestamps) gives each call's INVITE-to-200 time; p50, p99 and max.
- calls per second: `--burst-calls` calls with at most `--concurrent` at once and no rate limit
  (a closed loop: a call starts when one ends): the calls SIPp's statistics file counts as
  completed, over the wall time of the run (SIPp's start included); and the CPU time the service
  and Kamailio (all their processes, from /proc) spent in that run, per completed call.

    .venv/bin/python bench/kamailio_calls.py [--rate 100] [--calls 1000] [--burst-calls 3000]
                                             [--concurrent 50] [--rounds 3]

Needs Kamailio and SIPp (apt-get install kamailio kamailio-utils-modules kamailio-json-modules
sip-tester); without them it says so and exits 2. Every process it starts is stopped when it ends.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `python bench/kamailio_calls.py` finds `tests`

from tests.integrations.kamailio import UAC, Kamailio, callee, find_kamailio, free_udp_port, kamailio
from tests.live import LiveServer, live_server, process_tree

NUMBERS = [f"+1202555{n:04d}" for n in range(100, 200)]  # valid, fictional numbers of Washington, DC
MODES = {"relay only": ["NO_AUTHORIZATION"], "authorized": []}
_BLOCK = re.compile(r"^-{10,} (\S+ \S+)\n(UDP message (?:sent|received)).*?\n(.*?)(?=^-{10,} |\Z)", re.M | re.S)


@dataclass(frozen=True)
class Latency:
    setup_ms: list[float]
    failed: int

    def percentile(self, share: float) -> float:
        ordered = sorted(self.setup_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


@dataclass(frozen=True)
class Throughput:
    calls_per_second: float
    successful: int
    failed: int
    service_cpu_ms: float  # per completed call
    kamailio_cpu_ms: float


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its descendants so far (Linux's /proc)."""
    total = 0
    for member in process_tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # it ended
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / os.sysconf("SC_CLK_TCK")


def prepare(server: LiveServer) -> tuple[str, str]:
    """A switch token, and a connection whose profile limits nothing the load would reach."""
    switch = json.loads(server.cli("tokens", "create", "--switch", "--json"))["token"]
    user = server.new_user("bench@example.com", "--max-cps", "100000", "--default-cps", "100000")
    tenant = {"Authorization": f"Bearer {user['token']}"}
    connection = httpx.post(
        f"{server.base_url}/security/connections", json={"connection_name": "pbx"}, headers=tenant
    ).json()
    profile = httpx.post(
        f"{server.base_url}/termination/endpoints",
        json={"connection_ids": [connection["id"]], "ports": None, "whitelisted_destinations": ["US"]},
        headers=tenant,
    )
    assert profile.status_code == 200, profile.text
    return switch, str(connection["id"])


def _injection(workdir: Path, connection_id: str, calls: int) -> Path:
    path = workdir / f"calls-{calls}.csv"
    lines = [f"{NUMBERS[i % len(NUMBERS)]};{connection_id};answer;0" for i in range(calls)]
    path.write_text("SEQUENTIAL\n" + "\n".join(lines) + "\n")
    return path


def _caller(workdir: Path, port: int, injection: Path, calls: int, *options: str) -> subprocess.CompletedProcess[str]:
    command = ["sipp", f"127.0.0.1:{port}", "-sf", str(UAC), "-inf", str(injection), "-i", "127.0.0.1"]
    command += ["-p", str(free_udp_port()), "-m", str(calls), "-nostdin", "-timeout", "300s", *options]
    return subprocess.run(command, capture_output=True, text=True, cwd=workdir, timeout=360)


def measure_latency(workdir: Path, port: int, connection_id: str, rate: float, calls: int) -> Latency:
    trace = workdir / f"trace-{port}.log"
    injection = _injection(workdir, connection_id, calls)
    options = ["-r", str(rate), "-l", str(calls), "-trace_msg", "-message_file", str(trace)]
    _caller(workdir, port, injection, calls, *options)
    sent: dict[str, float] = {}
    answered: dict[str, float] = {}
    for stamp, direction, message in _BLOCK.findall(trace.read_text(errors="replace")):
        call_id = re.search(r"^Call-ID: *(\S+)", message, re.M | re.I)
        if call_id is None:
            continue
        seconds = _seconds(stamp)
        first = message.lstrip().split("\n", 1)[0]
        if direction.endswith("sent") and first.startswith("INVITE "):
            sent.setdefault(call_id.group(1), seconds)
        elif first.startswith("SIP/2.0 200") and re.search(r"^CSeq: *\d+ INVITE", message, re.M | re.I):
            answered.setdefault(call_id.group(1), seconds)
    setup_ms = [(answered[c] - sent[c]) * 1000 for c in answered if c in sent]
    return Latency(setup_ms, calls - len(setup_ms))


def _seconds(stamp: str) -> float:
    clock = stamp.split(" ")[1]
    hours, minutes, seconds = clock.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def measure_throughput(
    workdir: Path, switch: Kamailio, service_pid: int, connection_id: str, calls: int, concurrent: int
) -> Throughput:
    stats = workdir / f"stats-{switch.port}.csv"
    injection = _injection(workdir, connection_id, calls)
    service_cpu, kamailio_cpu = cpu_seconds(service_pid), cpu_seconds(switch.pid)
    started = time.perf_counter()  # SIPp's own elapsed time counts whole seconds only
    options = ["-r", "100000", "-l", str(concurrent), "-trace_stat", "-stf", str(stats)]
    _caller(workdir, switch.port, injection, calls, *options)
    elapsed = time.perf_counter() - started
    service_cpu, kamailio_cpu = cpu_seconds(service_pid) - service_cpu, cpu_seconds(switch.pid) - kamailio_cpu
    rows = [line.split(";") for line in stats.read_text().splitlines() if line.strip()]
    value = dict(zip(rows[0], rows[-1], strict=False))
    successful, failed = int(value["SuccessfulCall(C)"]), int(value["FailedCall(C)"])
    per_call = 1000 / max(successful, 1)
    return Throughput(successful / elapsed, successful, failed, service_cpu * per_call, kamailio_cpu * per_call)


def authorize_buckets(base_url: str) -> dict[float, float]:
    """The service's own authorize-time histogram (cumulative count per upper bound, seconds)."""
    text = httpx.get(f"{base_url}/metrics", timeout=10).text
    found = re.findall(r'^outbound_profiles_authorize_duration_seconds_bucket\{le="([^"]+)"\} (\S+)$', text, re.M)
    return {float(bound): float(count) for bound, count in found}


def within(before: dict[float, float], after: dict[float, float]) -> str:
    """How many of the authorizations between two histograms the service answered within 1, 5, 25 ms."""
    total = after[float("inf")] - before.get(float("inf"), 0)
    if not total:
        return "no authorizations"
    shares = []
    for bound in (0.001, 0.005, 0.025):
        share = (after[bound] - before.get(bound, 0)) / total
        shares.append(f"{share:.1%} within {bound * 1000:g} ms")
    return ", ".join(shares)


def _version(command: list[str]) -> str:
    result = subprocess.run(command, capture_output=True, text=True, timeout=10)
    lines = [line.strip() for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    return lines[0] if lines else "?"


@dataclass(frozen=True)
class Round:
    latency: Latency
    throughput: Throughput
    service_side: str


def one_round(
    workdir: Path, server: LiveServer, switch: Kamailio, connection_id: str, args: argparse.Namespace
) -> Round:
    before = authorize_buckets(server.base_url)
    latency = measure_latency(workdir, switch.port, connection_id, args.rate, args.calls)
    service_side = within(before, authorize_buckets(server.base_url))
    throughput = measure_throughput(
        workdir, switch, server.process.pid, connection_id, args.burst_calls, args.concurrent
    )
    return Round(latency, throughput, service_side)


def report(mode: str, rounds: list[Round], args: argparse.Namespace) -> None:
    for number, r in enumerate(rounds, 1):
        print(
            f"  {mode} round {number}: set-up at {args.rate:g}/s p50 {r.latency.percentile(0.5):.2f} ms, "
            f"p99 {r.latency.percentile(0.99):.2f} ms, max {max(r.latency.setup_ms):.2f} ms "
            f"({len(r.latency.setup_ms)} answered, {r.latency.failed} not); "
            f"{r.throughput.calls_per_second:.0f} calls/s at {args.concurrent} at once "
            f"({r.throughput.successful} completed, {r.throughput.failed} failed); CPU per call: "
            f"service {r.throughput.service_cpu_ms:.2f} ms, Kamailio {r.throughput.kamailio_cpu_ms:.2f} ms"
        )
        if mode == "authorized":
            print(f"    the service's own time for those authorizations: {r.service_side}")


def medians(rounds: list[Round]) -> tuple[float, float, float, float, float]:
    """The median over rounds of the set-up p50 and p99 (ms), the calls per second, and the
    service's and Kamailio's CPU per call (ms)."""
    return (
        statistics.median(r.latency.percentile(0.5) for r in rounds),
        statistics.median(r.latency.percentile(0.99) for r in rounds),
        statistics.median(r.throughput.calls_per_second for r in rounds),
        statistics.median(r.throughput.service_cpu_ms for r in rounds),
        statistics.median(r.throughput.kamailio_cpu_ms for r in rounds),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=100, help="calls per second for the set-up times")
    parser.add_argument("--calls", type=int, default=1000, help="calls for the set-up times")
    parser.add_argument("--burst-calls", type=int, default=3000, help="calls for calls per second")
    parser.add_argument("--concurrent", type=int, default=50, help="calls at once for calls per second")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of (relay only, authorized), alternating")
    parser.add_argument("--workers", type=int, default=8, help="Kamailio's SIP worker processes")
    parser.add_argument("--memory", type=int, default=512, help="Kamailio's shared memory, MB")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that every process started is stopped
    missing = find_kamailio()
    if missing is not None:
        print(missing, file=sys.stderr)
        return 2
    print(f"{_version(['kamailio', '-v'])}; {_version(['sipp', '-v'])}; {os.cpu_count()} CPUs")
    print(f"load average at the start: {os.getloadavg()[0]:.2f}")
    results: dict[str, list[Round]] = {mode: [] for mode in MODES}
    with tempfile.TemporaryDirectory(prefix="kamailio-bench-") as directory, ExitStack() as stack:
        workdir = Path(directory)
        server = stack.enter_context(live_server(f"sqlite:///{workdir}/bench.db", workdir))
        callee_port = stack.enter_context(callee(workdir))
        switch, connection_id = prepare(server)
        switches = {
            mode: stack.enter_context(
                kamailio(
                    workdir,
                    service_url=server.base_url,
                    switch_token=switch,
                    relay_port=callee_port,
                    workers=args.workers,
                    memory_mb=args.memory,
                    extra=defines,
                )
            )
            for mode, defines in MODES.items()
        }
        for _ in range(args.rounds):
            for mode, switch_process in switches.items():
                results[mode].append(one_round(workdir, server, switch_process, connection_id, args))
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    for mode, rounds in results.items():
        report(mode, rounds, args)
    (base_p50, base_p99, base_cps, _, base_kamailio), (p50, p99, cps, service, kamailio_cpu) = (
        medians(results["relay only"]),
        medians(results["authorized"]),
    )
    print(f"medians over {args.rounds} rounds:")
    print(
        f"  relay only: set-up p50 {base_p50:.2f} ms, p99 {base_p99:.2f} ms; {base_cps:.0f} calls/s; "
        f"CPU per call: Kamailio {base_kamailio:.2f} ms"
    )
    print(
        f"  authorized: set-up p50 {p50:.2f} ms, p99 {p99:.2f} ms; {cps:.0f} calls/s; "
        f"CPU per call: service {service:.2f} ms, Kamailio {kamailio_cpu:.2f} ms"
    )
    added = f"p50 {p50 - base_p50:+.2f} ms, p99 {p99 - base_p99:+.2f} ms"
    print(f"  the decision adds {added} to set-up; calls/s x{cps / base_cps:.2f} of relay only's")
    return 0


if __name__ == "__main__":
    sys.exit(main())
