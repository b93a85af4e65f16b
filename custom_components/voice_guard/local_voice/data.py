"""The speech entry's own types: its settings, its runtime data, and how to find it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TypeGuard

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from ..const import (
    CONF_MAX_DECODERS,
    CONF_MAX_SECONDS,
    CONF_MODE,
    CONF_SILENCE_MS,
    CONF_STRICTNESS,
    DEFAULT_MAX_DECODERS,
    DEFAULT_MAX_SECONDS,
    DEFAULT_MODE,
    DEFAULT_SILENCE_MS,
    DEFAULT_STRICTNESS,
    DOMAIN,
    KIND_SPEECH,
)
from ..data import entry_kind
from .engine.base import MODES, SpeechEngine
from .engine.decision import STRICTNESS

if TYPE_CHECKING:  # imported for types only: these need Assist's requirements
    from .phrase_mode import PhraseManager
    from .pipelines import CloudFinding
    from .satellites import SatellitePins


@dataclass(frozen=True, slots=True)
class SpeechSettings:
    """The speech-to-text options a user can change in the options flow."""

    max_decoders: int = DEFAULT_MAX_DECODERS
    silence_ms: int = DEFAULT_SILENCE_MS
    max_seconds: int = DEFAULT_MAX_SECONDS
    mode: str = DEFAULT_MODE
    strictness: str = DEFAULT_STRICTNESS

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
            strictness=str(options[CONF_STRICTNESS])
            if options.get(CONF_STRICTNESS) in STRICTNESS
            else DEFAULT_STRICTNESS,
        )


@dataclass(slots=True)
class SpeechRuntimeData:
    """What a loaded speech entry keeps while it runs."""

    speech: SpeechSettings
    engine: SpeechEngine
    # The entry's data the engine was started with (model, language, server).
    data: dict[str, Any] = field(default_factory=dict)
    private_pipeline_id: str | None = None
    cloud_pipelines: list[CloudFinding] = field(default_factory=list)
    satellites: SatellitePins | None = None  # once the private pipeline exists
    phrases: PhraseManager | None = None  # unless the mode is open vocabulary

    def applies_live(self, data: dict[str, Any], options: dict[str, Any]) -> bool:
        """Take new settings without a reload if only what each recognition reads changed.

        The strictness is read by every recognition; the model, language, mode and
        decoders need the entry reloaded (False). An options save that changes nothing
        reloads nothing (True).
        """
        new = SpeechSettings.from_options(options)
        if data != self.data or replace(new, strictness=self.speech.strictness) != self.speech:
            return False
        self.speech = new
        return True


type SpeechConfigEntry = ConfigEntry[SpeechRuntimeData]


def is_speech_entry(entry: ConfigEntry[Any]) -> TypeGuard[SpeechConfigEntry]:
    """Whether an entry is the speech engine."""
    return entry_kind(entry) == KIND_SPEECH


def loaded_speech_entry(hass: HomeAssistant) -> SpeechConfigEntry | None:
    """Return the speech engine's entry if it is running."""
    for entry in hass.config_entries.async_entries(DOMAIN):
        if is_speech_entry(entry):
            return entry if entry.state is ConfigEntryState.LOADED else None
    return None


def stt_entity_id(hass: HomeAssistant, entry: SpeechConfigEntry) -> str | None:
    """Return the entity id of the speech entry's speech-to-text entity."""
    return er.async_get(hass).async_get_entity_id("stt", DOMAIN, f"{entry.entry_id}_speech_to_text")
