"""Engines, transactions and migrations."""
