"""Phrase mode benchmark (not a test): grammar build time and size, decode speed and accuracy.

    scripts/bench phrases

1. Build time and size for 100 / 1,000 entities x 50 areas (Home Assistant's Korean light
   templates).
2. Open / phrase / hybrid on 30 espeak-ng utterances: 20 commands of a home with lights in
   five areas (similar-sounding: 5 areas x 2 light words x on/off) and 10 that are no
   command. Reported: exact commands, commands forced out of non-commands, decoding time
   after the end of audio (p50/p95; audio is fed as fast as it is taken, so this includes
   any decoding backlog) and real-time factor. Two grammars: the home's own
   sentences, and all of Home Assistant's Korean light templates.
"""

from __future__ import annotations

import asyncio
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

from bench.stt import percentile  # noqa: E402
from custom_components.voice_guard.engine.base import RecognitionSettings  # noqa: E402
from custom_components.voice_guard.engine.phrases import PhraseSet, build_phrase_set  # noqa: E402
from custom_components.voice_guard.engine.vosk_engine import VoskEngine  # noqa: E402
from tests.speech import MODEL_PATH, speak, stream  # noqa: E402

AREAS = ("거실", "부엌", "침실", "현관", "안방")
COMMANDS = [
    f"{a} {light} {verb}" for a in AREAS for light in ("불", "조명") for verb in ("켜줘", "꺼")
]
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
]
OWN_SENTENCES = {
    "language": "ko",
    "intents": {
        "HassTurnOn": {"data": [{"sentences": ["{area} (불|조명) 켜줘"]}]},
        "HassTurnOff": {"data": [{"sentences": ["{area} (불|조명) 꺼"]}]},
    },
}


def build_times() -> None:
    """Grammar build for large homes."""
    korean = home_assistant_intents.get_intents("ko")
    print("\n## Build (Home Assistant's Korean templates, light and switch domains)\n")
    print("| Entities | Areas | Build | Chunk phrases | Sentences | Vocabulary |")
    print("| --- | --- | --- | --- | --- | --- |")
    for count in (100, 1000):
        names = {f"조명{n}": [f"light.l{n}"] for n in range(count)}
        areas = {f"방{n}": [f"area.a{n}"] for n in range(50)}
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            built = build_phrase_set("ko", korean, names, areas, domains={"light", "switch"})
            runs.append((time.perf_counter() - started) * 1000)
        sentences = len(built.sentences) if built.sentences is not None else "over 5,000: chunks"
        print(
            f"| {count} | 50 | {min(runs):.0f} ms | {len(built.phrases)} | {sentences} | "
            f"{len(built.vocabulary)} |"
        )


async def accuracy(
    engine: VoskEngine, speech: dict[str, bytes], label: str, phrases: PhraseSet
) -> None:
    """One grammar in the three modes."""
    print(f"\n## {label}: {len(phrases.vosk_grammar)} grammar entries\n")
    print(
        "| Mode | Exact commands (of 20) | Forced commands (of 10) "
        "| After end of audio p50 / p95 | RTF |"
    )
    print("| --- | --- | --- | --- | --- |")
    audio_s = sum(len(p) for p in speech.values()) / 32000
    for mode in ("open", "phrase", "hybrid"):
        settings = RecognitionSettings(
            language="ko", silence_ms=300, max_seconds=30, mode=mode, phrases=phrases
        )
        exact = forced = 0
        tails: list[float] = []
        started = time.perf_counter()
        for text, pcm in speech.items():
            result = await engine.transcribe(stream(pcm), settings)
            tails.append(result.timing.latency_ms)
            if text in COMMANDS:
                exact += result.text == text
            else:
                forced += phrases.match(result.text) is not None
        rtf = (time.perf_counter() - started) / audio_s
        print(
            f"| {mode} | {exact} | {forced} | {percentile(tails, 50):.0f} / "
            f"{percentile(tails, 95):.0f} ms | {rtf:.2f} |"
        )


async def main() -> None:
    """Run both parts."""
    print(
        f"# Voice Guard phrase benchmark on {platform.machine()}, {os.cpu_count()} cores, "
        f"CPython {platform.python_version()}, {time.strftime('%Y-%m-%d')}"
    )
    build_times()
    folder = Path(tempfile.mkdtemp(prefix="voice-guard-bench-"))
    speech = {text: speak(text, folder) for text in COMMANDS + NOT_COMMANDS}
    shutil.rmtree(folder)
    engine = VoskEngine(MODEL_PATH, "ko", max_decoders=1)
    await engine.async_load()
    areas: dict[str, Any] = {area: [area] for area in AREAS}
    try:
        own = build_phrase_set("ko", OWN_SENTENCES, {}, areas, known_word=engine.known_word)
        await accuracy(engine, speech, "The home's own sentences", own)
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
