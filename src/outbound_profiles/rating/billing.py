"""What a call costs: billed seconds by increments, then connect fee plus per-minute rate.

Pure functions on `Decimal`, never a float: a rate is exact money, and a sum of many calls must not
drift. No rounding is applied here; the caller rounds where money changes hands.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

_SIXTY = Decimal(60)
# The longest call a switch is told it may make: the longest duration an end may report. A budget
# that buys more (a large limit at a small rate) buys this; the database keeps it as an integer.
LONGEST_CALL_SECONDS = 86_400 * 7


def billed_seconds(duration: int, initial_increment: int, subsequent_increment: int) -> int:
    """The seconds a call of `duration` seconds is billed for: nothing for an unanswered (0 s) call,
    else the initial increment, then whole subsequent increments for what goes past it."""
    if duration < 0:
        raise ValueError(f"a duration cannot be negative: {duration}")
    if initial_increment <= 0 or subsequent_increment <= 0:
        raise ValueError("increments must be positive")
    if duration == 0:
        return 0
    if duration <= initial_increment:
        return initial_increment
    beyond = duration - initial_increment
    return initial_increment + -(-beyond // subsequent_increment) * subsequent_increment


def cost(
    duration: int, *, rate: Decimal, connect_fee: Decimal, initial_increment: int, subsequent_increment: int
) -> Decimal:
    """USD for a call of `duration` seconds at `rate` USD a minute: connect fee plus billed time."""
    seconds = billed_seconds(duration, initial_increment, subsequent_increment)
    return connect_fee + rate * seconds / _SIXTY


_MICRO = Decimal("0.000001")


def cost_micros(
    duration: int, *, rate: Decimal, connect_fee: Decimal, initial_increment: int, subsequent_increment: int
) -> int:
    """`cost` in millionths of a USD, rounded half up: what a call record keeps, and what a day's
    spend adds up exactly (deck money has at most six decimals, so only the per-minute share rounds)."""
    exact = cost(
        duration,
        rate=rate,
        connect_fee=connect_fee,
        initial_increment=initial_increment,
        subsequent_increment=subsequent_increment,
    )
    return int(exact.quantize(_MICRO, rounding=ROUND_HALF_UP) / _MICRO)


def affordable_seconds(
    budget: Decimal, *, rate: Decimal, connect_fee: Decimal, initial_increment: int, subsequent_increment: int
) -> int | None:
    """The longest call `budget` USD pays for: a duration the increments bill exactly, so the call
    costs at most `budget`, and at most `LONGEST_CALL_SECONDS` (or the initial increment, if longer).
    0 when the budget does not pay for the first increment; None when time costs nothing (a zero
    rate) and the connect fee is paid: no limit applies."""
    if budget < connect_fee:
        return 0
    if rate == 0:
        return None
    seconds = int((budget - connect_fee) * _SIXTY // rate)  # billed seconds the budget buys
    if seconds < initial_increment:
        return 0
    seconds = min(seconds, max(LONGEST_CALL_SECONDS, initial_increment))
    return initial_increment + (seconds - initial_increment) // subsequent_increment * subsequent_increment
