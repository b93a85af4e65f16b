"""Assist pipelines: the private pipeline, and an audit of pipelines that send voice out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from homeassistant.components.assist_pipeline import async_get_pipelines, async_update_pipeline
from homeassistant.components.assist_pipeline.pipeline import Pipeline
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.helpers.storage import Store
from homeassistant.loader import IntegrationNotFound, async_get_integration

from ..compat import (
    async_create_pipeline,
    async_get_preferred_pipeline,
    async_set_preferred_pipeline,
    tts_languages,
)
from ..const import DOMAIN, LOGGER
from ..words import async_words

PRIVATE_PIPELINE_NAME = "Private (Voice Guard)"
LOCAL_CONVERSATION = "conversation.home_assistant"
STORAGE_KEY = f"{DOMAIN}.pipelines"
ISSUE_PREFIX = "cloud_pipeline_"
PREFERRED_ISSUE = "use_private_pipeline"
# Services that receive voice or text in the cloud even where their manifest says otherwise.
KNOWN_CLOUD = frozenset({"cloud", "google_translate", "microsoft", "amazon_polly", "watson_tts"})


@dataclass(frozen=True, slots=True)
class CloudFinding:
    """A pipeline with stages provided by cloud services."""

    pipeline_id: str
    pipeline_name: str
    language: str
    services: list[str]  # "stt: cloud", "conversation: openai_conversation", ...
    names: list[str]  # the integrations' names: "Home Assistant Cloud", ...

    @property
    def cloud_tts(self) -> bool:
        """Whether text-to-speech is one of the cloud stages."""
        return any(service.startswith("tts: ") for service in self.services)


def _store(hass: HomeAssistant) -> Store[dict[str, Any]]:
    return Store(hass, 1, STORAGE_KEY)


async def async_ensure_private_pipeline(
    hass: HomeAssistant, stt_entity_id: str, language: str
) -> str:
    """Create the private pipeline once (never again after a restart); return its id."""
    store = _store(hass)
    stored = await store.async_load() or {}
    pipelines = {p.id: p for p in async_get_pipelines(hass)}
    if (pipeline_id := stored.get("private_pipeline")) in pipelines:
        return str(pipeline_id)
    settings = {
        "name": PRIVATE_PIPELINE_NAME,
        "language": language,
        "conversation_engine": LOCAL_CONVERSATION,
        "conversation_language": language,
        "stt_engine": stt_entity_id,
        "stt_language": language,
        "tts_engine": None,
        "tts_language": None,
        "tts_voice": None,
        "wake_word_entity": None,
        "wake_word_id": None,
    }
    if (tts := await _local_tts(hass, language)) is not None:
        settings.update(tts_engine=tts, tts_language=language)
    pipeline_id = await async_create_pipeline(hass, settings)
    await store.async_save({**stored, "private_pipeline": pipeline_id})
    LOGGER.info("Created the Assist pipeline %s", PRIVATE_PIPELINE_NAME)
    return pipeline_id


async def _local_tts(hass: HomeAssistant, language: str) -> str | None:
    """Find a text-to-speech entity of a local integration that speaks the language."""
    for state in hass.states.async_all("tts"):
        domain = _domain_of(hass, state.entity_id)
        if domain is None or await _is_cloud(hass, domain):
            continue
        languages = tts_languages(hass, state.entity_id)
        if any(lang.split("-")[0] == language.split("-", maxsplit=1)[0] for lang in languages):
            return state.entity_id
    return None


def make_preferred(hass: HomeAssistant, pipeline_id: str) -> None:
    """Make a pipeline the preferred one."""
    async_set_preferred_pipeline(hass, pipeline_id)


def preferred(hass: HomeAssistant) -> str:
    """Return the preferred pipeline's id."""
    return async_get_preferred_pipeline(hass)


def _domain_of(hass: HomeAssistant, engine: str | None) -> str | None:
    """Return the integration behind a stage (entity id, agent id or legacy provider)."""
    if not engine:
        return None
    if (entry := er.async_get(hass).async_get(engine)) is not None:
        return entry.platform
    if (config_entry := hass.config_entries.async_get_entry(engine)) is not None:
        return config_entry.domain  # conversation agents of config entries
    if engine in (LOCAL_CONVERSATION, "homeassistant"):
        return "conversation"
    # A legacy provider id ("cloud") names its integration; an unknown entity id, nothing.
    return engine if "." not in engine else None


async def _name_of(hass: HomeAssistant, domain: str) -> str:
    try:
        return (await async_get_integration(hass, domain)).name
    except IntegrationNotFound:
        return domain


