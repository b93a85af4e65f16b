"""Voice Guard: local speech-to-text and per-device cloud blocking for Home Assistant."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType

from .cloud_guard.data import is_filter_entry
from .cloud_guard.setup import (
    async_remove_guard_entry,
    async_setup_guard_entry,
    async_start_guard_entry,
    async_unload_guard_entry,
)
from .const import (
    CONF_ENGINE,
    CONF_KIND,
    CONF_LANGUAGE,
    CONF_MODEL_NAME,
    CONF_MODEL_PATH,
    DOMAIN,
    ENGINE_EMBEDDED,
    KIND_SPEECH,
    LOGGER,
)
from .local_voice.data import is_speech_entry
from .local_voice.setup import (
    async_remove_speech_entry,
    async_setup_speech_entry,
    async_start_speech_entry,
    async_unload_speech_entry,
)
from .services import async_setup_services

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions, whatever entries exist."""
    async_setup_services(hass)
    return True


async def async_migrate_entry(hass: HomeAssistant, entry: ConfigEntry[Any]) -> bool:
    """Bring an entry of an older version up to date.

    1.1 -> 1.2: the speech entry records its kind, as filter entries always did, so that
    nothing else in the domain (an ignored discovery) is ever taken for it.
    1.2 -> 1.3: a model chosen in the options moves to the entry's data, where setup and
    Reconfigure keep it: the model lives in one place.
    """
    if entry.version > 1:
        return False  # written by a newer Voice Guard: do not guess
    if entry.minor_version < 2:  # noqa: PLR2004
        data = dict(entry.data)
        if CONF_KIND not in data and CONF_ENGINE in data:
            data[CONF_KIND] = KIND_SPEECH
        hass.config_entries.async_update_entry(entry, data=data, minor_version=2)
        LOGGER.debug("Migrated %s to version 1.2", entry.title)
    if entry.minor_version < 3:  # noqa: PLR2004
        data, options = dict(entry.data), dict(entry.options)
        if data.get(CONF_ENGINE) == ENGINE_EMBEDDED:
            if (path := options.pop(CONF_MODEL_PATH, None)) and path != data.get(CONF_MODEL_PATH):
                data[CONF_MODEL_PATH] = path
                data.pop(CONF_MODEL_NAME, None)
            if language := options.pop(CONF_LANGUAGE, None):
                data[CONF_LANGUAGE] = language
        hass.config_entries.async_update_entry(entry, data=data, options=options, minor_version=3)
        LOGGER.debug("Migrated %s to version 1.3", entry.title)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: ConfigEntry[Any]) -> bool:
    """Set up a speech engine entry or a DNS filter entry."""
    if is_filter_entry(entry):
        entry.runtime_data = await async_start_guard_entry(hass, entry)
        await async_setup_guard_entry(hass, entry)
    elif is_speech_entry(entry):
        entry.runtime_data = await async_start_speech_entry(hass, entry)
        await async_setup_speech_entry(hass, entry)
    else:
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="unknown_entry_kind",
            translation_placeholders={"kind": str(entry.data.get(CONF_KIND))},
        )
    entry.async_on_unload(entry.add_update_listener(_async_options_updated))
    return True


async def async_unload_entry(hass: HomeAssistant, entry: ConfigEntry[Any]) -> bool:
    """Unload: close the filter session, or stop recognitions and free the engine."""
    if is_filter_entry(entry):
        return await async_unload_guard_entry(hass, entry)
    if is_speech_entry(entry):
        return await async_unload_speech_entry(hass, entry)
    return True


async def async_remove_entry(hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
    """Forget the entry's issues; a removed filter entry takes its rules with it.

    Anything else in the domain (an ignored discovery) owns nothing: it touches nothing.
    """
    if is_speech_entry(entry):
        async_remove_speech_entry(hass)
    elif is_filter_entry(entry):
        await async_remove_guard_entry(hass, entry)


async def _async_options_updated(hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
    """Reload the entry so new options take effect, unless they apply without one.

    A speech entry whose save changed nothing, or only the strictness, keeps its loaded
    model: reloading it costs a second model's memory for a moment (hundreds of MB). A
    filter entry whose guarded devices keep their entities (a host added by block_host,
    an address changed) is written and read again, not reloaded: calls meanwhile find it.
    """
    if (
        is_speech_entry(entry)
        and entry.state is ConfigEntryState.LOADED
        and entry.runtime_data.applies_live(dict(entry.data), dict(entry.options))
    ):
        LOGGER.debug("Speech settings applied without a reload")
        return
    if (
        is_filter_entry(entry)
        and entry.state is ConfigEntryState.LOADED
        and entry.runtime_data.applies_live()
    ):
        # A guarded device's hosts or addresses changed, not its entities: write them at
        # the next update, now (several changes at once: one update).
        await entry.runtime_data.async_request_refresh()
        return
    await hass.config_entries.async_reload(entry.entry_id)
