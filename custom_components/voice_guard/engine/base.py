"""The engine interface and the streaming loop both engines share.

A recognition reads the audio stream as it arrives, frames it, lets webrtcvad drop
leading silence and detect the end of speech, and feeds voiced audio to a decoder
running concurrently, so the final text is ready right after the speaker stops.

A decoder whose final pass is cheap (phrase mode) may also finish early: when the trailing
silence is SPECULATE_AHEAD_MS short of ending the utterance, it runs its final pass on the
audio so far while the end-pointer waits out the rest of the silence. If speech comes back
instead, it decodes the whole utterance again and the early result is dropped.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
import asyncio
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator
import contextlib
from dataclasses import asdict, dataclass, field
from enum import Enum
import logging
import time
from typing import Any, Protocol, runtime_checkable

from .audio import PcmReader, bytes_to_ms
from .errors import AudioError, EngineUnavailableError
from .vad import FRAME_MS, Endpointer, VadState

_LOGGER = logging.getLogger(__name__)
HISTORY = 20
SPECULATE_AHEAD_MS = 150  # at most; half the configured silence when that is shorter
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


@runtime_checkable
class SpeculativeDecoder(Decoder, Protocol):
    """A decoder that can run its final pass before the end of the utterance is certain."""

    async def speculate(self) -> None:
        """Run the final pass on the audio so far; later audio is only kept."""

    async def resume(self) -> None:
        """Speech went on after speculate(): drop the early result, decode all audio again."""

    @property
    def early_final(self) -> bool:
        """Whether finish() answers with the early result."""


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
    early_final: bool = False  # the final pass ran during the trailing silence


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
        queue: asyncio.Queue[bytes | _Mark] = asyncio.Queue()
        async with self._decoder(settings) as decoder:
            speculation = _Speculation(decoder, settings.silence_ms, queue)
            decoding = asyncio.create_task(_decode_loop(decoder, queue))
            try:
                async for frames in _framed(stream, reader):
                    for frame in frames:
                        for voiced in endpointer.process(frame):
                            queue.put_nowait(voiced)
                        speculation.follow(endpointer)
                    if decoding.done() or endpointer.state is VadState.ENDED:
                        break
                else:
                    tail = reader.finish()
                    if tail and endpointer.state is VadState.SPEAKING:
                        queue.put_nowait(tail)
                if endpointer.state is VadState.WAITING:
                    raise AudioError("no speech in the audio", reason="no_speech")
                audio_end = time.monotonic()
                queue.put_nowait(_Mark.END)
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
            early_final=isinstance(decoder, SpeculativeDecoder) and decoder.early_final,
        )
        _LOGGER.debug("Recognised %.0f ms of audio: %s", timing.audio_ms, timing)
        return Recognition(text=text.strip(), timing=timing)


class _Mark(Enum):
    """What the decoding task is told besides audio."""

    SPECULATE = "speculate"
    RESUME = "resume"
    END = "end"


class _Speculation:
    """Tell a speculative decoder when the trailing silence is nearly long enough."""

    def __init__(
        self, decoder: Decoder, silence_ms: int, queue: asyncio.Queue[bytes | _Mark]
    ) -> None:
        self._enabled = isinstance(decoder, SpeculativeDecoder)
        self._at_ms = silence_ms - min(silence_ms // 2, SPECULATE_AHEAD_MS)
        self._queue = queue
        self._speculating = False

    def follow(self, endpointer: Endpointer) -> None:
        """Look at the end-pointer after each frame."""
        if not self._enabled or endpointer.state is not VadState.SPEAKING:
            return
        if not self._speculating and endpointer.trailing_ms >= self._at_ms:
            self._speculating = True
            self._queue.put_nowait(_Mark.SPECULATE)
        elif self._speculating and endpointer.trailing_ms == 0:
            self._speculating = False
            self._queue.put_nowait(_Mark.RESUME)


async def _framed(stream: AsyncIterable[bytes], reader: PcmReader) -> AsyncIterator[list[bytes]]:
    """Yield the whole frames each incoming chunk completes."""
    async for chunk in stream:
        if chunk:
            yield reader.feed(chunk)


async def _decode_loop(decoder: Decoder, queue: asyncio.Queue[bytes | _Mark]) -> str:
    """Feed queued audio to the decoder in batches, in order with the marks, until END."""
    while True:
        batch = [await queue.get()]
        while not queue.empty():
            batch.append(queue.get_nowait())
        audio = bytearray()
        for item in batch:
            if isinstance(item, bytes):
                audio.extend(item)
                continue
            if audio:
                await decoder.accept(bytes(audio))
                audio.clear()
            if item is _Mark.END:
                return await decoder.finish()
            assert isinstance(decoder, SpeculativeDecoder)  # marks only go to these
            await (decoder.speculate() if item is _Mark.SPECULATE else decoder.resume())
        if audio:
            await decoder.accept(bytes(audio))
