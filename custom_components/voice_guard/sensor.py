"""Sensor platform: a hand-off to the half the entry belongs to."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .cloud_guard.data import is_filter_entry
from .cloud_guard.sensor import async_setup_guard_sensors
from .local_voice.data import is_speech_entry
from .local_voice.sensor import async_setup_speech_sensors

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors of a guarded device's filter entry, or of the speech entry."""
    if is_filter_entry(entry):
        async_setup_guard_sensors(entry, async_add_entities)
    elif is_speech_entry(entry):
        async_setup_speech_sensors(hass, entry, async_add_entities)
