"""The in-process admission counters: one worker's limits, in plain dicts.

`admit` does its check and its reservation with no await between them, so concurrent tasks of one event loop
never over-admit. State is per tenant and starts absent, as after a restart of the process: the first call for a
tenant raises CountersLost until `restore` has loaded its active calls from the database, as with Redis.
Memory stays bounded: each profile's CPS log is trimmed to its last 1000 ms, and per-number counts are dropped
once their window has ended (a lazy sweep, at most once a second per tenant).
"""

from __future__ import annotations

import itertools
from bisect import bisect_left, bisect_right, insort
from collections.abc import Sequence
from dataclasses import dataclass, field

from outbound_profiles.counters.base import (
    CPS_WINDOW_MS,
    Admission,
    CountersLost,
    Held,
    Usage,
    Verdict,
    deduplicated,
)
from outbound_profiles.counters.rule import InUse, first_refusal


@dataclass(slots=True)
class _Tenant:
    calls: dict[str, int] = field(default_factory=dict)  # held call_id -> its profile
    stamps: dict[str, int] = field(default_factory=dict)  # held call_id -> the stamp of its reservation
    ports: dict[int, int] = field(default_factory=dict)  # profile -> held calls
    cps: dict[int, list[int]] = field(default_factory=dict)  # profile -> sorted times of its recent admissions
    cld: dict[tuple[int, str, int], int] = field(default_factory=dict)  # (profile, number, window end) -> admitted
    next_sweep_ms: int = 0


def _recent(log: list[int], now_ms: int) -> int:
    """How many of the log's times fall in the last 1000 ms (a time ahead of now counts: clocks may differ)."""
    return len(log) - bisect_right(log, now_ms - CPS_WINDOW_MS)


class MemoryCounters:
    shared = False  # the process that reserves is the one that records: its end is theirs

    def __init__(self) -> None:
        self._tenants: dict[int, _Tenant] = {}
        self._stamps = itertools.count(1)  # one sequence for the process: a stamp is never given twice

    def _tenant(self, account_id: int) -> _Tenant:
        tenant = self._tenants.get(account_id)
        if tenant is None:
            raise CountersLost(account_id)
        return tenant

    async def admit(self, admission: Admission) -> Verdict:
        tenant = self._tenant(admission.account_id)
        if admission.call_id in tenant.calls:
            tenant.stamps[admission.call_id] = next(self._stamps)
            return "held"
        now = admission.now_ms
        if now >= tenant.next_sweep_ms:
            _sweep(tenant, now)
        profile = admission.profile_id
        log = tenant.cps.get(profile)
        if log is not None:
            del log[: bisect_right(log, now - CPS_WINDOW_MS)]
        cld_key = _cld_key(admission)
        in_use = InUse(
            cld_used=tenant.cld.get(cld_key, 0) if cld_key is not None else 0,
            cps_used=len(log) if log is not None else 0,
            profile_calls=tenant.ports.get(profile, 0),
            account_calls=len(tenant.calls),
        )
        refusal = first_refusal(admission, in_use)
        if refusal is not None:
            return refusal
        insort(tenant.cps.setdefault(profile, []), now)
        if cld_key is not None:
            tenant.cld[cld_key] = in_use.cld_used + 1
        tenant.calls[admission.call_id] = profile
        tenant.stamps[admission.call_id] = next(self._stamps)
        tenant.ports[profile] = in_use.profile_calls + 1
        return None

    async def release(self, account_id: int, profile_id: int, call_id: str) -> bool:
        tenant = self._tenants.get(account_id)
        if tenant is None:
            return False  # nothing is held here; the restore to come reads the database, where the call has ended
        profile = tenant.calls.pop(call_id, None)
        if profile is None:
            return False
        del tenant.stamps[call_id]
        left = tenant.ports[profile] - 1
        if left > 0:
            tenant.ports[profile] = left
        else:
            del tenant.ports[profile]
        return True

    async def withdraw(self, admission: Admission) -> bool:
        if not await self.release(admission.account_id, admission.profile_id, admission.call_id):
            return False
        tenant = self._tenants[admission.account_id]
        log = tenant.cps.get(admission.profile_id)
        if log is not None:
            at = bisect_left(log, admission.now_ms)
            if at < len(log) and log[at] == admission.now_ms:
                del log[at]
        cld_key = _cld_key(admission)
        if cld_key is not None and tenant.cld.get(cld_key, 0) > 0:
            tenant.cld[cld_key] -= 1
        return True

    async def usage(
        self,
        account_id: int,
        profile_id: int,
        now_ms: int,
        cld: str | None = None,
        cld_window_end_ms: int | None = None,
    ) -> Usage:
        tenant = self._tenant(account_id)
        cld_used = None
        if cld is not None and cld_window_end_ms is not None:
            cld_used = tenant.cld.get((profile_id, cld, cld_window_end_ms), 0) if cld_window_end_ms > now_ms else 0
        return Usage(
            profile_calls=tenant.ports.get(profile_id, 0),
            account_calls=len(tenant.calls),
            cps_used=_recent(tenant.cps.get(profile_id, []), now_ms),
            cld_used=cld_used,
        )

    async def restore(self, account_id: int, calls: Sequence[Held], now_ms: int) -> None:
        if account_id in self._tenants:
            return  # restored already (by a request that asked first): it holds what was admitted since
        tenant = _Tenant(cld={})
        for call in deduplicated(calls):
            tenant.calls[call.call_id] = call.profile_id
            tenant.stamps[call.call_id] = next(self._stamps)
            tenant.ports[call.profile_id] = tenant.ports.get(call.profile_id, 0) + 1
            if call.started_ms > now_ms - CPS_WINDOW_MS:
                insort(tenant.cps.setdefault(call.profile_id, []), call.started_ms)
        self._tenants[account_id] = tenant

    async def accounts(self) -> list[int]:
        return list(self._tenants)

    async def held(self, account_id: int) -> dict[str, str] | None:
        tenant = self._tenants.get(account_id)
        return None if tenant is None else {call: str(stamp) for call, stamp in tenant.stamps.items()}

    async def release_reservation(self, account_id: int, call_id: str, stamp: str) -> bool:
        tenant = self._tenants.get(account_id)
        if tenant is None or str(tenant.stamps.get(call_id)) != stamp:
            return False
        return await self.release(account_id, tenant.calls[call_id], call_id)

    async def close(self) -> None:
        self._tenants.clear()


def _cld_key(admission: Admission) -> tuple[int, str, int] | None:
    """The per-number count the admission is counted in, when a per-number limit applies."""
    if admission.cld is None or admission.cld_window_end_ms is None or not admission.counts_cld:
        return None
    return (admission.profile_id, admission.cld, admission.cld_window_end_ms)


def _sweep(tenant: _Tenant, now_ms: int) -> None:
    """Drop the CPS logs with nothing in the last 1000 ms and the per-number counts whose window has ended."""
    cutoff = now_ms - CPS_WINDOW_MS
    for profile in [p for p, log in tenant.cps.items() if not log or log[-1] <= cutoff]:
        del tenant.cps[profile]
    for key in [k for k in tenant.cld if k[2] <= now_ms]:
        del tenant.cld[key]
    tenant.next_sweep_ms = now_ms + CPS_WINDOW_MS
