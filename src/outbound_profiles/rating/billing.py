"""What a call costs: billed seconds by increments, then connect fee plus per-minute rate.

Pure functions on `Decimal`, never a float: a rate is exact money, and a sum of many calls must not
drift. No rounding is applied here; the caller rounds where money changes hands.
"""

from __future__ import annotations

from decimal import Decimal

_SIXTY = Decimal(60)


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
