"""Every PUT and PATCH of one profile is answered by `profiles/fast_update.py` as Litestar alone
answers it, byte for byte, refusals and Litestar's 500 included, and each runs once: a refused
update leaves no trace. Other requests go on to Litestar. Requests run twice on one state, by
Litestar alone and as the application runs (`tests/profiles/differential.py`)."""

from __future__ import annotations

import itertools
import json
from typing import Any, Final

import httpx
import pytest
from litestar.testing import TestClient

from outbound_profiles.config import MAX_BODY_BYTES
from tests.conftest import Tenant
from tests.contract.helpers import AUTHENTICATION_FAILED, INVALID_JSON, NOT_FOUND, assert_error
from tests.profiles.differential import (
    FAST,
    LITESTAR,
    Answer,
    Asgi,
    Message,
    Paths,
    Twice,
    World,
    answer,
    bearer,
    body_messages,
    request,
)
from tests.profiles.helpers import Endpoints, ok, problems, url

CHUNK: Final = 64 * 1024


def assert_answered_as_litestar_would(
    litestar: httpx.Response, fast: httpx.Response, paths: Paths, *, updates: int = 1
) -> None:
    """The same answer as Litestar alone gives, from the fast path, which ran the update `updates` times."""
    assert paths.taken() == FAST
    assert paths.attempts == updates
    assert answer(fast) == answer(litestar)


def test_an_invalid_body_is_refused_with_every_problem(
    endpoints: Endpoints, world: World, twice: Twice, paths: Paths
) -> None:
    body = {"name": 5, "ports": -1, "bogus": True, "connection_ids": ["nope"], "whitelisted_destinations": ["ZZ"]}

    litestar, fast = twice(request(endpoints, "PUT", world.path, body=body))

    assert_answered_as_litestar_would(litestar, fast, paths)
    found = problems(fast)
    assert found.keys() == {"/name", "/ports", "/bogus", "/connection_ids/0", "/whitelisted_destinations/0"}, found
    assert twice.after == twice.before


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        pytest.param(b'{"name": "x"', "not valid JSON", id="malformed"),
        pytest.param(b"", "not valid JSON", id="empty"),
        pytest.param(b'["name"]', "must be a JSON object", id="array"),
        pytest.param(b'"name"', "must be a JSON object", id="string"),
        pytest.param(b"null", "must be a JSON object", id="null"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_refused(
    endpoints: Endpoints, world: World, twice: Twice, paths: Paths, content: bytes, detail: str
) -> None:
    litestar, fast = twice(request(endpoints, "PUT", world.path, content=content))

    assert_answered_as_litestar_would(litestar, fast, paths)
    assert detail in assert_error(fast, 400, INVALID_JSON)["detail"]
    assert twice.after == twice.before


@pytest.mark.parametrize("profile_id", ["99999999", "0", "not-a-number", "1e3", " 1"])
def test_an_unknown_profile_is_not_found(
    endpoints: Endpoints, world: World, twice: Twice, paths: Paths, profile_id: str
) -> None:
    litestar, fast = twice(request(endpoints, "PUT", url(profile_id), body={"name": "x"}))

    assert_answered_as_litestar_would(litestar, fast, paths)
    assert_error(fast, 404, NOT_FOUND)
    assert twice.after == twice.before


def test_another_tenants_profile_is_not_found(
    endpoints: Endpoints, other_endpoints: Endpoints, world: World, twice: Twice, paths: Paths
) -> None:
    litestar, fast = twice(request(other_endpoints, "PUT", world.path, body={"name": "mine now"}))

    assert_answered_as_litestar_would(litestar, fast, paths)
    assert_error(fast, 404, NOT_FOUND)
    assert twice.after == twice.before


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="none"),
        pytest.param({"Authorization": "Bearer garbage"}, id="bad-token"),
        pytest.param({"Authorization": "Basic dXNlcjpwYXNz"}, id="wrong-scheme"),
        pytest.param({"Authorization": "Bearer "}, id="empty-token"),
        pytest.param({"x-api-token": "garbage"}, id="api-token-alone"),
    ],
)
def test_missing_or_wrong_credentials_are_refused(
    endpoints: Endpoints, world: World, twice: Twice, paths: Paths, headers: dict[str, str]
) -> None:
    litestar, fast = twice(request(endpoints, "PUT", world.path, body={"name": "x"}, headers=headers))

    assert_answered_as_litestar_would(litestar, fast, paths)
    assert_error(fast, 401, AUTHENTICATION_FAILED)
    assert twice.after == twice.before


