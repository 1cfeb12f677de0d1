"""A real switch end to end: SIPp calls through Kamailio, running the configuration the README ships,
which asks the service before each call and reports each call's end; a SIPp callee answers.

The tenant's profile has `PORTS` ports and a whitelist of the US. More concurrent calls than ports
get exactly `PORTS` answers and 503s for the rest; a call abroad gets 403; a cancelled call and a
busy callee are reported as 0 s calls; every answered call's record lasts as long as the call did;
and at the end no port is held. Against a stand-in for the service that gives a call two seconds,
Kamailio hangs up that call and reports it. Without a connection, or without an answer from the
service, Kamailio refuses the call itself.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from sqlalchemy import select

from outbound_profiles.config import Settings
from outbound_profiles.db.engine import build_engine
from outbound_profiles.models import calls
from tests.integrations.kamailio import Call, Outcome, callee, kamailio, place_calls
from tests.live import free_port, live_server

pytestmark = pytest.mark.kamailio

PORTS = 3
US = "+1202555{:04d}"  # 202-555-01xx: valid, fictional numbers of Washington, DC
ABROAD = "+447911123456"  # GB, outside the whitelist


@dataclass(frozen=True)
class Switch:
    """The service, Kamailio in front of it and a callee behind it, and the tenant's profile."""

    workdir: Path
    base_url: str
    database_url: str
    kamailio_port: int
    connection_id: str
    profile_id: str
    tenant: dict[str, str]

    def call(self, number: int, *, answer: str = "answer", hold_ms: int = 0) -> Call:
        return Call(US.format(number), self.connection_id, answer, hold_ms)

    def place(self, batch: list[Call], *, concurrent: int) -> dict[str, Outcome]:
        outcomes = place_calls(self.workdir, self.kamailio_port, batch, concurrent=concurrent)
        assert len(outcomes) == len(batch), outcomes
        return {outcome.call_id: outcome for outcome in outcomes}

    def records(self) -> dict[str, Any]:
        engine = build_engine(Settings(database_url=self.database_url))
        try:
            with engine.connect() as connection:
                return {row.call_id: row for row in connection.execute(select(calls))}
        finally:
            engine.dispose()

    def ports_in_use(self) -> int:
        response = httpx.post(
            f"{self.base_url}/termination/endpoints/{self.profile_id}/actions/simulate_call",
            json={"to": US.format(100), "from": "+13125550100"},
            headers=self.tenant,
        )
        assert response.status_code == 200, response.text
        in_use: int = response.json()["figures"]["ports_in_use"]
        return in_use


@pytest.fixture
def switch(migrated_template: Path, tmp_path: Path) -> Iterator[Switch]:
    path = tmp_path / "outbound-profiles.db"
    shutil.copyfile(migrated_template, path)
    database_url = f"sqlite:///{path}"
    with live_server(database_url, tmp_path) as server:
        token = json.loads(server.cli("tokens", "create", "--switch", "--json"))["token"]
        tenant = {"Authorization": f"Bearer {server.new_user('carrier@example.com')['token']}"}
        connection = httpx.post(
            f"{server.base_url}/security/connections", json={"connection_name": "pbx"}, headers=tenant
        ).json()
        profile = httpx.post(
            f"{server.base_url}/termination/endpoints",
            json={"connection_ids": [connection["id"]], "ports": PORTS, "whitelisted_destinations": ["US"]},
            headers=tenant,
        )
        assert profile.status_code == 200, profile.text
        with (
            callee(tmp_path) as callee_port,
            kamailio(tmp_path, service_url=server.base_url, switch_token=token, relay_port=callee_port) as switch,
        ):
            yield Switch(
                tmp_path, server.base_url, database_url, switch.port, connection["id"], profile.json()["id"], tenant
            )


