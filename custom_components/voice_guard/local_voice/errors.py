"""Local voice's one exception handler: the speech engine's failures as translated errors.

Every call a user makes into the engine (the transcribe action) goes through
``speech_errors``: each failure reason the engine knows has its own sentence, in words,
with what to do; the audio is the user's input, so those are validation errors, while a
busy or stopped engine is Home Assistant's own error. The speech-to-text entity answers
Home Assistant's pipeline with an error result instead (stt.py), as that platform expects.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from ..const import DOMAIN
from .engine.errors import AudioError, SpeechError

# Reasons of the engine (engine/audio.py, engine/base.py, the engines) with a sentence.
AUDIO_REASONS = frozenset(
    {
        "too_long",
        "too_slow",
        "bad_format",
        "empty",
        "odd_bytes",
        "no_speech",
        "stalled",
        "trickle",
        "bad_stream",
    }
)
ENGINE_REASONS = frozenset({"busy", "engine_closed", "engine_unavailable"})


@contextmanager
def speech_errors(source: str, *, max_seconds: int) -> Iterator[None]:
    """Turn the engine's errors about the audio of ``source`` into translated ones."""
    try:
        yield
    except SpeechError as err:
        placeholders = {"source": source, "max_seconds": str(max_seconds), "error": str(err)}
        if err.reason in ENGINE_REASONS:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key=f"speech_{err.reason}",
                translation_placeholders=placeholders,
            ) from err
        key = f"audio_{err.reason}" if err.reason in AUDIO_REASONS else "audio_not_recognised"
        error = ServiceValidationError if isinstance(err, AudioError) else HomeAssistantError
        raise error(
            translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
        ) from err
