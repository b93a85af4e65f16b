"""Sensors of the speech entry: the audit of cloud pipelines, and phrase mode's phrases."""

from __future__ import annotations

from typing import Any

from homeassistant.components.sensor import (
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..const import DOMAIN, SIGNAL_AUDIT
from .data import SpeechConfigEntry
from .entity import LocalVoiceEntity
from .phrase_mode import SIGNAL_PHRASES, PhraseManager


@callback
def async_setup_speech_sensors(
    hass: HomeAssistant,
    entry: SpeechConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the pipeline audit, and the phrase count unless the mode is open vocabulary."""
    sensors: list[SensorEntity] = [CloudPipelineSensor(entry)]
    if (phrases := entry.runtime_data.phrases) is not None:
        sensors.append(PhraseSensor(entry, phrases))
    else:
        # Open vocabulary has no phrases: the sensor goes away instead of staying
        # unavailable (it comes back when phrase or hybrid mode is chosen again).
        registry = er.async_get(hass)
        unique_id = f"{entry.entry_id}_{PHRASES.key}"
        if stale := registry.async_get_entity_id("sensor", DOMAIN, unique_id):
            registry.async_remove(stale)
    async_add_entities(sensors)


CLOUD_PIPELINES = SensorEntityDescription(
    key="cloud_pipelines",
    translation_key="cloud_pipelines",
    state_class=SensorStateClass.MEASUREMENT,
)


class CloudPipelineSensor(LocalVoiceEntity, SensorEntity):
    """How many Assist pipelines send voice or text to a cloud service."""

    _attr_should_poll = False

    def __init__(self, entry: SpeechConfigEntry) -> None:
        """Read the audit of the speech entry."""
        super().__init__(entry, CLOUD_PIPELINES)
        self._entry = entry

    @property
    def native_value(self) -> int:
        """Return the number of cloud pipelines."""
        return len(self._entry.runtime_data.cloud_pipelines)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return which pipelines and services."""
        return {
            "pipelines": {
                f.pipeline_name: f.services for f in self._entry.runtime_data.cloud_pipelines
            }
        }

    async def async_added_to_hass(self) -> None:
        """Update whenever the audit runs."""
        self.async_on_remove(
            async_dispatcher_connect(self.hass, SIGNAL_AUDIT, self.async_write_ha_state)
        )


PHRASES = SensorEntityDescription(
    key="phrases",
    translation_key="phrases",
    state_class=SensorStateClass.MEASUREMENT,
    entity_category=EntityCategory.DIAGNOSTIC,
)


class PhraseSensor(LocalVoiceEntity, SensorEntity):
    """How many phrases the recogniser knows in phrase mode, and the last build."""

    _attr_should_poll = False

    def __init__(self, entry: SpeechConfigEntry, phrases: PhraseManager) -> None:
        """Read the speech entry's phrase manager."""
        super().__init__(entry, PHRASES)
        self._phrases = phrases

    @property
    def native_value(self) -> int | None:
        """Return the number of phrases (sentences or chunks) Vosk is given."""
        built = self._phrases.phrase_set
        return int(built.summary()["phrases"]) if built else None

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the vocabulary size, unknown words, build time and last build."""
        built = self._phrases.phrase_set
        if built is None:
            return None
        summary = built.summary()
        return {
            "vocabulary": summary["vocabulary"],
            "unknown_words": summary["unknown_words"],
            "representation": summary["representation"],
            # Templates no exposed entity can carry out, by what they would need
            # ("light:color": a colour sentence, and no light has colour).
            "texts_left_out": summary["texts_left_out"],
            "build_ms": summary["build_ms"],
            "last_build": self._phrases.last_build,
        }

    async def async_added_to_hass(self) -> None:
        """Update after every build."""
        self.async_on_remove(
            async_dispatcher_connect(self.hass, SIGNAL_PHRASES, self.async_write_ha_state)
        )
