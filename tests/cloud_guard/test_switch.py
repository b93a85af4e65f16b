"""Switches of a guarded device: what each blocks, the stored wish, who may turn one off."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.const import (
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from syrupy.assertion import SnapshotAssertion

from custom_components.voice_guard.const import (
    DOMAIN,
    GUARD_SCAN_INTERVAL,
    SUBENTRY_DEVICE,
)

from .. import snapshots
from ..fakes.adguard_home import FakeAdGuardHome
from ..fakes.pihole import FakePiHole
from ..guarded import (
    KITCHEN_IP,
    device_data,
    filter_entry,
    kitchen,
    poll,
    set_switch,
    setup_entry,
)


async def test_ring_has_no_voice_switches(hass: HomeAssistant, adguard: FakeAdGuardHome) -> None:
    """Switches a device type has no hosts for are not offered."""
    ring = ConfigSubentryData(
        data=device_data("ring", ip="192.168.1.30", mac=None),
        subentry_type=SUBENTRY_DEVICE,
        title="Front door",
        unique_id="192.168.1.30",
    )
    await setup_entry(hass, filter_entry("adguard_home", adguard.url, ring))
    assert hass.states.get("switch.front_door_block_cloud_voice") is None
    assert hass.states.get("switch.front_door_block_alexa") is None
    assert hass.states.get("switch.front_door_local_only") is not None


@pytest.mark.parametrize("kind", ["adguard_home", "pihole"])
async def test_switches_block_and_are_confirmed(
    hass: HomeAssistant,
    adguard: FakeAdGuardHome,
    pihole: FakePiHole,
    freezer: FrozenDateTimeFactory,
    kind: str,
) -> None:
    """A switch blocks its hosts at once, for that device; a blocked attempt confirms it."""
    fake: Any = adguard if kind == "adguard_home" else pihole
    fake.query(KITCHEN_IP, "www.example.com")  # the Echo asks this filter
    await setup_entry(hass, filter_entry(kind, fake.url, kitchen()))
    blocked = {"FilteredBlackList", "REGEX"}

    await set_switch(hass, "switch.kitchen_echo_block_cloud_voice", on=True)
    assert hass.states.get("switch.kitchen_echo_block_cloud_voice").state == STATE_ON
    # Rules in force and the device asks the filter: not confirmed without an attempt.
    confirmed = hass.states.get("binary_sensor.kitchen_echo_protection_confirmed")
    assert (confirmed.state, confirmed.attributes["proof"]) == (
        STATE_OFF,
        "rules_in_force_no_attempt_yet",
    )
    await poll(hass, freezer, timedelta(seconds=1))
    assert fake.query(KITCHEN_IP, "avs-alexa-na.amazon.com") in blocked
    assert fake.query("192.168.1.99", "avs-alexa-na.amazon.com") not in blocked
    assert fake.query(KITCHEN_IP, "device-metrics-us.amazon.com") not in blocked
    await poll(hass, freezer, GUARD_SCAN_INTERVAL + timedelta(seconds=1))
    confirmed = hass.states.get("binary_sensor.kitchen_echo_protection_confirmed")
    assert (confirmed.state, confirmed.attributes["proof"]) == (STATE_ON, "blocked_seen")
    assert confirmed.attributes["blocked_hosts"] == [
        "avs-alexa-*.amazon.com",
        "gateway.devices.a2z.com",
    ]
    assert hass.states.get("sensor.kitchen_echo_policy").state == "voice"

    await set_switch(hass, "switch.kitchen_echo_block_telemetry", on=True)
    assert fake.query(KITCHEN_IP, "device-metrics-us.amazon.com") in blocked
    assert hass.states.get("sensor.kitchen_echo_policy").state == "voice_and_telemetry"

    await set_switch(hass, "switch.kitchen_echo_local_only", on=True)
    assert fake.query(KITCHEN_IP, "api.amazon.com") in blocked
    assert hass.states.get("sensor.kitchen_echo_policy").state == "local_only"

    for key in ("block_cloud_voice", "block_telemetry", "local_only"):
        await set_switch(hass, f"switch.kitchen_echo_{key}", on=False)
    assert fake.query(KITCHEN_IP, "avs-alexa-na.amazon.com") not in blocked
    assert hass.states.get("binary_sensor.kitchen_echo_protection_confirmed").state == STATE_OFF
    if kind == "adguard_home":
        assert adguard.user_rules == ["||ads.example.com^"]


async def test_policy_survives_a_restart(hass: HomeAssistant, adguard: FakeAdGuardHome) -> None:
    """The switches are the stored desired policy, not whatever the filter holds."""
    entry = await setup_entry(hass, filter_entry("adguard_home", adguard.url, kitchen()))
    await set_switch(hass, "switch.kitchen_echo_block_cloud_voice", on=True)
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get("switch.kitchen_echo_block_cloud_voice").state == STATE_ON


async def test_initial_blocks_apply_on_setup(hass: HomeAssistant, pihole: FakePiHole) -> None:
    """Blocks chosen when adding the device are applied at once."""
    await setup_entry(hass, filter_entry("pihole", pihole.url, kitchen(blocks=["block_telemetry"])))
    assert hass.states.get("switch.kitchen_echo_block_telemetry").state == STATE_ON
    assert pihole.query(KITCHEN_IP, "unagi-na.amazon.com") == "REGEX"


async def test_a_switch_whose_filter_write_fails_says_so_and_keeps_the_wish(
    hass: HomeAssistant, adguard: FakeAdGuardHome
) -> None:
    await setup_entry(hass, filter_entry("adguard_home", adguard.url, kitchen()))
    adguard.fail_status = 500
    with pytest.raises(HomeAssistantError) as raised:
        await set_switch(hass, "switch.kitchen_echo_block_cloud_voice", on=True)
    assert raised.value.translation_key == "filter_not_updated"
    assert hass.states.get("switch.kitchen_echo_block_cloud_voice").state == STATE_UNAVAILABLE
    adguard.fail_status = None
    await hass.config_entries.async_reload(
        next(iter(hass.config_entries.async_entries(DOMAIN))).entry_id
    )
    await hass.async_block_till_done()
    assert hass.states.get("switch.kitchen_echo_block_cloud_voice").state == STATE_ON
    assert adguard.query(KITCHEN_IP, "avs-alexa-na.amazon.com") == "FilteredBlackList"


async def _say(hass: HomeAssistant, text: str) -> str:
    """Ask Home Assistant's default conversation agent; return its response type."""
    result = await hass.services.async_call(
        "conversation",
        "process",
        {"text": text, "language": "en"},
        blocking=True,
        return_response=True,
    )
    assert result is not None
    return str(result["response"]["response_type"])


