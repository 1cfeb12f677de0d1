"""SIP connections, v1 style at `/security/connections`."""
