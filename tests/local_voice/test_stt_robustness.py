"""Hostile and unlucky input: stalled clients, reloads mid-sentence, files that are no WAV.

Each case must end in a clear result (an error result, a translated error, a response
that says what happened) within a bound, never a hang, a dropped connection or a
traceback.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import json
from typing import Any

from homeassistant.components.assist_pipeline import PipelineEventType, PipelineStage
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.voice_guard.const import DEFAULT_MAX_DECODERS
from custom_components.voice_guard.local_voice.engine.vosk_engine import VoskEngine

from ..assist import ENTITY_ID, HEADERS, events_of, korean_pipeline, post_speech, run_pipeline
from ..speech import FRAME, to_wav


class _RawClient:
    """An HTTP client on a real socket that can stop sending in the middle of its body."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def post_stt(cls, client: Any, token: str, first: bytes) -> _RawClient:
        """Start a chunked POST to the STT API and send only `first`."""
        url = client.make_url("/")
        reader, writer = await asyncio.open_connection(url.host, url.port)
        head = [
            f"POST /api/stt/{ENTITY_ID} HTTP/1.1",
            f"Host: {url.host}:{url.port}",
            f"Authorization: Bearer {token}",
            f"X-Speech-Content: {HEADERS['X-Speech-Content']}",
            "Transfer-Encoding: chunked",
            "",
            "",
        ]
        writer.write("\r\n".join(head).encode())
        if first:
            writer.write(f"{len(first):x}\r\n".encode() + first + b"\r\n")
        await writer.drain()
        return cls(reader, writer)

    async def response(self) -> tuple[int, dict[str, Any]]:
        """Read the status and JSON body the server answered with."""
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        status = int(lines[0].split()[1])
        length = next(
            int(line.split(":", 1)[1])
            for line in lines
            if line.lower().startswith("content-length")
        )
        body = await self.reader.readexactly(length)
        return status, json.loads(body)

    def close(self) -> None:
        self.writer.close()


async def test_stalled_clients_cannot_keep_good_requests_waiting(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    hass_access_token: str,
    kitchen_on: bytes,
    socket_enabled: None,
) -> None:
    """Clients that stop sending (socket open) end with an error result; others are served.

    As many stalled clients as there are decoders (the default) send 16 kB of speech and
    then nothing, and more send nothing at all: every decoder is held. The good request
    is answered once the stall limit frees a decoder. Nothing here is decided by elapsed
    time (the waits are hang guards): the engine-level tests drive the limits with a
    ManualClock, and bench/stall.py measures the real-time bound the README states.
    """
    engine = init_integration.runtime_data.engine
    client = await hass_client()
    stalled = [
        await _RawClient.post_stt(client, hass_access_token, to_wav(kitchen_on)[:16_000])
        for _ in range(DEFAULT_MAX_DECODERS)
    ]
    silent = [await _RawClient.post_stt(client, hass_access_token, b"") for _ in range(2)]
    await _holding(engine, DEFAULT_MAX_DECODERS)  # every decoder is held now

    status, body = await asyncio.wait_for(post_speech(client, to_wav(kitchen_on)), timeout=120)
    assert status == 200
    assert body["result"] == "success"
    assert body["text"]

    for raw in stalled + silent:
        status, result = await asyncio.wait_for(raw.response(), timeout=120)
        raw.close()
        assert status == 200
        assert result == {"text": None, "result": "error"}


async def _holding(engine: VoskEngine, count: int) -> None:
    """Wait until count recognitions hold a decoder (an event of the engine's, no delay)."""
    while engine.decoders_in_use != count:
        engine.decoders_changed.clear()
        await engine.decoders_changed.wait()


async def test_reload_during_a_recognition_answers_with_an_error(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    kitchen_on: bytes,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Reloading the entry mid-sentence gives that request an error result, not a dropped link."""
    client = await hass_client()
    speaking = asyncio.Event()

    async def microphone() -> AsyncIterator[bytes]:
        wav = to_wav(kitchen_on)
        yield wav[: FRAME * 10]
        speaking.set()
        while True:  # a speaker who goes on and on, in real time
            await asyncio.sleep(0.02)
            yield kitchen_on[:FRAME]

    engine = init_integration.runtime_data.engine
    request = asyncio.create_task(post_speech(client, microphone()))
    await speaking.wait()
    await _holding(engine, 1)  # the engine is decoding this request
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    status, body = await asyncio.wait_for(request, timeout=120)  # a hang guard
    assert status == 200
    assert body == {"text": None, "result": "error"}
    assert "engine_closed" in caplog.text
    assert init_integration.state is ConfigEntryState.LOADED
    # The reloaded engine serves the next request.
    status, body = await post_speech(client, to_wav(kitchen_on))
    assert body["result"] == "success"


async def test_unload_during_a_pipeline_run_reports_speech_to_text_failed(
    hass: HomeAssistant, init_integration: MockConfigEntry, kitchen_on: bytes
) -> None:
    """Inside an Assist pipeline the run ends with Assist's own speech-to-text error."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "assist_pipeline", {})
    pipeline_id = await korean_pipeline(hass, "Private")
    speaking = asyncio.Event()

    async def microphone() -> AsyncIterator[bytes]:
        while True:
            for start in range(0, len(kitchen_on), FRAME):
                yield kitchen_on[start : start + FRAME]
                speaking.set()
                await asyncio.sleep(0.02)

    events: list[Any] = []
    run = asyncio.create_task(
        run_pipeline(hass, pipeline_id, microphone(), events, end_stage=PipelineStage.STT)
    )
    await speaking.wait()
    await _holding(init_integration.runtime_data.engine, 1)  # the engine is decoding
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await asyncio.wait_for(run, timeout=120)  # a hang guard
    assert not run.cancelled()
    errors = events_of(events, PipelineEventType.ERROR)
    assert len(errors) == 1, events
    assert errors[0].data["code"] == "stt-stream-failed"
    assert events_of(events, PipelineEventType.RUN_END)


async def test_an_audio_stream_that_fails_in_the_pipeline_ends_the_run_cleanly(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    kitchen_on: bytes,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Audio the pipeline cannot convert gives Assist's speech-to-text error, no traceback.

    (A sample rate of 0 makes audioop raise while Home Assistant resamples.)
    """
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "assist_pipeline", {})
    pipeline_id = await korean_pipeline(hass, "Private")

    async def converted() -> AsyncIterator[bytes]:
        yield kitchen_on[: FRAME * 10]
        raise ValueError("not a whole number of frames")  # audioop.error is a ValueError kin

    events: list[Any] = []
    await run_pipeline(hass, pipeline_id, converted(), events, end_stage=PipelineStage.STT)
    errors = events_of(events, PipelineEventType.ERROR)
    assert len(errors) == 1, events
    assert errors[0].data["code"] == "stt-stream-failed"
    assert "Unexpected error" not in caplog.text
    assert "Speech not recognised (bad_stream)" in caplog.text