async def test_nobody_switches_the_guard_off_by_voice_unless_the_owner_exposes_it(
    hass: HomeAssistant, adguard: FakeAdGuardHome
) -> None:
    """Guard switches are not exposed to Assist (or cloud assistants) by default."""
    from homeassistant.components.homeassistant.exposed_entities import (  # noqa: PLC0415
        async_expose_entity,
        async_should_expose,
    )
    from homeassistant.setup import async_setup_component  # noqa: PLC0415

    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "conversation", {})
    entry = await setup_entry(
        hass, filter_entry("adguard_home", adguard.url, kitchen(blocks=["block_voice"]))
    )
    switch = "switch.kitchen_echo_block_cloud_voice"
    for assistant in ("conversation", "cloud.alexa", "cloud.google_assistant"):
        assert not async_should_expose(hass, assistant, switch)
    assert await _say(hass, "turn off kitchen echo block cloud voice") == "error"
    assert hass.states.get(switch).state == STATE_ON
    assert adguard.query(KITCHEN_IP, "avs-alexa-na.amazon.com") == "FilteredBlackList"

    # The owner exposes it on purpose: that choice is kept, also across a reload.
    async_expose_entity(hass, "conversation", switch, should_expose=True)
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert async_should_expose(hass, "conversation", switch)
    assert await _say(hass, "turn off kitchen echo block cloud voice") == "action_done"
    assert hass.states.get(switch).state == STATE_OFF


async def test_switch_entities(
    hass: HomeAssistant, adguard: FakeAdGuardHome, snapshot: SnapshotAssertion
) -> None:
    """Every switch of a guarded Echo, as the device page shows it."""
    assert await snapshots.platform(hass, adguard, "switch") == snapshot
