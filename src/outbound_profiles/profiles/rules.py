"""The profile rules that need only the merged profile and the account.

A rule names the field the client sent (`blame`), and is skipped when a field it reads was
already reported invalid: the client sees the cause, not its echoes. The rules that need the
database (connections, billing group) live in the service.
"""

from __future__ import annotations

from collections.abc import Callable

from outbound_profiles.accounts.account import Account
from outbound_profiles.errors import Problems
from outbound_profiles.profiles.model import Profile
from outbound_profiles.profiles.normalize import Changes

RETIRED_SERVICE_PLANS = {3: "Service plan 3 (EEA originated) has been retired and is now covered by Global, 4."}
US_PLAN_COUNTRIES = ("US", "CA", "PR", "VI", "GU", "AS", "MP")

Rule = Callable[[Profile, Account, Changes, Problems], None]


def blame(changes: Changes, *fields: str) -> str:
    """The pointer of the first of `fields` that the body named, else of the first."""
    return "/" + next((f for f in fields if f in changes.given), fields[0])


def international_needs_short_duration(p: Profile, _: Account, changes: Changes, problems: Problems) -> None:
    if p.service_plan == 2 and p.traffic_type != 2:
        problems.add(
            blame(changes, "service_plan", "traffic_type"),
            "Service plan 2 (International) may only be used with traffic_type 2 (short duration).",
        )


def us_plan_covers_destinations(p: Profile, _: Account, changes: Changes, problems: Problems) -> None:
    if p.service_plan != 1:
        return
    outside = [code for code in p.whitelisted_destinations if code not in US_PLAN_COUNTRIES]
    covered = ", ".join(US_PLAN_COUNTRIES)
    if "whitelisted_destinations" in changes.fields:
        for code in outside:
            problems.add(
                changes.destination_pointers[code],
                f"{code} is outside service plan 1 (US), which covers {covered}.",
            )
    elif outside:
        problems.add(
            "/service_plan",
            f"Service plan 1 (US) covers only {covered}; the profile whitelists {', '.join(outside)}.",
        )


def ports_within_account_limit(p: Profile, account: Account, _: Changes, problems: Problems) -> None:
    limit = account.concurrent_call_limit
    if limit is not None and p.ports is not None and p.ports > limit:
        problems.add("/ports", f"ports must be no more than your concurrent call limit ({limit}).")


def cps_within_account_maximum(p: Profile, account: Account, _: Changes, problems: Problems) -> None:
    if p.cps_limit + p.cps_limit_increase > account.max_cps:
        problems.add(
            "/cps_limit_increase",
            f"cps_limit ({p.cps_limit}) + cps_limit_increase ({p.cps_limit_increase}) exceeds "
            f"the account's maximum CPS ({account.max_cps}); cps_limit_increase may be at most "
            f"{max(0, account.max_cps - p.cps_limit)}.",
        )


def spend_limit_when_enabled(p: Profile, _: Account, changes: Changes, problems: Problems) -> None:
    if p.daily_spend_limit_enabled and p.daily_spend_limit is None:
        problems.add(
            blame(changes, "daily_spend_limit_enabled", "daily_spend_limit")
            if "daily_spend_limit" not in changes.given
            else "/daily_spend_limit",
            "daily_spend_limit_enabled needs a daily_spend_limit.",
        )


def recording_numbers_when_filtered(p: Profile, _: Account, changes: Changes, problems: Problems) -> None:
    if p.call_recording_type == "by_call_phone_number" and not p.call_recording_phone_numbers:
        problems.add(
            blame(changes, "call_recording_phone_numbers", "call_recording_type"),
            "call_recording_type by_call_phone_number needs at least one number in call_recording_phone_numbers.",
        )


# Each rule with the fields it reads.
RULES: tuple[tuple[Rule, tuple[str, ...]], ...] = (
    (international_needs_short_duration, ("service_plan", "traffic_type")),
    (
        us_plan_covers_destinations,
        ("service_plan", "whitelisted_destinations", "whitelisted_destination_format"),
    ),
    (ports_within_account_limit, ("ports",)),
    (cps_within_account_maximum, ("cps_limit_increase",)),
    (spend_limit_when_enabled, ("daily_spend_limit_enabled", "daily_spend_limit")),
    (recording_numbers_when_filtered, ("call_recording_type", "call_recording_phone_numbers")),
)


def check(profile: Profile, account: Account, changes: Changes, problems: Problems) -> None:
    if not problems:  # the usual case: every rule applies
        for rule, _ in RULES:
            rule(profile, account, changes, problems)
        return
    reported = {pointer.split("/")[1] for pointer in problems.pointers()}
    for rule, reads in RULES:
        if reported.isdisjoint(reads):
            rule(profile, account, changes, problems)
