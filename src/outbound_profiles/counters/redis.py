"""The admission counters in Redis, shared by every worker and node: each step is one Lua script.

A tenant's keys all carry the hash tag `{acct:<id>}`, so they live in one hash slot and each script touches
one slot, as Redis Cluster requires. The scripts (`*.lua` beside this module) check the tenant's marker first:
Redis keeps its data in memory only, so after a restart the marker is gone and `admit` raises CountersLost
instead of admitting against empty counts; `restore` loads the database's active calls and sets the marker.
Redis unreachable or slow raises CountersUnavailable after a short socket timeout; redis-py drops a connection
that failed or timed out and opens a new one for the next command, so the counters recover by themselves.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Iterator, Sequence
from importlib import resources
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ClusterDownError, NoScriptError, RedisClusterException, RedisError, SlotNotCoveredError
from redis.exceptions import ConnectionError as RedisConnectionError

from outbound_profiles.counters.base import (
    CPS_WINDOW_MS,
    Admission,
    CountersLost,
    CountersUnavailable,
    Held,
    Reason,
    Usage,
    Verdict,
    deduplicated,
)

# A CPS log only matters for 1000 ms; its key outlives that so that callers' clocks may lag Redis's.
CPS_TTL_MS = 60_000
# A per-number count is named by its window's end; it is kept a minute past it for the same reason.
CLD_SLACK_MS = 60_000
RESTORE_ATTEMPTS = 5
MAX_CONNECTIONS = 64  # per process
MAX_CLUSTER_CONNECTIONS = 1024  # per process and node of a Redis Cluster
SCAN_COUNT = 1000  # entries per step of a scan: each step holds Redis up for a fraction of a millisecond
_WHOLE = "whole"  # in the list of tenants once a scan has listed them all (no tenant id is a word)
_ACCOUNT_OF_META = re.compile(r"\{acct:(\d+)\}:meta$")
_REASONS: dict[str, Reason] = {
    reason: reason
    for reason in (
        "calls_per_cld_exceeded",
        "cps_limit_exceeded",
        "profile_ports_exhausted",
        "account_ports_exhausted",
    )
}


@contextlib.contextmanager
def _reached() -> Iterator[None]:
    """Redis unreachable, slow or failing is CountersUnavailable."""
    try:
        yield
    # OSError: TimeoutError and socket errors redis-py lets through; RedisClusterException: no node of a
    # cluster could be reached (it is not a RedisError).
    except (RedisError, RedisClusterException, OSError) as error:
        raise CountersUnavailable(f"Redis: {error}") from error


def seed_nodes(url: str) -> tuple[str, list[ClusterNode]]:
    """A cluster's URL with several nodes (`redis://user:pass@host-1:6379,host-2:6379/0`): the URL of the
    first, and the others (the first's credentials and TLS apply to all)."""
    parts = urlsplit(url)
    credentials, _, hosts = parts.netloc.rpartition("@")
    first, *others = hosts.split(",")
    nodes = []
    for other in others:
        host, _, port = other.rpartition(":")
        nodes.append(ClusterNode(host.strip("[]") or other, int(port) if port.isdigit() else 6379))
    netloc = f"{credentials}@{first}" if credentials else first
    return urlunsplit(parts._replace(netloc=netloc)), nodes


def _glob_escaped(text: str) -> str:
    """`text` matched literally in a SCAN pattern."""
    return re.sub(r"([*?\[\]\\])", r"\\\1", text)


class _Script:
    """A Lua script (a `.lua` file beside this module) run by its SHA1; a node that lacks it (NOSCRIPT: it
    restarted, or a replica took over) is sent it whole, and caches it. redis-py's own script objects load
    a script on every node of a cluster first, so one node down refused the tenants of the others."""

    def __init__(self, client: Redis | RedisCluster, name: str) -> None:
        self._client = client
        self._source = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
        self._sha = hashlib.sha1(self._source.encode(), usedforsecurity=False).hexdigest()

    async def __call__(self, keys: list[str], args: list[object]) -> Any:
        words: list[Any] = [*keys, *args]
        try:
            return await self._client.evalsha(self._sha, len(keys), *words)  # type: ignore[misc]
        except NoScriptError:
            return await self._client.eval(self._source, len(keys), *words)  # type: ignore[misc]


class _Cluster(RedisCluster):
    """A cluster client that tries a command again where a single server's does (a broken connection, the
    cluster reorganising), but not after a timeout: a slow node is the caller's to judge, within its budget."""

    ERRORS_ALLOW_RETRY = (RedisConnectionError, ClusterDownError, SlotNotCoveredError)  # type: ignore[assignment]


class RedisCounters:
    shared = True

    def __init__(self, client: Redis | RedisCluster, *, prefix: str = "op") -> None:
        self._client = client
        self._prefix = prefix
        self._tenants = f"{prefix}:tenants"  # the tenants whose state may be present (a set, in no tenant's slot)
        self._listed_whole = True  # False: a tenant of this process may be missing from the list
        self._admit = _Script(client, "admit.lua")
        self._release = _Script(client, "release.lua")
        self._withdraw = _Script(client, "withdraw.lua")
        self._usage = _Script(client, "usage.lua")
        self._restore = _Script(client, "restore.lua")

    @classmethod
    def from_url(
        cls, url: str, *, prefix: str = "op", socket_timeout: float = 0.5, cluster: bool = False
    ) -> RedisCounters:
        """Counters at `url`: one Redis server, or with `cluster` a Redis Cluster that `url` names nodes of
        (`redis://host-1:6379,host-2:6379`; the client finds the others, and sends each tenant's scripts to
        the node of its slot)."""
        # One immediate retry on a broken connection (a pooled one that Redis closed when it restarted);
        # none on a timeout: Redis is slow, and the caller must decide within its own budget.
        retry = Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,))
        if cluster:
            first, others = seed_nodes(url)
            client = _Cluster.from_url(
                first,
                startup_nodes=others,  # tried too if the first cannot be reached
                # Per node; past it a command fails (CountersUnavailable) where a single server's pool waits.
                max_connections=MAX_CLUSTER_CONNECTIONS,
                socket_timeout=socket_timeout,
                socket_connect_timeout=socket_timeout,
                retry=retry,
                decode_responses=True,
            )
            return cls(client, prefix=prefix)
        # A bounded pool: a burst waits for a connection (up to the timeout) instead of opening one each.
        pool = BlockingConnectionPool.from_url(
            url,
            max_connections=MAX_CONNECTIONS,
            timeout=socket_timeout,
            socket_timeout=socket_timeout,
            socket_connect_timeout=socket_timeout,
            retry=retry,
            decode_responses=True,
        )
        return cls(Redis.from_pool(pool), prefix=prefix)  # the client owns the pool: closing it closes them

    def _key(self, account_id: int, *parts: object) -> str:
        return ":".join((self._prefix, f"{{acct:{account_id}}}", *map(str, parts)))

    async def _run(self, script: _Script, keys: list[str], args: list[object]) -> Any:
        with _reached():
            return await script(keys, args)

    async def admit(self, admission: Admission) -> Verdict:
        account = admission.account_id
        profile = admission.profile_id
        keys = [
            self._key(account, "meta"),
            self._key(account, "calls"),
            self._key(account, "ports"),
            self._key(account, "cps", profile),
            self._key(account, "cpsp"),
            self._key(account, "stamps"),
        ]
        cld_limit = -1
        cld_ttl = 0
        cld_key = self._cld_key(admission)
        if cld_key is not None and admission.cld_limit is not None and admission.cld_window_end_ms is not None:
            keys.append(cld_key)
            cld_limit = admission.cld_limit
            cld_ttl = admission.cld_window_end_ms - admission.now_ms + CLD_SLACK_MS
        answer = await self._run(
            self._admit,
            keys,
            [
                admission.call_id,
                profile,
                admission.now_ms,
                admission.now_ms - CPS_WINDOW_MS,
                admission.cps,
                -1 if admission.ports is None else admission.ports,
                -1 if admission.account_ports is None else admission.account_ports,
                cld_limit,
                CPS_TTL_MS,
                cld_ttl,
            ],
        )
        if answer == "ok":
            return None
        if answer == "held":
            return "held"
        if answer == "lost":
            raise CountersLost(account)
        return _REASONS[answer]

    async def release(self, account_id: int, profile_id: int, call_id: str) -> bool:
        keys = [self._key(account_id, "calls"), self._key(account_id, "ports"), self._key(account_id, "stamps")]
        return bool(await self._run(self._release, keys, [call_id]))

    async def release_reservation(self, account_id: int, call_id: str, stamp: str) -> bool:
        keys = [self._key(account_id, "calls"), self._key(account_id, "ports"), self._key(account_id, "stamps")]
        return bool(await self._run(self._release, keys, [call_id, stamp]))

    async def withdraw(self, admission: Admission) -> bool:
        account = admission.account_id
        keys = [
            self._key(account, "calls"),
            self._key(account, "ports"),
            self._key(account, "cps", admission.profile_id),
            self._key(account, "stamps"),
        ]
        cld_key = self._cld_key(admission)
        if cld_key is not None:
            keys.append(cld_key)
        return bool(await self._run(self._withdraw, keys, [admission.call_id, admission.now_ms]))

    def _cld_key(self, admission: Admission) -> str | None:
        """The key of the per-number count the admission is counted in, when a per-number limit applies."""
        if admission.cld_limit is None or admission.cld is None or admission.cld_window_end_ms is None:
            return None
        return self._key(admission.account_id, "cld", admission.profile_id, admission.cld_window_end_ms, admission.cld)

    async def usage(
        self,
        account_id: int,
        profile_id: int,
        now_ms: int,
        cld: str | None = None,
        cld_window_end_ms: int | None = None,
    ) -> Usage:
        keys = [
            self._key(account_id, "meta"),
            self._key(account_id, "calls"),
            self._key(account_id, "ports"),
            self._key(account_id, "cps", profile_id),
        ]
        asked = cld is not None and cld_window_end_ms is not None
        if asked and cld_window_end_ms is not None and cld_window_end_ms > now_ms:
            keys.append(self._key(account_id, "cld", profile_id, cld_window_end_ms, cld))
        answer = await self._run(self._usage, keys, [profile_id, now_ms - CPS_WINDOW_MS])
        if not answer[0]:
            raise CountersLost(account_id)
        return Usage(
            profile_calls=int(answer[1]),
            account_calls=int(answer[2]),
            cps_used=int(answer[3]),
            cld_used=int(answer[4]) if asked else None,
        )

    async def restore(self, account_id: int, calls: Sequence[Held], now_ms: int) -> None:
        calls = deduplicated(calls)
        named = {call.profile_id for call in calls}
        base = [
            self._key(account_id, "meta"),
            self._key(account_id, "calls"),
            self._key(account_id, "ports"),
            self._key(account_id, "cpsp"),
            self._key(account_id, "stamps"),
        ]
        # Listed before its state can be present, so `accounts` names every tenant that has one. On a cluster
        # the list may be on a node that is down: the tenant's own node decides, and the next `accounts`
        # looks for the tenants that may be missing from the list.
        try:
            with _reached():
                await self._client.sadd(self._tenants, str(account_id))  # type: ignore[misc]
        except CountersUnavailable:
            self._listed_whole = False
        for _ in range(RESTORE_ATTEMPTS):
            # The profiles that have a CPS log now, so the script may declare each key it deletes.
            with _reached():
                members = await self._client.smembers(base[3])  # type: ignore[misc]
            named |= {int(member) for member in members}
            profiles = sorted(named)
            args: list[object] = [now_ms - CPS_WINDOW_MS, CPS_TTL_MS, now_ms, len(profiles), *profiles]
            for call in calls:
                args += [call.call_id, call.profile_id, call.started_ms]
            keys = base + [self._key(account_id, "cps", profile) for profile in profiles]
            if await self._run(self._restore, keys, args) == "ok":
                return
        raise CountersUnavailable(f"restoring account {account_id}: its profiles kept changing")

    async def accounts(self) -> list[int]:
        with _reached():
            members = {member async for member in self._client.sscan_iter(self._tenants, count=SCAN_COUNT)}
            if _WHOLE not in members or not self._listed_whole:
                # The list is new, or was lost (on a cluster, with the node that holds it, while other nodes
                # kept their tenants): the tenants are found by their markers, once, and listed again.
                pattern = _glob_escaped(self._prefix) + ":{acct:*}:meta"
                keys = [key async for key in self._client.scan_iter(match=pattern, count=SCAN_COUNT)]
                found = {found.group(1) for key in keys if (found := _ACCOUNT_OF_META.search(key))}
                await self._client.sadd(self._tenants, *found, _WHOLE)  # type: ignore[misc]
                members |= found
                self._listed_whole = True
        return sorted(int(member) for member in members if member != _WHOLE)

    async def held(self, account_id: int) -> dict[str, str] | None:
        # Read in pieces: one tenant's hundred thousand calls in one reply would hold Redis up, and time out.
        meta, stamps = self._key(account_id, "meta"), self._key(account_id, "stamps")
        with _reached():
            if not await self._client.hexists(meta, "present"):  # type: ignore[misc]
                return None
            found = {call: stamp async for call, stamp in self._client.hscan_iter(stamps, count=SCAN_COUNT)}
            if not await self._client.hexists(meta, "present"):  # type: ignore[misc]
                return None  # lost meanwhile: what was read may be half of it
        return found

    async def close(self) -> None:
        await self._client.aclose()
