"""Voice Guard: local speech-to-text and per-device cloud blocking for Home Assistant."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_HOST, CONF_PORT, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryError, ConfigEntryNotReady
from homeassistant.helpers import (
    config_validation as cv,
    issue_registry as ir,
)
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.typing import ConfigType
from homeassistant.requirements import RequirementsNotFound, async_process_requirements

from .cloud_guard.coordinator import GuardConfigEntry, GuardCoordinator, create_filter, guard_store
from .cloud_guard.dns.catalog import load_catalog
from .cloud_guard.dns.filters.base import FilterError
from .const import (
    CONF_ENGINE,
    CONF_FILTER,
    CONF_KIND,
    CONF_LANGUAGE,
    CONF_LANGUAGES,
    CONF_MODEL_NAME,
    CONF_MODEL_PATH,
    DOMAIN,
    ENGINE_EMBEDDED,
    ENGINE_WYOMING,
    KIND_SPEECH,
    LOGGER,
    SIGNAL_AUDIT,
    VOSK_REQUIREMENT,
)
from .data import (
    SpeechSettings,
    VoiceGuardConfigEntry,
    VoiceGuardRuntimeData,
    is_filter_entry,
    is_speech_entry,
    stt_entity_id,
)
from .local_voice.engine.base import MODE_OPEN, SpeechEngine
from .local_voice.engine.errors import SpeechError
from .local_voice.engine.vosk_engine import VoskEngine
from .local_voice.engine.wyoming_engine import WyomingEngine, describe_server
from .local_voice.phrase_mode import PhraseManager
from .local_voice.satellites import SatellitePins
from .services import async_setup_services

PLATFORMS: list[Platform] = [Platform.STT, Platform.SENSOR, Platform.SWITCH]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions, whatever entries exist."""
    async_setup_services(hass)
    return True


GUARD_PLATFORMS: list[Platform] = [Platform.BINARY_SENSOR, Platform.SENSOR, Platform.SWITCH]
MODEL_ISSUE = "model_unavailable"


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
        return await _async_setup_guard(hass, entry)
    if not is_speech_entry(entry):
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="unknown_entry_kind",
            translation_placeholders={"kind": str(entry.data.get(CONF_KIND))},
        )
    speech = SpeechSettings.from_options(dict(entry.options))
    engine = await _async_start_engine(hass, entry, speech)
    entry.runtime_data = VoiceGuardRuntimeData(speech=speech, engine=engine)
    entry.async_on_unload(entry.add_update_listener(_async_options_updated))
    if speech.mode != MODE_OPEN:
        known_word = engine.known_word if isinstance(engine, VoskEngine) else None
        phrases = PhraseManager(hass, engine.languages[0], known_word)
        entry.runtime_data.phrases = phrases
        entry.async_on_unload(phrases.async_stop)
        await phrases.async_start()
    # The speech-to-text entity first: the private pipeline is built around it.
    await hass.config_entries.async_forward_entry_setups(entry, [Platform.STT])
    if "assist_pipeline" in hass.config.components:
        await _async_setup_pipelines(hass, entry)
    else:
        LOGGER.debug("Assist is not loaded: no private pipeline, no pipeline audit")
    await hass.config_entries.async_forward_entry_setups(
        entry, [p for p in PLATFORMS if p is not Platform.STT]
    )
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
    model_path = str(data[CONF_MODEL_PATH])
    language = str(data[CONF_LANGUAGE])
    engine = VoskEngine(Path(model_path), language, max_decoders=speech.max_decoders)
    try:
        await engine.async_load()
    except SpeechError as err:
        await engine.async_close()
        # Only a model we downloaded ourselves can be downloaded again by the repair.
        catalog_name = data.get(CONF_MODEL_NAME)
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


