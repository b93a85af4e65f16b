"""A Wyoming speech-to-text server on the LAN as engine (e.g. the Vosk add-on).

Audio is end-pointed here exactly as for the embedded engine: leading silence is
not sent, and AudioStop goes out as soon as speech ends, so the server answers
early even while the microphone keeps streaming.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib
from dataclasses import dataclass
import json
from typing import Any

from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.event import Event, async_write_event
from wyoming.info import Describe, Info

from ...text import is_language_tag
from .audio import CHANNELS, SAMPLE_RATE, SAMPLE_WIDTH
from .base import (
    MODE_HYBRID,
    MODE_OPEN,
    Decoder,
    RecognitionSettings,
    SpeechEngine,
    spoken_text,
)
from .errors import EngineUnavailableError, SpeechError

CONNECT_TIMEOUT = 5.0
RESULT_TIMEOUT = 30.0
# What a server may send in one event: an info or a transcript is a few kilobytes. A
# header line past 64 kB or data past 1 MB is refused before it is read into memory.
MAX_HEADER_BYTES = 64 * 1024
MAX_EVENT_BYTES = 2**20


@dataclass(frozen=True, slots=True)
class WyomingServerInfo:
    """What a Wyoming server says about its speech-to-text programs."""

    name: str
    languages: list[str]
    version: str | None


def _not_wyoming(what: str) -> EngineUnavailableError:
    return EngineUnavailableError(
        f"the server does not speak Wyoming: {what}", reason="not_wyoming"
    )


class _Connection:
    """One connection to a Wyoming server, every read bounded before it is made."""

    def __init__(self, host: str, port: int) -> None:
        self._host = host
        self._port = port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def connect(self) -> None:
        """Open the connection (within CONNECT_TIMEOUT)."""
        async with asyncio.timeout(CONNECT_TIMEOUT):
            self._reader, self._writer = await asyncio.open_connection(
                self._host, self._port, limit=MAX_HEADER_BYTES
            )

    async def write_event(self, event: Event) -> None:
        """Send one event."""
        assert self._writer is not None
        await async_write_event(event, self._writer)

    async def read_event(self) -> Event | None:
        """Read one event, or None when the server closed the connection."""
        assert self._reader is not None
        try:
            line = await self._reader.readline()
        except ValueError as err:  # the header line passed MAX_HEADER_BYTES
            raise _not_wyoming("an event header larger than 64 kB") from err
        if not line:
            return None
        try:
            header = json.loads(line)
        except ValueError as err:
            raise _not_wyoming("an answer that is no event") from err
        if not isinstance(header, dict) or not isinstance(header.get("type"), str):
            raise _not_wyoming("an event without a type")
        data = header.get("data") or {}
        lengths = [header.get("data_length") or 0, header.get("payload_length") or 0]
        if not isinstance(data, dict) or not all(
            isinstance(n, int) and 0 <= n <= MAX_EVENT_BYTES for n in lengths
        ):
            raise _not_wyoming(f"an event announcing {lengths} bytes of data and payload")
        try:
            if lengths[0]:
                extra = json.loads(await self._reader.readexactly(lengths[0]))
                if not isinstance(extra, dict):
                    raise _not_wyoming("event data that is no object")
                data.update(extra)
            payload = await self._reader.readexactly(lengths[1]) if lengths[1] else None
        except asyncio.IncompleteReadError:
            return None
        except ValueError as err:
            raise _not_wyoming("event data that is no JSON") from err
        return Event(type=header["type"], data=data, payload=payload)

    async def disconnect(self) -> None:
        """Close the connection."""
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()


async def describe_server(host: str, port: int) -> WyomingServerInfo:
    """Ask a Wyoming server what it recognises; raise if it offers no speech-to-text."""
    client = _Connection(host, port)
    try:
        await client.connect()
        async with asyncio.timeout(CONNECT_TIMEOUT):
            await client.write_event(Describe().event())
            while True:
                event = await client.read_event()
                if event is None:
                    raise EngineUnavailableError("server closed the connection")
                if Info.is_type(event.type):
                    info = Info.from_event(event)
                    break
    except (OSError, TimeoutError) as err:
        raise EngineUnavailableError(f"cannot reach {host}:{port}: {err}") from err
    except (KeyError, TypeError, AttributeError) as err:  # an info of the wrong shape
        raise _not_wyoming("an info event of the wrong shape") from err
    finally:
        await client.disconnect()
    programs = [program for program in info.asr if program.installed]
    if not programs:
        raise SpeechError(f"{host}:{port} offers no speech-to-text", reason="no_asr")
    # What a peer announces is stored with the entry and shown in forms and diagnostics:
    # bounded, whatever it sends (seen: 20,000 languages, one of them 200 kB long).
    languages = sorted(
        {
            lang
            for program in programs
            for model in program.models
            for lang in model.languages
            if isinstance(lang, str) and is_language_tag(lang)
        }
    )[:MAX_LANGUAGES]
    version = getattr(programs[0], "version", None)
    return WyomingServerInfo(
        name=_bounded(programs[0].name),
        languages=languages,
        version=_bounded(version) if isinstance(version, str) else None,
    )


MAX_LANGUAGES = 100
MAX_NAME = 80


def _bounded(text: object) -> str:
    """Return a peer's name or version as at most MAX_NAME printable characters."""
    cleaned = "".join(c for c in str(text) if c.isprintable())
    return cleaned[:MAX_NAME] + ("…" if len(cleaned) > MAX_NAME else "")


