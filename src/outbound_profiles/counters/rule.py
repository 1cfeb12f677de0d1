"""The admission rule: which limit, if any, refuses a call, given what is in use. A pure function over plain
numbers, so that the in-process backend applies it and the Redis backend's Lua script mirrors it line by line
(`admit.lua`); the tests hold both to one reference model."""

from __future__ import annotations

from dataclasses import dataclass

from outbound_profiles.counters.base import Admission, Reason


@dataclass(frozen=True, slots=True)
class InUse:
    cld_used: int  # calls allowed to this number in the current window occurrence (0 when no limit applies)
    cps_used: int  # calls allowed on the profile in the last 1000 ms
    profile_calls: int  # active calls on the profile
    account_calls: int  # active calls of the account


def first_refusal(admission: Admission, in_use: InUse) -> Reason | None:
    """The first limit that refuses, in the order the switch reports them; None when all pass."""
    if admission.cld_limit is not None and in_use.cld_used >= admission.cld_limit:
        return "calls_per_cld_exceeded"
    if in_use.cps_used >= admission.cps:
        return "cps_limit_exceeded"
    if admission.ports is not None and in_use.profile_calls >= admission.ports:
        return "profile_ports_exhausted"
    if admission.account_ports is not None and in_use.account_calls >= admission.account_ports:
        return "account_ports_exhausted"
    return None
