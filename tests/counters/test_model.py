"""Each backend against a plain reference model, under random sequences of admits, releases, the passing of
time, the loss of the store's state and its restore from the durable active calls.

The model keeps every admission time and recounts from scratch, where the backends trim and count
incrementally: any disagreement about a reason, "held", a release or a count fails the test.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from outbound_profiles.counters import Admission, Counters, CountersLost, Held, Reason, Usage, Verdict
from tests.counters.harness import Backend

T0 = 1_800_000_000_000
WINDOW_MS = 1500  # the calling window's occurrences for the per-number limit, short so that they turn over
PROFILES = (1, 2)
NUMBERS = ("+1", "+2")
_accounts = itertools.count(1)
LIMIT = st.none() | st.none() | st.integers(0, 3)  # no limit, more often


@dataclass
class Model:
    calls: dict[str, tuple[int, int]] = field(default_factory=dict)  # the durable active calls: profile, start
    admitted: dict[int, list[int]] = field(default_factory=dict)  # profile -> the times it admitted at
    per_number: dict[tuple[int, str, int], int] = field(default_factory=dict)
    lost: bool = False

    def cps_used(self, profile: int, now: int) -> int:
        return sum(1 for at in self.admitted.get(profile, []) if now - 1000 < at)

    def profile_calls(self, profile: int) -> int:
        return sum(1 for held, _ in self.calls.values() if held == profile)

    def admit(self, a: Admission) -> Verdict:
        if a.call_id in self.calls:
            return "held"
        key = (a.profile_id, a.cld or "", a.cld_window_end_ms or 0)
        reason: Reason | None = None
        if a.cld_limit is not None and self.per_number.get(key, 0) >= a.cld_limit:
            reason = "calls_per_cld_exceeded"
        elif self.cps_used(a.profile_id, a.now_ms) >= a.cps:
            reason = "cps_limit_exceeded"
        elif a.ports is not None and self.profile_calls(a.profile_id) >= a.ports:
            reason = "profile_ports_exhausted"
        elif a.account_ports is not None and len(self.calls) >= a.account_ports:
            reason = "account_ports_exhausted"
        if reason is None:
            self.calls[a.call_id] = (a.profile_id, a.now_ms)
            self.admitted.setdefault(a.profile_id, []).append(a.now_ms)
            if a.cld_limit is not None:
                self.per_number[key] = self.per_number.get(key, 0) + 1
        return reason

    def restore(self, now: int) -> None:
        if not self.lost:
            return  # a present state is left as it is
        self.admitted = {}
        for profile, started in self.calls.values():
            if now - 1000 < started:
                self.admitted.setdefault(profile, []).append(started)
        self.lost = False


def window_end(now: int) -> int:
    return (now // WINDOW_MS + 1) * WINDOW_MS


class CountersMachine(RuleBasedStateMachine):
    backend: Backend

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.counters: Counters = self.backend.open()
        self.account = next(_accounts)  # each run on a tenant of its own
        self.now = T0
        self.fresh = 0
        self.model = Model()
        self.loop.run_until_complete(self.counters.restore(self.account, [], self.now))

    def teardown(self) -> None:
        self.loop.run_until_complete(self.counters.close())
        self.loop.close()

    @rule(
        call=st.sampled_from([f"c{n}" for n in range(10)]),
        profile=st.sampled_from(PROFILES),
        cps=st.integers(1, 3) | st.just(0),
        ports=LIMIT,
        account_ports=LIMIT,
        number=st.sampled_from(NUMBERS),
        cld_limit=LIMIT,
    )
    def admit(
        self,
        call: str,
        profile: int,
        cps: int,
        ports: int | None,
        account_ports: int | None,
        number: str,
        cld_limit: int | None,
    ) -> None:
        end = window_end(self.now) if cld_limit is not None else None
        cld = number if cld_limit is not None else None
        a = Admission(call, self.account, profile, cps, ports, account_ports, cld, cld_limit, end, self.now)
        if self.model.lost:
            with pytest.raises(CountersLost):
                self.loop.run_until_complete(self.counters.admit(a))
            return
        assert self.loop.run_until_complete(self.counters.admit(a)) == self.model.admit(a)

    @rule(profile=st.sampled_from(PROFILES), headroom=st.integers(0, 1))
    def admit_new(self, profile: int, headroom: int) -> None:
        """A call never seen, with only a CPS limit, set at the edge of what the model finds in use."""
        cps = self.model.cps_used(profile, self.now) + headroom
        self.fresh += 1
        a = Admission(f"n{self.fresh}", self.account, profile, cps, None, None, None, None, None, self.now)
        if self.model.lost:
            with pytest.raises(CountersLost):
                self.loop.run_until_complete(self.counters.admit(a))
            return
        assert self.loop.run_until_complete(self.counters.admit(a)) == self.model.admit(a)

    @rule(call=st.sampled_from([f"c{n}" for n in range(10)]), profile=st.sampled_from(PROFILES))
    def release(self, call: str, profile: int) -> None:
        held = call in self.model.calls and not self.model.lost
        self.model.calls.pop(call, None)  # the call ends in the database either way
        assert self.loop.run_until_complete(self.counters.release(self.account, profile, call)) is held

    @rule(ms=st.sampled_from([1, 250, 500, 999, 1000, 1500]))  # steps that land on the windows' edges
    def advance(self, ms: int) -> None:
        self.now += ms

    @rule(chance=st.integers(0, 5))
    def lose(self, chance: int) -> None:
        if chance or self.model.lost:  # rarely, so that most steps run on a present state
            return
        self.counters = self.loop.run_until_complete(self.backend.lose(self.counters))
        self.model.lost = True
        self.model.per_number = {}

    @rule(chance=st.integers(0, 1))
    def restore(self, chance: int) -> None:
        if chance and not self.model.lost:  # mostly after a loss, sometimes over a present state
            return
        held = [Held(call, profile, started) for call, (profile, started) in self.model.calls.items()]
        self.loop.run_until_complete(self.counters.restore(self.account, held, self.now))
        self.model.restore(self.now)

    @invariant()
    def usage_agrees(self) -> None:
        if self.model.lost:
            return
        end = window_end(self.now)
        for profile, number in itertools.product(PROFILES, NUMBERS):
            found = self.loop.run_until_complete(self.counters.usage(self.account, profile, self.now, number, end))
            assert found == Usage(
                profile_calls=self.model.profile_calls(profile),
                account_calls=len(self.model.calls),
                cps_used=self.model.cps_used(profile, self.now),
                cld_used=self.model.per_number.get((profile, number, end), 0),
            )


def test_backend_agrees_with_the_model(backend: Backend) -> None:
    machine = type(f"CountersMachine_{backend.name}", (CountersMachine,), {"backend": backend})
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=300 if backend.name == "memory" else 100,
            stateful_step_count=60,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
