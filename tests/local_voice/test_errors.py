"""Local voice's exception handler: every failure of the engine in words, not codes."""

from __future__ import annotations

import json
from pathlib import Path

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest

from custom_components.voice_guard.local_voice.engine.errors import (
    AudioError,
    EngineUnavailableError,
    SpeechError,
)
from custom_components.voice_guard.local_voice.errors import (
    AUDIO_REASONS,
    ENGINE_REASONS,
    speech_errors,
)

TRANSLATIONS = Path(__file__).parents[2] / "custom_components" / "voice_guard" / "translations"


@pytest.mark.parametrize(
    ("error", "kind", "key"),
    [
        (AudioError("too long", reason="too_long"), ServiceValidationError, "audio_too_long"),
        (AudioError("odd", reason="odd_bytes"), ServiceValidationError, "audio_odd_bytes"),
        (AudioError("bad", reason="bad_format"), ServiceValidationError, "audio_bad_format"),
        (AudioError("weird"), ServiceValidationError, "audio_not_recognised"),
        (EngineUnavailableError("busy", reason="busy"), HomeAssistantError, "speech_busy"),
        (
            EngineUnavailableError("closed", reason="engine_closed"),
            HomeAssistantError,
            "speech_engine_closed",
        ),
        (
            SpeechError("server hung up", reason="server_error"),
            HomeAssistantError,
            "audio_not_recognised",
        ),
    ],
)
def test_each_reason_has_its_sentence(
    error: SpeechError, kind: type[HomeAssistantError], key: str
) -> None:
    """The user's audio is a validation error; the engine's own trouble is not."""
    with pytest.raises(HomeAssistantError) as raised, speech_errors("/media/x.wav", max_seconds=30):
        raise error
    assert type(raised.value) is kind
    assert raised.value.translation_key == key
    assert raised.value.translation_placeholders == {
        "source": "/media/x.wav",
        "max_seconds": "30",
        "error": str(error),
    }


@pytest.mark.parametrize("language", ["en", "de"])
def test_every_reason_is_translated_without_codes(language: str) -> None:
    """No sentence shows a reason code (too_long); each uses only the handler's placeholders."""
    messages = json.loads((TRANSLATIONS / f"{language}.json").read_text())["exceptions"]
    keys = {f"audio_{r}" for r in AUDIO_REASONS} | {f"speech_{r}" for r in ENGINE_REASONS}
    for key in keys | {"audio_not_recognised"}:
        message = messages[key]["message"]
        assert message.format(source="S", max_seconds="30", error="E")
        codes = [r for r in AUDIO_REASONS | ENGINE_REASONS if "_" in r]  # too_long, …
        assert not [code for code in codes if code in message], key
