"""Voice Guard: local speech-to-text and per-device cloud blocking for Home Assistant."""

from __future__ import annotations

from pathlib import Path

from homeassistant.const import CONF_HOST, CONF_PORT, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryError, ConfigEntryNotReady
from homeassistant.helpers import issue_registry as ir
from homeassistant.requirements import RequirementsNotFound, async_process_requirements

from .const import (
    CONF_ENGINE,
    CONF_LANGUAGE,
    CONF_LANGUAGES,
    CONF_MODEL_NAME,
    CONF_MODEL_PATH,
    DOMAIN,
    ENGINE_WYOMING,
    LOGGER,
    VOSK_REQUIREMENT,
)
from .data import SpeechSettings, VoiceGuardConfigEntry, VoiceGuardRuntimeData
from .engine.base import SpeechEngine
from .engine.errors import SpeechError
from .engine.vosk_engine import VoskEngine
from .engine.wyoming_engine import WyomingEngine, describe_server

PLATFORMS: list[Platform] = [Platform.STT]
MODEL_ISSUE = "model_unavailable"


async def async_setup_entry(hass: HomeAssistant, entry: VoiceGuardConfigEntry) -> bool:
    """Set up Voice Guard from its config entry."""
    speech = SpeechSettings.from_options(dict(entry.options))
    engine = await _async_start_engine(hass, entry, speech)
    entry.runtime_data = VoiceGuardRuntimeData(speech=speech, engine=engine)
    entry.async_on_unload(entry.add_update_listener(_async_options_updated))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def _async_start_engine(
    hass: HomeAssistant, entry: VoiceGuardConfigEntry, speech: SpeechSettings
) -> SpeechEngine:
    """Start the configured engine, or explain why it cannot start."""
    data = entry.data
    if data[CONF_ENGINE] == ENGINE_WYOMING:
        host, port = data[CONF_HOST], data[CONF_PORT]
        try:
            info = await describe_server(host, port)
        except SpeechError as err:
            raise ConfigEntryNotReady(
                translation_domain=DOMAIN,
                translation_key="wyoming_unreachable",
                translation_placeholders={"server": f"{host}:{port}", "error": str(err)},
            ) from err
        languages = info.languages or list(data[CONF_LANGUAGES])
        if chosen := [lang for lang in entry.options.get(CONF_LANGUAGES, []) if lang in languages]:
            languages = chosen
        return WyomingEngine(host, port, languages)

    try:
        await async_process_requirements(hass, DOMAIN, [VOSK_REQUIREMENT])
    except RequirementsNotFound as err:
        raise ConfigEntryError(
            translation_domain=DOMAIN, translation_key="vosk_unavailable"
        ) from err
    model_path = str(entry.options.get(CONF_MODEL_PATH, data[CONF_MODEL_PATH]))
    language = str(entry.options.get(CONF_LANGUAGE, data[CONF_LANGUAGE]))
    engine = VoskEngine(Path(model_path), language, max_decoders=speech.max_decoders)
    try:
        await engine.async_load()
    except SpeechError as err:
        await engine.async_close()
        # Only a model we downloaded ourselves can be downloaded again by the repair.
        catalog_name = data.get(CONF_MODEL_NAME) if model_path == data[CONF_MODEL_PATH] else None
        ir.async_create_issue(
            hass,
            DOMAIN,
            MODEL_ISSUE,
            is_fixable=catalog_name is not None,
            severity=ir.IssueSeverity.ERROR,
            translation_key="model_download_again" if catalog_name else "model_unavailable",
            translation_placeholders={"path": model_path, "model": catalog_name or ""},
            data={"entry_id": entry.entry_id, "model": catalog_name or ""},
        )
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="model_unavailable",
            translation_placeholders={"path": model_path, "error": str(err)},
        ) from err
    ir.async_delete_issue(hass, DOMAIN, MODEL_ISSUE)
    LOGGER.debug("Vosk model %s loaded in %s s", model_path, engine.load_seconds)
    return engine


async def async_remove_entry(hass: HomeAssistant, entry: VoiceGuardConfigEntry) -> None:
    """Forget the entry's repair issues."""
    ir.async_delete_issue(hass, DOMAIN, MODEL_ISSUE)


async def async_unload_entry(hass: HomeAssistant, entry: VoiceGuardConfigEntry) -> bool:
    """Unload Voice Guard: stop recognitions and free the engine."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        await entry.runtime_data.engine.async_close()
    return unloaded


async def _async_options_updated(hass: HomeAssistant, entry: VoiceGuardConfigEntry) -> None:
    """Reload the entry so new options take effect."""
    await hass.config_entries.async_reload(entry.entry_id)
