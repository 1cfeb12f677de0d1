"""Optimistic concurrency: `ETag` on profile answers, `If-Match` (412) on changes, `If-None-Match` (304)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.profiles.helpers import PATH, Endpoints, ok, url

V2 = "/v2/outbound_voice_profiles"


def etag(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    tag = response.headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{16}"', tag), tag  # strong: no W/ prefix
    return tag


def precondition_failed(response: httpx.Response) -> None:
    assert response.status_code == 412, response.text
    assert response.headers["x-should-retry"] == "false"
    [error] = response.json()["errors"]
    assert error["code"] == "10412"
    assert error["title"] == "Precondition failed"
    assert error["source"] == {"parameter": "If-Match"}


def test_every_answer_about_one_profile_carries_the_same_etag_for_the_same_state(endpoints: Endpoints) -> None:
    created = endpoints.create({"name": "p", "connection_ids": []})
    tag = etag(created)
    profile_id = created.json()["id"]

    assert etag(endpoints.get(profile_id)) == tag
    assert etag(endpoints.get(profile_id, whitelisted_destination_format="alpha3")) == tag  # a state, not a rendering
    assert etag(endpoints.client.get(f"{V2}/{profile_id}", headers=endpoints.headers)) == tag
    assert etag(endpoints.update(profile_id, {"name": "p"})) == tag  # nothing changed


def test_every_change_gives_a_new_etag(endpoints: Endpoints) -> None:
    connection = endpoints.connection_id()
    profile = endpoints.create({"name": "p", "connection_ids": []})
    profile_id = profile.json()["id"]
    seen = [etag(profile)]

    seen.append(etag(endpoints.update(profile_id, {"name": "q"})))
    seen.append(etag(endpoints.update(profile_id, {"tag_list": ["x"]}, method="PATCH")))
    seen.append(etag(endpoints.attach(profile_id, [connection])))
    seen.append(etag(endpoints.detach(profile_id, [connection])))
    seen.append(etag(endpoints.attach(profile_id, [connection])))
    # Deleting an attached connection changes what the profile shows, so its ETag changes too.
    ok(endpoints.client.delete(f"/security/connections/{connection}", headers=endpoints.headers))
    seen.append(etag(endpoints.get(profile_id)))

    assert len(set(seen)) == len(seen), seen


def test_a_change_with_the_current_etag_is_made(endpoints: Endpoints) -> None:
    created = endpoints.create({"name": "p", "connection_ids": []})
    profile_id = created.json()["id"]

    response = endpoints.client.put(
        url(profile_id), json={"name": "q"}, headers={**endpoints.headers, "If-Match": etag(created)}
    )

    assert ok(response)["name"] == "q"
    assert etag(response) == etag(endpoints.get(profile_id)) != etag(created)


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_an_update_with_a_stale_etag_is_refused_and_changes_nothing(endpoints: Endpoints, method: str) -> None:
    created = endpoints.create({"name": "p", "connection_ids": []})
    profile_id = created.json()["id"]
    endpoints.updated(profile_id, {"name": "someone else"})
    before = endpoints.read(profile_id)

    response = endpoints.client.request(
        method, url(profile_id), json={"name": "mine"}, headers={**endpoints.headers, "If-Match": etag(created)}
    )

    precondition_failed(response)
    assert endpoints.read(profile_id) == before


def test_a_delete_with_a_stale_etag_is_refused(endpoints: Endpoints) -> None:
    created = endpoints.create({"name": "p", "connection_ids": []})
    profile_id = created.json()["id"]
    current = etag(endpoints.update(profile_id, {"name": "q"}))

    precondition_failed(
        endpoints.client.delete(url(profile_id), headers={**endpoints.headers, "If-Match": etag(created)})
    )
    assert endpoints.get(profile_id).status_code == 200

    ok(endpoints.client.delete(url(profile_id), headers={**endpoints.headers, "If-Match": current}))
    assert endpoints.get(profile_id).status_code == 404


@pytest.mark.parametrize("action", ["attach_connections", "detach_connections"])
def test_an_action_with_a_stale_etag_is_refused(endpoints: Endpoints, action: str) -> None:
    connection = endpoints.connection_id()
    created = endpoints.create({"name": "p", "connection_ids": [connection] if action.startswith("detach") else []})
    profile_id = created.json()["id"]
    endpoints.updated(profile_id, {"name": "q"})
    before = endpoints.read(profile_id)

    response = endpoints.client.put(
        url(profile_id, action),
        json={"connection_ids": [connection]},
        headers={**endpoints.headers, "If-Match": etag(created)},
    )

    precondition_failed(response)
    assert endpoints.read(profile_id) == before


@pytest.mark.parametrize(
    ("if_match", "applied"),
    [
        ("*", True),
        ('"0000000000000000", {current}', True),
        ('"0000000000000000"', False),
        ("W/{current}", False),  # If-Match compares strongly: a weak tag never matches
    ],
)
def test_if_match_lists_and_the_star(endpoints: Endpoints, if_match: str, applied: bool) -> None:
    created = endpoints.create({"name": "p", "connection_ids": []})
    profile_id = created.json()["id"]

    response = endpoints.client.put(
        url(profile_id),
        json={"name": "q"},
        headers={**endpoints.headers, "If-Match": if_match.format(current=etag(created))},
    )

    if applied:
        assert ok(response)["name"] == "q"
    else:
        precondition_failed(response)
        assert endpoints.read(profile_id)["name"] == "p"


@pytest.mark.parametrize("value", ["", ",", "abc", '"unterminated', '"a" "b"'])
def test_a_malformed_if_match_is_a_bad_request(endpoints: Endpoints, value: str) -> None:
    profile_id = endpoints.profile(name="p")["id"]

    response = endpoints.client.put(
        url(profile_id), json={"name": "q"}, headers={**endpoints.headers, "If-Match": value}
    )

    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["source"] == {"parameter": "If-Match"}
    assert endpoints.read(profile_id)["name"] == "p"


def test_if_none_match_answers_304_while_the_copy_is_current(endpoints: Endpoints) -> None:
    created = endpoints.create({"name": "p", "connection_ids": []})
    profile_id, tag = created.json()["id"], etag(created)

    for value in (tag, f"W/{tag}", f'"0000000000000000", {tag}', "*"):
        response = endpoints.client.get(url(profile_id), headers={**endpoints.headers, "If-None-Match": value})
        assert response.status_code == 304, value
        assert response.content == b""
        assert response.headers["ETag"] == tag

    endpoints.updated(profile_id, {"name": "q"})
    response = endpoints.client.get(url(profile_id), headers={**endpoints.headers, "If-None-Match": tag})
    assert ok(response)["name"] == "q"


def test_another_tenant_gets_a_404_not_a_412(endpoints: Endpoints, other_endpoints: Endpoints) -> None:
    created = endpoints.create({"name": "p", "connection_ids": []})

    response = other_endpoints.client.put(
        url(created.json()["id"]), json={"name": "q"}, headers={**other_endpoints.headers, "If-Match": etag(created)}
    )

    assert response.status_code == 404


def test_v2_honours_the_same_preconditions_with_its_own_statuses(endpoints: Endpoints) -> None:
    created = endpoints.client.post(V2, json={"name": "ppp"}, headers=endpoints.headers)
    tag = etag(created)
    profile_id: str = created.json()["data"]["id"]
    endpoints.updated(profile_id, {"name": "changed through v1"})
    stale = {**endpoints.headers, "If-Match": tag}

    precondition_failed(endpoints.client.patch(f"{V2}/{profile_id}", json={"name": "qqq"}, headers=stale))
    precondition_failed(endpoints.client.delete(f"{V2}/{profile_id}", headers=stale))
    malformed = endpoints.client.patch(
        f"{V2}/{profile_id}", json={"name": "qqq"}, headers={**endpoints.headers, "If-Match": "abc"}
    )
    assert malformed.status_code == 422, malformed.text

    current = etag(endpoints.get(profile_id))
    changed = endpoints.client.patch(
        f"{V2}/{profile_id}", json={"name": "qqq"}, headers={**endpoints.headers, "If-Match": current}
    )
    assert changed.json()["data"]["name"] == "qqq"
    not_modified = endpoints.client.get(
        f"{V2}/{profile_id}", headers={**endpoints.headers, "If-None-Match": etag(changed)}
    )
    assert not_modified.status_code == 304


def test_a_retried_action_with_an_idempotency_key_answers_the_first_time_and_does_nothing(endpoints: Endpoints) -> None:
    connection = endpoints.connection_id()
    profile_id = endpoints.profile(name="p")["id"]
    headers = {**endpoints.headers, "Idempotency-Key": "attach-1"}
    body: dict[str, Any] = {"connection_ids": [connection]}

    first = endpoints.client.put(url(profile_id, "attach_connections"), json=body, headers=headers)
    ok(endpoints.detach(profile_id, [connection]))
    retried = endpoints.client.put(url(profile_id, "attach_connections"), json=body, headers=headers)

    assert retried.json() == ok(first)
    assert retried.headers["ETag"] == etag(first)  # the ETag of the state that answer showed
    assert endpoints.read(profile_id)["connections"] == []  # the retry attached nothing
    other = endpoints.client.put(url(profile_id, "detach_connections"), json=body, headers=headers)
    assert other.status_code == 422, other.text  # the same key for another request
    assert ok(endpoints.client.get(f"{PATH}/{profile_id}", headers=endpoints.headers))["connections"] == []
