"""Round trip of a home's commands (not a test): text -> espeak-ng speech -> phrase mode.

    scripts/bench roundtrip [--homes 12,50,200] [--sample 40] [--paced 12]
    scripts/bench roundtrip --homes 12 --sample 20 --noise none   (a quick look)

Generated homes of 12, 50 and 200 entities (lights, switches and fans in 4, 10 and 20
areas; the 12-entity home has on/off lights only, the others some dimmable and some
colour lights), Home Assistant's Korean templates, zero hand-written commands. Each home
is built with its capabilities (templates the home cannot carry out are left out) and, for
comparison, with every template of its domains.

Utterances: a fixed random sample of the home's commands, and sentences that are no
command of the home: chit-chat, thanks and questions, and *command-like* ones for areas
and devices the home lacks ("<an area it has not> 불 켜줘"). Each is spoken by espeak-ng in
the voices ko, ko+f2, ko+f3 and ko+m3 at two speeds, clean and with white noise at 20 and
10 dB SNR. The exact grammar's n best hypotheses of each are decoded once; the decision
(decision.py) is then evaluated offline for every ALPHA and threshold.

Calibration and evaluation are disjoint: the sentences (commands and non-commands) of
each home are split in two halves by a fixed shuffle. ALPHA and the three strictness
thresholds are chosen on the calibration half (the highest recall whose wrong actions and
non-commands acted on stay within the strictness' bounds) and reported on the evaluation
half, one line per voice. Latency is measured through the real engine in hybrid mode at
real-time pace, on a quiet machine and beside a CPU-heavy process.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
import functools
import json
import os
from pathlib import Path
import platform
import random
import subprocess
import sys
import tempfile
import time
import zlib

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import home_assistant_intents  # noqa: E402

from bench.common import percentile  # noqa: E402
from bench.phrases import NOT_COMMANDS, WORDS  # noqa: E402
from custom_components.voice_guard.local_voice.engine import (  # noqa: E402
    decision,
    grammar,
    vosk_engine,
)
from custom_components.voice_guard.local_voice.engine.base import RecognitionSettings  # noqa: E402
from custom_components.voice_guard.local_voice.engine.phrases import PhraseSet, build_phrase_set  # noqa: E402
from custom_components.voice_guard.local_voice.engine.vosk_engine import VoskEngine  # noqa: E402
from tests.speech import MODEL_PATH, speak, stream  # noqa: E402

VOICES = ("ko", "ko+f2", "ko+f3", "ko+m3")
SPEEDS = (175, 140)  # espeak-ng words per minute: its default, and slower
NOISES = ("none", "20 dB", "10 dB")
AREA_NAMES = ("거실", "부엌", "침실", "현관", "안방", "서재", "주방", "화장실", "작은방", "큰방")
DEVICE_WORDS = WORDS[10:]  # 책상 … 큰: words the model knows that are no area
# Said as if the home had them: devices and areas it lacks (command-like non-commands).
LACKING_DEVICES = ("텔레비전", "에어컨", "커튼", "라디오", "컴퓨터", "청소기")
MORE_NOT_COMMANDS = [
    "몇 시야",
    "오늘 며칠이야",
    "타이머 맞춰줘",
    "날씨 알려줘",
    "뭐 해",
    "감사합니다",
]
ON_OFF = {"HassTurnOn", "HassTurnOff"}
ALPHAS = (0.1, 0.2, 0.3, 0.5, 1.0, 2.0)
THRESHOLDS = (
    *(round(0.3 + 0.05 * n, 2) for n in range(12)),
    *(round(0.86 + 0.01 * n, 2) for n in range(14)),
    0.995,
    0.999,
)
# The bounds each strictness keeps on the calibration set: wrong actions, non-commands
# acted on (fractions).
BOUNDS = {"relaxed": (0.10, 0.10), "balanced": (0.06, 0.06), "strict": (0.02, 0.02)}


@dataclass(frozen=True, slots=True)
class Home:
    """A generated home: names and areas with their sources, and what it can do."""

    label: str
    names: dict[str, list[str]]
    areas: dict[str, list[str]]
    capabilities: frozenset[str]
    lacking_areas: tuple[str, ...]
    lacking_names: tuple[str, ...]


def make_home(entities: int, area_count: int) -> Home:
    """Lights (60 %), switches and fans in areas; lights dimmable / colour in bigger homes."""
    names: dict[str, list[str]] = {}
    caps = {"light", "switch", "fan"}
    for n in range(entities):
        domain = "light" if n % 5 < 3 else "switch" if n % 5 == 3 else "fan"
        if entities <= len(DEVICE_WORDS):
            name = DEVICE_WORDS[n]
        else:
            first, second = divmod(n, len(DEVICE_WORDS))
            name = f"{DEVICE_WORDS[second]} {WORDS[first % len(WORDS)]}"
        names[name] = [f"{domain}.e{n}"]
        if entities > 12 and domain == "light":
            caps.add("light:brightness")
            if n % 6 == 0:
                caps.add("light:color")
    area_names = [
        AREA_NAMES[n] if n < len(AREA_NAMES) else f"{WORDS[n % len(WORDS)]} 방"
        for n in range(area_count)
    ]
    return Home(
        label=f"{entities} entities, {area_count} areas",
        names=names,
        areas={name: [f"area.a{n}"] for n, name in enumerate(area_names)},
        capabilities=frozenset(caps),
        lacking_areas=tuple(a for a in AREA_NAMES if a not in area_names) or ("차고", "정원"),
        lacking_names=LACKING_DEVICES,
    )


HOMES = {"12": (12, 4), "50": (50, 10), "200": (200, 20)}
# The grammars compared: (label, with capabilities, garbage cost per word).
VARIANTS = (
    ("capabilities, garbage cost 6", True, 6.0),
    ("capabilities, garbage cost 3", True, 3.0),
    ("all templates, garbage cost 6 (before)", False, 6.0),
)
CACHE = REPO / ".venvs" / "bench-cache"  # decoded n-best lists, per checkout


def fill(text: str, values: dict[str, Sequence[str]], rng: random.Random) -> str | None:
    """Return a template text with each slot filled by one of its values (None: one lacks)."""
    for slot in grammar._PLACEHOLDER.findall(text):  # noqa: SLF001 - the same syntax
        choices = values.get(slot) or ()
        if not choices:
            return None
        text = text.replace(f"{{{slot}}}", rng.choice(sorted(choices)), 1)
    return " ".join(text.split())


def sayable(phrases: PhraseSet, sentence: str) -> bool:
    """Whether every word of a sentence is one the model can say."""
    words = [p for w in sentence.split() for p in phrases.splits.get(w, w).split()]
    return not any(w in phrases.unknown for w in words)


def commands(phrases: PhraseSet, count: int, seed: int) -> list[str]:
    """Return a fixed random sample of the home's commands, as decodable text."""
    rng = random.Random(seed)  # noqa: S311 - a fixed sample, not a secret
    said: set[str] = set()
    texts = sorted(phrases.texts)
    for _ in range(count * 200):
        if len(said) >= count:
            break
        sentence = fill(rng.choice(texts), dict(phrases.slot_values), rng)
        if sentence and sayable(phrases, sentence) and phrases.match(sentence):
            said.add(sentence)
    return sorted(said)


