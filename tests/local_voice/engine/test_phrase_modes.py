"""Open, phrase and hybrid modes with the real Korean model and espeak-ng speech."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from custom_components.voice_guard.local_voice.engine.base import RecognitionSettings
from custom_components.voice_guard.local_voice.engine.phrases import PhraseSet, build_phrase_set
from custom_components.voice_guard.local_voice.engine.vosk_engine import VoskEngine

from ...speech import speak, stream

COMMAND = "부엌 조명 켜줘"  # "turn on the kitchen lights": open vocabulary gets it wrong
NO_COMMAND = "안녕하세요"  # "hello"
OUT_OF_GRAMMAR = "음악 틀어줘"  # "play music": not a command this home has


async def _say(engine: VoskEngine, text: str, mode: str, phrases: PhraseSet, folder: Path) -> str:
    settings = RecognitionSettings(
        language="ko", silence_ms=300, max_seconds=30, mode=mode, phrases=phrases
    )
    return (await engine.transcribe(stream(speak(text, folder)), settings)).text


async def test_a_command_open_vocabulary_gets_wrong_is_right_in_phrase_and_hybrid_mode(
    engine: VoskEngine, phrases: PhraseSet, tmp_path: Path
) -> None:
    assert await _say(engine, COMMAND, "open", phrases, tmp_path) != COMMAND
    assert await _say(engine, COMMAND, "phrase", phrases, tmp_path) == COMMAND
    assert await _say(engine, COMMAND, "hybrid", phrases, tmp_path) == COMMAND


async def test_no_command_is_forced_into_one(
    engine: VoskEngine, phrases: PhraseSet, tmp_path: Path
) -> None:
    """Phrase mode answers nothing rather than a wrong command."""
    assert await _say(engine, NO_COMMAND, "phrase", phrases, tmp_path) == ""
    hybrid = await _say(engine, NO_COMMAND, "hybrid", phrases, tmp_path)
    assert phrases.match(hybrid) is None


async def test_hybrid_falls_back_to_open_vocabulary(
    engine: VoskEngine, phrases: PhraseSet, tmp_path: Path
) -> None:
    """An utterance outside the grammar still gets open-vocabulary text in hybrid mode."""
    open_text = await _say(engine, OUT_OF_GRAMMAR, "open", phrases, tmp_path)
    assert open_text
    assert await _say(engine, OUT_OF_GRAMMAR, "hybrid", phrases, tmp_path) == open_text
    assert await _say(engine, OUT_OF_GRAMMAR, "phrase", phrases, tmp_path) == ""


def _with_pause_before_last_word(pcm: bytes, pause_ms: int) -> bytes:
    """The speech with a pause added in the silent gap before its last word."""
    window = 320  # bytes: 10 ms
    silent = [
        max(abs(s) for s in memoryview(pcm[i : i + window]).cast("h")) < 100
        for i in range(0, len(pcm) - window + 1, window)
    ]
    end = len(silent) - silent[::-1].index(False)  # after the last loud window
    gap = max(i for i in range(1, end) if silent[i] and not silent[i - 1])
    return pcm[: gap * window] + bytes(32 * pause_ms) + pcm[gap * window :]


async def test_the_answer_is_ready_when_the_silence_ends_the_utterance(
    engine: VoskEngine, phrases: PhraseSet, tmp_path: Path
) -> None:
    """A microphone keeps sending: the final pass runs while the end-pointer waits."""
    settings = RecognitionSettings(
        language="ko", silence_ms=300, max_seconds=30, mode="hybrid", phrases=phrases
    )
    audio = stream(speak(COMMAND, tmp_path), silence_after_ms=2000)
    result = await engine.transcribe(audio, settings)
    assert result.text == COMMAND
    assert result.timing.ended_by == "silence"
    assert result.timing.early_final


async def test_audio_that_stops_with_the_last_word_is_decoded_to_its_end(
    engine: VoskEngine, phrases: PhraseSet, tmp_path: Path
) -> None:
    """A recording cut right after the last word: no silence, so no early final pass."""
    settings = RecognitionSettings(
        language="ko", silence_ms=300, max_seconds=30, mode="phrase", phrases=phrases
    )
    pcm = speak(COMMAND, tmp_path)
    samples = memoryview(pcm).cast("h")
    last_loud = max(i for i, sample in enumerate(samples) if abs(sample) >= 300)
    result = await engine.transcribe(stream(pcm[: 2 * (last_loud + 1)]), settings)
    assert result.text == COMMAND
    assert result.timing.ended_by == "stream_end"
    assert not result.timing.early_final


@pytest.mark.parametrize("mode", ["phrase", "hybrid"])
async def test_a_pause_inside_a_command_does_not_cut_it(
    engine: VoskEngine, phrases: PhraseSet, tmp_path: Path, mode: str
) -> None:
    """A pause long enough to start the final pass early, too short to end the utterance.

    The early result (of "부엌 조명", no command) is dropped when the speaker goes on,
    and the whole command is decoded again.
    """
    settings = RecognitionSettings(
        language="ko", silence_ms=300, max_seconds=30, mode=mode, phrases=phrases
    )
    # The early pass starts after 150 ms of silence, the utterance ends after 300 ms.
    audio = _with_pause_before_last_word(speak(COMMAND, tmp_path), 200)
    result = await engine.transcribe(stream(audio, silence_after_ms=2000), settings)
    assert result.text == COMMAND
    assert result.timing.early_final


def test_words_the_model_lacks_stay_out_of_the_vosk_grammar(engine: VoskEngine) -> None:
    sentences = {
        "language": "ko",
        "intents": {"HassTurnOff": {"data": [{"sentences": ["{area} 불 (꺼줘|켜줘)"]}]}},
    }
    phrases = build_phrase_set(
        "ko", sentences, {}, {"거실": ["area.0"]}, known_word=engine.known_word
    )
    assert phrases.unknown == {"꺼줘": ("intent templates",)}  # the model has 꺼 and 줘, not 꺼줘
    assert phrases.vosk_grammar == ("거실 불 켜줘",)
    assert json.loads(phrases.vosk_grammar_json) == ["거실 불 켜줘"]
