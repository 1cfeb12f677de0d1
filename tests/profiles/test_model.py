from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from outbound_profiles.accounts.account import Account
from outbound_profiles.profiles.model import CallingWindow, changed_columns, new_profile, to_row

_AT = datetime(2026, 11, 27, 1, 2, 3, tzinfo=UTC)
_ACCOUNT = Account(1, "u@example.com", None, 100, 1000)


def test_changed_columns_names_the_columns_of_the_fields_that_differ() -> None:
    before = new_profile(10, _ACCOUNT, {"name": "a", "ports": 1}, _AT)
    window = CallingWindow(start_time="22:00:00", end_time="06:00:00", calls_per_cld=None)
    values = {"name": "a", "ports": 2, "daily_spend_limit": Decimal("1.00"), "calling_window": window, "active": True}

    columns = changed_columns(before, values)

    assert columns == [
        "ports",
        "daily_spend_limit_cents",
        "calling_window_start_time",
        "calling_window_end_time",
        "calling_window_calls_per_cld",
    ]
    assert set(columns) <= set(to_row(before))
