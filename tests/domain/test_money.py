from __future__ import annotations

from decimal import Decimal

import pytest

from outbound_profiles.domain.money import cents, format_micros, format_usd, from_cents, parse_usd_amount


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("0", Decimal("0.00")),
        ("100", Decimal("100.00")),
        ("12.5", Decimal("12.50")),
        ("0.01", Decimal("0.01")),
        ("999999999999.99", Decimal("999999999999.99")),
    ],
)
def test_parse_usd_amount(text: str, amount: Decimal) -> None:
    parsed = parse_usd_amount(text)

    assert parsed == amount
    assert parsed is not None
    assert parsed.as_tuple().exponent == -2


@pytest.mark.parametrize(
    "text",
    ["1.234", "-1", "+1", "01", ".5", "1.", "1e3", "NaN", "Infinity", "", " 1", "1 ", "1.00\n", "1,00", "\u0661"],
)
def test_parse_usd_amount_refuses_what_is_not_an_amount(text: str) -> None:
    assert parse_usd_amount(text) is None


@pytest.mark.parametrize(("amount", "value"), [(Decimal("0.00"), 0), (Decimal("12.50"), 1250), (Decimal("0.29"), 29)])
def test_cents_round_trip(amount: Decimal, value: int) -> None:
    assert cents(amount) == value
    assert from_cents(value) == amount
    assert format_usd(value) == f"{amount:.2f}"


def test_cents_are_exact_for_large_amounts() -> None:
    amount = parse_usd_amount("999999999999.99")
    assert amount is not None

    assert cents(amount) == 99_999_999_999_999
    assert format_usd(99_999_999_999_999) == "999999999999.99"


@pytest.mark.parametrize(
    ("micros", "text"),
    [(0, "0.000000"), (1, "0.000001"), (11_000, "0.011000"), (12_345_678, "12.345678"), (-1_500_000, "-1.500000")],
)
def test_format_micros_is_usd_with_six_decimals(micros: int, text: str) -> None:
    assert format_micros(micros) == text
    assert Decimal(text) * 1_000_000 == micros
