"""The data plane's policy: whether a call may go out under its outbound profile, and how.

Pure functions of a snapshot of the profile, the rate deck, the time and (for the limits that count
calls) the counters' state; no I/O. The checks run in a fixed order and the first that fails is
the reason (`decide.REASONS`). Admission itself (reserving CPS, per-number and port slots
atomically) belongs to the counters (`outbound_profiles.counters`), which apply the same limits.
"""