async def _async_setup_pipelines(hass: HomeAssistant, entry: VoiceGuardConfigEntry) -> None:
    """Create the private pipeline once, audit all pipelines now and whenever they change."""
    # Imported here: Assist's module needs its own requirements, present once it is loaded.
    from .compat import async_listen_pipelines  # noqa: PLC0415
    from .local_voice.pipelines import (  # noqa: PLC0415
        PREFERRED_ISSUE,
        PRIVATE_PIPELINE_NAME,
        async_ensure_private_pipeline,
        async_report_cloud_pipelines,
        preferred,
    )

    stt_entity = stt_entity_id(hass, entry)
    if stt_entity is None:  # pragma: no cover - the stt platform registered it just before
        return
    runtime = entry.runtime_data
    runtime.private_pipeline_id = await async_ensure_private_pipeline(
        hass, stt_entity, runtime.engine.languages[0]
    )
    if preferred(hass) != runtime.private_pipeline_id:
        # A suggestion (Home Assistant has no lower severity than a warning). It says so
        # when the private pipeline speaks another language than the home.
        language = runtime.engine.languages[0]
        other_language = language.split("-")[0] != hass.config.language.split("-")[0]
        ir.async_create_issue(
            hass,
            DOMAIN,
            PREFERRED_ISSUE,
            is_fixable=True,
            severity=ir.IssueSeverity.WARNING,
            translation_key=f"{PREFERRED_ISSUE}_other_language"
            if other_language
            else PREFERRED_ISSUE,
            translation_placeholders={
                "pipeline": PRIVATE_PIPELINE_NAME,
                "language": language,
                "home_language": hass.config.language,
            },
            data={"pipeline_id": runtime.private_pipeline_id},
        )
    else:
        ir.async_delete_issue(hass, DOMAIN, PREFERRED_ISSUE)

    pins = SatellitePins(hass, PRIVATE_PIPELINE_NAME)
    await pins.async_load()
    runtime.satellites = pins
    entry.async_on_unload(pins.async_stop)

    async def audit() -> None:
        runtime.cloud_pipelines = await async_report_cloud_pipelines(hass)
        async_dispatcher_send(hass, SIGNAL_AUDIT)

    await audit()
    debouncer = Debouncer(hass, LOGGER, cooldown=1, immediate=False, function=audit)
    entry.async_on_unload(debouncer.async_shutdown)

    async def pipelines_changed(_changes: Any) -> None:
        debouncer.async_schedule_call()

    entry.async_on_unload(async_listen_pipelines(hass, pipelines_changed))


async def _async_setup_guard(hass: HomeAssistant, entry: GuardConfigEntry) -> bool:
    """Connect to the filter, apply the stored policy, then add the devices' entities."""
    client = create_filter(hass, entry.data)
    # Unload callbacks run last-registered first: the session closes after the
    # coordinator's own shutdown (which DataUpdateCoordinator registers, once), also when
    # the first refresh fails.
    entry.async_on_unload(client.close)
    catalog = await hass.async_add_executor_job(load_catalog)
    coordinator = GuardCoordinator(hass, entry, client, catalog)
    await coordinator.async_load()
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = coordinator
    entry.async_on_unload(entry.add_update_listener(_async_options_updated))
    await hass.config_entries.async_forward_entry_setups(entry, GUARD_PLATFORMS)
    return True


async def async_remove_entry(hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
    """Forget the entry's issues; a removed filter entry takes its rules with it.

    Anything else in the domain (an ignored discovery) owns nothing: it touches nothing.
    """
    if is_speech_entry(entry):
        ir.async_delete_issue(hass, DOMAIN, MODEL_ISSUE)
        return
    if not is_filter_entry(entry):
        return
    ir.async_delete_issue(hass, DOMAIN, f"rules_removed_{entry.entry_id}")
    for subentry_id in entry.subentries:
        ir.async_delete_issue(hass, DOMAIN, f"no_lookups_{subentry_id}")
    await guard_store(hass, entry.entry_id).async_remove()
    client = create_filter(hass, entry.data)
    try:
        await client.reconcile([])
    except FilterError as err:
        LOGGER.warning(
            "Could not remove Voice Guard's rules from %s: %s; remove them by hand",
            entry.title,
            err,
        )
        # The entry is gone, so nothing can retry: a repair names what is left and where.
        ir.async_create_issue(
            hass,
            DOMAIN,
            f"leftover_rules_{entry.entry_id}",
            is_fixable=False,
            is_persistent=True,
            severity=ir.IssueSeverity.WARNING,
            translation_key=f"leftover_rules_{entry.data.get(CONF_FILTER)}",
            translation_placeholders={"filter": entry.title, "error": str(err)},
        )
    finally:
        await client.close()


async def async_unload_entry(hass: HomeAssistant, entry: ConfigEntry[Any]) -> bool:
    """Unload: stop recognitions and free the engine, or close the filter session."""
    if is_filter_entry(entry):
        # The coordinator's shutdown and the session's close are unload callbacks.
        return await hass.config_entries.async_unload_platforms(entry, GUARD_PLATFORMS)
    if not is_speech_entry(entry):
        return True
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        await entry.runtime_data.engine.async_close()
    return unloaded


async def _async_options_updated(hass: HomeAssistant, entry: VoiceGuardConfigEntry) -> None:
    """Reload the entry so new options take effect."""
    await hass.config_entries.async_reload(entry.entry_id)
