"""The sensors of a guarded device: what they count and say."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import (
    STATE_OFF,
    STATE_ON,
)
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from syrupy.assertion import SnapshotAssertion

from custom_components.voice_guard.const import (
    DOMAIN,
    EVENT_REQUEST_BLOCKED,
    GUARD_SCAN_INTERVAL,
)

from .. import snapshots
from ..fakes.adguard_home import FakeAdGuardHome
from ..fakes.pihole import FakePiHole
from ..guarded import (
    KITCHEN_IP,
    KITCHEN_MAC,
    device_of,
    enable,
    filter_entry,
    kitchen,
    poll,
    setup_entry,
)


async def test_echo_device_entities(hass: HomeAssistant, adguard: FakeAdGuardHome) -> None:
    """A guarded Echo gets its switches, sensors and a device linked by MAC."""
    entry = await setup_entry(hass, filter_entry("adguard_home", adguard.url, kitchen()))
    assert entry.state is ConfigEntryState.LOADED

    entities = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    assert sorted(e.entity_id for e in entities) == [
        "binary_sensor.kitchen_echo_cloud_voice_attempt",
        "binary_sensor.kitchen_echo_protection_confirmed",
        "button.kitchen_echo_allow_the_cloud",
        "button.kitchen_echo_end_cloud_allowance",
        "select.kitchen_echo_cloud_allowance_length",
        "sensor.kitchen_echo_blocked_requests_24_h",
        "sensor.kitchen_echo_cloud_allowed_until",
        "sensor.kitchen_echo_cloud_hosts_answered_24_h",
        "sensor.kitchen_echo_last_blocked_request",
        "sensor.kitchen_echo_policy",
        "sensor.kitchen_echo_protection",
        "sensor.kitchen_echo_unknown_hosts_24_h",
        "switch.kitchen_echo_block_alexa",
        "switch.kitchen_echo_block_cloud_voice",
        "switch.kitchen_echo_block_telemetry",
        "switch.kitchen_echo_local_only",
    ]
    device = device_of(hass, "switch.kitchen_echo_local_only")
    assert (dr.CONNECTION_NETWORK_MAC, KITCHEN_MAC) in device.connections
    assert (device.name, device.manufacturer, device.model) == (
        "Kitchen Echo",
        "Amazon",
        "Echo Dot",
    )
    assert hass.states.get("sensor.kitchen_echo_policy").state == "off"
    assert hass.states.get("binary_sensor.kitchen_echo_protection_confirmed").state == STATE_OFF


async def test_blocked_lookups_fire_events_once_and_feed_sensors(
    hass: HomeAssistant, pihole: FakePiHole, freezer: FrozenDateTimeFactory
) -> None:
    """Each blocked lookup fires one event; the sensors count and time them."""
    entry = await setup_entry(
        hass, filter_entry("pihole", pihole.url, kitchen(blocks=["block_voice"]))
    )
    # Disabled by default (it would change with every blocked lookup): a user enables it.
    assert hass.states.get("sensor.kitchen_echo_last_blocked_request") is None
    await enable(hass, entry, "sensor.kitchen_echo_last_blocked_request")
    events: list[Event] = []
    hass.bus.async_listen(EVENT_REQUEST_BLOCKED, events.append)

    pihole.query(KITCHEN_IP, "avs-alexa-na.amazon.com")
    pihole.query(KITCHEN_IP, "api.amazon.com")  # allowed: no event
    freezer.tick(GUARD_SCAN_INTERVAL + timedelta(seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert len(events) == 1
    device = device_of(hass, "switch.kitchen_echo_local_only")
    assert (DOMAIN, events[0].data["subentry_id"]) in device.identifiers
    assert events[0].data["device_id"] == device.id
    assert events[0].data["host"] == "avs-alexa-na.amazon.com"
    assert events[0].data["category"] == "voice"
    assert hass.states.get("sensor.kitchen_echo_blocked_requests_24_h").state == "1"
    last = hass.states.get("sensor.kitchen_echo_last_blocked_request")
    assert last.attributes == last.attributes | {
        "host": "avs-alexa-na.amazon.com",
        "category": "voice",
    }
    assert hass.states.get("binary_sensor.kitchen_echo_cloud_voice_attempt").state == STATE_ON

    # The same lookup is not reported again; the attempt sensor turns off after a minute.
    freezer.tick(timedelta(seconds=61))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(events) == 1
    assert hass.states.get("binary_sensor.kitchen_echo_cloud_voice_attempt").state == STATE_OFF
    assert hass.states.get("sensor.kitchen_echo_blocked_requests_24_h").state == "1"


async def test_sensor_entities(
    hass: HomeAssistant, adguard: FakeAdGuardHome, snapshot: SnapshotAssertion
) -> None:
    """Every sensor of a guarded Echo, as the device page shows it."""
    assert await snapshots.platform(hass, adguard, "sensor") == snapshot


async def test_a_chatty_device_writes_no_state_per_poll(
    hass: HomeAssistant, adguard: FakeAdGuardHome, freezer: FrozenDateTimeFactory
) -> None:
    """Polls bringing only more of the same lookups change no entity.

    No recorder row and no Activity line per poll: counts and times that move every poll
    are not attributes (the last lookup is told to the hour: the polls here stay inside
    one hour, whatever the wall clock says when the test runs).
    """
    freezer.move_to("2026-12-08T10:00:05+00:00")
    entry = await setup_entry(
        hass, filter_entry("adguard_home", adguard.url, kitchen(blocks=["block_telemetry"]))
    )
    freezer.tick(1)
    adguard.query(KITCHEN_IP, "device-metrics-us.amazon.com")  # blocked
    adguard.query(KITCHEN_IP, "www.example.com")
    await poll(hass, freezer, GUARD_SCAN_INTERVAL + timedelta(seconds=1))
    ids = [
        e.entity_id for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    ]
    before = {i: hass.states.get(i).last_updated for i in ids if hass.states.get(i)}
    for _ in range(5):
        adguard.query(KITCHEN_IP, "www.example.com")
        await poll(hass, freezer, GUARD_SCAN_INTERVAL + timedelta(seconds=1))
    after = {i: hass.states.get(i).last_updated for i in before}
    assert [i for i in before if before[i] != after[i]] == []
