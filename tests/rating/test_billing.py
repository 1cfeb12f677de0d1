"""Billed seconds by increments, and a call's cost in exact decimals."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from outbound_profiles.rating.billing import billed_seconds, cost


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