def test_kamailio_admits_the_profiles_ports_and_reports_every_end(switch: Switch) -> None:
    # Five calls at once to the US on three ports, and one abroad. Each answered call lasts 2 or 3 s,
    # long enough for every INVITE to be decided while the first three are still up.
    holds = [2000, 3000, 2000, 3000, 2000]
    burst = [switch.call(101 + i, hold_ms=hold) for i, hold in enumerate(holds)]
    burst.append(Call(ABROAD, switch.connection_id, "answer", 1000))
    outcomes = switch.place(burst, concurrent=len(burst))

    answered = [o for o in outcomes.values() if o.code == 200]
    busy = [o for o in outcomes.values() if o.code == 503]
    refused = [o for o in outcomes.values() if o.code == 403]
    assert len(answered) == PORTS, outcomes
    assert [o.reason for o in busy] == ["profile_ports_exhausted"] * (len(holds) - PORTS), outcomes
    assert [o.reason for o in refused] == ["destination_not_whitelisted"], outcomes

    # Each answered call became one ended record, as long as the caller stayed (within a second);
    # refusals reserved nothing and left no record.
    records = switch.records()
    assert set(records) == {o.call_id for o in answered}
    sequence = {f"{n + 1}-": hold for n, hold in enumerate(holds)}  # SIPp's Call-IDs start with the call's number
    for call_id, record in records.items():
        held_s = next(hold for prefix, hold in sequence.items() if call_id.startswith(prefix)) / 1000
        assert record.ended_at is not None, call_id
        assert record.end_reason == "completed"
        assert abs(record.duration_seconds - held_s) <= 1, (call_id, record.duration_seconds, held_s)
    assert switch.ports_in_use() == 0

    # A call the caller cancels while it rings, and one the callee refuses: both end as 0 s calls.
    failures = switch.place(
        [switch.call(111, answer="ring", hold_ms=500), switch.call(112, answer="busy")], concurrent=2
    )
    assert sorted(o.code for o in failures.values()) == [486, 487]
    records = switch.records()
    for call_id in failures:
        assert records[call_id].ended_at is not None, call_id
        assert records[call_id].duration_seconds == 0

    # Every port is free again: as many calls at once as there are ports are all answered.
    again = switch.place([switch.call(121 + i, hold_ms=200) for i in range(PORTS)], concurrent=PORTS)
    assert [o.code for o in again.values()] == [200] * PORTS
    assert switch.ports_in_use() == 0
    assert all(record.ended_at is not None for record in switch.records().values())


@dataclass
class Decisions:
    """A stand-in for the service: allows every call with `max_duration_seconds`, and keeps what the
    switch sent (the Authorization header and body of each authorize, the body of each end)."""

    max_duration_seconds: int
    url: str = ""
    authorizations: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    ends: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


@contextmanager
def decisions(max_duration_seconds: int) -> Iterator[Decisions]:
    kept = Decisions(max_duration_seconds)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            prefix = "/termination/authorizations"
            if self.path == prefix:
                kept.authorizations.append((self.headers["Authorization"], body))
                answer: dict[str, Any] = {
                    "call_id": body["call_id"],
                    "decision": "allow",
                    "reason": None,
                    "sip_code": 200,
                    "max_duration_seconds": kept.max_duration_seconds,
                }
            else:
                call_id = unquote(self.path.removeprefix(prefix + "/").removesuffix("/end"))
                kept.ends.setdefault(call_id, []).append(body)
                answer = {"end_reason": "completed"}
            data = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    kept.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield kept
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_kamailio_hangs_up_a_call_when_its_time_runs_out(tmp_path: Path) -> None:
    with (
        decisions(max_duration_seconds=2) as service,
        callee(tmp_path) as callee_port,
        kamailio(tmp_path, service_url=service.url, switch_token="KEY_switch", relay_port=callee_port) as switch,
    ):
        # "wait": the caller never hangs up; Kamailio must, and the callee gets its BYE too.
        (outcome,) = place_calls(tmp_path, switch.port, [Call(US.format(131), "42", "wait")], concurrent=1)

    assert outcome.code == 200
    ((authorization, asked),) = service.authorizations
    assert authorization == "Bearer KEY_switch"
    assert asked == {"call_id": outcome.call_id, "connection_id": "42", "to": US.format(131), "from": "+13125550100"}
    # Reported once (not again for the BYEs Kamailio sent), as long as the call really lasted: the
    # dialog module's timer counts whole seconds, so a call ends within a second of its limit.
    ((end,),) = service.ends.values()
    assert list(service.ends) == [outcome.call_id]
    assert end["duration_seconds"] in (1, 2, 3), end


