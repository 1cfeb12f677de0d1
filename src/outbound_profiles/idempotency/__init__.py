"""Stored answers to creates made with an `Idempotency-Key` (see `http/idempotency.py`)."""
