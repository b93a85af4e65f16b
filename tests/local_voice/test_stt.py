"""The speech-to-text entity through Home Assistant's own STT API and Assist pipeline."""

from __future__ import annotations

from pathlib import Path

from homeassistant.components import stt
from homeassistant.components.assist_pipeline import PipelineEventType, PipelineStage
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.voice_guard.compat import SpeechAudioProcessing
from custom_components.voice_guard.local_voice.engine.base import RecognitionSettings

from ..assist import (
    ENTITY_ID,
    METADATA,
    events_of,
    korean_pipeline,
    post_speech,
    speak_to_pipeline,
)
from ..speech import stream, to_wav


async def _engine_transcript(entry: MockConfigEntry, pcm: bytes, silence_after_ms: int = 0) -> str:
    """What the engine itself makes of the speech, fed directly (no Home Assistant)."""
    settings = RecognitionSettings(language="ko", silence_ms=300, max_seconds=30)
    audio = stream(pcm, silence_after_ms=silence_after_ms)
    recognition = await entry.runtime_data.engine.transcribe(audio, settings)
    assert recognition.text
    return recognition.text


async def test_entity_is_set_up(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """The entity exists with a translated name and declares what Assist sends."""
    state = hass.states.get(ENTITY_ID)
    assert state is not None
    assert state.attributes["friendly_name"] == "Voice Guard Speech-to-text"
    entity = stt.async_get_speech_to_text_entity(hass, ENTITY_ID)
    assert entity is not None
    assert entity.supported_languages == ["ko"]
    assert entity.check_metadata(METADATA)


@pytest.mark.skipif(
    SpeechAudioProcessing is None, reason="Home Assistant < 2026 has no audio_processing"
)
async def test_entity_does_its_own_end_pointing(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """On Home Assistant 2026+ the pipeline hands us the raw stream."""
    entity = stt.async_get_speech_to_text_entity(hass, ENTITY_ID)
    assert entity is not None
    assert entity.audio_processing.requires_external_vad is False


async def test_wav_posted_to_the_stt_api(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    living_room_on: bytes,
) -> None:
    """A WAV file posted to /api/stt returns the engine's transcript of that speech."""
    expected = await _engine_transcript(init_integration, living_room_on)
    client = await hass_client()
    status, body = await post_speech(client, to_wav(living_room_on))
    assert status == 200
    assert body == {"result": "success", "text": expected}


@pytest.mark.parametrize(
    "body",
    [b"", b"\x00" * 1001, b"\x00" * 64_000, b"RIFF\x00\x00\x00\x00AVI LIST"],
    ids=["empty", "odd-bytes", "silence-only", "not-wave"],
)
async def test_bad_audio_gives_an_error_result(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    body: bytes,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Bad audio ends with an error result and a clear log line, never an exception."""
    client = await hass_client()
    status, result = await post_speech(client, body)
    assert status == 200
    assert result == {"text": None, "result": "error"}
    assert "Speech not recognised" in caplog.text
    assert "Traceback" not in caplog.text
    # The engine is still usable afterwards.
    assert init_integration.runtime_data.engine.stats.failures == 1


async def test_full_assist_pipeline_uses_voice_guard(
    hass: HomeAssistant, init_integration: MockConfigEntry, kitchen_on: bytes
) -> None:
    """An Assist pipeline with this entity turns a live microphone stream into text."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "assist_pipeline", {})
    pipeline_id = await korean_pipeline(hass, "Private")
    events = await speak_to_pipeline(
        hass, pipeline_id, kitchen_on, end_stage=PipelineStage.STT, silence_after_ms=3000
    )
    stt_start = events_of(events, PipelineEventType.STT_START)
    stt_end = events_of(events, PipelineEventType.STT_END)
    assert len(stt_end) == 1, events
    assert stt_start[0].data["engine"] == ENTITY_ID
    text = stt_end[0].data["stt_output"]["text"]
    expected = await _engine_transcript(init_integration, kitchen_on, silence_after_ms=3000)
    if SpeechAudioProcessing is not None:
        # Home Assistant 2026+ passes the microphone audio through untouched.
        assert text == expected
    else:
        # 2025.x runs its own audio processing first, so the words can differ.
        assert text
    engine = init_integration.runtime_data.engine
    assert engine.stats.recognitions == 2
    if SpeechAudioProcessing is not None:
        # Home Assistant 2026+ hands us the raw stream: our end-pointing ended it,
        # long before the 3 s of trailing silence were over.
        assert engine.stats.timings[0].ended_by == "silence"


async def test_recognising_writes_nothing_to_disk(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    kitchen_on: bytes,
) -> None:
    """No file appears under the config folder while speech is recognised."""
    config = Path(hass.config.config_dir)

    def snapshot() -> set[Path]:
        return {p for p in config.rglob("*") if p.is_file()}

    before = await hass.async_add_executor_job(snapshot)
    client = await hass_client()
    status, body = await post_speech(client, to_wav(kitchen_on))
    assert status == 200
    assert body["result"] == "success"
    await hass.async_block_till_done()
    assert await hass.async_add_executor_job(snapshot) == before