class _WyomingDecoder:
    """One utterance on one connection."""

    def __init__(self, client: _Connection) -> None:
        self._client = client

    async def accept(self, audio: bytes) -> None:
        await self._client.write_event(
            AudioChunk(rate=SAMPLE_RATE, width=SAMPLE_WIDTH, channels=CHANNELS, audio=audio).event()
        )

    async def finish(self) -> str:
        await self._client.write_event(AudioStop().event())
        async with asyncio.timeout(RESULT_TIMEOUT):
            while True:
                event = await self._client.read_event()
                if event is None:
                    raise EngineUnavailableError("server closed the connection before answering")
                if Transcript.is_type(event.type):
                    return spoken_text(Transcript.from_event(event).text or "")


class _MatchedDecoder:
    """The server takes no grammar: its open-vocabulary text is checked against the phrases.

    Phrase mode keeps only commands of this home; hybrid keeps any text.
    """

    def __init__(self, inner: Decoder, phrases: Any, mode: str) -> None:
        self._inner = inner
        self._phrases = phrases
        self._mode = mode

    async def accept(self, audio: bytes) -> None:
        await self._inner.accept(audio)

    async def finish(self) -> str:
        text = await self._inner.finish()
        # hassil's matching reads data files and takes milliseconds: off the event loop.
        command = await asyncio.to_thread(self._phrases.match, text)
        if command is not None:
            return str(command)
        return text if self._mode == MODE_HYBRID else ""


class WyomingEngine(SpeechEngine):
    """Speech-to-text on a Wyoming server."""

    kind = "wyoming"

    def __init__(self, host: str, port: int, languages: list[str]) -> None:
        """Use the server at host:port for the given languages."""
        super().__init__()
        self.host = host
        self.port = port
        self._languages = languages

    @property
    def languages(self) -> list[str]:
        """Return the languages the server announced."""
        return self._languages

    @contextlib.asynccontextmanager
    async def _decoder(self, settings: RecognitionSettings) -> AsyncIterator[Decoder]:
        client = _Connection(self.host, self.port)
        try:
            await client.connect()
        except (OSError, TimeoutError) as err:
            raise EngineUnavailableError(f"cannot reach {self.host}:{self.port}: {err}") from err
        try:
            await client.write_event(Transcribe(language=settings.language).event())
            await client.write_event(
                AudioStart(rate=SAMPLE_RATE, width=SAMPLE_WIDTH, channels=CHANNELS).event()
            )
            decoder: Decoder = _WyomingDecoder(client)
            if settings.phrases is not None and settings.mode != MODE_OPEN:
                decoder = _MatchedDecoder(decoder, settings.phrases, settings.mode)
            yield decoder
        except OSError as err:
            raise EngineUnavailableError(f"connection to {self.host}:{self.port} lost") from err
        finally:
            await client.disconnect()

    def diagnostics(self) -> dict[str, Any]:
        """Describe the server (its address is local, so it is kept)."""
        return {**super().diagnostics(), "server": f"{self.host}:{self.port}"}
