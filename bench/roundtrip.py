"""Round trip of a home's commands (not a test): text -> espeak-ng speech -> phrase mode.

    scripts/bench roundtrip [--homes small,medium,large] [--sample 30] [--paced 12]
    scripts/bench roundtrip --homes "" --reloads 4

For generated homes (small: 10 entities in 5 areas; medium: 100 in 20; large: 1,000 in
50; Home Assistant's Korean templates for lights, switches and fans, zero hand-written
sentences), every command the home can say (or a fixed random sample of them) is spoken
by espeak-ng in three voices at two speeds, with sentences that are no command of the
home (greetings, questions, other intents). Each utterance goes through the real engine
(end-pointing, phrase mode's decision) twice: with Vosk's runtime grammar (the phrase
list) and with the exact grammar (grammar.py), in the same run.

Reported per home and grammar: recall (the right command), wrong commands and among them
on/off flips, non-commands forced into a command, grammar build time and memory. The
accuracy runs feed the audio as fast as the engine takes it (the result does not depend
on the pace: Vosk gets 100 ms blocks either way); latency after the end of speech is
measured on a fixed subset fed in real time, 20 ms frames, the microphone sending on.
--reloads measures resident memory over entry reloads, with and without giving the memory
Kaldi freed back to the system.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, replace
import json
import os
from pathlib import Path
import platform
import random
import resource
import sys
import tempfile
import time
import tracemalloc

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import home_assistant_intents  # noqa: E402

from bench.common import percentile  # noqa: E402
from bench.phrases import NOT_COMMANDS, WORDS  # noqa: E402
from custom_components.voice_guard.local_voice.engine import (  # noqa: E402
    grammar,
    vosk_engine,
)
from custom_components.voice_guard.local_voice.engine.base import RecognitionSettings  # noqa: E402
from custom_components.voice_guard.local_voice.engine.phrases import PhraseSet, build_phrase_set  # noqa: E402
from custom_components.voice_guard.local_voice.engine.vosk_engine import VoskEngine  # noqa: E402
from tests.speech import MODEL_PATH, speak, stream  # noqa: E402

HOMES = {"small": (10, 5), "medium": (100, 20), "large": (1000, 50)}
VOICES = ("ko", "ko+f3", "ko+m3")
SPEEDS = (175, 140)  # espeak-ng words per minute: its default, and slower
DOMAINS = {"light", "switch", "fan"}
AREA_NAMES = ("거실", "부엌", "침실", "현관", "안방", "서재", "주방", "화장실", "작은방", "큰방")
# Questions and other intents a home hears that are no command of these homes.
MORE_NOT_COMMANDS = ["몇 시야", "오늘 며칠이야", "타이머 맞춰줘", "날씨 알려줘", "뭐 해"]
ON_OFF = {"HassTurnOn", "HassTurnOff"}
MARGINS = (0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0)  # the curve of the exact grammar's margin


@dataclass(slots=True)
class Tally:
    """What one grammar made of one home's utterances."""

    commands: int = 0
    right: int = 0
    wrong: int = 0
    flips: int = 0
    not_recognised: int = 0
    non_commands: int = 0
    forced: int = 0

    def row(self) -> str:
        """Table cells: recall, wrong, flips, forced."""
        share = 100 / max(1, self.commands)
        return (
            f"{self.right * share:.1f} % ({self.right}/{self.commands}) | "
            f"{self.wrong * share:.1f} % | {self.flips * share:.1f} % | "
            f"{100 * self.forced / max(1, self.non_commands):.1f} % "
            f"({self.forced}/{self.non_commands})"
        )


