"""Switch platform: a hand-off to the half the entry belongs to."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .cloud_guard.data import is_filter_entry
from .cloud_guard.switch import async_setup_guard_switches
from .local_voice.data import is_speech_entry
from .local_voice.switch import async_setup_satellite_switches

PARALLEL_UPDATES = 1


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a filter entry's guarded-device switches, or the speech entry's satellite ones."""
    if is_filter_entry(entry):
        async_setup_guard_switches(entry, async_add_entities)
    elif is_speech_entry(entry):
        async_setup_satellite_switches(hass, entry, async_add_entities)
