"""Property: a sequence of partial updates behaves like a dict merge computed here, rules included.

The test keeps its own model of the profile (destinations as alpha2 codes from its own table,
amounts as "0.00" strings, aliases resolved), predicts for each update whether the merged
profile breaks a rule of SPEC §5, and checks that the service agrees: an accepted update shows
exactly the model's merge, a refused one (a broken rule or an injected invalid value) changes
nothing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.profiles.helpers import Endpoints, ok

# The test's own country table: alpha2 -> (alpha3, numeric).
COUNTRIES = {
    "US": ("USA", "840"),
    "CA": ("CAN", "124"),
    "PR": ("PRI", "630"),
    "GU": ("GUM", "316"),
    "FR": ("FRA", "250"),
    "AF": ("AFG", "004"),
    "JP": ("JPN", "392"),
}
US_PLAN = {"US", "CA", "PR", "VI", "GU", "AS", "MP"}
FORMATS = ("alpha2", "alpha3", "iso_numeric")
NUMBERS = ["+13125550100", "+442071838750", "+33142685300", "+81312345678"]
SHOWN_ONLY = {"id", "user_id", "created_at", "updated_at", "cps_limit", "custom_rate_deck", "rate_deck_url"}


def code_of(alpha2: str, fmt: str) -> str:
    alpha3, numeric = COUNTRIES[alpha2]
    return {"alpha2": alpha2, "alpha3": alpha3, "iso_numeric": numeric}[fmt]


def alpha2_of(code: str, fmt: str) -> str:
    return next(a2 for a2 in COUNTRIES if code_of(a2, fmt) == code.upper())


texts = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"], exclude_characters="\x00"), max_size=12)


def spellings(cents: int) -> list[str]:
    """ "12.50" and the shortest spelling of the same amount, "12.5" (or "12" for "12.00")."""
    full = f"{cents // 100}.{cents % 100:02d}"
    return [full, full.rstrip("0").rstrip(".") if cents % 100 else str(cents // 100)]


amounts = st.integers(0, 10**7).flatmap(lambda cents: st.sampled_from(spellings(cents)))
SIMPLE: dict[str, st.SearchStrategy[Any]] = {
    "name": st.none() | texts,
    "traffic_type": st.sampled_from([1, 2]),
    "service_plan": st.sampled_from([1, 2, 4]),
    "cps_limit_increase": st.integers(0, 920),
    "ports": st.none() | st.integers(0, 5000),
    "translation_rule": st.none() | texts,
    "active": st.booleans(),
    "tag_list": st.lists(st.sampled_from(["a", "b", "B", "ü", "x y"]), max_size=5),
    "usage_payment_method": st.sampled_from(["tariff", "rate-deck"]),
    "max_destination_rate": st.none() | st.integers(0, 10**6).map(lambda n: n / 10_000),
    "call_recording_type": st.sampled_from(["all", "none", "by_call_phone_number", "by_caller_phone_number"]),
    "call_recording_phone_numbers": st.lists(st.sampled_from(NUMBERS), max_size=3),
    "call_recording_format": st.sampled_from(["wav", "mp3"]),
    "call_recording_channels": st.sampled_from(["single", "dual"]),
    "daily_spend_limit": st.none() | amounts,
    "daily_spend_limit_enabled": st.booleans(),
}
# An invalid value per field (the wrong type, out of range, or not a country), and an unknown field.
INVALID: dict[str, Any] = {
    "ports": -1,
    "traffic_type": "1",
    "service_plan": 3,
    "active": 1,
    "tag_list": [""],
    "daily_spend_limit": "1.234",
    "max_destination_rate": -0.5,
    "whitelisted_destinations": ["XX"],
    "call_recording_phone_numbers": ["12345"],
    "name": 5,
    "connection_ids": ["0"],
    "colour": "red",
}


@st.composite
def updates(draw: st.DrawFn, connections: list[str], groups: list[str]) -> dict[str, Any]:
    fields = draw(st.sets(st.sampled_from([*SIMPLE, "destinations", "connection_ids", "billing_group_id"]), max_size=6))
    body: dict[str, Any] = {}
    for name in fields:
        if name in SIMPLE:
            body[name] = draw(SIMPLE[name])
        elif name == "connection_ids":
            body[name] = draw(st.lists(st.sampled_from(connections), max_size=4))
        elif name == "billing_group_id":
            body[name] = draw(st.none() | st.sampled_from(groups))
        else:
            fmt = draw(st.none() | st.sampled_from(FORMATS))
            chosen = draw(st.lists(st.sampled_from(list(COUNTRIES)), max_size=4))
            codes = [code_of(c, fmt or draw(st.sampled_from(FORMATS))) for c in chosen]
            body["whitelisted_destinations"] = [c.lower() if draw(st.booleans()) else c for c in codes]
            if fmt is not None:
                body["whitelisted_destination_format"] = fmt
    if "whitelisted_destinations" not in body and draw(st.booleans()):
        body["whitelisted_destination_format"] = draw(st.sampled_from(FORMATS))
    return body


def merge(model: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """The model after `body`, normalised the way the contract says."""
    merged = dict(model)
    for name, value in body.items():
        if name == "tag_list" or name == "call_recording_phone_numbers":
            merged[name] = list(dict.fromkeys(value))
        elif name == "connection_ids":
            merged["connections"] = list(dict.fromkeys(value))
        elif name == "whitelisted_destinations":
            fmt = body.get("whitelisted_destination_format")
            merged[name] = list(dict.fromkeys(alpha2_of(c, fmt or shape(c)) for c in value))
        elif name == "call_recording_type" and value == "by_caller_phone_number":
            merged[name] = "by_call_phone_number"
        elif name == "daily_spend_limit" and value is not None:
            merged[name] = f"{Decimal(value):.2f}"
        else:
            merged[name] = value
    return merged


def shape(code: str) -> str:
    return "iso_numeric" if code.isdigit() else "alpha2" if len(code) == 2 else "alpha3"


def breaks_a_rule(p: dict[str, Any]) -> bool:
    return (
        (p["service_plan"] == 2 and p["traffic_type"] != 2)
        or (p["service_plan"] == 1 and not set(p["whitelisted_destinations"]) <= US_PLAN)
        or p["cps_limit_increase"] > 900
        or (p["daily_spend_limit_enabled"] and p["daily_spend_limit"] is None)
        or (p["call_recording_type"] == "by_call_phone_number" and not p["call_recording_phone_numbers"])
    )


def as_model(shown: dict[str, Any], fmt: str | None = None) -> dict[str, Any]:
    """A response in the model's terms; checks what the model does not keep."""
    assert shown["whitelisted_destination_format"] == (fmt or shown["whitelisted_destination_format"])
    shown_format = shown["whitelisted_destination_format"]
    model = {k: v for k, v in shown.items() if k not in SHOWN_ONLY and k != "connection_id"}
    model["connections"] = [c["id"] for c in shown["connections"]]
    assert shown["connection_id"] == (model["connections"][0] if model["connections"] else None)
    model["whitelisted_destinations"] = [alpha2_of(c, shown_format) for c in shown["whitelisted_destinations"]]
    if fmt is not None:
        model.pop("whitelisted_destination_format")
    return model