def home(entities: int, areas: int) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Names of words the model knows: entities spread over lights, switches and fans."""
    domains = sorted(DOMAINS)
    names = {
        f"{WORDS[n % len(WORDS)]} {WORDS[(n // len(WORDS)) % len(WORDS)]}": [
            f"{domains[n % 3]}.e{n}"
        ]
        for n in range(entities)
    }
    if entities <= 20:  # a small home names its things with one word
        names = {WORDS[n]: [f"{domains[n % 3]}.e{n}"] for n in range(entities)}
    area_names = [
        AREA_NAMES[n] if n < len(AREA_NAMES) else f"{WORDS[n % len(WORDS)]} 방"
        for n in range(areas)
    ]
    return names, {name: [f"area.a{n}"] for n, name in enumerate(area_names)}


def commands(phrases: PhraseSet, count: int, seed: int) -> list[str]:
    """Every command of the home, or a fixed random sample of count, as decodable text."""
    rng = random.Random(seed)  # noqa: S311 - a fixed sample, not a secret
    said: set[str] = set()
    texts = sorted(phrases.texts)
    attempts = 0
    while len(said) < count and attempts < count * 200:
        attempts += 1
        text = rng.choice(texts)
        for slot in grammar._PLACEHOLDER.findall(text):  # noqa: SLF001 - the same syntax
            values = phrases.slot_values.get(slot) or ()
            if not values:
                break
            text = text.replace(f"{{{slot}}}", rng.choice(sorted(values)), 1)
        else:
            sentence = " ".join(text.split())
            words = [p for w in sentence.split() for p in phrases.splits.get(w, w).split()]
            if not any(w in phrases.unknown for w in words) and phrases.match(sentence):
                said.add(sentence)
    return sorted(said)


def _meaning(phrases: PhraseSet, text: str) -> tuple[str, tuple[tuple[str, str], ...]] | None:
    return phrases.meaning(text) if text else None


def score(phrases: PhraseSet, spoken: str, heard: str, tally: Tally) -> None:
    """Count one utterance."""
    wanted = _meaning(phrases, spoken)
    got = _meaning(phrases, heard)
    if wanted is None:
        tally.non_commands += 1
        tally.forced += got is not None
        return
    tally.commands += 1
    if got is None:
        tally.not_recognised += 1
    elif got == wanted:
        tally.right += 1
    else:
        tally.wrong += 1
        tally.flips += {got[0], wanted[0]} == ON_OFF and got[1] == wanted[1]


def speech(sentences: Iterable[str], folder: Path) -> dict[tuple[str, str, int], bytes]:
    """Every sentence in every voice and speed."""
    return {
        (text, voice, speed): speak(text, folder, voice, speed=speed)
        for text in sentences
        for voice in VOICES
        for speed in SPEEDS
    }


def rss_mb() -> float:
    """Return the resident memory of the process now, in MiB (Linux)."""
    pages = Path("/proc/self/statm").read_text(encoding="ascii").split()[1]
    return int(pages) * os.sysconf("SC_PAGE_SIZE") / 2**20


async def build(engine: VoskEngine, entities: int, areas: int) -> tuple[PhraseSet, str]:
    """Build the home's phrase set and exact grammar; return it and a row of the costs."""
    names, area_names = home(entities, areas)
    korean = home_assistant_intents.get_intents("ko")
    started = time.perf_counter()
    phrases = build_phrase_set(
        "ko", korean, names, area_names, domains=DOMAINS, known_word=engine.known_word,
        language_data=korean,
    )  # fmt: skip
    phrase_ms = (time.perf_counter() - started) * 1000
    tracemalloc.start()
    started = time.perf_counter()
    compiled = grammar.compile_grammar(
        phrases.texts, phrases.slot_values, phrases.splits, phrases.garbage, engine.word_id
    )
    compile_ms = (time.perf_counter() - started) * 1000
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    before = rss_mb()
    started = time.perf_counter()
    await engine.async_prepare_phrases(phrases)
    load_s = time.perf_counter() - started
    summary = compiled.summary()
    row = (
        f"| {entities} / {areas} | {phrase_ms:.0f} ms | {compile_ms:.0f} ms | {peak:.1f} MiB | "
        f"{summary['states']} / {summary['arcs']} | {len(compiled.fst_bytes()) / 1024:.0f} KiB | "
        f"{load_s:.2f} s | {rss_mb() - before:+.0f} MiB |"
    )
    return phrases, row


