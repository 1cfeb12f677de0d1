"""Outbound profiles: the policy that governs a customer's outbound calls (SPEC §3 to §5)."""
