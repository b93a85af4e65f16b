"""The Wyoming engine against a real Wyoming server around Vosk on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest

from custom_components.voice_guard.local_voice.engine.base import RecognitionSettings
from custom_components.voice_guard.local_voice.engine.errors import (
    EngineUnavailableError,
    SpeechError,
)
from custom_components.voice_guard.local_voice.engine.wyoming_engine import (
    MAX_LANGUAGES,
    MAX_NAME,
    WyomingEngine,
    describe_server,
)

from ... import wyoming_server
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


async def test_unreachable_server(living_room_on: bytes) -> None:
    """Nothing listening is an engine-unavailable error, not a traceback."""
    async with wyoming_vosk_server() as port:
        pass
    with pytest.raises(EngineUnavailableError):
        await describe_server("127.0.0.1", port)
    # (The server is asked once speech starts: silence alone never reaches it.)
    with pytest.raises(EngineUnavailableError):
        await WyomingEngine("127.0.0.1", port, ["ko"]).transcribe(stream(living_room_on), OPEN)


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


_INFO_HEADER = b'{"type": "info", "data_length": '
_HOSTILE_PEERS = {
    "an HTTP server": b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n",
    "2 GB announced": _INFO_HEADER + str(2 * 2**30).encode() + b"}\n" + b"{" * 1000,
    "a negative length": _INFO_HEADER + b"-5}\n",
    "an endless header line": b"{" + b"x" * (256 * 1024),
    "an info of the wrong shape": b'{"type": "info", "data": {"asr": 5}}\n',
    "data that is a list": b'{"type": "info", "data": [1, 2]}\n',
}


@pytest.mark.parametrize("answer", _HOSTILE_PEERS.values(), ids=_HOSTILE_PEERS.keys())
async def test_a_peer_that_is_no_wyoming_server_is_named_so(answer: bytes) -> None:
    """Whatever a peer on the network answers, nothing big is read and the error says so."""
    done = asyncio.Event()

    async def peer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readline()  # the describe event
        writer.write(answer)
        with contextlib.suppress(ConnectionError):
            await writer.drain()
            await done.wait()  # the connection stays open: no end to wait for
        writer.close()

    server = await asyncio.start_server(peer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(EngineUnavailableError) as err:
            await asyncio.wait_for(describe_server("127.0.0.1", port), timeout=60)  # hang guard
    finally:
        done.set()
        server.close()
        await server.wait_closed()
    assert err.value.reason == "not_wyoming"


async def test_a_huge_announcement_is_bounded_before_it_is_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """20,000 languages, one 200 kB long, and a name of 100 kB: kept small and printable."""
    info = wyoming_server.server_info()
    model = info.asr[0].models[0]
    tags = ["".join(chr(97 + n // 26**i % 26) for i in range(3)) + f"-x{n}" for n in range(20_000)]
    model.languages = [*tags, "k" * 200_000, "ko"]
    info.asr[0].name = "vosk\n" + "v" * 100_000
    info.asr[0].version = "0.3\0" + "9" * 100_000
    monkeypatch.setattr(wyoming_server, "server_info", lambda **_: info)
    async with wyoming_vosk_server() as port:
        found = await describe_server("127.0.0.1", port)
    assert len(found.languages) == MAX_LANGUAGES
    assert all(len(language) <= 35 for language in found.languages)
    assert len(found.name) <= MAX_NAME + 1
    assert "\n" not in found.name
    assert found.version is not None
    assert len(found.version) <= MAX_NAME + 1
    assert "\0" not in found.version
