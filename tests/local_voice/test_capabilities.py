"""What the exposed entities can do, read from their states, and the grammar it makes."""

from __future__ import annotations

from datetime import timedelta

from homeassistant.components.fan import FanEntityFeature
from homeassistant.components.media_player import MediaPlayerEntityFeature
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import area_registry as ar, device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.voice_guard.local_voice.capabilities import (
    entity_capabilities,
    home_capabilities,
)
from custom_components.voice_guard.local_voice.engine.phrases import SATELLITE_AREA
from custom_components.voice_guard.local_voice.phrase_mode import REBUILD_COOLDOWN, PhraseManager


@pytest.mark.parametrize(
    ("entity_id", "attributes", "expected"),
    [
        ("light.a", {"supported_color_modes": ["onoff"]}, {"light"}),
        ("light.a", {}, {"light"}),
        ("light.a", {"supported_color_modes": ["brightness"]}, {"light", "light:brightness"}),
        (
            "light.a",
            {"supported_color_modes": ["hs", "color_temp"]},
            {"light", "light:brightness", "light:color", "light:color_temp"},
        ),
        ("fan.a", {"supported_features": int(FanEntityFeature.SET_SPEED)}, {"fan", "fan:speed"}),
        ("fan.a", {"supported_features": 0}, {"fan"}),
        (
            "media_player.a",
            {
                "supported_features": int(
                    MediaPlayerEntityFeature.PAUSE | MediaPlayerEntityFeature.VOLUME_SET
                )
            },
            {"media_player", "media_player:pause", "media_player:volume_set"},
        ),
        ("cover.a", {"supported_features": "4"}, {"cover"}),  # not a number: nothing assumed
        ("switch.a", {"supported_features": 4}, {"switch"}),
    ],
)
def test_an_entity_can_do_what_its_state_says(
    entity_id: str, attributes: dict[str, object], expected: set[str]
) -> None:
    assert entity_capabilities(State(entity_id, "off", attributes)) == expected


async def test_here_sentences_need_a_satellite_with_an_area(hass: HomeAssistant) -> None:
    entities = er.async_get(hass)
    devices = dr.async_get(hass)
    entry = MockConfigEntry(domain="test")
    entry.add_to_hass(hass)
    device = devices.async_get_or_create(config_entry_id=entry.entry_id, identifiers={("t", "s")})
    entities.async_get_or_create("assist_satellite", "test", "s", device_id=device.id)
    assert SATELLITE_AREA not in home_capabilities(hass, [])
    kitchen = ar.async_get(hass).async_create("Kitchen")
    devices.async_update_device(device.id, area_id=kitchen.id)
    assert SATELLITE_AREA in home_capabilities(hass, [])


async def test_the_phrase_set_holds_colours_only_once_a_light_has_colour(
    hass: HomeAssistant, home: str, phrase_entry: MockConfigEntry
) -> None:
    """An on/off light: no colour sentence (they beat real commands); colour: back."""
    manager = phrase_entry.runtime_data.phrases
    assert isinstance(manager, PhraseManager)
    built = manager.phrase_set
    assert built is not None
    assert not [t for t in built.texts if "{color}" in t]
    assert built.left_out["light:color"] > 0
    sensor = hass.states.get("sensor.voice_guard_phrases")
    assert sensor is not None
    assert sensor.attributes["texts_left_out"]["light:color"] == built.left_out["light:color"]

    hass.states.async_set(home, "off", {"friendly_name": "스탠드", "supported_color_modes": ["hs"]})
    manager.async_schedule_build()
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=REBUILD_COOLDOWN + 1))
    await hass.async_block_till_done(wait_background_tasks=True)

    built = manager.phrase_set
    assert built is not None
    assert [t for t in built.texts if "{color}" in t]
    assert "light:color" not in built.left_out
