"""The admission counters' contract, the same on both backends: the reasons and their order, exact admission
under concurrency, the sliding CPS window, per-number counts per window occurrence, idempotence, and the loss
of state and its restore."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter as Tally
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outbound_profiles.config import Settings
from outbound_profiles.counters import (
    Admission,
    Counters,
    CountersLost,
    Held,
    MemoryCounters,
    Usage,
    from_settings,
)
from outbound_profiles.counters.redis import RedisCounters
from tests.counters.harness import Backend

ACCOUNT = 41
PROFILE = 7
T0 = 1_800_000_000_000
_accounts = itertools.count(1000)


def admission(
    call_id: str,
    now_ms: int = T0,
    *,
    profile_id: int = PROFILE,
    cps: int = 1000,
    ports: int | None = None,
    account_ports: int | None = None,
    cld: str | None = None,
    cld_limit: int | None = None,
    cld_window_end_ms: int | None = None,
) -> Admission:
    if cld_limit is not None and cld_window_end_ms is None:
        cld_window_end_ms = T0 + 3_600_000
    return Admission(call_id, ACCOUNT, profile_id, cps, ports, account_ports, cld, cld_limit, cld_window_end_ms, now_ms)


async def restored(counters: Counters, now_ms: int = T0) -> Counters:
    await counters.restore(ACCOUNT, [], now_ms)
    return counters


def test_state_is_lost_until_restored(backend: Backend) -> None:
    async def scenario(counters: Counters) -> None:
        with pytest.raises(CountersLost) as lost:
            await counters.admit(admission("a"))
        assert lost.value.account_id == ACCOUNT
        with pytest.raises(CountersLost):
            await counters.usage(ACCOUNT, PROFILE, T0)
        assert await counters.release(ACCOUNT, PROFILE, "a") is False
        await counters.restore(ACCOUNT, [], T0)
        assert await counters.admit(admission("a")) is None
        with pytest.raises(CountersLost):  # another tenant's state is its own
            await counters.admit(Admission("b", ACCOUNT + 1, PROFILE, 10, None, None, None, None, None, T0))

    backend.run(scenario)


def test_each_reason_in_order(backend: Backend) -> None:
    limits = {"cps": 1, "ports": 1, "account_ports": 1, "cld_limit": 1}

    async def scenario(counters: Counters) -> None:
        await restored(counters)
        assert await counters.admit(admission("a", cld="+1", **limits)) is None
        # Every limit is now reached: each refusal is the first in order, until it is lifted.
        assert await counters.admit(admission("b", cld="+1", **limits)) == "calls_per_cld_exceeded"
        assert await counters.admit(admission("b", cld="+2", **limits)) == "cps_limit_exceeded"
        later = T0 + 1000
        assert await counters.admit(admission("b", later, cld="+2", **limits)) == "profile_ports_exhausted"
        other = admission("b", later, profile_id=PROFILE + 1, cps=1, ports=1, account_ports=1)
        assert await counters.admit(other) == "account_ports_exhausted"
        everything = admission("b", later, profile_id=PROFILE + 1, cps=1, ports=1, account_ports=2)
        assert await counters.admit(everything) is None

    backend.run(scenario)


def test_zero_allows_nothing_and_none_is_no_limit(backend: Backend) -> None:
    async def scenario(counters: Counters) -> None:
        await restored(counters)
        assert await counters.admit(admission("a", ports=0)) == "profile_ports_exhausted"
        assert await counters.admit(admission("a", account_ports=0)) == "account_ports_exhausted"
        assert await counters.admit(admission("a", cps=0)) == "cps_limit_exceeded"
        assert await counters.admit(admission("a", cld="+1", cld_limit=0)) == "calls_per_cld_exceeded"
        for n in range(50):
            assert await counters.admit(admission(f"c{n}")) is None
        assert await counters.usage(ACCOUNT, PROFILE, T0) == Usage(50, 50, 50, None)

    backend.run(scenario)


def test_a_refusal_reserves_nothing(backend: Backend) -> None:
    async def scenario(counters: Counters) -> None:
        await restored(counters)
        assert await counters.admit(admission("a", ports=1, cld="+1", cld_limit=5)) is None
        before = await counters.usage(ACCOUNT, PROFILE, T0, "+1", T0 + 3_600_000)
        for n in range(5):
            assert await counters.admit(admission(f"b{n}", ports=1, cld="+1", cld_limit=5)) == "profile_ports_exhausted"
        assert await counters.usage(ACCOUNT, PROFILE, T0, "+1", T0 + 3_600_000) == before == Usage(1, 1, 1, 1)

    backend.run(scenario)


@pytest.mark.parametrize(
    ("limits", "reason"),
    [
        ({"ports": 7}, "profile_ports_exhausted"),
        ({"account_ports": 7}, "account_ports_exhausted"),
        ({"cps": 7}, "cps_limit_exceeded"),
        ({"cld": "+1", "cld_limit": 7}, "calls_per_cld_exceeded"),
    ],
)
def test_concurrent_admits_are_exact(backend: Backend, limits: dict[str, Any], reason: str) -> None:
    async def scenario(counters: Counters) -> Tally[object]:
        await restored(counters)
        answers = await asyncio.gather(*(counters.admit(admission(f"c{n}", **limits)) for n in range(120)))
        return Tally(answers)

    assert backend.run(scenario) == {None: 7, reason: 113}


def test_cps_is_a_sliding_window_of_1000_ms(backend: Backend) -> None:
    async def scenario(counters: Counters) -> None:
        await restored(counters)
        for n, at in enumerate([0, 200, 400, 600, 800]):
            assert await counters.admit(admission(f"a{n}", T0 + at, cps=5)) is None
            assert await counters.release(ACCOUNT, PROFILE, f"a{n}")  # ending a call gives back no CPS slot
        assert await counters.admit(admission("b", T0 + 999, cps=5)) == "cps_limit_exceeded"
        assert (await counters.usage(ACCOUNT, PROFILE, T0 + 999)).cps_used == 5
        assert await counters.admit(admission("b", T0 + 1000, cps=5)) is None  # the one at 0 has left the window
        assert await counters.admit(admission("c", T0 + 1199, cps=5)) == "cps_limit_exceeded"
        assert await counters.admit(admission("c", T0 + 1200, cps=5)) is None
        assert (await counters.usage(ACCOUNT, PROFILE, T0 + 1200)).cps_used == 5
        assert (await counters.usage(ACCOUNT, PROFILE, T0 + 5000)).cps_used == 0
        assert (await counters.usage(ACCOUNT, PROFILE + 1, T0 + 1200)).cps_used == 0  # per profile

    backend.run(scenario)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(gaps=st.lists(st.integers(min_value=0, max_value=400), min_size=1, max_size=60))
def test_no_1000_ms_interval_holds_more_than_cps(backend: Backend, gaps: list[int]) -> None:
    cps = 5
    account = next(_accounts)  # each example on a tenant of its own

    async def scenario(counters: Counters) -> list[int]:
        await counters.restore(account, [], T0)
        allowed: list[int] = []
        now = T0
        for n, gap in enumerate(gaps):
            now += gap
            recent = sum(1 for at in allowed if at > now - 1000)
            answer = await counters.admit(Admission(f"c{n}", account, PROFILE, cps, None, None, None, None, None, now))
            assert answer == (None if recent < cps else "cps_limit_exceeded")
            if answer is None:
                allowed.append(now)
        return allowed

    allowed = backend.run(scenario)
    assert all(sum(1 for at in allowed if start <= at < start + 1000) <= cps for start in allowed)


def test_per_number_counts_are_per_window_occurrence(backend: Backend) -> None:
    first_end, second_end = T0 + 60_000, T0 + 120_000

    async def scenario(counters: Counters) -> None:
        await restored(counters)

        def to(call: str, number: str, now: int, end: int) -> Admission:
            return admission(call, now, cld=number, cld_limit=2, cld_window_end_ms=end)

        assert await counters.admit(to("a", "+1", T0, first_end)) is None
        assert await counters.admit(to("b", "+1", T0 + 1, first_end)) is None
        assert await counters.release(ACCOUNT, PROFILE, "a")  # ending a call gives back no per-number slot
        assert await counters.admit(to("c", "+1", T0 + 2, first_end)) == "calls_per_cld_exceeded"
        assert await counters.admit(to("c", "+2", T0 + 2, first_end)) is None  # another number
        assert (await counters.usage(ACCOUNT, PROFILE, T0 + 2, "+1", first_end)).cld_used == 2
        assert (await counters.usage(ACCOUNT, PROFILE, T0 + 2, "+3", first_end)).cld_used == 0
        assert await counters.admit(to("d", "+1", first_end, second_end)) is None  # the next occurrence
        assert (await counters.usage(ACCOUNT, PROFILE, first_end, "+1", second_end)).cld_used == 1
        assert (await counters.usage(ACCOUNT, PROFILE, first_end, "+1", first_end)).cld_used == 0  # that one ended

    backend.run(scenario)


def test_admit_and_release_are_idempotent(backend: Backend) -> None:
    async def scenario(counters: Counters) -> None:
        await restored(counters)
        assert await counters.admit(admission("a", ports=1)) is None
        assert await counters.admit(admission("a", ports=1)) == "held"
        assert await counters.admit(admission("a", ports=0, cps=0)) == "held"  # whatever the limits now
        assert await counters.usage(ACCOUNT, PROFILE, T0) == Usage(1, 1, 1, None)
        assert await counters.release(ACCOUNT, PROFILE, "a") is True
        assert await counters.release(ACCOUNT, PROFILE, "a") is False
        assert await counters.usage(ACCOUNT, PROFILE, T0) == Usage(0, 0, 1, None)
        assert await counters.admit(admission("a", T0 + 1, ports=1)) is None  # a new reservation, a new CPS slot
        assert await counters.usage(ACCOUNT, PROFILE, T0 + 1) == Usage(1, 1, 2, None)

    backend.run(scenario)


def test_withdraw_gives_back_all_that_admit_reserved(backend: Backend) -> None:
    end = T0 + 60_000

    async def scenario(counters: Counters) -> None:
        await restored(counters)

        def to(call: str, now: int) -> Admission:
            return admission(call, now, cps=2, ports=1, cld="+1", cld_limit=1, cld_window_end_ms=end)

        assert await counters.admit(to("a", T0)) is None
        assert await counters.usage(ACCOUNT, PROFILE, T0, "+1", end) == Usage(1, 1, 1, 1)
        # Not allowed after all (its write failed, or its id was an ended call's): no port, no CPS slot,
        # no per-number slot stays taken, unlike a release.
        assert await counters.withdraw(to("a", T0)) is True
        assert await counters.usage(ACCOUNT, PROFILE, T0, "+1", end) == Usage(0, 0, 0, 0)
        assert await counters.withdraw(to("a", T0)) is False  # once only
        assert await counters.admit(to("b", T0 + 1)) is None
        assert await counters.admit(to("c", T0 + 2)) == "calls_per_cld_exceeded"  # b's slot is b's
        assert await counters.release(ACCOUNT, PROFILE, "b") is True
        assert await counters.withdraw(to("b", T0 + 1)) is False  # an ended call's slots stay counted
        assert await counters.usage(ACCOUNT, PROFILE, T0 + 2, "+1", end) == Usage(0, 0, 1, 1)

    backend.run(scenario)


def test_restore_rebuilds_a_lost_state_and_leaves_a_present_one_alone(backend: Backend) -> None:
    calls = [Held("a", PROFILE, T0 - 5000), Held("b", PROFILE, T0 - 999), Held("c", PROFILE + 1, T0), Held("a", 9, 0)]

    async def scenario(counters: Counters) -> None:
        await counters.restore(ACCOUNT, calls, T0)
        # The CPS logs hold the calls started in the last 1000 ms; a call listed twice holds one port.
        assert await counters.usage(ACCOUNT, PROFILE, T0) == Usage(2, 3, 1, None)
        assert await counters.usage(ACCOUNT, PROFILE + 1, T0) == Usage(1, 3, 1, None)
        assert await counters.admit(admission("a", ports=0)) == "held"
        assert await counters.admit(admission("d", ports=2)) == "profile_ports_exhausted"
        assert await counters.admit(admission("d", cps=1)) == "cps_limit_exceeded"
        assert await counters.release(ACCOUNT, PROFILE, "a") is True
        assert await counters.admit(admission("d", ports=2)) is None
        # A second restore (another worker's, from an older read of the database) changes nothing:
        # "d", admitted since, keeps its port.
        await counters.restore(ACCOUNT, [], T0)
        assert await counters.usage(ACCOUNT, PROFILE, T0) == Usage(2, 3, 2, None)

    backend.run(scenario)


def test_restore_after_the_state_is_lost(backend: Backend) -> None:
    async def scenario(counters: Counters) -> None:
        await restored(counters)
        for n in range(4):
            assert await counters.admit(admission(f"c{n}", T0 + n, ports=4)) is None
        assert await counters.release(ACCOUNT, PROFILE, "c0")
        counters = await backend.lose(counters)
        with pytest.raises(CountersLost):
            await counters.admit(admission("d", T0 + 10, ports=4))
        # The database's active calls: the three that have not ended.
        await counters.restore(ACCOUNT, [Held(f"c{n}", PROFILE, T0 + n) for n in (1, 2, 3)], T0 + 10)
        assert await counters.usage(ACCOUNT, PROFILE, T0 + 10) == Usage(3, 3, 3, None)
        assert await counters.admit(admission("c1", T0 + 10, ports=4)) == "held"
        assert await counters.admit(admission("d", T0 + 10, ports=4)) is None
        assert await counters.admit(admission("e", T0 + 10, ports=4)) == "profile_ports_exhausted"
        await counters.close()

    backend.run(scenario)


def test_the_tenants_held_and_their_calls_are_listed(backend: Backend) -> None:
    async def scenario(counters: Counters) -> None:
        assert await counters.accounts() == []
        assert await counters.held(ACCOUNT) is None  # lost: nothing to say of its calls
        await counters.restore(ACCOUNT, [Held("a", PROFILE, T0)], T0)
        await counters.restore(ACCOUNT + 1, [], T0)
        assert await counters.admit(admission("b", profile_id=PROFILE + 1)) is None
        assert await counters.accounts() == [ACCOUNT, ACCOUNT + 1]
        assert set(await counters.held(ACCOUNT) or {}) == {"a", "b"}
        assert await counters.held(ACCOUNT + 1) == {}
        assert await counters.release(ACCOUNT, PROFILE, "a") is True
        assert set(await counters.held(ACCOUNT) or {}) == {"b"}
        assert await counters.withdraw(admission("b", profile_id=PROFILE + 1)) is True
        assert await counters.held(ACCOUNT) == {}
        counters = await backend.lose(counters)
        assert await counters.accounts() == []
        await counters.close()

    backend.run(scenario)


def test_a_reservation_is_released_by_its_stamp_only_while_it_carries_it(backend: Backend) -> None:
    async def scenario(counters: Counters) -> None:
        await counters.restore(ACCOUNT, [Held("a", PROFILE, T0)], T0)
        assert await counters.admit(admission("b", ports=3)) is None
        first = await counters.held(ACCOUNT) or {}
        assert len(set(first.values())) == 2  # each reservation its own stamp
        # A retry takes "b" over: a new stamp, and the old one releases nothing.
        assert await counters.admit(admission("b", ports=3)) == "held"
        taken_over = await counters.held(ACCOUNT) or {}
        assert taken_over["b"] != first["b"]
        assert taken_over["a"] == first["a"]
        assert await counters.release_reservation(ACCOUNT, "b", first["b"]) is False
        assert await counters.usage(ACCOUNT, PROFILE, T0) == Usage(2, 2, 2, None)
        assert await counters.release_reservation(ACCOUNT, "b", taken_over["b"]) is True
        assert await counters.release_reservation(ACCOUNT, "b", taken_over["b"]) is False
        assert await counters.usage(ACCOUNT, PROFILE, T0) == Usage(1, 1, 2, None)
        # Made anew: a stamp no earlier reservation of the id carried.
        assert await counters.admit(admission("b", T0 + 1, ports=3)) is None
        again = await counters.held(ACCOUNT) or {}
        assert again["b"] not in (first["b"], taken_over["b"])
        assert await counters.release_reservation(ACCOUNT, "nobody", again["a"]) is False
        assert await counters.release_reservation(ACCOUNT + 1, "a", again["a"]) is False  # lost
        assert await counters.release_reservation(ACCOUNT, "a", again["a"]) is True

    backend.run(scenario)


def test_only_counters_other_processes_share_may_hold_a_reservation_a_dead_process_made() -> None:
    assert MemoryCounters.shared is False
    assert RedisCounters.shared is True


def test_an_admission_that_cannot_be_counted_is_refused() -> None:
    with pytest.raises(ValueError, match="called number"):
        admission("a", cld=None, cld_limit=1)
    with pytest.raises(ValueError, match="after now_ms"):
        admission("a", cld="+1", cld_limit=1, cld_window_end_ms=T0)
    assert admission("a", cld="+1").cld_window_end_ms is None  # a number with no limit is not counted


def test_from_settings_picks_the_backend() -> None:
    assert isinstance(from_settings(Settings()), MemoryCounters)
    counters = from_settings(Settings(redis_url="redis://127.0.0.1:1/0"))  # connects only when first used
    assert isinstance(counters, RedisCounters)
    asyncio.run(counters.close())
