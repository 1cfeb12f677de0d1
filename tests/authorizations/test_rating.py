"""Decisions rated by the operator's default deck: longest prefix, the profile's maximum rate, and a
deck imported while the server runs."""

from __future__ import annotations

from typing import Any

from outbound_profiles.db.database import Database
from outbound_profiles.rating.service import import_default_deck
from tests.authorizations.conftest import Switch
from tests.conftest import Api

DECK = """prefix,country,rate,connect_fee,initial_increment,subsequent_increment
1,US,0.0100
1202,US,0.0050
44,GB,0.0200
447911,GG,0.3000
800,,0.0400
"""


def _rated(switch: Switch, connection_id: str, to: str) -> dict[str, Any]:
    """The decision once the server has the deck in effect."""
    switch.wait_for_default_deck()
    return switch.authorize(connection_id, to)


def test_the_longest_prefix_rates_the_call_and_the_maximum_rate_refuses(
    switch: Switch, api: Api, database: Database
) -> None:
    import_default_deck(database, DECK.splitlines(keepends=True))
    connection = api.connection()
    api.profile(
        connection_ids=[connection["id"]],
        max_destination_rate=0.25,
        whitelisted_destinations=["US", "GB", "GG"],
    )
    assert _rated(switch, connection["id"], "+12025550123")["rate"] == "0.0050"
    assert switch.authorize(connection["id"], "+13125550123")["rate"] == "0.0100"
    above = switch.authorize(connection["id"], "+447911123456")
    assert (above["reason"], above["telnyx_cause"], above["rate"]) == ("rate_above_max", "D24", "0.3000")
    assert switch.authorize(connection["id"], "+442071234567")["rate"] == "0.0200"


def test_a_deck_row_lets_a_non_geographic_number_through(switch: Switch, api: Api, database: Database) -> None:
    import_default_deck(database, DECK.splitlines(keepends=True))
    connection = api.connection()
    api.profile(connection_ids=[connection["id"]])
    answer = _rated(switch, connection["id"], "+80012345678")
    assert answer["decision"] == "allow"
    assert answer["destination_country"] is None
    assert answer["rate"] == "0.0400"