def command_like(phrases: PhraseSet, home: Home, count: int, seed: int) -> list[str]:
    """Return sentences of the home's own templates about areas and devices it lacks."""
    rng = random.Random(seed)  # noqa: S311
    values = dict(phrases.slot_values)
    values["area"] = home.lacking_areas
    values["name"] = home.lacking_names
    texts = sorted(t for t in phrases.texts if "{area}" in t or "{name}" in t)
    found: set[str] = set()
    for _ in range(count * 200):
        if len(found) >= count:
            break
        sentence = fill(rng.choice(texts), values, rng)
        if sentence and phrases.meaning(sentence) is None:
            found.add(sentence)
    return sorted(found)


def with_noise(pcm: bytes, snr_db: float | None, seed: int) -> bytes:
    """Return the speech with white noise at snr_db below its power (None: clean)."""
    if snr_db is None:
        return pcm
    speech = np.frombuffer(pcm, dtype=np.int16).astype(np.float64)
    power = float(np.mean(speech**2)) or 1.0
    noise = np.random.default_rng(seed).normal(
        0.0, (power / 10 ** (snr_db / 10)) ** 0.5, speech.size
    )
    return np.clip(speech + noise, -32768, 32767).astype(np.int16).tobytes()


@dataclass(slots=True)
class Tally:
    """What a decision made of a set of utterances."""

    commands: int = 0
    right: int = 0
    wrong: int = 0
    flips: int = 0
    non_commands: int = 0
    forced: int = 0

    @property
    def recall(self) -> float:
        """The share of commands acted on rightly."""
        return self.right / max(1, self.commands)

    @property
    def wrong_rate(self) -> float:
        """The share of commands acted on wrongly."""
        return self.wrong / max(1, self.commands)

    @property
    def forced_rate(self) -> float:
        """The share of non-commands acted on."""
        return self.forced / max(1, self.non_commands)

    def row(self) -> str:
        """Table cells: recall, wrong, flips, non-commands acted on."""
        return (
            f"{100 * self.recall:.1f} % ({self.right}/{self.commands}) | "
            f"{100 * self.wrong_rate:.1f} % | {self.flips} | "
            f"{100 * self.forced_rate:.1f} % ({self.forced}/{self.non_commands})"
        )