def test_the_api_user_and_token_pair_is_answered_by_the_fast_path(
    endpoints: Endpoints, world: World, twice: Twice, paths: Paths
) -> None:
    tenant = endpoints.api.tenant
    headers = {"x-api-user": tenant.email, "x-api-token": tenant.token}

    litestar, fast = twice(request(endpoints, "PUT", world.path, body={"name": "paired"}, headers=headers))

    assert paths.taken() == FAST
    assert ok(fast)["name"] == "paired"
    assert answer(fast) == answer(litestar)


def test_an_update_with_a_stale_if_match_is_refused(
    endpoints: Endpoints, world: World, twice: Twice, paths: Paths
) -> None:
    stale = endpoints.get(world.id).headers["etag"]
    endpoints.updated(world.id, {"name": "moved on"})
    headers = {**endpoints.headers, "If-Match": stale}

    litestar, fast = twice(request(endpoints, "PUT", world.path, body={"name": "x"}, headers=headers))

    assert_answered_as_litestar_would(litestar, fast, paths)
    assert fast.status_code == 412, fast.text
    assert twice.after == twice.before


def test_an_if_match_header_named_in_capitals_is_seen_by_the_fast_path(
    client: TestClient[Any], tenant: Tenant, endpoints: Endpoints, world: World, twice: Twice, paths: Paths
) -> None:
    """ASGI servers lowercase header names; one that did not must not get an unconditional update."""
    stale = endpoints.get(world.id).headers["etag"]
    endpoints.updated(world.id, {"name": "moved on"})
    asgi = Asgi(client)
    headers = [*bearer(tenant), (b"If-Match", stale.encode())]

    litestar, fast = twice(lambda: asgi("PUT", world.path, body_messages(b'{"name": "x"}'), headers))

    assert paths.taken() == FAST
    assert fast[0] == 412
    assert fast == litestar
    assert twice.after == twice.before


def test_an_update_with_the_current_if_match_is_made(
    endpoints: Endpoints, world: World, twice: Twice, paths: Paths
) -> None:
    headers = {**endpoints.headers, "If-Match": endpoints.get(world.id).headers["etag"]}

    litestar, fast = twice(request(endpoints, "PUT", world.path, body={"name": "x"}, headers=headers))

    assert_answered_as_litestar_would(litestar, fast, paths)
    assert ok(fast)["name"] == "x"


@pytest.mark.parametrize(
    ("params", "status"),
    [
        pytest.param({"whitelisted_destination_format": "alpha3"}, 200, id="format"),
        pytest.param({"whitelisted_destination_format": "alpha2"}, 200, id="the-default-format"),
        pytest.param({"whitelisted_destination_format": "klingon"}, 400, id="bad-format"),
        pytest.param({"unknown": "1"}, 400, id="unknown-parameter"),
    ],
)
def test_an_update_with_a_query_string_is_answered(
    endpoints: Endpoints, world: World, twice: Twice, paths: Paths, params: dict[str, str], status: int
) -> None:
    body = {"name": "x", "whitelisted_destinations": ["DE"]}

    litestar, fast = twice(request(endpoints, "PUT", world.path, body=body, params=params))

    assert_answered_as_litestar_would(litestar, fast, paths)
    assert fast.status_code == status, fast.text
    if params.get("whitelisted_destination_format") == "alpha3":
        assert fast.json()["whitelisted_destinations"] == ["DEU"]


@pytest.mark.parametrize(
    ("suffix", "taken"),
    [("/", FAST), ("//", FAST), ("/extra", LITESTAR), ("/actions/attach_connections", LITESTAR)],
    ids=["trailing-slash", "double", "extra", "action"],
)
@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_a_path_is_taken_as_litestar_routes_it(
    endpoints: Endpoints, world: World, twice: Twice, paths: Paths, suffix: str, taken: str, method: str
) -> None:
    """Slashes at the end are the profile's path still; a longer path is another route's."""
    litestar, actual = twice(request(endpoints, method, world.path + suffix, body={"connection_ids": [world.c]}))

    assert paths.taken() == taken
    assert answer(actual) == answer(litestar)


