"""Billing groups at `/billing_groups` (SPEC §8), referenced by profiles' `billing_group_id`."""
