from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DEFAULT_CPS = 100
DEFAULT_MAX_CPS = 1000


@dataclass(frozen=True, slots=True)
class Account:
    """A user and the account settings the profile rules use."""

    id: int
    email: str
    concurrent_call_limit: int | None
    default_cps: int
    max_cps: int

    @classmethod
    def from_row(cls, row: Any) -> Account:
        return cls(row.id, row.email, row.concurrent_call_limit, row.default_cps, row.max_cps)
