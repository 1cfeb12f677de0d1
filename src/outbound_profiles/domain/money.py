"""USD amounts: Decimal throughout, never a float."""

from __future__ import annotations

import re
from decimal import Decimal

# At most 2 decimals, no sign, no exponent: "100", "100.5", "100.00".
_USD_AMOUNT = re.compile(r"(0|[1-9][0-9]{0,11})(\.[0-9]{1,2})?")
_CENT = Decimal("0.01")


def parse_usd_amount(text: str) -> Decimal | None:
    """The amount a string states, or None when it is not a non-negative amount with <= 2 decimals."""
    if not _USD_AMOUNT.fullmatch(text):
        return None
    return Decimal(text).quantize(_CENT)


def cents(amount: Decimal) -> int:
    return int(amount * 100)


def from_cents(value: int) -> Decimal:
    return (Decimal(value) / 100).quantize(_CENT)


def format_usd(value: int) -> str:
    return f"{from_cents(value):.2f}"


def format_micros(value: int) -> str:
    """Millionths of a USD as a USD amount with six decimals: 11000 -> "0.011000"."""
    sign = "-" if value < 0 else ""
    whole, fraction = divmod(abs(value), 1_000_000)
    return f"{sign}{whole}.{fraction:06d}"
