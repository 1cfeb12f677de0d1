"""Counters rebuilt after a loss of their state hold exactly the calls still active: a call that ends
while they are rebuilt gives its port back, though its release came when there was nothing to release."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from litestar.testing import TestClient

from outbound_profiles.authorizations.service import DataPlane
from outbound_profiles.counters import Held, MemoryCounters
from tests.authorizations.conftest import Switch
from tests.conftest import Api


def test_a_call_that_ends_while_the_counters_are_rebuilt_gives_its_port_back(
    client: TestClient[Any], switch: Switch, api: Api
) -> None:
    connection = api.connection()
    api.profile(connection_ids=[connection["id"]], ports=1)
    assert switch.authorize(connection["id"], call_id="a")["decision"] == "allow"
    data_plane: DataPlane = client.app.state.data_plane
    lost = MemoryCounters()  # the counters' state is gone, as after a restart of their store
    rebuild = lost.restore
    listed: list[list[str]] = []

    async def restore_after_an_end(account_id: int, calls: Sequence[Held], now_ms: int) -> None:
        # "a" ends after the active calls were read for the rebuild, before the rebuild: its release
        # finds no state, and the list still holds it.
        listed.append([call.call_id for call in calls])
        await data_plane.end("a", 5)
        await rebuild(account_id, calls, now_ms)

    lost.restore = restore_after_an_end  # type: ignore[method-assign]
    data_plane.counters = lost

    assert switch.authorize(connection["id"], call_id="b")["decision"] == "allow"
    assert listed == [["a"]]
    assert switch.authorize(connection["id"], call_id="c")["decision"] == "deny"  # "b" holds the one port
