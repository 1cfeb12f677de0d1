"""Telnyx API v2: `/v2/outbound_voice_profiles` and `/v2/billing_groups`, the same
resources as v1 seen through v2's names, values and envelopes, for the official SDKs.

No rule lives here: a v2 body is checked for v2's shape, translated to v1's field names and
values (`mapping.py`), and handed to the v1 services; their problems come back with v2 pointers.
"""
