"""The authorizations answered below the framework (`authorizations/fast.py`) give the bytes and
headers Litestar gives, and whatever the fast path does not take is Litestar's, unchanged."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from outbound_profiles.authorizations import fast
from tests.authorizations.conftest import Line, Switch


def _post(client: TestClient[Any], headers: dict[str, str], body: Any) -> Any:
    return client.post("/termination/authorizations", json=body, headers=headers)


def test_the_fast_path_answers_what_litestar_answers(switch: Switch, line: Line, monkeypatch: Any) -> None:
    body = {"call_id": "same", "connection_id": line.connection_id, "to": "+12025550123", "from": "+13125550100"}
    taken: list[str] = []
    real = fast._decoder

    class Spy:
        def decode(self, raw: bytes) -> Any:
            taken.append("fast")
            return real.decode(raw)

    monkeypatch.setattr(fast, "_decoder", Spy())
    # The token is not yet verified in this process: Litestar answers, and the process remembers it.
    by_litestar = _post(switch.client, switch.headers, body)
    assert taken == []
    by_fast_path = _post(switch.client, switch.headers, body)  # a retry: the same decision
    assert taken == ["fast"]
    assert by_fast_path.status_code == by_litestar.status_code == 200
    assert by_fast_path.content == by_litestar.content
    drop = {"x-request-id"}
    assert [(k, v) for k, v in by_fast_path.headers.items() if k not in drop] == [
        (k, v) for k, v in by_litestar.headers.items() if k not in drop
    ]


def test_what_the_fast_path_does_not_take_gets_litestars_answer(switch: Switch, line: Line) -> None:
    good = {"call_id": "c", "connection_id": line.connection_id, "to": "+12025550123", "from": "+13125550100"}
    assert _post(switch.client, switch.headers, good).status_code == 200  # the token is now remembered
    for bad in ({**good, "extra": 1}, {**good, "call_id": ""}, {"call_id": "d"}):
        response = _post(switch.client, switch.headers, bad)
        assert response.status_code == 400, bad
        assert response.json()["errors"][0]["code"] in ("10004", "10015")
    malformed = switch.client.post("/termination/authorizations", content=b"{", headers=switch.headers)
    assert malformed.json()["errors"][0]["code"] == "10023"
    with_query = switch.client.post("/termination/authorizations?x=1", json=good, headers=switch.headers)
    assert with_query.status_code == 400
    assert switch.client.post("/termination/authorizations", json=good).status_code == 401
