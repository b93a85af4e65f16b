"""Sensors: a guarded device's blocked lookups and policy; the speech entry's audit and phrases."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .const import DOMAIN, HISTORY_WINDOW, SUBENTRY_DEVICE
from .coordinator import DeviceState, GuardCoordinator
from .data import VoiceGuardConfigEntry, is_filter_entry, is_speech_entry
from .entity import GuardedDeviceEntity, VoiceGuardEntity, service_device
from .guard.policy import Block
from .phrase_mode import SIGNAL_PHRASES, PhraseManager

PARALLEL_UPDATES = 0
POLICY_OFF = "off"


@dataclass(frozen=True, kw_only=True)
class GuardSensorDescription(SensorEntityDescription):
    """How a sensor reads a device's state."""

    value: Callable[[GuardCoordinator, str, DeviceState], str | int | datetime | None]
    attributes: Callable[[DeviceState], dict[str, Any]] = lambda _: {}


def _blocked_24h(_: GuardCoordinator, __: str, state: DeviceState) -> int | None:
    """Count the blocked lookups of 24 h; unknown where the filter's log hides some."""
    if not state.counts_complete:
        return None
    cutoff = dt_util.utcnow() - HISTORY_WINDOW
    return sum(1 for b in state.blocked if b.time >= cutoff)


def _hidden(state: DeviceState) -> dict[str, Any]:
    return {"hidden_by_filter": list(state.hidden)} if state.hidden else {}


def _last(state: DeviceState) -> dict[str, Any]:
    last = state.last_blocked
    if last is None:
        return _hidden(state)
    return {"host": last.host, "category": last.category, "rule": last.rule, **_hidden(state)}


def _policy(coordinator: GuardCoordinator, subentry_id: str, _: DeviceState) -> str:
    """Summarise the switches in one word (Alexa+ includes voice, see the switch)."""
    blocks = coordinator.enabled_blocks(subentry_id)
    if Block.ALL_CLOUD in blocks:
        return "local_only"
    voice = (
        "alexa_plus" if Block.GENERATIVE in blocks else "voice" if Block.VOICE in blocks else None
    )
    telemetry = "telemetry" if Block.TELEMETRY in blocks else None
    return "_and_".join(filter(None, [voice, telemetry])) or POLICY_OFF


POLICY_STATES = [
    POLICY_OFF,
    "voice",
    "alexa_plus",
    "telemetry",
    "voice_and_telemetry",
    "alexa_plus_and_telemetry",
    "local_only",
]

DESCRIPTIONS = (
    GuardSensorDescription(
        key="blocked_requests_24h",
        translation_key="blocked_requests_24h",
        state_class=SensorStateClass.MEASUREMENT,
        value=_blocked_24h,
        attributes=_hidden,
    ),
    GuardSensorDescription(
        key="last_blocked_request",
        translation_key="last_blocked_request",
        device_class=SensorDeviceClass.TIMESTAMP,
        value=lambda _, __, state: state.last_blocked.time if state.last_blocked else None,
        attributes=_last,
    ),
    GuardSensorDescription(
        key="policy",
        translation_key="policy",
        device_class=SensorDeviceClass.ENUM,
        options=POLICY_STATES,
        value=_policy,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add each guarded device's sensors, or the speech entry's pipeline audit."""
    if not is_filter_entry(entry):
        if not is_speech_entry(entry):
            return
        speech = entry
        sensors: list[SensorEntity] = [CloudPipelineSensor(speech)]
        if (phrases := speech.runtime_data.phrases) is not None:
            sensors.append(PhraseSensor(speech, phrases))
        else:
            # Open vocabulary has no phrases: the sensor goes away instead of staying
            # unavailable (it comes back when phrase or hybrid mode is chosen again).
            registry = er.async_get(hass)
            unique_id = f"{speech.entry_id}_{PHRASES.key}"
            if stale := registry.async_get_entity_id("sensor", DOMAIN, unique_id):
                registry.async_remove(stale)
        async_add_entities(sensors)
        return
    for subentry_id, subentry in entry.subentries.items():
        if subentry.subentry_type == SUBENTRY_DEVICE:
            async_add_entities(
                [GuardSensor(entry.runtime_data, subentry_id, d) for d in DESCRIPTIONS],
                config_subentry_id=subentry_id,
            )


class GuardSensor(GuardedDeviceEntity, SensorEntity):
    """A figure about a guarded device."""

    entity_description: GuardSensorDescription

    @property
    def native_value(self) -> str | int | datetime | None:
        """Return the figure."""
        if (state := self.device_state) is None:
            return None
        return self.entity_description.value(self.coordinator, self.subentry_id, state)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the details."""
        if (state := self.device_state) is None:
            return None
        return self.entity_description.attributes(state) or None


CLOUD_PIPELINES = SensorEntityDescription(
    key="cloud_pipelines",
    translation_key="cloud_pipelines",
    state_class=SensorStateClass.MEASUREMENT,
)


class CloudPipelineSensor(VoiceGuardEntity, SensorEntity):
    """How many Assist pipelines send voice or text to a cloud service."""

    _attr_should_poll = False

    def __init__(self, entry: VoiceGuardConfigEntry) -> None:
        """Read the audit of the speech entry."""
        super().__init__(entry.entry_id, CLOUD_PIPELINES, service_device(entry))
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
        from . import SIGNAL_AUDIT  # noqa: PLC0415 - the signal lives with the setup

        self.async_on_remove(
            async_dispatcher_connect(self.hass, SIGNAL_AUDIT, self.async_write_ha_state)
        )


PHRASES = SensorEntityDescription(
    key="phrases",
    translation_key="phrases",
    state_class=SensorStateClass.MEASUREMENT,
    entity_category=EntityCategory.DIAGNOSTIC,
)


class PhraseSensor(VoiceGuardEntity, SensorEntity):
    """How many phrases the recogniser knows in phrase mode, and the last build."""

    _attr_should_poll = False

    def __init__(self, entry: VoiceGuardConfigEntry, phrases: PhraseManager) -> None:
        """Read the speech entry's phrase manager."""
        super().__init__(entry.entry_id, PHRASES, service_device(entry))
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
            "build_ms": summary["build_ms"],
            "last_build": self._phrases.last_build,
        }

    async def async_added_to_hass(self) -> None:
        """Update after every build."""
        self.async_on_remove(
            async_dispatcher_connect(self.hass, SIGNAL_PHRASES, self.async_write_ha_state)
        )
