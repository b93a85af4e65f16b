"""'Local voice only' switches for Assist satellites, with a satellite from a test integration."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from homeassistant.auth.const import GROUP_ID_ADMIN, GROUP_ID_USER
from homeassistant.components.assist_pipeline.select import AssistPipelineSelect
from homeassistant.components.assist_satellite import (
    AssistSatelliteConfiguration,
    AssistSatelliteEntity,
)
from homeassistant.components.homeassistant.exposed_entities import async_should_expose
from homeassistant.config_entries import ConfigEntry, ConfigFlow
from homeassistant.const import ATTR_ENTITY_ID, ATTR_OPTION, Platform
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockModule,
    MockPlatform,
    mock_config_flow,
    mock_integration,
    mock_platform,
)

from custom_components.voice_guard.local_voice.pipelines import PRIVATE_PIPELINE_NAME
from custom_components.voice_guard.permissions import NotAnAdministratorError

TEST_DOMAIN = "test_satellite"
DEVICE = DeviceInfo(identifiers={(TEST_DOMAIN, "kitchen")}, name="Kitchen satellite")


class Satellite(AssistSatelliteEntity):
    """A satellite of the test integration."""

    _attr_has_entity_name = True
    _attr_name = None
    _attr_unique_id = "kitchen-satellite"
    _attr_device_info = DEVICE

    def async_get_configuration(self) -> AssistSatelliteConfiguration:
        """No wake words."""
        return AssistSatelliteConfiguration(
            available_wake_words=[], active_wake_words=[], max_active_wake_words=1
        )

    async def async_set_configuration(self, config: AssistSatelliteConfiguration) -> None:
        """Accept anything."""

    def on_pipeline_event(self, event: object) -> None:
        """Ignore pipeline events."""


class PipelineSelect(AssistPipelineSelect):
    """The satellite's pipeline choice, as ESPHome and Wyoming satellites have it."""

    _attr_device_info = DEVICE


class SatelliteFlow(ConfigFlow):
    """The test integration's (unused) config flow."""

    VERSION = 1


@pytest.fixture
async def satellite(hass: HomeAssistant) -> AsyncIterator[None]:
    """Assist, and a test integration with one satellite and its pipeline select."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "assist_pipeline", {})

    async def setup_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
        await hass.config_entries.async_forward_entry_setups(
            entry, [Platform.ASSIST_SATELLITE, Platform.SELECT]
        )
        return True

    async def setup_satellite(
        hass: HomeAssistant, entry: ConfigEntry, add: AddConfigEntryEntitiesCallback
    ) -> None:
        add([Satellite()])

    async def setup_select(
        hass: HomeAssistant, entry: ConfigEntry, add: AddConfigEntryEntitiesCallback
    ) -> None:
        add([PipelineSelect(hass, TEST_DOMAIN, "kitchen")])

    mock_integration(hass, MockModule(TEST_DOMAIN, async_setup_entry=setup_entry))
    mock_platform(
        hass, f"{TEST_DOMAIN}.assist_satellite", MockPlatform(async_setup_entry=setup_satellite)
    )
    mock_platform(hass, f"{TEST_DOMAIN}.select", MockPlatform(async_setup_entry=setup_select))
    mock_platform(hass, f"{TEST_DOMAIN}.config_flow", None)
    entry = MockConfigEntry(domain=TEST_DOMAIN)
    entry.add_to_hass(hass)
    with mock_config_flow(TEST_DOMAIN, SatelliteFlow):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        assert hass.states.get(_select_id(hass)).state == "preferred"
        yield


def _select_id(hass: HomeAssistant) -> str:
    """The satellite's pipeline select (its entity id differs between versions)."""
    entity_id = er.async_get(hass).async_get_entity_id("select", TEST_DOMAIN, "kitchen-pipeline")
    assert entity_id is not None
    return entity_id


