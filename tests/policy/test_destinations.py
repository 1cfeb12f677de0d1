from __future__ import annotations

import pytest

from outbound_profiles.policy.destinations import covered, destination


@pytest.mark.parametrize(
    ("number", "country"),
    [
        ("+12025550123", "US"),
        ("+18765551234", "JM"),  # +1 is shared by 25 regions
        ("+14165550123", "CA"),
        ("+390669812345", "VA"),  # +39 06 698: the Vatican
        ("+390612345678", "IT"),
        ("+447911123456", "GG"),
        ("+442071234567", "GB"),
    ],
)
def test_the_country_of_a_number(number: str, country: str) -> None:
    found = destination(number)
    assert found is not None
    assert found.country == country
    assert found.digits == number[1:]


def test_non_geographic_numbers_have_no_country() -> None:
    found = destination("+80012345678")
    assert found is not None
    assert found.non_geographic


@pytest.mark.parametrize("number", ["", "+", "12025550123", "+1202", "+0123456789", "+1 2025550123", "+1202555012x"])
def test_not_valid_e164(number: str) -> None:
    assert destination(number) is None


def test_plans() -> None:
    us, uk, free = destination("+12025550123"), destination("+442071234567"), destination("+80012345678")
    assert us is not None
    assert uk is not None
    assert free is not None
    assert covered(1, us)
    assert not covered(1, uk)
    assert not covered(1, free)
    assert covered(2, uk)
    assert covered(4, uk)
    assert covered(4, free)