async def decode(
    engine: VoskEngine, pcm: bytes, phrases: PhraseSet, *, paced: bool
) -> tuple[str, float]:
    """Phrase mode's answer and the time from the end of speech to it."""
    settings = RecognitionSettings(
        language="ko", silence_ms=300, max_seconds=30, mode="phrase", phrases=phrases
    )
    audio = stream(pcm, pace=0.02 if paced else 0.0, silence_after_ms=1500 if paced else 0)
    result = await engine.transcribe(audio, settings)
    return result.text, result.timing.latency_ms


def nbest(engine: VoskEngine, pcm: bytes) -> list[tuple[str, float]]:
    """Return the exact grammar's n best hypotheses of an utterance (the margin curve)."""
    home = engine._home  # noqa: SLF001 - the loaded home model
    assert home is not None
    recognizer = vosk_engine._exact_recognizer(home.model)  # noqa: SLF001 - as the engine makes it
    for start in range(0, len(pcm), vosk_engine.BLOCK_BYTES):
        recognizer.AcceptWaveform(pcm[start : start + vosk_engine.BLOCK_BYTES])
    result = json.loads(recognizer.FinalResult())
    return [(str(a["text"]), float(a["confidence"])) for a in result.get("alternatives", [])]


def curve(
    phrases: PhraseSet, hypotheses: dict[tuple[str, str, int], list[tuple[str, float]]]
) -> list[str]:
    """Recall and errors of the exact grammar against the margin that accepts a command."""
    lines = [
        "",
        "| Margin | Recall | Wrong commands | On/off flips | Non-commands forced |",
        "| --- | --- | --- | --- | --- |",
    ]
    default = vosk_engine.EXACT_MARGIN
    try:
        for margin in MARGINS:
            vosk_engine.EXACT_MARGIN = margin
            tally = Tally()
            for key, found in hypotheses.items():
                score(phrases, key[0], vosk_engine._sure_command(phrases, found) or "", tally)  # noqa: SLF001
            chosen = (
                f" (in use; the opposite {vosk_engine.FLIP_MARGIN:g})" if margin == default else ""
            )
            lines.append(f"| {margin:g}{chosen} | {tally.row()} |")
    finally:
        vosk_engine.EXACT_MARGIN = default
    return lines


