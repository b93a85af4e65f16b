"""Fixtures of the speech entry's tests: a home with a light to command."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import area_registry as ar, entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry


@pytest.fixture
async def home(hass: HomeAssistant) -> str:
    """A home with a light called 스탠드 ("stand lamp") in the 부엌 (kitchen).

    Both names are words the Korean model knows. Returns the light's entity id.
    """
    assert await async_setup_component(hass, "homeassistant", {})
    kitchen = ar.async_get(hass).async_create("부엌")
    ar.async_get(hass).async_create("거실")
    registry = er.async_get(hass)
    light = registry.async_get_or_create("light", "test", "stand", suggested_object_id="stand")
    registry.async_update_entity(light.entity_id, area_id=kitchen.id)
    hass.states.async_set(light.entity_id, "off", {"friendly_name": "스탠드"})
    return light.entity_id


@pytest.fixture
async def phrase_entry(home: str, init_integration: MockConfigEntry) -> MockConfigEntry:
    """Voice Guard with the default mode (hybrid), set up once that home exists."""
    return init_integration
