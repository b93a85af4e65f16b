"""The End cloud allowance button of a guarded device."""

from __future__ import annotations

from homeassistant.const import ATTR_ENTITY_ID, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from syrupy.assertion import SnapshotAssertion

from custom_components.voice_guard.const import DOMAIN

from .. import snapshots
from ..fakes.adguard_home import FakeAdGuardHome
from ..guarded import KITCHEN_IP, device_of, setup_platform

BUTTON = "button.kitchen_echo_end_cloud_allowance"


async def test_button_entities(
    hass: HomeAssistant, adguard: FakeAdGuardHome, snapshot: SnapshotAssertion
) -> None:
    """The buttons, available while the filter answers."""
    entry = await setup_platform(hass, adguard, "button")
    assert snapshots.entities(hass, entry, "button") == snapshot


async def test_pressing_it_puts_the_blocks_back_at_once(
    hass: HomeAssistant, adguard: FakeAdGuardHome
) -> None:
    await setup_platform(hass, adguard, "button")
    # Available whether or not an allowance runs: no "Unavailable" line per allowance.
    assert hass.states.get(BUTTON).state != STATE_UNAVAILABLE
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call("button", "press", {ATTR_ENTITY_ID: BUTTON}, blocking=True)
    assert err.value.translation_key == "not_allowed"  # none runs: said, translated
    device = device_of(hass, BUTTON)
    await hass.services.async_call(
        DOMAIN,
        "allow_cloud_temporarily",
        {"device_id": device.id, "duration": {"minutes": 30}},
        blocking=True,
    )
    assert adguard.query(KITCHEN_IP, "avs-alexa-na.amazon.com") != "FilteredBlackList"
    await hass.services.async_call("button", "press", {ATTR_ENTITY_ID: BUTTON}, blocking=True)
    assert adguard.query(KITCHEN_IP, "avs-alexa-na.amazon.com") == "FilteredBlackList"
    assert hass.states.get(BUTTON).state != STATE_UNAVAILABLE