def test_kamailio_refuses_what_it_cannot_ask_about(tmp_path: Path) -> None:
    unreachable = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with (
        callee(tmp_path) as callee_port,
        kamailio(tmp_path, service_url=unreachable, switch_token="KEY_switch", relay_port=callee_port) as switch,
    ):
        outcomes = place_calls(
            tmp_path,
            switch.port,
            [Call(US.format(141), "", "answer"), Call(US.format(142), "42", "answer")],
            concurrent=1,
        )

    # No connection: refused without asking. No answer from the service: refused (fail closed).
    assert [(o.code, o.reason) for o in outcomes] == [(403, "unknown_connection"), (503, "authorization_unavailable")]


def test_kamailio_ends_a_call_when_the_daily_budget_runs_out(switch: Switch) -> None:
    """The service's own `max_duration_seconds`: a profile with 0.02 USD a day, US calls at a cent a
    second billed by the second. The first call gets 2 s; Kamailio hangs it up (the caller would
    stay), its record costs what it lasted, and once the day's budget is spent the next call is
    refused with the decision's 403."""
    deck = switch.workdir / "deck.csv"
    deck.write_text("prefix,country,rate,connect_fee,initial_increment,subsequent_increment\n1,US,0.60,0,1,1\n")
    subprocess.run(
        [sys.executable, "-m", "outbound_profiles", "rate-decks", "import", str(deck)],
        env={**os.environ, "OUTBOUND_PROFILES_DATABASE_URL": switch.database_url},
        cwd=switch.workdir,
        check=True,
        capture_output=True,
        timeout=60,
    )
    connection = httpx.post(
        f"{switch.base_url}/security/connections", json={"connection_name": "budget"}, headers=switch.tenant
    ).json()
    profile = httpx.post(
        f"{switch.base_url}/termination/endpoints",
        json={
            "connection_ids": [connection["id"]],
            "whitelisted_destinations": ["US"],
            "daily_spend_limit": "0.02",
            "daily_spend_limit_enabled": True,
        },
        headers=switch.tenant,
    ).json()
    deadline = time.monotonic() + 10
    while True:  # the server loads a new deck within a second
        figures = httpx.post(
            f"{switch.base_url}/termination/endpoints/{profile['id']}/actions/simulate_call",
            json={"to": US.format(150), "from": "+13125550100"},
            headers=switch.tenant,
        ).json()["figures"]
        if figures["rate"] == "0.60":
            break
        assert time.monotonic() < deadline, f"the deck never came into effect: {figures}"
        time.sleep(0.1)
    assert figures["max_duration_seconds"] == 2

    spent = Decimal(0)
    outcomes = []
    for number in range(151, 155):  # "wait": the caller never hangs up, the switch must
        (outcome,) = place_calls(
            switch.workdir, switch.kamailio_port, [Call(US.format(number), connection["id"], "wait")], concurrent=1
        )
        outcomes.append(outcome)
        if outcome.code != 200:
            break
        record = switch.records()[outcome.call_id]
        assert record.end_reason == "completed"
        # Cut at what the budget left bought; the dialog timer counts whole seconds.
        assert 1 <= record.duration_seconds <= 3, record.duration_seconds
        assert record.cost_micros == record.duration_seconds * 10_000
        spent += Decimal(record.cost_micros) / 1_000_000
    assert (outcomes[-1].code, outcomes[-1].reason) == (403, "daily_spend_limit_reached"), outcomes
    assert Decimal("0.02") <= spent <= Decimal("0.03")  # past the limit by the timer's second at most
    usage = httpx.get(f"{switch.base_url}/termination/endpoints/{profile['id']}/usage", headers=switch.tenant)
    assert Decimal(usage.json()["spend"]) == spent
