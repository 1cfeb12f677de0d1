"""The data plane: authorize a call, end it, keep it alive, and simulate a decision.

A decision reads from memory: the connection with its profile and account (`targets`, a cache
the database keeps valid across processes), the rate deck, and the counters. An allow is reserved
in the counters (atomically, all or nothing) and then written to the database as an active call
before it is answered, so a crash of the service forgets no call and no port: the counters are
rebuilt from the active calls (an account's, when it is first asked for in a process, or when
Redis comes back empty). Every reservation is a lease; the sweeper ends the calls whose lease ran
out and frees their ports.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import operator
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Final, Protocol, TypeVar

import msgspec
from sqlalchemy import Connection

from outbound_profiles.accounts.account import Account
from outbound_profiles.authorizations import repository
from outbound_profiles.authorizations.schemas import (
    MAX_CALL_ID,
    AuthorizationOut,
    CallOut,
    Figures,
    Recording,
    SimulationOut,
    UsageOut,
)
from outbound_profiles.authorizations.targets import UNKNOWN, Targets
from outbound_profiles.counters import Admission, Counters, CountersLost, CountersUnavailable, Held
from outbound_profiles.db.database import Database
from outbound_profiles.domain.ids import parse_id
from outbound_profiles.domain.money import format_micros
from outbound_profiles.domain.timestamps import iso8601 as iso
from outbound_profiles.errors import NotFound, ResourceInUse, ServiceUnavailable
from outbound_profiles.policy.decide import (
    REASONS,
    Call,
    Denied,
    Plan,
    ProfileSnapshot,
    Rates,
    Reason,
    Target,
    admission_refusal,
    decide,
    spend_refusal,
)
from outbound_profiles.profiles import views
from outbound_profiles.rating.billing import billed_seconds, cost_micros

logger = logging.getLogger("outbound_profiles.data_plane")
T = TypeVar("T")

GRACE_S: Final = 60  # beyond max_duration_seconds, before a silent call's lease runs out
SWEEP_INTERVAL_S: Final = 1.0
RECORD_WAIT_S: Final = 0.5  # how long a reserved call may take to be recorded by the request that reserved it
# Shared counters are compared with the active calls this often; a reservation found with no active call in
# two passes in a row is freed (a request records its call well within one).
RECONCILE_INTERVAL_S: Final = 30.0
_MAX_REMEMBERED_DENIALS: Final = 100_000
# The calls allowed here whose end this process has not seen yet, kept to end them without a read.
_MAX_STARTED: Final = 20_000
# What no recorded call id holds. Not C1 (which schemas.CallId refuses too): an older version took it.
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]")
# The active calls are counted for `/metrics` at most this often, and a scrape waits this long at most.
COUNT_INTERVAL_S: Final = 1.0
COUNT_WAIT_S: Final = 1.0


class Decks(Protocol):
    """The rate decks held in memory: the default one, replaced whole when another is imported, and
    profiles' own (`rating/profile_decks.py`)."""

    def current(self) -> Rates | None: ...
    async def for_profile(self, profile: ProfileSnapshot | None) -> Rates | None: ...
    async def watch(self, database: Database) -> None: ...


class Observer(Protocol):
    """Where decisions are counted (the metrics)."""

    def decided(self, decision: str, reason: str | None, seconds: float) -> None: ...
    def active_calls_now(self, count: int) -> None: ...
    def reservations_freed(self, count: int) -> None: ...
    def held_for_decisions(self, entries: dict[str, int]) -> None: ...


