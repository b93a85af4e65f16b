"""Runtime data of a Voice Guard config entry."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from homeassistant.config_entries import ConfigEntry

from .const import (
    CONF_MAX_DECODERS,
    CONF_MAX_SECONDS,
    CONF_SILENCE_MS,
    DEFAULT_MAX_DECODERS,
    DEFAULT_MAX_SECONDS,
    DEFAULT_SILENCE_MS,
)
from .engine.base import SpeechEngine


@dataclass(frozen=True, slots=True)
class SpeechSettings:
    """The speech-to-text options a user can change in the options flow."""

    max_decoders: int = DEFAULT_MAX_DECODERS
    silence_ms: int = DEFAULT_SILENCE_MS
    max_seconds: int = DEFAULT_MAX_SECONDS

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
        )


@dataclass(slots=True)
class VoiceGuardRuntimeData:
    """What a loaded speech entry keeps while it runs."""

    speech: SpeechSettings
    engine: SpeechEngine
    private_pipeline_id: str | None = None
    cloud_pipelines: list[Any] = field(default_factory=list)  # pipelines.CloudFinding
    satellites: Any = None  # satellites.SatellitePins, once the private pipeline exists


type VoiceGuardConfigEntry = ConfigEntry[VoiceGuardRuntimeData]
