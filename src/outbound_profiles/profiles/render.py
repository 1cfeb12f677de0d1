"""A profile as the API shows it, destinations in the requested format"""

from __future__ import annotations

from outbound_profiles.domain import countries
from outbound_profiles.domain.timestamps import iso8601
from outbound_profiles.profiles.model import Profile
from outbound_profiles.profiles.schemas import DestinationFormat, ProfileOut
from outbound_profiles.profiles.views import Attached


def rate_deck_path(profile_id: int) -> str:
    """Where a profile's own rate deck is downloaded, relative to the API's root (the same behind
    any host or proxy, so the ETag does not depend on it)."""
    return f"/termination/endpoints/{profile_id}/rate_deck"


def render(profile: Profile, attached: Attached, fmt: DestinationFormat | None = None) -> ProfileOut:
    shown = fmt or profile.whitelisted_destination_format
    views = list(attached.shown)
    stored = profile.whitelisted_destinations  # alpha2
    return ProfileOut(
        id=str(profile.id),
        user_id=str(profile.user_id),
        connections=views,
        connection_id=views[0].id if views else None,
        name=profile.name,
        traffic_type=profile.traffic_type,
        service_plan=profile.service_plan,
        cps_limit=profile.cps_limit,
        cps_limit_increase=profile.cps_limit_increase,
        ports=profile.ports,
        translation_rule=profile.translation_rule,
        active=profile.active,
        tag_list=profile.tag_list,
        usage_payment_method=profile.usage_payment_method,
        custom_rate_deck=profile.rate_deck_id is not None,
        rate_deck_url=None if profile.rate_deck_id is None else rate_deck_path(profile.id),
        whitelisted_destination_format=shown,
        whitelisted_destinations=list(stored)
        if shown == "alpha2"
        else [countries.BY_ALPHA2[c].code(shown) for c in stored],
        max_destination_rate=None if profile.max_destination_rate is None else float(profile.max_destination_rate),
        call_recording_type=profile.call_recording_type,
        call_recording_phone_numbers=profile.call_recording_phone_numbers,
        call_recording_format=profile.call_recording_format,
        call_recording_channels=profile.call_recording_channels,
        daily_spend_limit=None if profile.daily_spend_limit is None else f"{profile.daily_spend_limit:.2f}",
        daily_spend_limit_enabled=profile.daily_spend_limit_enabled,
        billing_group_id=profile.billing_group_id,
        created_at=iso8601(profile.created_at),
        updated_at=iso8601(profile.updated_at),
    )
