"""Users (tenants, accounts) and their API tokens."""
