"""The Wyoming engine against a real Wyoming server around Vosk on 127.0.0.1."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from custom_components.voice_guard.local_voice.engine.base import RecognitionSettings
from custom_components.voice_guard.local_voice.engine.errors import (
    EngineUnavailableError,
    SpeechError,
)
from custom_components.voice_guard.local_voice.engine.wyoming_engine import (
    WyomingEngine,
    describe_server,
)

from ...speech import reference_transcript, speak, stream
from ...wyoming_server import wyoming_vosk_server

OPEN = RecognitionSettings(language="ko", silence_ms=300, max_seconds=30)


@pytest.fixture(autouse=True)
def _loopback(socket_enabled: None) -> None:
    """These tests talk to a real server on 127.0.0.1."""


async def test_describe_lists_the_languages() -> None:
    """The server's speech-to-text languages are read from its Info."""
    async with wyoming_vosk_server() as port:
        info = await describe_server("127.0.0.1", port)
    assert info.name == "vosk"
    assert info.languages == ["ko"]


async def test_server_without_speech_to_text_is_refused() -> None:
    """A Wyoming server that only does, say, TTS is not a speech engine."""
    async with wyoming_vosk_server(asr=False) as port:
        with pytest.raises(SpeechError) as err:
            await describe_server("127.0.0.1", port)
    assert err.value.reason == "no_asr"


async def test_unreachable_server() -> None:
    """Nothing listening is an engine-unavailable error, not a traceback."""
    async with wyoming_vosk_server() as port:
        pass
    with pytest.raises(EngineUnavailableError):
        await describe_server("127.0.0.1", port)
    with pytest.raises(EngineUnavailableError):
        await WyomingEngine("127.0.0.1", port, ["ko"]).transcribe(stream(b"\0" * 3200), OPEN)


async def test_transcript_from_the_server(living_room_on: bytes) -> None:
    """Audio streamed to the server comes back as the server's Vosk transcript."""
    async with wyoming_vosk_server() as port:
        engine = WyomingEngine("127.0.0.1", port, ["ko"])
        result = await engine.transcribe(stream(living_room_on), OPEN)
    assert result.text == reference_transcript(living_room_on)
    assert engine.diagnostics()["server"] == f"127.0.0.1:{port}"


async def test_numbers_from_the_server_come_as_digits(speech_dir: Path) -> None:
    """A Vosk server says "[24]" for "이십사", as Vosk does: the transcript says 24."""
    pcm = speak("온도를 이십사 도로 맞춰줘", speech_dir, "ko+f3")
    async with wyoming_vosk_server() as port:
        result = await WyomingEngine("127.0.0.1", port, ["ko"]).transcribe(stream(pcm), OPEN)
    assert "24" in result.text.split()
    assert "[" not in result.text


async def test_live_microphone_gets_text_before_the_stream_ends(kitchen_on: bytes) -> None:
    """Our end-pointing sends AudioStop when speech ends, so the server answers early."""
    async with wyoming_vosk_server() as port:
        engine = WyomingEngine("127.0.0.1", port, ["ko"])
        result = await asyncio.wait_for(
            engine.transcribe(stream(kitchen_on, pace=0.02, forever=True), OPEN), timeout=120
        )
    # The server decodes only the end-pointed speech, so its words may differ from a
    # decode of the whole file; what matters here is that the answer came early.
    assert result.text
    assert result.timing.ended_by == "silence"
