"""Rating: the operator's rate deck, what a call to a number costs, and the server's copy of the deck."""
