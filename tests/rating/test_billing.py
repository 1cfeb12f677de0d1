"""Billed seconds by increments, and a call's cost in exact decimals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from outbound_profiles.rating.billing import (
    LONGEST_CALL_SECONDS,
    affordable_seconds,
    billed_seconds,
    cost,
    cost_micros,
)


def test_a_61_second_call_on_6_6_increments_at_a_cent_a_minute_costs_0_011() -> None:
    assert billed_seconds(61, 6, 6) == 66
    assert cost(61, rate=Decimal("0.01"), connect_fee=Decimal(0), initial_increment=6, subsequent_increment=6) == (
        Decimal("0.011")
    )


@pytest.mark.parametrize(
    ("duration", "initial", "subsequent", "billed"),
    [
        (0, 60, 60, 0),
        (1, 60, 60, 60),
        (60, 60, 60, 60),
        (61, 60, 60, 120),
        (1, 30, 6, 30),
        (31, 30, 6, 36),
        (36, 30, 6, 36),
        (37, 30, 6, 42),
        (1, 1, 1, 1),
    ],
)
def test_billed_seconds(duration: int, initial: int, subsequent: int, billed: int) -> None:
    assert billed_seconds(duration, initial, subsequent) == billed


def test_an_unanswered_call_costs_the_connect_fee_only() -> None:
    assert cost(0, rate=Decimal(1), connect_fee=Decimal("0.05"), initial_increment=60, subsequent_increment=60) == (
        Decimal("0.05")
    )


def test_cost_adds_the_connect_fee() -> None:
    # 90 s on 60/60: 120 s billed, 2 minutes at 0.5, plus 0.1.
    assert cost(90, rate=Decimal("0.5"), connect_fee=Decimal("0.1"), initial_increment=60, subsequent_increment=60) == (
        Decimal("1.1")
    )


@pytest.mark.parametrize(("duration", "initial", "subsequent"), [(-1, 60, 60), (10, 0, 60), (10, 60, 0)])
def test_nonsense_is_refused(duration: int, initial: int, subsequent: int) -> None:
    with pytest.raises(ValueError, match=r"negative|positive"):
        billed_seconds(duration, initial, subsequent)


@given(st.integers(1, 100_000), st.integers(1, 600), st.integers(1, 600))
def test_billed_time_covers_the_call_by_less_than_one_increment(duration: int, initial: int, subsequent: int) -> None:
    billed = billed_seconds(duration, initial, subsequent)
    assert billed >= duration
    assert billed == initial or (billed - initial) % subsequent == 0
    assert billed - duration < max(initial, subsequent)


def test_a_record_keeps_the_cost_in_micro_dollars_rounded_half_up() -> None:
    tariff: dict[str, Any] = {"connect_fee": Decimal(0), "initial_increment": 6, "subsequent_increment": 6}
    assert cost_micros(61, rate=Decimal("0.01"), **tariff) == 11_000
    # 0.0001 a minute for 6 s is 0.00001 exactly; 0.000005 a minute for 6 s is 0.0000005: rounded up.
    assert cost_micros(6, rate=Decimal("0.0001"), **tariff) == 10
    assert cost_micros(6, rate=Decimal("0.000005"), **tariff) == 1


def test_the_budget_buys_whole_increments_after_the_connect_fee() -> None:
    def seconds(budget: str, rate: str, fee: str = "0", initial: int = 1, subsequent: int = 1) -> int | None:
        return affordable_seconds(
            Decimal(budget),
            rate=Decimal(rate),
            connect_fee=Decimal(fee),
            initial_increment=initial,
            subsequent_increment=subsequent,
        )

    assert seconds("1", "0.6") == 100
    assert seconds("1", "0.6", "0.1", 60, 6) == 90
    assert seconds("1", "0.6", "0.1", 60, 60) == 60
    assert seconds("0.05", "0.6", "0", 6, 6) == 0  # not even the first 6 s: 0.06
    assert seconds("0.05", "0.6", "0.06") == 0  # not the connect fee
    assert seconds("0.05", "0", "0.01") is None  # time is free: no limit
    assert seconds("0.05", "0", "0.06") == 0


def test_a_budget_that_buys_more_than_the_longest_call_buys_the_longest_call() -> None:
    def seconds(budget: str, rate: str, initial: int = 1, subsequent: int = 1) -> int | None:
        return affordable_seconds(
            Decimal(budget),
            rate=Decimal(rate),
            connect_fee=Decimal(0),
            initial_increment=initial,
            subsequent_increment=subsequent,
        )

    # 10^11 seconds would not fit the database's integer (nor mean anything to a switch).
    assert seconds("100000", "0.000001") == LONGEST_CALL_SECONDS == 604_800
    assert seconds("100000", "0.000001", 60, 7) == 604_797  # whole increments: 60 + 86,391 x 7
    assert seconds("100000", "0.000001", 999_999, 60) == 999_999  # the first increment is longer still
    assert seconds("0.00001", "0.000001", 1, 1) == 600  # well within it: what the budget buys


@given(
    st.decimals(Decimal("0.000001"), Decimal(1000), places=6),
    st.decimals(Decimal("0.000001"), Decimal(100), places=6),
    st.decimals(Decimal(0), Decimal(1), places=6),
    st.integers(1, 600),
    st.integers(1, 600),
)
def test_the_longest_affordable_call_costs_at_most_the_budget_and_one_increment_more_does_not(
    budget: Decimal, rate: Decimal, fee: Decimal, initial: int, subsequent: int
) -> None:
    tariff: dict[str, Any] = {
        "rate": rate,
        "connect_fee": fee,
        "initial_increment": initial,
        "subsequent_increment": subsequent,
    }
    longest = affordable_seconds(budget, **tariff)
    assert longest is not None
    if longest == 0:
        assert cost(1, **tariff) > budget
        return
    assert billed_seconds(longest, initial, subsequent) == longest
    assert cost(longest, **tariff) <= budget
    if longest > LONGEST_CALL_SECONDS - subsequent:  # the budget buys more than any call may last
        assert longest <= LONGEST_CALL_SECONDS
        return
    assert cost(longest + 1, **tariff) > budget
