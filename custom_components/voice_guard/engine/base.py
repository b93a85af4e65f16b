"""The engine interface and the streaming loop both engines share.

A recognition reads the audio stream as it arrives, frames it, lets webrtcvad drop
leading silence and detect the end of speech, and feeds voiced audio to a decoder
running concurrently, so the final text is ready right after the speaker stops.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
import asyncio
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator
import contextlib
from dataclasses import asdict, dataclass, field
import logging
import time
from typing import Any, Protocol

from .audio import PcmReader, bytes_to_ms
from .errors import AudioError, EngineUnavailableError
from .vad import FRAME_MS, Endpointer, VadState

_LOGGER = logging.getLogger(__name__)
HISTORY = 20
MODE_OPEN = "open"
MODE_PHRASE = "phrase"
MODE_HYBRID = "hybrid"
MODES = (MODE_OPEN, MODE_PHRASE, MODE_HYBRID)


class Decoder(Protocol):
    """One utterance's decoder: audio in, text out."""

    async def accept(self, audio: bytes) -> None:
        """Decode more audio."""

    async def finish(self) -> str:
        """Return the final text once all audio has been accepted."""


@dataclass(frozen=True, slots=True)
class RecognitionSettings:
    """How to recognise one utterance."""

    language: str
    silence_ms: int
    max_seconds: int
    grammar: tuple[str, ...] | None = None
    # Phrase mode: "open" vocabulary, "phrase" (commands of this home only) or "hybrid"
    # (phrase first, open vocabulary when that is no sure command); phrases is a
    # phrases.PhraseSet.
    mode: str = "open"
    phrases: Any = None


@dataclass(frozen=True, slots=True)
class RecognitionTiming:
    """How long a recognition took; never its audio or text."""

    audio_ms: float
    speech_ms: float
    latency_ms: float  # end of audio (or end of speech) to final text
    total_ms: float
    ended_by: str  # "silence" or "stream_end"


@dataclass(frozen=True, slots=True)
class Recognition:
    """The result of one utterance."""

    text: str
    timing: RecognitionTiming


@dataclass(slots=True)
class EngineStats:
    """Counters for diagnostics."""

    recognitions: int = 0
    failures: int = 0
    timings: deque[RecognitionTiming] = field(default_factory=lambda: deque(maxlen=HISTORY))


class SpeechEngine(ABC):
    """A speech-to-text engine; subclasses provide decoders."""

    kind: str

    def __init__(self) -> None:
        """Start with no active recognitions."""
        self.stats = EngineStats()
        self._closed = False
        self._active: set[asyncio.Task[Any]] = set()

    @property
    @abstractmethod
    def languages(self) -> list[str]:
        """Return the languages this engine recognises."""

    @abstractmethod
    def _decoder(
        self, settings: RecognitionSettings
    ) -> contextlib.AbstractAsyncContextManager[Decoder]:
        """Open a decoder for one utterance."""

    def diagnostics(self) -> dict[str, Any]:
        """Describe the engine and its recent timings, without any audio or text."""
        return {
            "kind": self.kind,
            "languages": self.languages,
            "recognitions": self.stats.recognitions,
            "failures": self.stats.failures,
            "last_timings": [asdict(t) for t in self.stats.timings],
        }

    async def transcribe(
        self, stream: AsyncIterable[bytes], settings: RecognitionSettings
    ) -> Recognition:
        """Recognise one utterance from a 16 kHz mono 16-bit PCM (or WAV) stream."""
        if self._closed:
            raise EngineUnavailableError("engine is closed", reason="engine_closed")
        task = asyncio.current_task()
        if task is not None:
            self._active.add(task)
        try:
            result = await self._transcribe(stream, settings)
        except BaseException:
            self.stats.failures += 1
            raise
        finally:
            if task is not None:
                self._active.discard(task)
        self.stats.recognitions += 1
        self.stats.timings.append(result.timing)
        return result

    async def async_close(self) -> None:
        """Stop accepting work and cancel recognitions in progress."""
        self._closed = True
        for task in list(self._active):
            task.cancel()
        self._active.clear()

    async def _transcribe(
        self, stream: AsyncIterable[bytes], settings: RecognitionSettings
    ) -> Recognition:
        started = time.monotonic()
        reader = PcmReader(FRAME_MS, settings.max_seconds * 1000)
        endpointer = Endpointer(settings.silence_ms)
        queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        async with self._decoder(settings) as decoder:
            decoding = asyncio.create_task(_decode_loop(decoder, queue))
            try:
                async for frames in _framed(stream, reader):
                    for frame in frames:
                        for voiced in endpointer.process(frame):
                            queue.put_nowait(voiced)
                    if decoding.done() or endpointer.state is VadState.ENDED:
                        break
                else:
                    tail = reader.finish()
                    if tail and endpointer.state is VadState.SPEAKING:
                        queue.put_nowait(tail)
                if endpointer.state is VadState.WAITING:
                    raise AudioError("no speech in the audio", reason="no_speech")
                audio_end = time.monotonic()
                queue.put_nowait(None)
                text = await decoding
            finally:
                if not decoding.done():
                    decoding.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await decoding
        done = time.monotonic()
        timing = RecognitionTiming(
            audio_ms=round(bytes_to_ms(reader.total_bytes), 1),
            speech_ms=endpointer.speech_frames * FRAME_MS,
            latency_ms=round((done - audio_end) * 1000, 1),
            total_ms=round((done - started) * 1000, 1),
            ended_by="silence" if endpointer.state is VadState.ENDED else "stream_end",
        )
        _LOGGER.debug("Recognised %.0f ms of audio: %s", timing.audio_ms, timing)
        return Recognition(text=text.strip(), timing=timing)


async def _framed(stream: AsyncIterable[bytes], reader: PcmReader) -> AsyncIterator[list[bytes]]:
    """Yield the whole frames each incoming chunk completes."""
    async for chunk in stream:
        if chunk:
            yield reader.feed(chunk)


async def _decode_loop(decoder: Decoder, queue: asyncio.Queue[bytes | None]) -> str:
    """Feed queued audio to the decoder in batches until the end marker."""
    while True:
        batch = [await queue.get()]
        while not queue.empty():
            batch.append(queue.get_nowait())
        audio = b"".join(item for item in batch if item is not None)
        if audio:
            await decoder.accept(audio)
        if batch[-1] is None:
            return await decoder.finish()
