"""Kamailio with the shipped configuration, and SIPp on either side of it, as processes on loopback.

Used by the end-to-end test and by `bench/kamailio_calls.py`. Kamailio runs the configuration of
`docs/integrations/kamailio/` as an operator would, with only its settings given on the command
line (`-A`); SIPp plays the callee (`sipp/uas.xml`) and the caller (`sipp/uac.xml`, one call per
line of an injection file). Every process is stopped when its `with` block ends, however it ends.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.live import stop

ROOT = Path(__file__).resolve().parents[2]
CONFIG_DIR = ROOT / "docs" / "integrations" / "kamailio"
CONFIG = CONFIG_DIR / "kamailio.cfg"
UAC = CONFIG_DIR / "sipp" / "uac.xml"
UAS = CONFIG_DIR / "sipp" / "uas.xml"
INSTALL = "apt-get install kamailio kamailio-utils-modules kamailio-json-modules sip-tester"
START_TIMEOUT = 15.0


def find_kamailio() -> str | None:
    """None when Kamailio (with the modules the configuration loads) and SIPp are installed, else
    what is missing and how to install it."""
    missing = [tool for tool in ("kamailio", "sipp") if shutil.which(tool) is None]
    if missing:
        return f"{' and '.join(missing)} not found; install them with: {INSTALL}"
    check = subprocess.run(
        ["kamailio", "-c", "-f", str(CONFIG), "-A", "LISTEN=udp:127.0.0.1:5060"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    if check.returncode != 0:
        last = (check.stderr.strip().splitlines() or ["?"])[-1]
        return f"kamailio cannot load {CONFIG.name} ({last}); install the modules with: {INSTALL}"
    return None


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def udp_bound(port: int) -> bool:
    """Whether something listens on UDP 127.0.0.1:`port` (from Linux's /proc)."""
    wanted = f"0100007F:{port:04X}"
    return any(line.split()[1] == wanted for line in Path("/proc/net/udp").read_text().splitlines()[1:])


def _wait_bound(port: int, process: subprocess.Popen[bytes], what: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not udp_bound(port):
        if process.poll() is not None or time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{what} did not start on UDP port {port} (exit code {process.poll()}):\n{tail}")
        time.sleep(0.05)


@dataclass(frozen=True)
class Kamailio:
    port: int
    log: Path
    pid: int


@contextmanager
def kamailio(
    workdir: Path,
    *,
    service_url: str,
    switch_token: str,
    relay_port: int,
    workers: int = 4,
    memory_mb: int = 64,
    extra: Sequence[str] = (),
) -> Iterator[Kamailio]:
    """The shipped configuration on a port of its own (never the system's 5060), relaying to
    127.0.0.1:`relay_port`; `memory_mb` of shared memory (transactions and dialogs live there);
    `extra` adds -A defines (e.g. NO_AUTHORIZATION)."""
    port = free_udp_port()
    log = workdir / f"kamailio-{port}.log"
    settings = {
        "LISTEN": f"udp:127.0.0.1:{port}",
        "SERVICE_URL": f'"{service_url}"',
        "SWITCH_TOKEN": f'"{switch_token}"',
        "RELAY_TO": f'"sip:127.0.0.1:{relay_port}"',
        "WORKERS": str(workers),
    }
    defines = [arg for name, value in settings.items() for arg in ("-A", f"{name}={value}")]
    defines += [arg for name in extra for arg in ("-A", name)]
    command = ["kamailio", "-DD", "-E", "-m", str(memory_mb), "-f", str(CONFIG), "-Y", str(workdir), "-w", str(workdir)]
    command += defines
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, cwd=workdir)
    try:
        _wait_bound(port, process, "kamailio", log)
        yield Kamailio(port, log, process.pid)
    finally:
        stop(process)


@contextmanager
def callee(workdir: Path) -> Iterator[int]:
    """SIPp as the callee (uas.xml) on a port of its own; yields the port."""
    port = free_udp_port()
    log = workdir / f"sipp-uas-{port}.log"
    command = ["sipp", "-sf", str(UAS), "-i", "127.0.0.1", "-p", str(port), "-nostdin"]
    command += ["-trace_err", "-error_file", str(workdir / f"sipp-uas-{port}-errors.log")]
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, cwd=workdir)
    try:
        _wait_bound(port, process, "sipp (callee)", log)
        yield port
    finally:
        stop(process)


@dataclass(frozen=True)
class Call:
    """A line of the caller's injection file: whom to call, from which connection, what the callee
    does (answer, busy, ring), and how long the caller stays (ms; with ring, until it cancels)."""

    to: str
    connection_id: str
    answer: str = "answer"
    hold_ms: int = 0


@dataclass(frozen=True)
class Outcome:
    call_id: str
    code: int
    reason: str | None


def place_calls(
    workdir: Path, kamailio_port: int, calls: Sequence[Call], *, concurrent: int, rate: float = 100.0
) -> list[Outcome]:
    """SIPp as the caller: `calls` at `rate` per second, at most `concurrent` at once; each call's
    final answer (200, or the refusal's code and X-Outbound-Reason). Fails if SIPp reports a call
    that did not follow the scenario."""
    port = free_udp_port()
    stem = workdir / f"sipp-uac-{port}"
    injection = stem.with_suffix(".csv")
    lines = [f"{c.to};{c.connection_id};{c.answer};{c.hold_ms}" for c in calls]
    injection.write_text("SEQUENTIAL\n" + "\n".join(lines) + "\n")
    outcomes_log = Path(f"{stem}-outcomes.log")
    errors_log = Path(f"{stem}-errors.log")
    command = ["sipp", f"127.0.0.1:{kamailio_port}", "-sf", str(UAC), "-inf", str(injection)]
    command += ["-i", "127.0.0.1", "-p", str(port), "-m", str(len(calls)), "-l", str(concurrent)]
    command += ["-r", str(rate), "-nostdin", "-timeout", "60s", "-timeout_error"]
    command += ["-recv_timeout", "15000", "-trace_logs", "-log_file", str(outcomes_log)]
    command += ["-trace_err", "-error_file", str(errors_log)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=workdir, timeout=90)
    errors = errors_log.read_text(errors="replace") if errors_log.exists() else ""
    assert result.returncode == 0, f"sipp (caller) exit code {result.returncode}:\n{errors}\n{result.stdout[-3000:]}"
    return parse_outcomes(outcomes_log.read_text() if outcomes_log.exists() else "")


def parse_outcomes(text: str) -> list[Outcome]:
    """The lines `outcome CALL-ID CODE REASON` the caller's scenario logs."""
    outcomes = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0] == "outcome":
            reason = None if parts[3] in ("-", "cancelled") else parts[3]
            outcomes.append(Outcome(parts[1], int(parts[2]), reason))
    return outcomes
