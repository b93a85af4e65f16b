"""The guard's logbook entries, as the device page's Activity asks the logbook for them."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.voice_guard.const import DOMAIN, GUARD_SCAN_INTERVAL

from ..fakes.adguard_home import FakeAdGuardHome
from ..guarded import KITCHEN_IP, device_of, filter_entry, kitchen, poll, setup_entry


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Recorder, enable_custom_integrations: None
) -> None:
    """A real recorder first (it must exist before Home Assistant), then this checkout."""
    return


async def test_the_device_page_shows_the_guards_entries(
    hass: HomeAssistant,
    adguard: FakeAdGuardHome,
    freezer: FrozenDateTimeFactory,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """Its Activity asks by the device's entities and the device: our entries are there."""
    assert await async_setup_component(hass, "logbook", {})
    start = dt_util.utcnow()
    await setup_entry(
        hass, filter_entry("adguard_home", adguard.url, kitchen(blocks=["block_voice"]))
    )
    device = device_of(hass, "switch.kitchen_echo_local_only")
    freezer.tick(1)
    adguard.query(KITCHEN_IP, "avs-alexa-eu.amazon.com")
    await poll(hass, freezer, GUARD_SCAN_INTERVAL + timedelta(seconds=1))
    await async_wait_recording_done(hass)

    entity_ids = [e.entity_id for e in er.async_entries_for_device(er.async_get(hass), device.id)]
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {
            "type": "logbook/get_events",
            "start_time": start.isoformat(),
            "end_time": (dt_util.utcnow() + timedelta(minutes=1)).isoformat(),
            "entity_ids": entity_ids,
            "device_ids": [device.id],
        }
    )
    answer = await client.receive_json()
    assert answer["success"], answer
    ours = [e for e in answer["result"] if e.get("domain") == DOMAIN]
    assert [(e["name"], e["message"], e["icon"]) for e in ours] == [
        (
            "Kitchen Echo",
            "tried to reach avs-alexa-eu.amazon.com: blocked (cloud voice)",
            "mdi:shield-check",  # each entry has its icon (a plain logbook entry has none)
        )
    ]
