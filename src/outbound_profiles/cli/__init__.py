"""The `outbound-profiles` command."""
