"""The data plane's admission counters: per-number, CPS and port limits, checked and reserved in one step.

`from_settings` picks the backend: Redis when `OUTBOUND_PROFILES_REDIS_URL` is set (several workers or nodes
share the limits), else in-process (one worker).
"""

from __future__ import annotations

from outbound_profiles.config import Settings
from outbound_profiles.counters.base import (
    Admission,
    Counters,
    CountersLost,
    CountersUnavailable,
    Held,
    Reason,
    Usage,
    Verdict,
)
from outbound_profiles.counters.memory import MemoryCounters
from outbound_profiles.counters.rule import InUse, first_refusal

__all__ = [
    "Admission",
    "Counters",
    "CountersLost",
    "CountersUnavailable",
    "Held",
    "InUse",
    "MemoryCounters",
    "Reason",
    "Usage",
    "Verdict",
    "first_refusal",
    "from_settings",
]


def from_settings(settings: Settings) -> Counters:
    if settings.redis_url:
        from outbound_profiles.counters.redis import RedisCounters  # redis-py is imported only when Redis is used

        return RedisCounters.from_url(settings.redis_url, cluster=settings.redis_cluster)
    return MemoryCounters()
