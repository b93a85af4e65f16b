"""Runtime data of a Voice Guard config entry."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeGuard

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er

from .const import (
    CONF_KIND,
    CONF_MAX_DECODERS,
    CONF_MAX_SECONDS,
    CONF_MODE,
    CONF_SILENCE_MS,
    DEFAULT_MAX_DECODERS,
    DEFAULT_MAX_SECONDS,
    DEFAULT_MODE,
    DEFAULT_SILENCE_MS,
    DOMAIN,
    KIND_FILTER,
    KIND_SPEECH,
)
from .local_voice.engine.base import MODES, SpeechEngine

if TYPE_CHECKING:  # imported for types only: these need Assist's requirements
    from .cloud_guard.coordinator import GuardCoordinator
    from .local_voice.phrase_mode import PhraseManager
    from .local_voice.pipelines import CloudFinding
    from .local_voice.satellites import SatellitePins


@dataclass(frozen=True, slots=True)
class SpeechSettings:
    """The speech-to-text options a user can change in the options flow."""

    max_decoders: int = DEFAULT_MAX_DECODERS
    silence_ms: int = DEFAULT_SILENCE_MS
    max_seconds: int = DEFAULT_MAX_SECONDS
    mode: str = DEFAULT_MODE

    @classmethod
    def from_options(cls, options: dict[str, object]) -> SpeechSettings:
        """Read the settings from a config entry's options, falling back to defaults."""

        def _int(key: str, default: int) -> int:
            value = options.get(key, default)
            return int(value) if isinstance(value, int | float) else default

        return cls(
            max_decoders=_int(CONF_MAX_DECODERS, DEFAULT_MAX_DECODERS),
            silence_ms=_int(CONF_SILENCE_MS, DEFAULT_SILENCE_MS),
            max_seconds=_int(CONF_MAX_SECONDS, DEFAULT_MAX_SECONDS),
            mode=str(options[CONF_MODE]) if options.get(CONF_MODE) in MODES else DEFAULT_MODE,
        )


@dataclass(slots=True)
class VoiceGuardRuntimeData:
    """What a loaded speech entry keeps while it runs."""

    speech: SpeechSettings
    engine: SpeechEngine
    private_pipeline_id: str | None = None
    cloud_pipelines: list[CloudFinding] = field(default_factory=list)
    satellites: SatellitePins | None = None  # once the private pipeline exists
    phrases: PhraseManager | None = None  # unless the mode is open vocabulary


type VoiceGuardConfigEntry = ConfigEntry[VoiceGuardRuntimeData]


def is_filter_entry(entry: ConfigEntry[Any]) -> TypeGuard[ConfigEntry[GuardCoordinator]]:
    """Whether an entry is a DNS filter (with guarded devices).

    Every entry records its kind. An ignored discovery (an entry Home Assistant stores with
    empty data) or an entry of a kind this version does not know is neither kind.
    """
    return entry.data.get(CONF_KIND) == KIND_FILTER


def is_speech_entry(entry: ConfigEntry[Any]) -> TypeGuard[VoiceGuardConfigEntry]:
    """Whether an entry is the speech engine."""
    return entry.data.get(CONF_KIND) == KIND_SPEECH


def filter_entries(hass: HomeAssistant, *, loaded: bool = False) -> list[ConfigEntry[Any]]:
    """Return the DNS filter entries (only the loaded ones if asked)."""
    return [
        entry
        for entry in hass.config_entries.async_entries(DOMAIN)
        if is_filter_entry(entry) and (not loaded or entry.state is ConfigEntryState.LOADED)
    ]


def loaded_speech_entry(hass: HomeAssistant) -> VoiceGuardConfigEntry | None:
    """Return the speech engine's entry if it is running."""
    for entry in hass.config_entries.async_entries(DOMAIN):
        if is_speech_entry(entry):
            return entry if entry.state is ConfigEntryState.LOADED else None
    return None


def stt_entity_id(hass: HomeAssistant, entry: ConfigEntry[Any]) -> str | None:
    """Return the entity id of the speech entry's speech-to-text entity."""
    return er.async_get(hass).async_get_entity_id("stt", DOMAIN, f"{entry.entry_id}_speech_to_text")


@callback
def async_update_and_reload(hass: HomeAssistant, entry: ConfigEntry[Any], **changes: Any) -> None:
    """Change an entry and reload it once.

    A loaded entry has an update listener that reloads it when it changes (options,
    guarded devices); Home Assistant's async_update_reload_and_abort would reload it a
    second time (and warns about it since 2026). So a reload is scheduled here only where
    the listener does not run: the entry did not change, or it is not loaded.
    """
    listening = bool(entry.update_listeners)  # before: the listener may start at once
    changed = hass.config_entries.async_update_entry(entry, **changes)
    if not (changed and listening):
        hass.config_entries.async_schedule_reload(entry.entry_id)
