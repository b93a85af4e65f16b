"""Phrase mode benchmark (not a test): grammar build time and size, decode speed and accuracy.

    scripts/bench phrases

1. Build time and size for 100 / 1,000 entities x 50 areas (Home Assistant's Korean light
   templates).
2. Open / phrase / hybrid on 50 espeak-ng utterances, in three espeak-ng voices: 20
   commands of a home with lights in five areas (similar-sounding: 5 areas x 2 light
   words x on/off) and 30 that are no command (10 of them close to one: an area or a
   verb of the commands, "커튼 쳐줘" next to "조명 켜줘"). Reported: exact commands, wrong
   commands (a command of the home, but not the one spoken), commands forced out of
   non-commands, decoding time after the end of audio (p50/p95; audio is fed as fast as it
   is taken, so this includes any decoding backlog) and real-time factor. Two grammars:
   the home's own sentences, and all of Home Assistant's Korean light templates.
   The row "nearest command" is no mode: it decodes with the commands alone and takes the
   best hypothesis that is one, rejecting nothing. Its exact count is what any decision
   rule could reach on this speech with this model (the acoustic ceiling).
3. Latency after the end of audio when audio arrives at microphone pace (no backlog):
   when the stream ends with the clip (espeak-ng leaves 160-300 ms of silence), and when
   the microphone keeps sending until the end-pointer hears 300 ms of silence.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
import platform
import shutil
import sys
import tempfile
import time
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import home_assistant_intents  # noqa: E402

from bench.common import AREAS, COMMANDS, percentile  # noqa: E402
from custom_components.voice_guard.local_voice.engine.base import RecognitionSettings  # noqa: E402
from custom_components.voice_guard.local_voice.engine.phrases import PhraseSet, build_phrase_set  # noqa: E402
from custom_components.voice_guard.local_voice.engine.vosk_engine import (  # noqa: E402
    VoskEngine,
    _new_recognizer,
)
from tests.speech import MODEL_PATH, speak, stream  # noqa: E402

WORDS = [
    "거실",
    "부엌",
    "침실",
    "현관",
    "안방",
    "서재",
    "주방",
    "화장실",
    "작은방",
    "큰방",
    "책상",
    "침대",
    "소파",
    "식탁",
    "창가",
    "벽",
    "천장",
    "바닥",
    "복도",
    "계단",
    "정원",
    "차고",
    "욕조",
    "거울",
    "선반",
    "옷장",
    "냉장고",
    "선풍기",
    "에어컨",
    "히터",
    "스탠드",
    "램프",
    "조명",
    "빨간",
    "파란",
    "노란",
    "하얀",
    "검은",
    "작은",
    "큰",
]
VOICES = ("ko", "ko+f2", "ko+f3")
NOT_COMMANDS = [
    "안녕하세요",
    "오늘 날씨 어때",
    "음악 틀어줘",
    "지금 몇 시야",
    "고마워",
    "거실 청소해줘",
    "부엌 창문 열어줘",
    "내일 아침 깨워줘",
    "텔레비전 꺼",
    "침실 에어컨 켜줘",
    "거실에 누가 있어",
    "부엌에서 물 좀 가져와",
    "불이 너무 밝아",
    "침실 문 닫아줘",
    "현관에 택배 왔어",
    "안방 커튼 쳐줘",
    "조명이 예쁘다",
    "저녁 뭐 먹을까",
    "알람 꺼",
    "라디오 켜줘",
    "거실 온도 알려줘",
    "현관문 잠가줘",
    "잘 자",
    "빨래 다 됐어",
    "부엌 불 났어",
    "컴퓨터 켜줘",
    "창문 닫아",
    "안방에서 자고 있어",
    "침실 너무 추워",
    "전화 걸어줘",
]
OWN_SENTENCES = {
    "language": "ko",
    "intents": {
        "HassTurnOn": {"data": [{"sentences": ["{area} (불|조명) 켜줘"]}]},
        "HassTurnOff": {"data": [{"sentences": ["{area} (불|조명) 꺼"]}]},
    },
}


def build_times(engine: VoskEngine) -> None:
    """Grammar build for large homes, and what loading it into a Vosk recognizer costs."""
    korean = home_assistant_intents.get_intents("ko")
    print("\n## Build (Home Assistant's Korean templates, light and switch domains)\n")
    print(
        "| Entities | Areas | Build | Representation | Phrases | Vocabulary "
        "| Recognizer with grammar |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for count in (100, 1000):
        # Names of words the model knows, so that all of them reach the Vosk grammar.
        names = {f"{WORDS[n % 40]} {WORDS[n // 40]}": [f"light.l{n}"] for n in range(count)}
        areas = {f"{WORDS[n % 40]} {WORDS[n // 40]} 방": [f"area.a{n}"] for n in range(50)}
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            built = build_phrase_set(
                "ko",
                korean,
                names,
                areas,
                domains={"light", "switch"},
                known_word=engine.known_word,
            )
            runs.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        _new_recognizer(engine._model, 16000, built.vosk_grammar_json)  # noqa: SLF001 - the loaded model
        load_ms = (time.perf_counter() - started) * 1000
        summary = built.summary()
        print(
            f"| {count} | 50 | {min(runs):.0f} ms | {summary['representation']} | "
            f"{summary['phrases']} | {len(built.vocabulary)} | {load_ms:.0f} ms |"
        )


async def accuracy(
    engine: VoskEngine, voices: dict[str, dict[str, bytes]], label: str, phrases: PhraseSet
) -> None:
    """One grammar in the three modes, for each voice, and the nearest command."""
    print(
        f"\n## {label}: {len(phrases.vosk_grammar) - len(phrases.garbage)} grammar entries "
        f"+ {len(phrases.garbage)} garbage words\n"
    )
    print(
        f"| Voice | Mode | Exact commands (of {len(COMMANDS)}) | Wrong commands "
        f"| Forced commands (of {len(NOT_COMMANDS)}) | After end of audio p50 / p95 | RTF |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for voice, speech in voices.items():
        audio_s = sum(len(p) for p in speech.values()) / 32000
        for mode in ("open", "phrase", "hybrid"):
            settings = RecognitionSettings(
                language="ko", silence_ms=300, max_seconds=30, mode=mode, phrases=phrases
            )
            texts: dict[str, str] = {}
            tails: list[float] = []
            started = time.perf_counter()
            for text, pcm in speech.items():
                result = await engine.transcribe(stream(pcm), settings)
                tails.append(result.timing.latency_ms)
                texts[text] = result.text
            rtf = (time.perf_counter() - started) / audio_s
            print(
                f"| {voice} | {mode} | {_counts(texts, phrases)} | "
                f"{percentile(tails, 50):.0f} / {percentile(tails, 95):.0f} ms | {rtf:.2f} |"
            )
        commands_only = json.dumps(
            [p for p in phrases.vosk_grammar if p not in set(phrases.garbage)], ensure_ascii=False
        )
        nearest = {
            text: _nearest(engine, pcm, commands_only, phrases) for text, pcm in speech.items()
        }
        print(f"| {voice} | nearest command | {_counts(nearest, phrases)} | - | - |")


def _counts(texts: dict[str, str], phrases: PhraseSet) -> str:
    """Exact, wrong and forced commands, as table cells."""
    exact = wrong = forced = 0
    for spoken, heard in texts.items():
        command = phrases.match(heard) is not None
        if spoken in COMMANDS:
            exact += heard == spoken
            wrong += command and heard != spoken
        else:
            forced += command
    return f"{exact} | {wrong} | {forced}"


def _nearest(engine: VoskEngine, pcm: bytes, grammar: str, phrases: PhraseSet) -> str:
    """Return the best of Vosk's 10 hypotheses that is a command (grammar: commands only)."""
    recognizer = _new_recognizer(engine._model, 16000, grammar)  # noqa: SLF001 - the loaded model
    recognizer.SetMaxAlternatives(10)
    for start in range(0, len(pcm), 3200):
        recognizer.AcceptWaveform(pcm[start : start + 3200])
    for alternative in json.loads(recognizer.FinalResult())["alternatives"]:
        if (command := phrases.match(alternative["text"])) is not None:
            return command
    return ""