async def run_home(
    engine: VoskEngine, name: str, sample: int, paced: int, folder: Path
) -> list[str]:
    """One home: build, then every utterance with both grammars."""
    entities, areas = HOMES[name]
    exact, build_row = await build(engine, entities, areas)
    runtime = replace(exact)  # another object: the engine uses the runtime grammar for it
    said = commands(exact, sample, seed=entities)
    utterances = speech([*said, *NOT_COMMANDS, *MORE_NOT_COMMANDS], folder)
    tallies = {"runtime grammar": Tally(), "exact grammar": Tally()}
    by_voice: dict[tuple[str, str], Tally] = {}
    latencies: dict[str, list[float]] = {label: [] for label in tallies}
    paced_keys = [k for k in utterances if k[0] in said][:: max(1, len(said) * 6 // max(1, paced))]
    hypotheses = {}
    for key, pcm in utterances.items():
        for label, phrases in (("runtime grammar", runtime), ("exact grammar", exact)):
            heard, _ = await decode(engine, pcm, phrases, paced=False)
            score(exact, key[0], heard, tallies[label])
            score(exact, key[0], heard, by_voice.setdefault((label, f"{key[1]} {key[2]}"), Tally()))
        hypotheses[key] = nbest(engine, pcm)
    for key in paced_keys[:paced]:
        for label, phrases in (("runtime grammar", runtime), ("exact grammar", exact)):
            _, latency = await decode(engine, utterances[key], phrases, paced=True)
            latencies[label].append(latency)
    lines = [
        (
            f"\n### {name}: {entities} entities in {areas} areas, {len(said)} commands, "
            f"{len(NOT_COMMANDS) + len(MORE_NOT_COMMANDS)} non-commands, "
            f"{len(VOICES)} voices x {len(SPEEDS)} speeds\n"
        ),
        (
            "| Entities / areas | Phrase set | Exact grammar compile | Compile peak | "
            "States / arcs | Gr.fst | Home model load | RSS added |"
        ),
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        build_row,
        "",
        (
            "| Grammar | Recall | Wrong commands | On/off flips | Non-commands forced | "
            "After end of speech p50 / p95 (real-time pace) |"
        ),
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for label, tally in tallies.items():
        times = latencies[label] or [0.0]
        lines.append(
            f"| {label} | {tally.row()} | {percentile(times, 50):.0f} / "
            f"{percentile(times, 95):.0f} ms ({len(latencies[label])}) |"
        )
    lines += curve(exact, hypotheses)
    lines += [
        "",
        "| Grammar | Voice, speed | Recall | Wrong | Flips | Forced |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    lines += [
        f"| {label} | {voice} | {tally.row()} |" for (label, voice), tally in by_voice.items()
    ]
    return lines


async def reloads(count: int, folder: Path) -> list[str]:
    """Measure resident memory over entry reloads, with and without malloc_trim.

    Each reload loads the model, builds the exact grammar and closes the engine.
    """
    lines = [
        "\n### Reloads (load the model, build the exact grammar, close)\n",
        "| Memory given back | " + " | ".join(f"after reload {n + 1}" for n in range(count)) + " |",
        "| --- |" + " --- |" * count,
    ]
    phrases_of = home(10, 5)
    korean = home_assistant_intents.get_intents("ko")
    real_trim = vosk_engine._trim_memory  # noqa: SLF001 - the step measured
    for label, trim in (("yes (malloc_trim)", real_trim), ("no (before)", lambda: None)):
        vosk_engine._trim_memory = trim  # noqa: SLF001
        after = []
        for _ in range(count):
            engine = VoskEngine(MODEL_PATH, "ko", max_decoders=1, grammar_root=folder / "reload")
            await engine.async_load()
            phrases = build_phrase_set(
                "ko", korean, *phrases_of, domains=DOMAINS, known_word=engine.known_word,
                language_data=korean,
            )  # fmt: skip
            await engine.async_prepare_phrases(phrases)
            await engine.async_close()
            after.append(f"{rss_mb():.0f} MiB")
        lines.append(f"| {label} | " + " | ".join(after) + " |")
    vosk_engine._trim_memory = real_trim  # noqa: SLF001
    return lines


async def main() -> None:
    """Run the homes asked for and print the tables."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--homes", default="small,medium,large")
    parser.add_argument("--sample", type=int, default=30, help="commands per home at most")
    parser.add_argument("--paced", type=int, default=12, help="commands timed in real time")
    parser.add_argument("--reloads", type=int, default=0, help="reload cycles measured")
    args = parser.parse_args()
    print(
        f"# Voice Guard round trip on {platform.machine()}, {os.cpu_count()} cores, "
        f"CPython {platform.python_version()}, {time.strftime('%Y-%m-%d')}, "
        f"garbage cost {grammar.GARBAGE_COST:g}, lattice beam {grammar.LATTICE_BEAM:g}"
    )
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        engine = VoskEngine(MODEL_PATH, "ko", max_decoders=1, grammar_root=folder / "homes")
        await engine.async_load()
        if args.reloads:
            for line in await reloads(args.reloads, folder):
                print(line, flush=True)
        try:
            for name in filter(None, args.homes.split(",")):
                for line in await run_home(engine, name, args.sample, args.paced, folder):
                    print(line, flush=True)
        finally:
            await engine.async_close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nPeak RSS of the run: {peak:.0f} MiB")


if __name__ == "__main__":
    asyncio.run(main())
