"""Voice Guard: local speech-to-text and per-device cloud blocking for Home Assistant."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant

from .const import LOGGER
from .data import SpeechSettings, VoiceGuardConfigEntry, VoiceGuardRuntimeData

PLATFORMS: list[Platform] = []


async def async_setup_entry(hass: HomeAssistant, entry: VoiceGuardConfigEntry) -> bool:
    """Set up Voice Guard from its config entry."""
    entry.runtime_data = VoiceGuardRuntimeData(
        speech=SpeechSettings.from_options(dict(entry.options)),
    )
    entry.async_on_unload(entry.add_update_listener(_async_options_updated))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    LOGGER.debug("Voice Guard set up with %s", entry.runtime_data.speech)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: VoiceGuardConfigEntry) -> bool:
    """Unload a Voice Guard config entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def _async_options_updated(hass: HomeAssistant, entry: VoiceGuardConfigEntry) -> None:
    """Reload the entry so new options take effect."""
    await hass.config_entries.async_reload(entry.entry_id)