def test_the_collection_and_other_methods_are_answered_by_litestar(
    endpoints: Endpoints, world: World, twice: Twice, paths: Paths
) -> None:
    for method, path in [("PUT", "/termination/endpoints"), ("POST", world.path), ("GET", world.path)]:
        litestar, fast = twice(request(endpoints, method, path, body={"name": "x"}))
        assert paths.attempts == 0, (method, path)
        assert answer(fast) == answer(litestar), (method, path)


def test_a_body_of_exactly_the_limit_is_answered_by_the_fast_path(
    endpoints: Endpoints, world: World, twice: Twice, paths: Paths
) -> None:
    content = b'{"name": "big"}'
    content += b" " * (MAX_BODY_BYTES - len(content))

    litestar, fast = twice(request(endpoints, "PUT", world.path, content=content))

    assert paths.taken() == FAST
    assert ok(fast)["name"] == "big"
    assert answer(fast) == answer(litestar)


def test_a_body_over_the_limit_is_refused(endpoints: Endpoints, world: World, twice: Twice, paths: Paths) -> None:
    content = b'{"name": "big"}'
    content += b" " * (MAX_BODY_BYTES + 1 - len(content))

    litestar, fast = twice(request(endpoints, "PUT", world.path, content=content))

    assert_answered_as_litestar_would(litestar, fast, paths, updates=0)
    assert fast.status_code == 413, fast.text
    assert twice.after == twice.before


