"""Setting up the speech entry: start its engine, build phrase mode and the pipelines.

The integration's __init__.py hands a speech entry to these functions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from homeassistant.const import CONF_HOST, CONF_PORT, Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryError, ConfigEntryNotReady
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.requirements import RequirementsNotFound, async_process_requirements

from ..const import (
    CONF_ENGINE,
    CONF_LANGUAGE,
    CONF_LANGUAGES,
    CONF_MODEL_NAME,
    CONF_MODEL_PATH,
    DOMAIN,
    ENGINE_WYOMING,
    GRAMMAR_FOLDER,
    LOGGER,
    MODELS_FOLDER,
    SIGNAL_AUDIT,
    VOSK_REQUIREMENT,
)
from .data import SpeechConfigEntry, SpeechRuntimeData, SpeechSettings, stt_entity_id
from .engine.base import MODE_OPEN, MODE_PHRASE, SpeechEngine
from .engine.catalog import language_name, language_names, load_catalog as load_model_catalog
from .engine.errors import SpeechError
from .engine.vosk_engine import VoskEngine
from .engine.wyoming_engine import WyomingEngine, describe_server
from .phrase_mode import PhraseManager
from .satellites import SatellitePins

PLATFORMS: list[Platform] = [Platform.STT, Platform.SENSOR, Platform.SWITCH]
MODEL_ISSUE = "model_unavailable"


async def async_start_speech_entry(
    hass: HomeAssistant, entry: SpeechConfigEntry
) -> SpeechRuntimeData:
    """Start the engine with the entry's settings: the entry's runtime data."""
    speech = SpeechSettings.from_options(dict(entry.options))
    engine = await _async_start_engine(hass, entry, speech)
    return SpeechRuntimeData(speech=speech, engine=engine, data=dict(entry.data))


async def async_setup_speech_entry(hass: HomeAssistant, entry: SpeechConfigEntry) -> None:
    """Start phrase mode, the speech-to-text entity, the pipelines and the rest."""
    speech = entry.runtime_data.speech
    engine = entry.runtime_data.engine
    if speech.mode != MODE_OPEN:
        vosk = engine if isinstance(engine, VoskEngine) else None
        phrases = PhraseManager(
            hass,
            engine.languages[0],
            vosk.known_word if vosk else None,
            # A lookahead model decodes the home's exact grammar, compiled on each build.
            prepare=vosk.async_prepare_phrases if vosk else None,
        )
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


async def async_unload_speech_entry(hass: HomeAssistant, entry: SpeechConfigEntry) -> bool:
    """Unload the entities, then stop recognitions and free the engine."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        await entry.runtime_data.engine.async_close()
    return unloaded


@callback
def async_remove_speech_entry(hass: HomeAssistant) -> None:
    """Forget the model repair of the removed speech entry."""
    ir.async_delete_issue(hass, DOMAIN, MODEL_ISSUE)


async def _async_start_engine(
    hass: HomeAssistant, entry: SpeechConfigEntry, speech: SpeechSettings
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
    engine = VoskEngine(
        Path(model_path),
        language,
        max_decoders=speech.max_decoders,
        grammar_root=Path(hass.config.path(MODELS_FOLDER, GRAMMAR_FOLDER, entry.entry_id)),
        # Phrases only: the open-vocabulary model is freed once the home's grammar is in.
        open_vocabulary_on_demand=speech.mode == MODE_PHRASE,
    )
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


async def _async_setup_pipelines(hass: HomeAssistant, entry: SpeechConfigEntry) -> None:
    """Create the private pipeline once, audit all pipelines now and whenever they change."""
    # Imported here: Assist's module needs its own requirements, present once it is loaded.
    from ..compat import async_listen_pipelines  # noqa: PLC0415
    from .pipelines import (  # noqa: PLC0415
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
        names = language_names(await hass.async_add_executor_job(load_model_catalog))
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
                "language": language_name(names, language),
                "home_language": language_name(names, hass.config.language),
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