@dataclass(slots=True)
class Utterance:
    """One spoken sentence, what it means to the home, and the decoder's n best."""

    text: str
    wanted: decision.Action | None
    voice: str
    speed: int
    noise: str
    half: str  # "calibration" or "evaluation"
    pcm: bytes = b""
    nbest: list[tuple[str, float]] = field(default_factory=list)
    actions: dict[str, decision.Action | None] = field(default_factory=dict)


def tally(
    phrases: PhraseSet, utterances: Iterable[Utterance], alpha: float, threshold: float
) -> Tally:
    """Count what the decision at (alpha, threshold) makes of the utterances."""
    result = Tally()
    for u in utterances:
        got = decision.decide(
            u.nbest, u.actions.get, lambda text: text, threshold=threshold, alpha=alpha
        )
        acted = got.action if got.command is not None else None
        if u.wanted is None:
            result.non_commands += 1
            result.forced += acted is not None
            continue
        result.commands += 1
        if acted is None:
            continue
        if acted == u.wanted:
            result.right += 1
        else:
            result.wrong += 1
            result.flips += {acted[0], u.wanted[0]} == ON_OFF and acted[1] == u.wanted[1]
    return result


def calibrate(
    phrases: PhraseSet, utterances: list[Utterance]
) -> tuple[float, dict[str, float], list[str]]:
    """Choose each strictness' threshold on the calibration half, at the engine's ALPHA.

    A level's threshold is the one with the highest recall whose wrong actions and
    non-commands acted on stay within its BOUNDS (strict: no on/off flip either). The
    table beside it shows what every ALPHA would give, for the record.
    """
    lines = ["", "| ALPHA | relaxed θ: recall | balanced θ: recall | strict θ: recall |",
             "| --- | --- | --- | --- |"]  # fmt: skip
    chosen_at: dict[float, dict[str, float]] = {}
    for alpha in ALPHAS:
        tallies = {theta: tally(phrases, utterances, alpha, theta) for theta in THRESHOLDS}
        chosen: dict[str, float] = {}
        cells = []
        for name, (wrong, forced) in BOUNDS.items():
            fits = [
                (t.recall, theta)
                for theta, t in tallies.items()
                if t.wrong_rate <= wrong
                and t.forced_rate <= forced
                and (name != "strict" or t.flips == 0)
            ]
            recall, theta = max(fits) if fits else (0.0, THRESHOLDS[-1])
            chosen[name] = theta
            cells.append(f"{theta:g}: {100 * recall:.1f} %")
        chosen_at[alpha] = chosen
        marker = " (the engine's)" if alpha == decision.ALPHA else ""
        lines.append(f"| {alpha:g}{marker} | " + " | ".join(cells) + " |")
    return decision.ALPHA, chosen_at[decision.ALPHA], lines


async def build(engine: VoskEngine, home: Home, *, capabilities: bool) -> tuple[PhraseSet, str]:
    """Build the home's phrase set and exact grammar; return it and a row of the costs."""
    korean = home_assistant_intents.get_intents("ko")
    started = time.perf_counter()
    phrases = build_phrase_set(
        "ko", korean, home.names, home.areas, domains={"light", "switch", "fan"},
        known_word=engine.known_word, language_data=korean,
        capabilities=home.capabilities if capabilities else None,
    )  # fmt: skip
    phrase_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    await engine.async_prepare_phrases(phrases)
    load_s = time.perf_counter() - started
    summary = engine.diagnostics()["exact_grammar"]["in_use"] or {}
    left = ", ".join(f"{k} {v}" for k, v in sorted(phrases.left_out.items())) or "none"
    row = (
        f"| {home.label} | {'capabilities' if capabilities else 'all templates'} | "
        f"{len(phrases.texts)} | {left} | {phrase_ms:.0f} ms | "
        f"{summary.get('states')} / {summary.get('arcs')} | {load_s:.2f} s |"
    )
    return phrases, row