class DataPlane:
    def __init__(
        self,
        database: Database,
        counters: Counters,
        decks: Decks,
        *,
        lease_s: float,
        fail_open: bool,
        observer: Observer | None = None,
        cache_entries: int,
    ) -> None:
        self.database = database
        self.counters = counters
        self.decks = decks
        self.lease_s = lease_s
        self.fail_open = fail_open
        self.observer = observer
        self.targets = Targets(database, max_entries=cache_entries)
        # A denied call is not written anywhere: a retry of it is answered from here.
        self._denials: OrderedDict[tuple[str, str], AuthorizationOut] = OrderedDict()  # by connection and call
        # The calls this process allowed, by id: what their end bills and answers, which nothing changes.
        # (`repository.Started`'s fields, as a plain tuple: the named one is built at the end only)
        self._started: OrderedDict[str, tuple[Any, ...]] = OrderedDict()
        # Releases the counters could not take (Redis unreachable), tried again by the sweeper.
        self._pending_releases: list[tuple[int, int, str]] = []
        # The reservations the last reconcile found with no active call: (account, call) -> their stamp.
        self._suspects: dict[tuple[int, str], str] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._counting: asyncio.Task[None] | None = None  # the count of active calls, for /metrics
        self._counted_at = 0.0  # when the last count began (time.monotonic)

    # --- life cycle

    async def start(self) -> None:
        """Start the lease sweeper, the deck's watch and, with shared counters, their reconcile. The counters
        of an account are rebuilt from its active calls when it is first asked for (`CountersLost`), in this
        process or after Redis lost them."""
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._sweep_forever()), loop.create_task(self.decks.watch(self.database))]
        if self.counters.shared:
            self._tasks.append(loop.create_task(self._reconcile_forever()))
        self.targets.start()

    async def stop(self) -> None:
        await self.targets.stop()
        tasks, self._tasks = self._tasks, []
        if self._counting is not None:  # a task of this event loop: the next start may run on another
            tasks.append(self._counting)
            self._counting = None
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.counters.close()

    # --- authorize

    async def authorize(self, call: Call) -> AuthorizationOut:
        started = time.perf_counter()
        answer = await self._authorize(call)
        if self.observer is not None:
            self.observer.decided(answer.decision, answer.reason, time.perf_counter() - started)
        return answer

    async def _authorize(self, call: Call) -> AuthorizationOut:
        remembered = self._denials.get((call.connection_id, call.call_id))
        if remembered is not None:
            return remembered
        now = time.time()
        target = await self._target(call.connection_id)
        outcome = decide(call, target, await self._deck(target), now)
        if isinstance(outcome, Denied):
            return await self._deny(call, outcome)
        max_duration = None
        if outcome.profile.daily_spend_limit is not None:
            spent = await self._spent(outcome.target.account_id, outcome.profile.id, now)
            reason, max_duration = spend_refusal(outcome, _dollars(spent))
            if reason is not None:
                return await self._deny(call, Denied(reason, target, outcome.destination, outcome.row))
        admission = _admission(call, outcome, now)
        try:
            admitted = await self._counted(admission.account_id, lambda: self.counters.admit(admission))
            reserved = admitted is None  # by this request: all of it is given back if the call is not allowed
        except CountersUnavailable:
            if not self.fail_open:
                return await self._deny(call, Denied("counters_unavailable", target, outcome.destination, outcome.row))
            logger.warning("counters unreachable: call %s allowed without a reservation (fail open)", call.call_id)
            admitted, reserved = None, False
        if admitted == "held":
            first = await self._first_answer(call)
            if first is not None:
                return first
            # Reserved, never recorded: the request that reserved it died (a node crashed between the
            # two). This retry of it takes the reservation over and records the call.
            logger.warning("call %s was reserved but not recorded: recorded now, on its retry", call.call_id)
            admitted = None
        if admitted is not None:
            return await self._deny(call, Denied(admitted, target, outcome.destination, outcome.row))
        answer = _allow(call, outcome, now, self.lease_s, max_duration)
        values = _call_row(call, outcome, answer, now)
        try:
            # One INSERT; the read after it runs only when the INSERT wrote nothing.
            existing = await self.database.write(lambda c: repository.insert(c, values), one_statement=True)
        except BaseException:
            await self._give_back(admission, reserved)
            raise
        if existing is not None:  # the id was used already (a retry of an ended call, or on another node)
            if existing.ended_at is not None or existing.outbound_profile_id != outcome.profile.id:
                await self._give_back(admission, reserved)
            return _recorded(call, existing.connection_id, existing.decision)
        started = self._started
        started[call.call_id] = _started_columns(values)
        if len(started) > _MAX_STARTED:
            started.popitem(last=False)
        return answer

    async def _give_back(self, admission: Admission, reserved: bool) -> None:
        """Undo the reservation of a call that was not allowed after all: all of it (a retry reserves
        nothing more, and a call the switch was not told of is no call placed) when this request made
        it; only its ports when the reservation was another request's (taken over, or none: fail open)."""
        if not reserved:
            await self._release(admission.account_id, admission.profile_id, admission.call_id)
            return
        try:
            await self.counters.withdraw(admission)
        except CountersUnavailable:
            self._pending_releases.append((admission.account_id, admission.profile_id, admission.call_id))

    async def _spent(self, account_id: int, profile_id: int, now: float) -> int:
        """A profile's spend today (UTC) in micro-USD: its ended calls' costs, and what its running
        calls have cost so far."""
        return await self.database.read(lambda c: spent_today(c, account_id, profile_id, now))

    async def _counted(self, account_id: int, ask: Callable[[], Awaitable[T]]) -> T:
        """Ask the counters; should they have lost the account's state, rebuild it and ask again."""
        for _ in range(3):
            try:
                return await ask()
            except CountersLost as lost:
                await self._restore(lost.account_id)
        raise CountersUnavailable(f"the counters of account {account_id} could not be restored")

    async def _restore(self, account_id: int) -> None:
        """Rebuild the account's counters from its active calls, then give back the ports of those that
        ended meanwhile: their release may have found no state to release from, before this restore
        (or before another loss of the counters) put them back."""
        rows = await self.database.read(lambda c: repository.active(c, account_id))
        logger.info("counters of account %s rebuilt from its %d active calls", account_id, len(rows))
        await self.counters.restore(account_id, [_held(row) for row in rows], _ms(time.time()))
        still = {row.call_id for row in await self.database.read(lambda c: repository.active(c, account_id))}
        for row in rows:
            if row.call_id not in still:
                await self.counters.release(account_id, row.outbound_profile_id, row.call_id)

    async def _first_answer(self, call: Call) -> AuthorizationOut | None:
        """The recorded decision of a call the counters hold; None if it is still not recorded after
        the time a request takes to record it."""
        row = await self.database.read(lambda c: repository.get(c, call.call_id))
        if row is None:  # reserved by a request perhaps still writing it: wait for it
            await asyncio.sleep(RECORD_WAIT_S)
            row = await self.database.read(lambda c: repository.get(c, call.call_id))
        return None if row is None else _recorded(call, row.connection_id, row.decision)

    async def _deny(self, call: Call, denied: Denied) -> AuthorizationOut:
        """A refusal; unless the call was allowed before (a retry, after the limits changed): then
        that first decision, which the database keeps."""
        allowed = await self.database.read(lambda c: repository.decision(c, call.call_id))
        if allowed is not None:
            return _recorded(call, *allowed)
        answer = _denial(call, denied)
        if denied.reason != "counters_unavailable":  # a retry once they are back deserves a decision
            self._denials[(call.connection_id, call.call_id)] = answer
            if len(self._denials) > _MAX_REMEMBERED_DENIALS:
                self._denials.popitem(last=False)
        return answer

    async def _target(self, connection_id_text: str) -> Target | None:
        connection_id = parse_id(connection_id_text)  # "07" is not "7", as everywhere in the API
        if connection_id is None:
            return None
        targets = self.targets
        found = targets.get(connection_id)
        if found is None:
            found = await self.database.read(lambda c: targets.load(c, connection_id), filling=targets.caches)
        return None if found is UNKNOWN else found

    async def _deck(self, target: Target | None) -> Rates | None:
        return await self.decks.for_profile(None if target is None else target.profile)

    # --- end, keepalive

    async def end(self, call_id: str, duration_seconds: int | None) -> CallOut:
        _check_id(call_id, f"No call with the id {call_id!r} was authorized.")
        columns = self._started.pop(call_id, None)  # allowed here: ended without reading its row
        started = None if columns is None else repository.Started._make(columns)

        def work(connection: Connection) -> tuple[Mapping[str, Any], bool]:
            if started is not None:
                ended = _complete(connection, started, duration_seconds)
                if ended is not None:
                    return ended, True
            row = repository.get(connection, call_id)  # allowed elsewhere, or ended already
            if row is None:
                raise NotFound(f"No call with the id {call_id!r} was authorized.")
            if row.ended_at is None:
                ended = _complete(connection, row, duration_seconds)
                if ended is not None:
                    return ended, True
                row = repository.get(connection, call_id)  # ended meanwhile, by another request or the sweeper
                assert row is not None
            return row._asdict(), False

        # One statement writes: the UPDATE that ends the call (an earlier one, if any, found it ended).
        record, ended_now = await self.database.write(work, one_statement=True)
        if ended_now:
            await self._release(record["user_id"], record["outbound_profile_id"], call_id)
        return _call_out(record)

    async def keepalive(self, call_id: str) -> CallOut:
        _check_id(call_id, f"No active call with the id {call_id!r}.")

        def work(connection: Connection) -> Any:
            row = repository.get(connection, call_id)
            if row is None or row.ended_at is not None:
                raise NotFound(f"No active call with the id {call_id!r}.")
            now = datetime.now(UTC)
            kept = repository.keepalive(connection, call_id, now, now + timedelta(seconds=_lease_s(self.lease_s, row)))
            if kept is None:  # ended meanwhile
                raise NotFound(f"No active call with the id {call_id!r}.")
            return dict(kept._mapping)

        return _call_out(await self.database.write(work))

    async def _release(self, account_id: int, profile_id: int, call_id: str) -> None:
        try:
            await self.counters.release(account_id, profile_id, call_id)
        except CountersUnavailable:
            self._pending_releases.append((account_id, profile_id, call_id))

    # --- leases

    async def sweep(self) -> int:
        """End the calls whose lease ran out and free their ports; how many were ended."""
        pending, self._pending_releases = self._pending_releases, []
        for account_id, profile_id, call_id in pending:
            await self._release(account_id, profile_id, call_id)
        now = datetime.now(UTC)
        due = await self.database.read(lambda c: repository.expired(c, now, 1000))
        ended = 0
        for row in due:
            # Each in a transaction of its own: a call that cannot be ended holds up no other.
            try:
                record = await self.database.write(
                    functools.partial(_expire, call_id=row.call_id, now=now), one_statement=True
                )
            except Exception:
                logger.exception("call %s could not be ended at the end of its lease; trying again", row.call_id)
                continue
            if record is not None:
                self._started.pop(row.call_id, None)
                ended += 1
                logger.info("call %s ended: its lease ran out", row.call_id)
                await self._release(record["user_id"], record["outbound_profile_id"], row.call_id)
        return ended

    async def reconcile(self) -> int:
        """Free the ports of the reservations no active call holds, and say how many. With shared counters
        a process can die between a call's reservation and its record (the switch, told nothing, may never
        retry it), or before it retried an end's release that Redis did not take: the port would stay held
        until the tenant's counters are next rebuilt. A reservation is freed when two passes in a row found
        it, with the same stamp, and no active call for it: one still being recorded is left to its request,
        and one a retry took over (a new stamp) to the retry."""
        suspects: dict[tuple[int, str], str] = {}
        freed: list[str] = []
        failed: list[tuple[int, Exception]] = []
        for account_id in await self.counters.accounts():
            try:
                await self._reconcile_account(account_id, suspects, freed)
            except Exception as error:  # this tenant waits for the next pass, the others go on
                failed.append((account_id, error))
                suspects.update((key, stamp) for key, stamp in self._suspects.items() if key[0] == account_id)
        self._suspects = suspects
        if failed:
            logger.warning(
                "the counters of %d accounts could not be reconciled (account %s: %r); they are tried again",
                len(failed),
                *failed[0],
            )
        return len(freed)

    async def _reconcile_account(self, account_id: int, suspects: dict[tuple[int, str], str], freed: list[str]) -> None:
        held = await self.counters.held(account_id)
        if not held:
            return
        # Read after the counters: a call recorded between the two reads is active here.
        rows = await self.database.read(functools.partial(repository.active, user_id=account_id))
        active = {row.call_id for row in rows}
        for call_id, stamp in held.items():
            if call_id in active:
                continue
            key = (account_id, call_id)
            if self._suspects.get(key) != stamp:
                suspects[key] = stamp
            elif await self.counters.release_reservation(account_id, call_id, stamp):
                freed.append(call_id)
                logger.warning("call %s held a port with no active call: freed", call_id)
                if self.observer is not None:
                    self.observer.reservations_freed(1)

    async def _reconcile_forever(self) -> None:
        while True:
            await asyncio.sleep(RECONCILE_INTERVAL_S)
            try:
                await self.reconcile()
            except CountersUnavailable as error:
                logger.warning("the counters could not be reconciled with the active calls: %s", error)
            except Exception:
                logger.exception("the counters could not be reconciled with the active calls; trying again")

    async def count_active_calls(self) -> None:
        """Tell the observer how many calls are active now, for `GET /metrics`: counted when read, not
        on a clock (the count scans every active call), at most once a second however often it is
        read, and waited for a second at most (the last count stands meanwhile)."""
        if self.observer is None:
            return
        self.observer.held_for_decisions(self.targets.entries())
        counting = self._counting
        if counting is None or counting.done():
            if counting is not None and time.monotonic() - self._counted_at < COUNT_INTERVAL_S:
                return  # the count of the last second stands
            self._counted_at = time.monotonic()
            counting = self._counting = asyncio.get_running_loop().create_task(self._count_active(self.observer))
        await asyncio.wait((counting,), timeout=COUNT_WAIT_S)  # waits without cancelling it

    async def _count_active(self, observer: Observer) -> None:
        try:
            count = await self.database.read(repository.count_active)
        except Exception:  # the other metrics are wanted all the more while the database is away
            logger.warning("active calls could not be counted; /metrics shows the last count", exc_info=True)
            return
        observer.active_calls_now(count)

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_INTERVAL_S)
            try:
                await self.sweep()
            except Exception:
                logger.exception("the lease sweep failed; trying again")

    # --- simulate

    @staticmethod
    def simulation_target(connection: Connection, account: Account, profile_id: str) -> Target:
        """The tenant's profile as a decision sees it, for `simulated` (a 404 for another's)."""
        view = views.load(connection, account, profile_id)
        return Target(0, True, account.id, account.concurrent_call_limit, ProfileSnapshot.of(view.profile))

    async def simulated(self, target: Target, to: str, caller: str) -> SimulationOut:
        now = time.time()
        call = Call("", "", to, caller)
        outcome = decide(call, target, await self._deck(target), now)
        assert target.profile is not None
        profile = target.profile
        destination = outcome.destination
        row = outcome.row
        cld, window_end_ms = None, None
        if isinstance(outcome, Plan) and outcome.cld_limit is not None and outcome.window_end_s is not None:
            cld, window_end_ms = call.to, _ms(outcome.window_end_s)
        try:
            counts = await self._counted(
                target.account_id,
                lambda: self.counters.usage(target.account_id, profile.id, _ms(now), cld, window_end_ms),
            )
        except CountersUnavailable as error:
            raise ServiceUnavailable("The call counters cannot be reached; try again.") from error
        limit = profile.daily_spend_limit
        spent = None if limit is None else await self._spent(target.account_id, profile.id, now)
        max_duration = None
        reason: Reason | None
        if isinstance(outcome, Denied):
            reason = outcome.reason
        else:
            reason, max_duration = spend_refusal(outcome, _dollars(spent or 0))
            reason = reason or admission_refusal(outcome, counts)
        refusal = None if reason is None else REASONS[reason]
        return SimulationOut(
            decision="allow" if reason is None else "deny",
            reason=reason,
            sip_code=200 if refusal is None else refusal.sip_code,
            telnyx_cause=None if refusal is None else refusal.telnyx_cause,
            detail="The call would be allowed." if refusal is None else refusal.detail,
            record=isinstance(outcome, Plan) and outcome.record,
            figures=Figures(
                destination_country=None if destination is None else destination.country,
                deck_row=None
                if row is None
                else {
                    "prefix": row.prefix,
                    "country": row.country or "",
                    "rate": str(row.rate),
                    "connect_fee": str(row.connect_fee),
                    "initial_increment": str(row.initial_increment),
                    "subsequent_increment": str(row.subsequent_increment),
                },
                rate=None if row is None else str(row.rate),
                max_destination_rate=None if profile.max_rate is None else str(profile.max_rate),
                ports=profile.ports,
                ports_in_use=counts.profile_calls,
                account_concurrent_call_limit=target.account_ports,
                account_calls_in_use=counts.account_calls,
                cps_limit=profile.cps,
                cps_used=counts.cps_used,
                calls_per_cld=None if profile.window is None else profile.window.calls_per_cld,
                cld_calls_in_window=counts.cld_used,
                calling_window_ends_at=_window_end(outcome),
                daily_spend_limit=None if limit is None else str(limit),
                spend_today=None if spent is None else format_micros(spent),
                budget_left=None if limit is None or spent is None else str(max(Decimal(0), limit - _dollars(spent))),
                max_duration_seconds=max_duration if reason is None else None,
            ),
        )


