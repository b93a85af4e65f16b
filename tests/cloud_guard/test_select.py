"""The cloud allowance length of a guarded device, and the Allow button that uses it."""

from __future__ import annotations

from datetime import timedelta

from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant, State
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import mock_restore_cache
from syrupy.assertion import SnapshotAssertion

from .. import snapshots
from ..fakes.adguard_home import FakeAdGuardHome
from ..guarded import KITCHEN_IP, setup_platform

LENGTH = "select.kitchen_echo_cloud_allowance_length"
ALLOW = "button.kitchen_echo_allow_the_cloud"


async def test_select_entities(
    hass: HomeAssistant, adguard: FakeAdGuardHome, snapshot: SnapshotAssertion
) -> None:
    entry = await setup_platform(hass, adguard, "select")
    assert snapshots.entities(hass, entry, "select") == snapshot


async def test_the_device_page_starts_an_allowance_of_the_chosen_length(
    hass: HomeAssistant, adguard: FakeAdGuardHome
) -> None:
    """Pick 15 minutes, press Allow: the blocks are lifted for 15 minutes (automations may)."""
    mock_restore_cache(hass, [State(LENGTH, "8_hours")])
    entry = await setup_platform(hass, adguard, "select")
    assert hass.states.get(LENGTH).state == "8_hours"  # kept across a restart
    assert await hass.config_entries.async_unload_platforms(entry, ["select"])
    await hass.config_entries.async_forward_entry_setups(entry, ["button", "select"])
    await hass.async_block_till_done()
    await hass.services.async_call(
        "select", "select_option", {ATTR_ENTITY_ID: LENGTH, "option": "15_minutes"}, blocking=True
    )
    before = dt_util.utcnow()
    await hass.services.async_call("button", "press", {ATTR_ENTITY_ID: ALLOW}, blocking=True)
    until = entry.runtime_data.desired.allowed_until(next(iter(entry.subentries)))
    assert until is not None
    assert timedelta(minutes=14) < until - before <= timedelta(minutes=15, seconds=1)
    assert adguard.query(KITCHEN_IP, "avs-alexa-na.amazon.com") == "NotFilteredNotFound"