async def _is_cloud(hass: HomeAssistant, domain: str) -> bool:
    if domain in KNOWN_CLOUD:
        return True
    try:
        integration = await async_get_integration(hass, domain)
    except IntegrationNotFound:
        return False
    return str(integration.manifest.get("iot_class", "")).startswith("cloud")


async def _cloud_stages(hass: HomeAssistant, pipeline: Pipeline) -> list[tuple[str, str]]:
    stages = {
        "stt": pipeline.stt_engine,
        "conversation": pipeline.conversation_engine,
        "tts": pipeline.tts_engine,
    }
    found = []
    for stage, engine in stages.items():
        domain = _domain_of(hass, engine)
        if domain is not None and await _is_cloud(hass, domain):
            found.append((stage, domain))
    return found


async def async_audit(hass: HomeAssistant) -> list[CloudFinding]:
    """List every pipeline with a stage that a cloud service provides."""
    findings = []
    for pipeline in async_get_pipelines(hass):
        if not (stages := await _cloud_stages(hass, pipeline)):
            continue
        names = [await _name_of(hass, domain) for _, domain in stages]
        findings.append(
            CloudFinding(
                pipeline_id=pipeline.id,
                pipeline_name=pipeline.name,
                language=pipeline.language,
                services=[f"{stage}: {domain}" for stage, domain in stages],
                names=list(dict.fromkeys(names)),
            )
        )
    return findings


async def async_report_cloud_pipelines(hass: HomeAssistant) -> list[CloudFinding]:
    """Raise a repair issue per cloud pipeline; remove the issues of fixed ones."""
    findings = await async_audit(hass)
    registry = ir.async_get(hass)
    current = {f"{ISSUE_PREFIX}{f.pipeline_id}" for f in findings}
    for issue_id in [i for (d, i) in registry.issues if d == DOMAIN and i.startswith(ISSUE_PREFIX)]:
        if issue_id not in current:
            ir.async_delete_issue(hass, DOMAIN, issue_id)
    words = await _stage_words(hass)
    for finding in findings:
        # Say so when the fix leaves the pipeline without text-to-speech.
        local_tts = await _local_tts(hass, finding.language)
        silent = finding.cloud_tts and local_tts is None
        ir.async_create_issue(
            hass,
            DOMAIN,
            f"{ISSUE_PREFIX}{finding.pipeline_id}",
            is_fixable=True,
            severity=ir.IssueSeverity.WARNING,
            translation_key="cloud_pipeline_no_tts" if silent else "cloud_pipeline",
            translation_placeholders={
                "pipeline": finding.pipeline_name,
                "services": ", ".join(finding.names),
                "changes": await _changes(hass, finding, local_tts, words),
            },
            data={"pipeline_id": finding.pipeline_id},
        )
    return findings


async def _stage_words(hass: HomeAssistant) -> dict[str, str]:
    """Return the stages' names in the home's language (English where one is missing)."""
    words = await async_words(hass)
    return {stage: words(f"stage_{stage}") for stage in ("stt", "conversation", "tts", "off")}


async def _changes(
    hass: HomeAssistant, finding: CloudFinding, local_tts: str | None, words: dict[str, str]
) -> str:
    """Exactly what the fix changes, stage by stage ("speech-to-text: X → Voice Guard")."""
    lines = []
    for service in finding.services:
        stage, domain = service.split(": ", 1)
        if stage == "stt":
            target = "Voice Guard"
        elif stage == "conversation":
            target = "Home Assistant"
        elif local_tts is not None:
            target = await _name_of(hass, _domain_of(hass, local_tts) or local_tts)
        else:
            target = words["off"]
        lines.append(f"{words.get(stage, stage)}: {await _name_of(hass, domain)} → {target}")
    return "; ".join(lines)


async def async_make_local(hass: HomeAssistant, pipeline_id: str, stt_entity_id: str) -> bool:
    """Replace a pipeline's cloud stages by local ones; False if the pipeline is gone."""
    pipeline = next((p for p in async_get_pipelines(hass) if p.id == pipeline_id), None)
    if pipeline is None:
        return False
    settings: dict[str, Any] = {}
    for stage, _domain in await _cloud_stages(hass, pipeline):
        if stage == "stt":
            settings.update(stt_engine=stt_entity_id, stt_language=pipeline.language)
        elif stage == "conversation":
            settings.update(
                conversation_engine=LOCAL_CONVERSATION, conversation_language=pipeline.language
            )
        else:
            tts = await _local_tts(hass, pipeline.language)
            settings.update(
                tts_engine=tts,
                tts_language=pipeline.language if tts else None,
                tts_voice=None,
            )
    await async_update_pipeline(hass, pipeline, **settings)
    return True