def _check_id(call_id: str, not_found: str) -> None:
    """A call id no authorize could have taken (too long, a control character) names no call."""
    if not 0 < len(call_id) <= MAX_CALL_ID or _CONTROL.search(call_id):
        raise NotFound(not_found)


def _recorded(call: Call, connection_id: int, decision: str) -> AuthorizationOut:
    """The first decision of a call allowed before, for a retry of it: the same connection's only
    (a call id is the switch's, but another connection's call is not this caller's to read)."""
    if str(connection_id) != call.connection_id:
        raise ResourceInUse(f"The call id {call.call_id!r} is the id of another connection's call.")
    return msgspec.json.decode(decision, type=AuthorizationOut)


def _expire(connection: Connection, call_id: str, now: datetime) -> dict[str, Any] | None:
    """End a call whose lease ran out, billed to its last keepalive; None if it was ended, or kept
    alive, meanwhile."""
    row = repository.get(connection, call_id)
    if row is None or row.ended_at is not None or row.lease_expires_at > now:
        return None
    duration = max(0, int((row.last_keepalive_at - row.started_at).total_seconds()))
    return _finish(connection, row, now, duration, "lease_expired", expired_by=now)


def _complete(
    connection: Connection, call: repository.CallRow | repository.Started, duration: int | None
) -> dict[str, Any] | None:
    """End an active call as completed, lasting `duration` (by default, from its start until now)."""
    now = datetime.now(UTC)
    if duration is None:
        duration = max(0, int((now - call.started_at).total_seconds()))
    return _finish(connection, call, now, duration, "completed")