def stored(model: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in model.items() if k != "whitelisted_destination_format"}


def test_partial_updates_behave_as_a_model_merge(endpoints: Endpoints) -> None:
    connections = [endpoints.connection_id(f"c{i}") for i in range(4)]
    groups = [endpoints.api.billing_group(name=f"g{i}")["id"] for i in range(2)]

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        steps=st.lists(
            st.tuples(
                updates(connections, groups),
                st.none() | st.sampled_from(sorted(INVALID)),
                st.none() | st.sampled_from(FORMATS),
                st.sampled_from(["PUT", "PATCH"]),
            ),
            min_size=1,
            max_size=5,
        )
    )
    def run(steps: list[tuple[dict[str, Any], str | None, str | None, str]]) -> None:
        profile = endpoints.profile(whitelisted_destinations=["US", "CA"])
        try:
            model = as_model(profile)
            for body, invalid, fmt, method in steps:
                if invalid is not None:
                    body = {**body, invalid: INVALID[invalid]}
                params = {} if fmt is None else {"whitelisted_destination_format": fmt}
                response = endpoints.update(profile["id"], body, method=method, **params)
                expected = model if invalid is not None else merge(model, body)
                refused = invalid is not None or breaks_a_rule(expected)
                event("refused" if refused else "accepted")
                if refused:
                    assert response.status_code == 400, (body, response.text)
                    assert as_model(endpoints.read(profile["id"])) == model
                    continue
                shown = as_model(ok(response), fmt)
                assert shown == (stored(expected) if fmt else expected), body
                model = expected
            assert as_model(endpoints.read(profile["id"])) == model
        finally:
            endpoints.update(profile["id"], {"connection_ids": []})

    run()


def test_a_refused_update_leaves_every_field_as_it_was(endpoints: Endpoints) -> None:
    connections = [endpoints.connection_id(f"c{i}") for i in range(4)]
    groups = [endpoints.api.billing_group(name=f"g{i}")["id"] for i in range(2)]

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        first=updates(connections, groups),
        second=updates(connections, groups),
        invalid=st.sampled_from(sorted(INVALID)),
    )
    def run(first: dict[str, Any], second: dict[str, Any], invalid: str) -> None:
        profile = endpoints.profile()
        try:
            endpoints.update(profile["id"], first)
            before = endpoints.read(profile["id"])

            response = endpoints.update(profile["id"], {**second, invalid: INVALID[invalid]})

            assert response.status_code == 400, response.text
            assert any(
                e.get("source", {}).get("pointer", "").split("/")[:2] == ["", invalid]
                for e in response.json()["errors"]
            ), response.text
            assert endpoints.read(profile["id"]) == before
        finally:
            endpoints.update(profile["id"], {"connection_ids": []})

    run()
