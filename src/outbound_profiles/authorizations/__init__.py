"""`/termination/authorizations`: the switch asks before each outbound call and reports its end."""