def _finish(
    connection: Connection,
    row: repository.CallRow | repository.Started,
    at: datetime,
    duration: int,
    reason: str,
    *,
    expired_by: datetime | None = None,
) -> dict[str, Any] | None:
    """End an active call as its record: billed by the tariff it was allowed under, its cost added
    to its profile's spend for the day it started (by the same statement). None if no active call
    has its id: ended meanwhile (or, with `expired_by`, kept alive meanwhile), or never recorded."""
    billed, micros = _billing(row, duration)
    values = {
        "ended_at": at,
        "duration_seconds": duration,
        "end_reason": reason,
        "billed_seconds": billed,
        "cost_micros": micros,
    }
    if not repository.end(connection, row.call_id, values, expired_by=expired_by):
        return None
    return {**row._asdict(), **values}


def _billing(row: Any, duration: int) -> tuple[int | None, int | None]:
    """Billed seconds and cost (micro-USD) of a call row lasting `duration`; None without a rate."""
    if row.rate is None:
        return None, None
    initial, subsequent = row.initial_increment or 60, row.subsequent_increment or 60
    micros = cost_micros(
        duration,
        rate=Decimal(row.rate),
        connect_fee=Decimal(row.connect_fee or "0"),
        initial_increment=initial,
        subsequent_increment=subsequent,
    )
    return billed_seconds(duration, initial, subsequent), micros


