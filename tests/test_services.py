"""The actions: transcribe, allow_cloud_temporarily, apply_policy, privacy_report."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
)

from .fakes.adguard_home import FakeAdGuardHome
from .guarded import KITCHEN_IP, call_action, filter_entry, kitchen, setup_entry


async def test_privacy_report(hass: HomeAssistant, adguard: FakeAdGuardHome) -> None:
    """The report lists guarded devices with proof, and cloud devices nobody guards."""
    adguard.query(KITCHEN_IP, "www.example.com")  # the Echo asks the filter
    await setup_entry(
        hass, filter_entry("adguard_home", adguard.url, kitchen(blocks=["block_voice"]))
    )
    other = MockConfigEntry(domain="ring")
    other.add_to_hass(hass)
    # What onboarding sets up on its own: a cloud service, no device of the home.
    translate = MockConfigEntry(domain="google_translate")
    translate.add_to_hass(hass)
    dr.async_get(hass).async_get_or_create(
        config_entry_id=translate.entry_id,
        identifiers={("google_translate", "tts")},
        manufacturer="Google",
        name="Google Translate en com",
        entry_type=dr.DeviceEntryType.SERVICE,
    )
    dr.async_get(hass).async_get_or_create(
        config_entry_id=other.entry_id,
        identifiers={("ring", "doorbell")},
        manufacturer="Ring",
        model="Video Doorbell",
        name="Front door",
    )
    report = await call_action(hass, "privacy_report", {})
    (guarded,) = report["guarded_devices"]
    # A first start reads blocked lookups only (no rules were in force before it).
    assert guarded.pop("destinations") == []
    assert guarded == {
        "name": "Kitchen Echo",
        "filter": "AdGuard Home (test)",
        "summary": "Kitchen Echo: not confirmed yet (Cloud voice blocked): its rules are in "
        "force, but it has not tried to reach a blocked host since.",
        "destinations_summary": "Kitchen Echo, last 24 hours: 0 cloud hosts answered, "
        "0 hosts in no catalog answered, 0 hosts blocked.",
        "switches_on": ["block_voice"],
        "protection_confirmed": False,
        "proof": "rules_in_force_no_attempt_yet",
        "unknown_since": None,
        "unconfirmed_hosts": [],
        "blocked_requests_24h": 0,
        "allowed_until": None,
        "filter_reachable": True,
    }
    assert report["unguarded_cloud_devices"] == [
        {"name": "Front door", "manufacturer": "Ring", "model": "Video Doorbell"}
    ]
    assert report["cloud_pipelines"] == []
    assert report["blocked_requests_24h"] == 0