def _switch_id(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    entity_id = er.async_get(hass).async_get_entity_id(
        "switch",
        "voice_guard",
        f"{entry.entry_id}_{TEST_DOMAIN}:kitchen-satellite_local_voice_only",
    )
    assert entity_id is not None
    return entity_id


async def _select(hass: HomeAssistant, option: str) -> None:
    await hass.services.async_call(
        "select",
        "select_option",
        {ATTR_ENTITY_ID: _select_id(hass), ATTR_OPTION: option},
        blocking=True,
    )
    await hass.async_block_till_done()


async def test_local_voice_only_pins_and_restores(
    hass: HomeAssistant, satellite: None, mock_config_entry: MockConfigEntry
) -> None:
    """On pins the private pipeline, changes are undone, off restores the old choice."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    SELECT, SWITCH = _select_id(hass), _switch_id(hass, mock_config_entry)  # noqa: N806
    assert hass.states.get(SWITCH).state == "off"
    assert hass.states.get(SWITCH).attributes["friendly_name"].endswith("local voice only")
    # Turning it off sends voice to the cloud again: the owner's, not Assist's, by default.
    for assistant in ("conversation", "cloud.alexa", "cloud.google_assistant"):
        assert not async_should_expose(hass, assistant, SWITCH)
    await _select(hass, "Home Assistant")

    await hass.services.async_call("switch", "turn_on", {ATTR_ENTITY_ID: SWITCH}, blocking=True)
    await hass.async_block_till_done()
    assert hass.states.get(SELECT).state == PRIVATE_PIPELINE_NAME
    assert hass.states.get(SWITCH).state == "on"

    # Someone picks another pipeline on the satellite's page: pinned again.
    await _select(hass, "preferred")
    assert hass.states.get(SELECT).state == PRIVATE_PIPELINE_NAME

    # After a restart the pin holds.
    await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(SWITCH).state == "on"
    await _select(hass, "Home Assistant")
    assert hass.states.get(SELECT).state == PRIVATE_PIPELINE_NAME

    await hass.services.async_call("switch", "turn_off", {ATTR_ENTITY_ID: SWITCH}, blocking=True)
    await hass.async_block_till_done()
    assert hass.states.get(SELECT).state == "Home Assistant"
    await _select(hass, "preferred")
    assert hass.states.get(SELECT).state == "preferred"


async def test_a_renamed_satellite_keeps_its_switch_and_pin(
    hass: HomeAssistant, satellite: None, mock_config_entry: MockConfigEntry
) -> None:
    """Switch and pin are keyed by unique and registry ids, not by entity ids."""
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    switch = _switch_id(hass, mock_config_entry)
    await hass.services.async_call("switch", "turn_on", {ATTR_ENTITY_ID: switch}, blocking=True)
    registry = er.async_get(hass)
    satellite_id = registry.async_get_entity_id(
        "assist_satellite", TEST_DOMAIN, "kitchen-satellite"
    )
    assert satellite_id is not None
    registry.async_update_entity(satellite_id, new_entity_id="assist_satellite.galley")
    registry.async_update_entity(_select_id(hass), new_entity_id="select.galley_pipeline")
    await hass.async_block_till_done()

    assert _switch_id(hass, mock_config_entry) == switch
    assert hass.states.get(switch).state == "on"
    await _select(hass, "preferred")  # on the renamed select: pinned again
    assert hass.states.get("select.galley_pipeline").state == PRIVATE_PIPELINE_NAME
    await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(switch).state == "on"


async def test_the_switch_of_a_removed_satellite_goes_with_it(
    hass: HomeAssistant, satellite: None, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    switch = _switch_id(hass, mock_config_entry)
    registry = er.async_get(hass)
    satellite_id = registry.async_get_entity_id(
        "assist_satellite", TEST_DOMAIN, "kitchen-satellite"
    )
    assert satellite_id is not None
    registry.async_remove(satellite_id)
    await hass.async_block_till_done()
    assert registry.async_get(switch) is None
    assert hass.states.get(switch) is None


async def test_switches_and_pins_of_older_versions_are_taken_over(
    hass: HomeAssistant,
    satellite: None,
    mock_config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """Keyed by entity ids before: the same switch and the same pin afterwards."""
    mock_config_entry.add_to_hass(hass)
    registry = er.async_get(hass)
    satellite_id = registry.async_get_entity_id(
        "assist_satellite", TEST_DOMAIN, "kitchen-satellite"
    )
    old = registry.async_get_or_create(
        "switch",
        "voice_guard",
        f"{mock_config_entry.entry_id}_{satellite_id}_local_voice_only",
        config_entry=mock_config_entry,
        suggested_object_id="kitchen_satellite_local_voice_only",
    )
    hass_storage["voice_guard.satellites"] = {
        "version": 1,
        "minor_version": 1,
        "key": "voice_guard.satellites",
        "data": {"pinned": {_select_id(hass): "preferred"}},
    }
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert _switch_id(hass, mock_config_entry) == old.entity_id
    assert hass.states.get(old.entity_id).state == "on"
    assert hass.states.get(_select_id(hass)).state == PRIVATE_PIPELINE_NAME


async def test_only_administrators_take_a_satellite_off_local_voice(
    hass: HomeAssistant, satellite: None, mock_config_entry: MockConfigEntry
) -> None:
    """Off sends the satellite's voice to its old (perhaps cloud) pipeline again."""
    await hass.auth.async_create_user("Owner", group_ids=[GROUP_ID_ADMIN])
    kid = await hass.auth.async_create_user("Kid", group_ids=[GROUP_ID_USER])
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    switch = _switch_id(hass, mock_config_entry)
    context = Context(user_id=kid.id)
    await hass.services.async_call(
        "switch", "turn_on", {ATTR_ENTITY_ID: switch}, blocking=True, context=context
    )
    with pytest.raises(NotAnAdministratorError):
        await hass.services.async_call(
            "switch", "turn_off", {ATTR_ENTITY_ID: switch}, blocking=True, context=context
        )
    assert hass.states.get(switch).state == "on"
    assert hass.states.get(_select_id(hass)).state == PRIVATE_PIPELINE_NAME
    await hass.services.async_call("switch", "turn_off", {ATTR_ENTITY_ID: switch}, blocking=True)
    assert hass.states.get(switch).state == "off"
