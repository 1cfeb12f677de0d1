from __future__ import annotations

import pytest

from outbound_profiles.domain.phone import e164_problem


@pytest.mark.parametrize(
    "number",
    ["+13125550100", "+442071838750", "+33142685300", "+4930901820", "+81312345678", "+80012345678"],
)
def test_possible_e164_numbers_are_accepted(number: str) -> None:
    assert e164_problem(number) is None


@pytest.mark.parametrize(
    ("number", "why"),
    [
        ("13125550100", "E.164"),
        ("+1 312 555 0100", "E.164"),
        ("+", "E.164"),
        ("+1", "E.164"),
        ("+1234567890123456", "E.164"),
        ("+١٣١٢٥٥٥٠١٠٠", "E.164"),
        ("+13125550100\n", "E.164"),
        ("", "E.164"),
        ("+0123456789", "country calling code"),
        ("+99912345", "country calling code"),
        ("+1312", "possible"),
        ("+4420", "possible"),
    ],
)
def test_impossible_numbers_say_why(number: str, why: str) -> None:
    problem = e164_problem(number)

    assert problem is not None
    assert why in problem
    assert repr(number) in problem
