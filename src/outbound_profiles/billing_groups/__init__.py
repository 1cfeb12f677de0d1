"""Billing groups at `/billing_groups`, referenced by profiles' `billing_group_id`."""
