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


def test_an_end_below_the_framework_answers_what_litestar_answers(switch: Switch, line: Line, monkeypatch: Any) -> None:
    switch.authorize(line.connection_id, call_id="ended")
    taken: list[str] = []
    real = fast.FastAuthorize._end

    async def spy(self: Any, *args: Any) -> None:
        taken.append("fast")
        await real(self, *args)

    monkeypatch.setattr(fast.FastAuthorize, "_end", spy)

    def both(call_id: str, body: Any) -> tuple[Any, Any]:
        with monkeypatch.context() as only_litestar:
            only_litestar.setattr(fast, "_remembered_switch", lambda *_: False)
            by_litestar = switch.end(call_id, **body)
        by_fast_path = switch.end(call_id, **body)
        return by_litestar, by_fast_path

    drop = {"x-request-id"}
    for call_id, body, status in (("ended", {"duration_seconds": 7}, 200), ("never", {}, 404)):
        taken.clear()
        by_litestar, by_fast_path = both(call_id, body)
        assert taken == ["fast"], call_id
        assert by_fast_path.status_code == by_litestar.status_code == status
        assert by_fast_path.content == by_litestar.content
        assert [(k, v) for k, v in by_fast_path.headers.items() if k not in drop] == [
            (k, v) for k, v in by_litestar.headers.items() if k not in drop
        ]
    # A body that does not decode is passed on: Litestar names the problem.
    refused = switch.client.post(
        "/termination/authorizations/ended/end", json={"duration_seconds": -1}, headers=switch.headers
    )
    assert refused.status_code == 400
    # A call id with a "/" (sent as %2F) is not taken at all.
    switch.authorize(line.connection_id, call_id="a/b")
    taken.clear()
    assert switch.end("a%2Fb", 3).json()["call_id"] == "a/b"
    assert taken == []


def test_an_invalid_host_is_refused_before_any_decision_as_litestar_refuses_it(switch: Switch, line: Line) -> None:
    good = {"call_id": "hosted", "connection_id": line.connection_id, "to": "+12025550123", "from": "+13125550100"}
    assert _post(switch.client, switch.headers, {**good, "call_id": "first"}).status_code == 200  # token remembered
    for path in ("/termination/authorizations", "/termination/authorizations/first/end"):
        refused = switch.client.post(path, json=good, headers={**switch.headers, "host": "evil host<>"})
        assert refused.status_code == 400, (path, refused.text)
        assert "host" in refused.json()["errors"][0]["detail"].lower()
    assert (
        switch.client.post("/termination/authorizations/hosted/end", json={}, headers=switch.headers).status_code == 404
    )
    assert (
        switch.client.post("/termination/authorizations/first/end", json={}, headers=switch.headers).status_code == 200
    )
