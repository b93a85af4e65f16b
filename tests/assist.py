"""Run real Assist pipelines with Voice Guard's speech-to-text in tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from homeassistant.components import stt
from homeassistant.components.assist_pipeline import (
    PipelineEventType,
    PipelineStage,
    async_pipeline_from_audio_stream,
)
from homeassistant.components.assist_pipeline.pipeline import (
    KEY_ASSIST_PIPELINE,
    _async_resolve_default_pipeline_settings,
)
from homeassistant.core import Context, HomeAssistant

from .speech import FRAME, stream

ENTITY_ID = "stt.voice_guard_speech_to_text"
# What an Assist pipeline sends for Korean.
METADATA = stt.SpeechMetadata(
    language="ko",
    format=stt.AudioFormats.WAV,
    codec=stt.AudioCodecs.PCM,
    bit_rate=stt.AudioBitRates.BITRATE_16,
    sample_rate=stt.AudioSampleRates.SAMPLERATE_16000,
    channel=stt.AudioChannels.CHANNEL_MONO,
)

HEADERS = {
    "X-Speech-Content": "format=wav; codec=pcm; sample_rate=16000; "
    "bit_rate=16; channel=1; language=ko"
}


async def post_speech(client: Any, body: bytes) -> tuple[int, dict[str, Any]]:
    """POST a WAV file to Home Assistant's speech-to-text API for our entity."""
    response = await client.post(f"/api/stt/{ENTITY_ID}", headers=HEADERS, data=body)
    return response.status, await response.json()


async def korean_pipeline(hass: HomeAssistant, name: str) -> str:
    """Create a Korean pipeline with Voice Guard's speech-to-text; return its id."""
    settings = _async_resolve_default_pipeline_settings(
        hass, stt_engine_id=ENTITY_ID, tts_engine_id=None, pipeline_name=name
    )
    settings.update(
        language="ko", stt_engine=ENTITY_ID, stt_language="ko", conversation_language="ko"
    )
    pipeline = await hass.data[KEY_ASSIST_PIPELINE].pipeline_store.async_create_item(settings)
    return str(pipeline.id)


async def speak_to_pipeline(
    hass: HomeAssistant,
    pipeline_id: str,
    pcm: bytes,
    *,
    end_stage: PipelineStage,
    silence_after_ms: int,
) -> list[Any]:
    """Stream speech like a live microphone (words, then silence); return the events."""

    async def microphone() -> AsyncIterator[bytes]:
        async for chunk in stream(pcm, chunk=FRAME, silence_after_ms=silence_after_ms):
            yield chunk

    events: list[Any] = []
    await run_pipeline(hass, pipeline_id, microphone(), events, end_stage=end_stage)
    return events


async def run_pipeline(
    hass: HomeAssistant,
    pipeline_id: str,
    audio: AsyncIterator[bytes],
    events: list[Any],
    *,
    end_stage: PipelineStage,
) -> None:
    """Run a pipeline from speech-to-text on an audio stream, collecting its events."""
    await async_pipeline_from_audio_stream(
        hass,
        context=Context(),
        event_callback=events.append,
        stt_metadata=METADATA,
        stt_stream=audio,
        pipeline_id=pipeline_id,
        start_stage=PipelineStage.STT,
        end_stage=end_stage,
    )


def events_of(events: list[Any], kind: PipelineEventType) -> list[Any]:
    """Return the pipeline events of one type."""
    return [event for event in events if event.type == kind]
