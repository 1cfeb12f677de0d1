"""Outbound profiles: the policy that governs a customer's outbound calls."""