def spent_today(connection: Connection, account_id: int, profile_id: int, now: float) -> int:
    """A profile's spend on the UTC day of `now`, in micro-USD: what its calls of that day that ended
    cost, and what those still running have cost so far."""
    day = datetime.fromtimestamp(now, UTC).date()
    settled, running = repository.spend(connection, account_id, profile_id, day)
    total: int = settled
    for row in running:
        total += _billing(row, max(0, int(now - row.started_at.timestamp())))[1] or 0
    return total


def usage(connection: Connection, account: Account, profile_id: str) -> UsageOut:
    """A tenant's profile's usage today (UTC): spend, active calls, calls allowed (a 404 for another's)."""
    profile = views.load(connection, account, profile_id).profile
    now = time.time()
    today = datetime.fromtimestamp(now, UTC)
    midnight = today.replace(hour=0, minute=0, second=0, microsecond=0)
    active_calls, calls_today = repository.counts(connection, account.id, profile.id, midnight)
    return UsageOut(
        date=today.date().isoformat(),
        spend=format_micros(spent_today(connection, account.id, profile.id, now)),
        active_calls=active_calls,
        calls_today=calls_today,
    )


def _dollars(micros: int) -> Decimal:
    return Decimal(micros) / 1_000_000


def _window_end(outcome: Denied | Plan) -> str | None:
    if not isinstance(outcome, Plan) or outcome.window_end_s is None:
        return None
    return iso(datetime.fromtimestamp(outcome.window_end_s, UTC))