def nbest(engine: VoskEngine, pcm: bytes) -> list[tuple[str, float]]:
    """Return the exact grammar's n best hypotheses of an utterance, as the engine gets them."""
    home = engine._home  # noqa: SLF001 - the loaded home model
    assert home is not None
    recognizer = vosk_engine._exact_recognizer(home.model)  # noqa: SLF001 - as the engine makes it
    for start in range(0, len(pcm), vosk_engine.BLOCK_BYTES):
        recognizer.AcceptWaveform(pcm[start : start + vosk_engine.BLOCK_BYTES])
    result = json.loads(recognizer.FinalResult())
    return [(str(a["text"]), float(a["confidence"])) for a in result.get("alternatives", [])]


def utterances_of(
    phrases: PhraseSet, home: Home, sample: int, noises: Sequence[str], folder: Path
) -> list[Utterance]:
    """Every sentence of the home in every voice, speed and noise, split in two halves."""
    said = commands(phrases, sample, seed=len(home.names))
    others = [*NOT_COMMANDS, *MORE_NOT_COMMANDS, *command_like(phrases, home, 12, seed=7)]
    halves: dict[str, str] = {}
    for group in (said, others):
        shuffled = sorted(group)
        random.Random(len(group)).shuffle(shuffled)  # noqa: S311 - a fixed split
        for index, text in enumerate(shuffled):
            halves[text] = "calibration" if index % 2 == 0 else "evaluation"
    found = []
    for text, half in halves.items():
        wanted = phrases.meaning(text)
        for voice in VOICES:
            for speed in SPEEDS:
                clean = speak(text, folder, voice, speed=speed)
                for noise in noises:
                    snr = None if noise == "none" else float(noise.split()[0])
                    seed = zlib.crc32(f"{text} {voice} {speed}".encode())
                    pcm = with_noise(clean, snr, seed=seed)
                    found.append(Utterance(text, wanted, voice, speed, noise, half, pcm))
    return found


def report(
    phrases: PhraseSet, utterances: list[Utterance], alpha: float, thetas: dict[str, float]
) -> list[str]:
    """Evaluation-half figures at the chosen ALPHA and thresholds."""
    evaluation = [u for u in utterances if u.half == "evaluation"]
    lines = ["", "| Strictness (θ) | Recall | Wrong | On/off flips | Non-commands acted on |",
             "| --- | --- | --- | --- | --- |"]  # fmt: skip
    for name, theta in thetas.items():
        lines.append(f"| {name} ({theta:g}) | {tally(phrases, evaluation, alpha, theta).row()} |")
    balanced = thetas["balanced"]
    lines += ["", f"Per voice, balanced (θ {balanced:g}), evaluation half:", "",
              "| Voice | Speed | Noise | Recall | Wrong | Flips | Non-commands acted on |",
              "| --- | --- | --- | --- | --- | --- | --- |"]  # fmt: skip
    for voice in VOICES:
        for speed in SPEEDS:
            for noise in NOISES:
                part = [
                    u for u in evaluation if (u.voice, u.speed, u.noise) == (voice, speed, noise)
                ]
                if part:
                    row = tally(phrases, part, alpha, balanced).row()
                    lines.append(f"| {voice} | {speed} | {noise} | {row} |")
    lines += ["", "Per voice, all speeds and noises:", "",
              "| Voice | Recall | Wrong | Flips | Non-commands acted on |",
              "| --- | --- | --- | --- | --- |"]  # fmt: skip
    for voice in VOICES:
        part = [u for u in evaluation if u.voice == voice]
        lines.append(f"| {voice} | {tally(phrases, part, alpha, balanced).row()} |")
    lines += ["", "The threshold curve (evaluation half, ALPHA as chosen):", "",
              "| θ | Recall | Wrong | Flips | Non-commands acted on |",
              "| --- | --- | --- | --- | --- |"]  # fmt: skip
    lines += [f"| {t:g} | {tally(phrases, evaluation, alpha, t).row()} |" for t in THRESHOLDS]
    return lines