async def paced(engine: VoskEngine, speech: dict[str, bytes], phrases: PhraseSet) -> None:
    """Latency as a microphone delivers audio: 20 ms frames in real time."""
    print(
        "\n## At microphone pace (20 ms frames in real time; voice ko+f3, the home's own "
        "sentences)\n"
    )
    print(
        f"| Mode | Audio ends | After end of audio: {len(COMMANDS)} commands p50 / p95 "
        f"| All {len(speech)} utterances p50 / p95 | Final pass ran early |"
    )
    print("| --- | --- | --- | --- | --- |")
    for mode, silence_after_ms in (
        ("phrase", 0),
        ("phrase", 1000),
        ("hybrid", 1000),
        ("open", 1000),
    ):
        settings = RecognitionSettings(
            language="ko", silence_ms=300, max_seconds=30, mode=mode, phrases=phrases
        )
        commands: list[float] = []
        every: list[float] = []
        early = 0
        for text, pcm in speech.items():
            audio = stream(pcm, pace=0.02, silence_after_ms=silence_after_ms)
            result = await engine.transcribe(audio, settings)
            every.append(result.timing.latency_ms)
            early += result.timing.early_final
            if text in COMMANDS:
                commands.append(result.timing.latency_ms)
        ends = "with the clip" if not silence_after_ms else "after 300 ms of silence"
        print(
            f"| {mode} | {ends} | {percentile(commands, 50):.0f} / "
            f"{percentile(commands, 95):.0f} ms | {percentile(every, 50):.0f} / "
            f"{percentile(every, 95):.0f} ms | {early} of {len(speech)} |"
        )


async def main() -> None:
    """Run both parts."""
    print(
        f"# Voice Guard phrase benchmark on {platform.machine()}, {os.cpu_count()} cores, "
        f"CPython {platform.python_version()}, {time.strftime('%Y-%m-%d')}"
    )
    engine = VoskEngine(MODEL_PATH, "ko", max_decoders=1)
    await engine.async_load()
    build_times(engine)
    folder = Path(tempfile.mkdtemp(prefix="voice-guard-bench-"))
    speech = {
        voice: {text: speak(text, folder, voice) for text in COMMANDS + NOT_COMMANDS}
        for voice in VOICES
    }
    shutil.rmtree(folder)
    areas: dict[str, Any] = {area: [area] for area in AREAS}
    try:
        own = build_phrase_set(
            "ko",
            OWN_SENTENCES,
            {},
            areas,
            known_word=engine.known_word,
            language_data=home_assistant_intents.get_intents("ko"),
        )
        await accuracy(engine, speech, "The home's own sentences", own)
        await paced(engine, speech["ko+f3"], own)
        templates = build_phrase_set(
            "ko",
            home_assistant_intents.get_intents("ko"),
            {},
            areas,
            known_word=engine.known_word,
            domains={"light"},
        )
        await accuracy(engine, speech, "Home Assistant's Korean light templates", templates)
    finally:
        await engine.async_close()


if __name__ == "__main__":
    asyncio.run(main())