def _ms(seconds: float) -> int:
    return int(seconds * 1000)


def _held(row: Any) -> Held:
    return Held(row.call_id, row.outbound_profile_id, _ms(row.started_at.timestamp()))


def _admission(call: Call, plan: Plan, now: float) -> Admission:
    return Admission(
        call_id=call.call_id,
        account_id=plan.target.account_id,
        profile_id=plan.profile.id,
        cps=plan.profile.cps,
        ports=plan.profile.ports,
        account_ports=plan.target.account_ports,
        cld=call.to if plan.cld_limit is not None else None,
        cld_limit=plan.cld_limit,
        cld_window_end_ms=None if plan.window_end_s is None else _ms(plan.window_end_s),
        now_ms=_ms(now),
    )


def _lease_s(default_s: float, row: Any) -> float:
    if row.max_duration_seconds is None:
        return default_s
    return min(default_s, float(row.max_duration_seconds + GRACE_S))


def _allow(call: Call, plan: Plan, now: float, lease_s: float, max_duration: int | None) -> AuthorizationOut:
    profile = plan.profile
    lease = lease_s if max_duration is None else min(lease_s, max_duration + GRACE_S)
    return AuthorizationOut(
        call_id=call.call_id,
        decision="allow",
        reason=None,
        sip_code=200,
        telnyx_cause=None,
        detail="The call may go out.",
        outbound_profile_id=str(profile.id),
        billing_group_id=profile.billing_group_id,
        destination_country=plan.destination.country,
        rate=None if plan.row is None else str(plan.row.rate),
        max_duration_seconds=max_duration,
        record=plan.record,
        recording=Recording(profile.recording_format, profile.recording_channels),
        lease_expires_at=iso(datetime.fromtimestamp(now + lease, UTC)),
    )