def open_text(engine: VoskEngine, pcm: bytes) -> str:
    """Return the open-vocabulary text of an utterance (hybrid mode decodes it anyway)."""
    recognizer = vosk_engine._new_recognizer(engine._model, 16000)  # noqa: SLF001
    for start in range(0, len(pcm), vosk_engine.BLOCK_BYTES):
        recognizer.AcceptWaveform(pcm[start : start + vosk_engine.BLOCK_BYTES])
    return str(json.loads(recognizer.FinalResult()).get("text", ""))


def agreement(
    phrases: PhraseSet,
    decoded: list[Utterance],
    pcm: dict[tuple[str, str, int, str], bytes],
    engine: VoskEngine,
    alpha: float,
) -> list[str]:
    """Try agreement with the open-vocabulary text as a rejection of non-commands.

    On clean speech at 175 words a minute (open vocabulary costs 0.8 s of CPU per second of
    audio): act only when the posterior reaches θ *and* the open-vocabulary text shares at
    least a share τ of the chosen wording's words (τ 0 is the posterior alone).
    """
    subset = [u for u in decoded if u.noise == "none" and u.speed == SPEEDS[0]]
    heard = {id(u): set(open_text(engine, pcm[(u.text, u.voice, u.speed, u.noise)]).split())
             for u in subset}  # fmt: skip
    lines = ["", ("Agreement with open vocabulary (clean, 175 wpm; both halves; τ = share of "
                  "the chosen wording's words in the open-vocabulary text):"), "",
             "| θ | τ | Recall | Wrong | Flips | Non-commands acted on |",
             "| --- | --- | --- | --- | --- | --- |"]  # fmt: skip
    for theta in (0.5, 0.75, 0.9, 0.99):
        for tau in (0.0, 0.25, 0.5):
            result = Tally()
            for u in subset:
                got = decision.decide(
                    u.nbest, u.actions.get, lambda text: text, threshold=theta, alpha=alpha
                )
                acted = got.action if got.command is not None else None
                if acted is not None and tau:
                    words = set(str(got.command).split())
                    if len(words & heard[id(u)]) < tau * len(words):
                        acted = None
                if u.wanted is None:
                    result.non_commands += 1
                    result.forced += acted is not None
                    continue
                result.commands += 1
                if acted == u.wanted:
                    result.right += 1
                elif acted is not None:
                    result.wrong += 1
                    result.flips += {acted[0], u.wanted[0]} == ON_OFF and acted[1] == u.wanted[1]
            lines.append(f"| {theta:g} | {tau:g} | {result.row()} |")
    return lines


async def latency(
    engine: VoskEngine, phrases: PhraseSet, texts: Sequence[str], folder: Path
) -> list[float]:
    """Speech end -> text of recognised commands, hybrid mode, fed at real-time pace."""
    times = []
    settings = RecognitionSettings(
        language="ko", silence_ms=300, max_seconds=30, mode="hybrid", phrases=phrases
    )
    for text in texts:
        pcm = speak(text, folder, "ko+f3")
        result = await engine.transcribe(stream(pcm, pace=0.02, silence_after_ms=1500), settings)
        if phrases.meaning(result.text) == phrases.meaning(text):
            times.append(result.timing.latency_ms)
    return times


