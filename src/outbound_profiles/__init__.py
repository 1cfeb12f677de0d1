"""outbound-profiles: the Telnyx-compatible Outbound Profile API and its policy engine."""

__version__ = "0.1.0"