def _denial(call: Call, denied: Denied) -> AuthorizationOut:
    refusal = REASONS[denied.reason]
    target = denied.target
    profile = None if target is None else target.profile
    return AuthorizationOut(
        call_id=call.call_id,
        decision="deny",
        reason=denied.reason,
        sip_code=refusal.sip_code,
        telnyx_cause=refusal.telnyx_cause,
        detail=refusal.detail,
        outbound_profile_id=None if profile is None else str(profile.id),
        billing_group_id=None if profile is None else profile.billing_group_id,
        destination_country=None if denied.destination is None else denied.destination.country,
        rate=None if denied.row is None else str(denied.row.rate),
        max_duration_seconds=None,
        record=False,
        recording=None,
        lease_expires_at=None,
    )


_started_columns = operator.itemgetter(*repository.Started._fields)


def _call_row(call: Call, plan: Plan, answer: AuthorizationOut, now: float) -> dict[str, Any]:
    started = datetime.fromtimestamp(now, UTC)
    return {
        "call_id": call.call_id,
        "user_id": plan.target.account_id,
        "outbound_profile_id": plan.profile.id,
        "connection_id": plan.target.connection_id,
        "billing_group_id": plan.profile.billing_group_id,
        "to_number": call.to,
        "from_number": call.from_,
        "destination_country": plan.destination.country,
        "rate": answer.rate,
        "connect_fee": None if plan.row is None else str(plan.row.connect_fee),
        "initial_increment": None if plan.row is None else plan.row.initial_increment,
        "subsequent_increment": None if plan.row is None else plan.row.subsequent_increment,
        "started_at": started,
        "lease_expires_at": datetime.fromisoformat(answer.lease_expires_at or ""),
        "last_keepalive_at": started,
        "max_duration_seconds": answer.max_duration_seconds,
        "decision": msgspec.json.encode(answer).decode(),
    }


def _call_out(call: Mapping[str, Any]) -> CallOut:
    ended_at, cost = call["ended_at"], call["cost_micros"]
    return CallOut(
        call_id=call["call_id"],
        outbound_profile_id=str(call["outbound_profile_id"]),
        connection_id=str(call["connection_id"]),
        billing_group_id=call["billing_group_id"],
        to=call["to_number"],
        from_=call["from_number"],
        destination_country=call["destination_country"],
        rate=call["rate"],
        started_at=iso(call["started_at"]),
        lease_expires_at=None if ended_at is not None else iso(call["lease_expires_at"]),
        ended_at=None if ended_at is None else iso(ended_at),
        duration_seconds=call["duration_seconds"],
        billed_seconds=call["billed_seconds"],
        connect_fee=call["connect_fee"],
        cost=None if cost is None else format_micros(cost),
        end_reason=call["end_reason"],
    )