async def run_home(  # noqa: PLR0915 - one home's whole round trip, in order
    engine: VoskEngine, key: str, args: argparse.Namespace, folder: Path
) -> list[str]:
    """One home: build both ways, decode every utterance, calibrate, evaluate."""
    home = make_home(*HOMES[key])
    noises = [n for n in NOISES if args.noise in ("all", n.split()[0])]
    lines = [f"\n## Home of {home.label}\n",
             ("| Home | Grammar | Template texts | Left out (capability: texts) | Phrase set | "
              "States / arcs | Home model load | Garbage cost |"),
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]  # fmt: skip
    results = {}
    utterances: list[Utterance] = []
    compile_grammar = grammar.compile_grammar
    for label, capabilities, cost in VARIANTS:
        grammar.compile_grammar = functools.partial(compile_grammar, garbage_cost=cost)
        try:
            phrases, row = await build(engine, home, capabilities=capabilities)
        finally:
            grammar.compile_grammar = compile_grammar
        lines.append(f"{row} {cost:g} |")
        if not utterances:
            utterances = utterances_of(phrases, home, args.sample, noises, folder)
        cache = CACHE / f"{key}-{args.sample}-{'-'.join(noises)}-{label}.json".replace(" ", "_")
        stored = json.loads(cache.read_text()) if cache.is_file() else None
        if stored is None or len(stored) != len(utterances):
            stored = [nbest(engine, u.pcm) for u in utterances]
            cache.parent.mkdir(parents=True, exist_ok=True)
            cache.write_text(json.dumps(stored, ensure_ascii=False))
        decoded = []
        for u, raw in zip(utterances, stored, strict=True):
            found = [(str(t), float(c)) for t, c in raw]
            decoded.append(
                Utterance(u.text, phrases.meaning(u.text), u.voice, u.speed, u.noise, u.half,
                          nbest=found, actions={t: phrases.meaning(t) for t, _ in found})
            )  # fmt: skip
        calibration = [u for u in decoded if u.half == "calibration"]
        alpha, thetas, curve_lines = calibrate(phrases, calibration)
        if args.agreement and label == VARIANTS[0][0]:
            pcm = {(u.text, u.voice, u.speed, u.noise): u.pcm for u in utterances}
            curve_lines += agreement(phrases, decoded, pcm, engine, alpha)
        results[label] = (phrases, decoded, alpha, thetas, curve_lines)
        if label == VARIANTS[0][0] and args.paced:
            said = sorted({u.text for u in decoded if u.wanted and u.half == "evaluation"})
            quiet = await latency(engine, phrases, said[: args.paced], folder)
            hog = subprocess.Popen(  # noqa: ASYNC220 - started once, killed below
                [
                    sys.executable,
                    "-c",
                    "import time\nend = time.time() + 900\nwhile time.time() < end: pass",
                ]
            )
            try:
                loaded = await latency(engine, phrases, said[: args.paced], folder)
            finally:
                hog.kill()
            latencies = (quiet, loaded)
    commands_n = len({u.text for u in utterances if u.wanted is not None})
    others_n = len({u.text for u in utterances if u.wanted is None})
    lines.append(
        f"\n{commands_n} commands and {others_n} non-commands (half each for calibration and "
        f"evaluation) x {len(VOICES)} voices x {len(SPEEDS)} speeds x {len(noises)} noise levels "
        f"= {len(utterances)} utterances."
    )
    for label, *_ in VARIANTS:
        phrases, decoded, alpha, thetas, curve_lines = results[label]
        lines.append(f"\n### {label}: ALPHA {alpha:g}, calibration chose θ {thetas}")
        lines += curve_lines
        lines += report(phrases, decoded, alpha, thetas)
    if args.paced:
        quiet, loaded = latencies
        q50, q95 = (percentile(quiet or [0.0], p) for p in (50, 95))
        l50, l95 = (percentile(loaded or [0.0], p) for p in (50, 95))
        lines += [
            "",
            "| Hybrid, real-time pace, recognised commands | p50 | p95 | n |",
            "| --- | --- | --- | --- |",
            f"| quiet machine | {q50:.0f} ms | {q95:.0f} ms | {len(quiet)} |",
            (
                f"| beside a CPU-heavy process | {l50:.0f} ms | {l95:.0f} ms "
                f"(x{l95 / max(q95, 1):.1f}) | {len(loaded)} |"
            ),
        ]
    return lines


async def main() -> None:
    """Run the homes asked for and print the tables."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--homes", default="12,50,200")
    parser.add_argument("--sample", type=int, default=40, help="commands per home at most")
    parser.add_argument("--paced", type=int, default=12, help="commands timed in real time")
    parser.add_argument("--noise", default="all", help="all, none, 20 or 10")
    parser.add_argument(
        "--agreement", action="store_true", help="try agreement with open vocabulary"
    )
    args = parser.parse_args()
    print(
        f"# Voice Guard round trip on {platform.machine()}, {os.cpu_count()} cores, "
        f"CPython {platform.python_version()}, {time.strftime('%Y-%m-%d')}, "
        f"garbage cost {grammar.GARBAGE_COST:g}, lattice beam {grammar.LATTICE_BEAM:g}, "
        f"{vosk_engine.EXACT_ALTERNATIVES} alternatives"
    )
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        engine = VoskEngine(MODEL_PATH, "ko", max_decoders=1, grammar_root=folder / "homes")
        await engine.async_load()
        try:
            for key in filter(None, args.homes.split(",")):
                for line in await run_home(engine, key, args, folder):
                    print(line, flush=True)
        finally:
            await engine.async_close()


if __name__ == "__main__":
    asyncio.run(main())