def test_a_body_streaming_over_the_limit_is_read_only_up_to_the_limit_and_one_chunk(
    client: TestClient[Any], tenant: Tenant, world: World, twice: Twice, paths: Paths
) -> None:
    """No Content-Length: the size is known only by reading, and reading stops at the limit."""
    asgi = Asgi(client)
    endless: Message = {"type": "http.request", "body": b" " * CHUNK, "more_body": True}
    receives: list[int] = []

    def send() -> Answer:
        got = asgi("PUT", world.path, itertools.repeat(endless), bearer(tenant))
        receives.append(asgi.receives)
        return got

    litestar, fast = twice(send)

    assert paths.taken() == FAST
    assert paths.attempts == 0
    assert fast[0] == 413
    assert fast == litestar
    assert receives == [MAX_BODY_BYTES // CHUNK + 1] * 2
    assert twice.after == twice.before


def test_a_content_length_over_the_limit_is_refused_unread(
    client: TestClient[Any], tenant: Tenant, world: World, twice: Twice, paths: Paths
) -> None:
    """Refused from the header alone, as Litestar does: the body is not read (or applied)."""
    asgi = Asgi(client)
    headers = [*bearer(tenant), (b"content-length", str(MAX_BODY_BYTES + 1).encode())]
    receives: list[int] = []

    def send() -> Answer:
        got = asgi("PUT", world.path, body_messages(b'{"name": "small"}'), headers)
        receives.append(asgi.receives)
        return got

    litestar, fast = twice(send)

    assert paths.taken() == FAST
    assert paths.attempts == 0
    assert fast[0] == 413
    assert fast == litestar
    assert receives == [0, 0]
    assert twice.after == twice.before


@pytest.mark.parametrize("length", [b"abc", b"-1", b"1e3", b"\xb2"])
def test_a_content_length_that_is_not_a_length_is_taken_as_litestar_takes_it(
    client: TestClient[Any], tenant: Tenant, world: World, twice: Twice, paths: Paths, length: bytes
) -> None:
    asgi = Asgi(client)
    headers = [*bearer(tenant), (b"content-length", length)]
    litestar, fast = twice(lambda: asgi("PUT", world.path, body_messages(b'{"name": "odd"}'), headers))

    assert paths.taken() == FAST
    assert fast == litestar


def test_a_body_in_several_messages_is_answered_by_the_fast_path(
    client: TestClient[Any], tenant: Tenant, world: World, twice: Twice, paths: Paths
) -> None:
    asgi = Asgi(client)
    chunks = (b'{"name": "in ', b"", b'pieces", "connection_ids": ', f'["{world.c}"]}}'.encode())

    litestar, fast = twice(lambda: asgi("PUT", world.path, body_messages(*chunks), bearer(tenant)))

    assert paths.taken() == FAST
    assert fast[0] == 200, fast
    assert json.loads(fast[2])["name"] == "in pieces"
    assert fast == litestar


def test_an_invalid_body_in_several_messages_is_read_whole(
    client: TestClient[Any], tenant: Tenant, world: World, twice: Twice, paths: Paths
) -> None:
    """Problems in the first and the last message: every message was read, in order."""
    asgi = Asgi(client)
    chunks = (b'{"ports": -1, ', b'"name": "ok", ', b'"active": "no"}')

    litestar, fast = twice(lambda: asgi("PUT", world.path, body_messages(*chunks), bearer(tenant)))

    assert paths.taken() == FAST
    assert paths.attempts == 1
    assert fast[0] == 400, fast
    pointers = {e["source"]["pointer"] for e in json.loads(fast[2])["errors"]}
    assert pointers == {"/ports", "/active"}
    assert fast == litestar
    assert twice.after == twice.before


def test_an_invalid_host_is_refused_by_litestar_before_routing(
    client: TestClient[Any], tenant: Tenant, world: World, twice: Twice, paths: Paths
) -> None:
    """Litestar's router refuses a Host header no host can have (400) before it routes anything; the
    update answered before routing leaves it to Litestar."""
    asgi = Asgi(client)
    call = client.app

    async def rehosted(scope: Any, receive: Any, send: Any) -> None:  # the helper sends a Host of its own
        scope["headers"] = [(n, b"evil host<>" if n == b"host" else v) for n, v in scope["headers"]]
        await call(scope, receive, send)

    def send() -> Answer:
        asgi.client.app = rehosted
        try:
            return asgi("PUT", world.path, body_messages(b'{"name": "hijack"}'), bearer(tenant))
        finally:
            asgi.client.app = call

    litestar, actual = twice(send)

    assert paths.taken() == LITESTAR
    assert actual[0] == 400, actual
    assert actual == litestar
    assert twice.after == twice.before


@pytest.mark.parametrize("valid_first", [True, False], ids=["valid-first", "valid-last"])
def test_repeated_credentials_are_read_as_litestar_reads_them(
    client: TestClient[Any], tenant: Tenant, world: World, twice: Twice, paths: Paths, valid_first: bool
) -> None:
    asgi = Asgi(client)
    valid, wrong = (b"authorization", f"Bearer {tenant.token}".encode()), (b"authorization", b"Bearer garbage")
    headers = [valid, wrong] if valid_first else [wrong, valid]

    litestar, actual = twice(lambda: asgi("PUT", world.path, body_messages(b'{"name": "x"}'), headers))

    assert actual[0] == (200 if valid_first else 401), actual
    assert paths.taken() == FAST
    assert actual == litestar


# A refused or failed update leaves no trace, and runs once.


def test_a_refused_update_changes_nothing_not_even_its_valid_fields(
    endpoints: Endpoints, world: World, paths: Paths
) -> None:
    before = endpoints.get(world.id)
    body = {"name": "changed", "connection_ids": [world.c], "billing_group_id": None, "ports": -1}

    paths.reset()
    assert list(problems(endpoints.update(world.id, body))) == ["/ports"]
    assert (paths.taken(), paths.attempts) == (FAST, 1)

    after = endpoints.get(world.id)
    assert after.json() == before.json()
    assert after.headers["etag"] == before.headers["etag"]
    connection = endpoints.client.get(f"/security/connections/{world.c}", headers=endpoints.headers)
    assert ok(connection)["outbound_profile_id"] is None


def test_an_unexpected_failure_after_writing_is_a_500_as_litestars_and_leaves_nothing(
    endpoints: Endpoints, world: World, twice: Twice, paths: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fast path answers Litestar's 500 itself (the update is never run again: a failed COMMIT's
    outcome can be unknown), and the update's writes roll back."""

    def failing_render(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("after the update's writes")

    before = endpoints.get(world.id)
    monkeypatch.setattr("outbound_profiles.profiles.router.render", failing_render)
    body = {"name": "never", "connection_ids": [world.c, world.a]}

    litestar, fast = twice(request(endpoints, "PUT", world.path, body=body))

    assert (paths.attempts, paths.fast, paths.passed_on) == (1, 0, 0)
    assert answer(fast) == answer(litestar)
    assert fast.status_code == 500, fast.text
    assert twice.after == twice.before
    monkeypatch.undo()
    after = endpoints.get(world.id)
    assert after.json() == before.json()
    assert after.headers["etag"] == before.headers["etag"]
