"""What the data plane's admission counters are: the request, the answers, and the interface both backends keep.

Before each outbound call the data plane asks the counters to admit it: in one atomic step they check the
per-number, CPS, profile-port and account-port limits and, when all pass, reserve a slot of each. The
in-process backend serves one worker; the Redis backend lets several workers and nodes share the limits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

Reason = Literal["calls_per_cld_exceeded", "cps_limit_exceeded", "profile_ports_exhausted", "account_ports_exhausted"]
Verdict = Reason | Literal["held"] | None
"""What `admit` answers: None when it reserved now, "held" when the call_id already held a reservation
(nothing more reserved), or the first limit that refused it (nothing reserved)."""

CPS_WINDOW_MS = 1000


@dataclass(frozen=True, slots=True)
class Admission:
    call_id: str
    account_id: int  # the tenant: all its state lives together (one Redis hash slot)
    profile_id: int
    cps: int  # authorizations allowed per any 1000 ms on the profile
    ports: int | None  # the profile's concurrent calls (None: no limit)
    account_ports: int | None  # the account's concurrent calls (None: no limit)
    cld: str | None  # the called number when a per-number limit applies, else None
    cld_limit: int | None
    cld_window_end_ms: int | None  # end of the current window occurrence (epoch ms): the count is per occurrence
    now_ms: int  # epoch milliseconds, the caller's clock

    def __post_init__(self) -> None:
        # A limit that cannot be counted would be silently ignored: refuse the request instead.
        if self.cld_limit is not None:
            if self.cld is None or self.cld_window_end_ms is None:
                raise ValueError("a per-number limit needs the called number and its window's end")
            if self.cld_window_end_ms <= self.now_ms:
                raise ValueError("cld_window_end_ms must be after now_ms: the end of the current window occurrence")

    @property
    def counts_cld(self) -> bool:
        return self.cld_limit is not None


@dataclass(frozen=True, slots=True)
class Held:
    """A durable active call, as the database keeps it, for `restore`."""

    call_id: str
    profile_id: int
    started_ms: int


@dataclass(frozen=True, slots=True)
class Usage:
    profile_calls: int
    account_calls: int
    cps_used: int  # allowed in the last 1000 ms on the profile
    cld_used: int | None  # when asked with a cld and its window's end


class CountersLost(Exception):
    """The counters have no state for this tenant (Redis restarted or was emptied, or the process is new):
    the caller rebuilds it with `restore` from the database's active calls, then asks again."""

    def __init__(self, account_id: int) -> None:
        super().__init__(f"the admission counters of account {account_id} are lost; restore them")
        self.account_id = account_id


class CountersUnavailable(Exception):
    """The counters cannot be reached in time (Redis down or slow); the caller decides to fail closed or open."""


class Counters(Protocol):
    @property
    def shared(self) -> bool:
        """True when the state outlives this process and other processes reserve in it too (Redis): a process
        may then die between a reservation and the call's record, and leave the reservation held."""
        ...

    async def admit(self, admission: Admission) -> Verdict:
        """Check the limits in order and reserve all of them, or nothing; for a call already held, give its
        reservation a new stamp (a retry takes it over). Raises CountersLost, CountersUnavailable."""
        ...

    async def release(self, account_id: int, profile_id: int, call_id: str) -> bool:
        """Give back the call's ports (not its CPS or per-number slot). True if it was held."""
        ...

    async def withdraw(self, admission: Admission) -> bool:
        """Give back all that `admit` reserved for `admission` just now (its ports, its CPS slot and its
        per-number slot), for a call that was not allowed after all: its write failed, or its id was already
        another call's. True if it was held; nothing changes if it was not."""
        ...

    async def usage(
        self,
        account_id: int,
        profile_id: int,
        now_ms: int,
        cld: str | None = None,
        cld_window_end_ms: int | None = None,
    ) -> Usage:
        """What is in use now. Raises CountersLost, CountersUnavailable."""
        ...

    async def restore(self, account_id: int, calls: Sequence[Held], now_ms: int) -> None:
        """Rebuild the tenant's lost state from these held calls (the CPS logs from those started in the last
        1000 ms) and mark it present; a state that is present is left as it is (another caller restored
        it first, and what was admitted since is in it)."""
        ...

    async def accounts(self) -> list[int]:
        """The tenants whose state the counters hold. Raises CountersUnavailable."""
        ...

    async def held(self, account_id: int) -> dict[str, str] | None:
        """The calls the tenant's counters hold a port for, each with the stamp of its reservation (new each
        time it is made, taken over by a retry, or restored); None when its state is lost. Raises
        CountersUnavailable."""
        ...

    async def release_reservation(self, account_id: int, call_id: str, stamp: str) -> bool:
        """`release`, only if the call's reservation still carries `stamp` (one taken over or made anew since
        it was read is left alone). True if released. Raises CountersUnavailable."""
        ...

    async def close(self) -> None: ...


def deduplicated(calls: Sequence[Held]) -> list[Held]:
    """One entry per call_id (the first), so a call listed twice holds one port."""
    seen: dict[str, Held] = {}
    for call in calls:
        seen.setdefault(call.call_id, call)
    return list(seen.values())
