"""Resident memory of the embedded engine over recognitions and mode switches (not a test).

    scripts/bench memory [--recognitions 100] [--switches 10]

Measures this process as Home Assistant would hold the engine (the engine has no Home
Assistant imports; the entry's reload is what the integration does: close the engine,
start a new one, build the home's grammar):
- steady state after setup in hybrid and in phrases-only mode (which frees the
  open-vocabulary model once the home's grammar is loaded);
- RSS after 25, 50 and 100 recognitions in hybrid mode (commands and non-commands);
- RSS after each of ten mode switches (hybrid <-> phrases only), and the peak during a
  switch, sampled every 5 ms by a thread.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path
import platform
import sys
import tempfile
import threading
import time
from typing import Self

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import home_assistant_intents  # noqa: E402

from bench.phrases import NOT_COMMANDS  # noqa: E402
from custom_components.voice_guard.local_voice.engine.base import RecognitionSettings  # noqa: E402
from custom_components.voice_guard.local_voice.engine.phrases import PhraseSet, build_phrase_set  # noqa: E402
from custom_components.voice_guard.local_voice.engine.vosk_engine import VoskEngine  # noqa: E402
from tests.speech import MODEL_PATH, speak, stream  # noqa: E402

NAMES = {"스탠드": ["light.e0"], "선풍기": ["fan.e1"], "램프": ["light.e2"], "히터": ["switch.e3"]}
AREAS = {"거실": ["area.a0"], "부엌": ["area.a1"], "침실": ["area.a2"], "현관": ["area.a3"]}
COMMANDS = ["거실 불 켜줘", "부엌 불 꺼", "침실 불 켜줘", "현관 불 꺼"]


def rss_mb() -> float:
    """Return the resident memory of the process now, in MiB (Linux)."""
    pages = Path("/proc/self/statm").read_text(encoding="ascii").split()[1]
    return int(pages) * os.sysconf("SC_PAGE_SIZE") / 2**20


class Peak:
    """The highest RSS seen while it runs, sampled every 5 ms."""

    def __init__(self) -> None:
        """Prepare the sampling thread (started on entering)."""
        self.value = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.value = max(self.value, rss_mb())
            time.sleep(0.005)

    def __enter__(self) -> Self:
        """Start sampling."""
        self.value = rss_mb()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        """Stop sampling."""
        self._stop.set()
        self._thread.join()


def phrase_set(engine: VoskEngine) -> PhraseSet:
    """Build the home's phrase set, as the integration does."""
    korean = home_assistant_intents.get_intents("ko")
    return build_phrase_set(
        "ko", korean, NAMES, AREAS, domains={"light", "fan", "switch"},
        known_word=engine.known_word, language_data=korean,
        capabilities=frozenset({"light", "fan", "switch"}),
    )  # fmt: skip


async def start(mode: str, root: Path) -> tuple[VoskEngine, PhraseSet]:
    """Set the engine up as an entry in this mode would."""
    engine = VoskEngine(
        MODEL_PATH, "ko", max_decoders=2, grammar_root=root,
        open_vocabulary_on_demand=mode == "phrase",
    )  # fmt: skip
    await engine.async_load()
    phrases = phrase_set(engine)
    await engine.async_prepare_phrases(phrases)
    return engine, phrases


async def main() -> None:
    """Print the tables."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--recognitions", type=int, default=100)
    parser.add_argument("--switches", type=int, default=10)
    args = parser.parse_args()
    print(
        f"# Voice Guard engine memory on {platform.machine()}, {os.cpu_count()} cores, "
        f"CPython {platform.python_version()}, {time.strftime('%Y-%m-%d')}"
    )
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        speech = [speak(t, folder, "ko+f3") for t in [*COMMANDS, *NOT_COMMANDS[:6]]]
        base = rss_mb()
        print(f"\nBefore any model: {base:.0f} MiB\n")
        print("| Mode | Steady after setup | Peak during setup |")
        print("| --- | --- | --- |")
        for mode in ("hybrid", "phrase"):
            with Peak() as peak:
                engine, _ = await start(mode, folder / "homes")
            print(f"| {mode} | {rss_mb():.0f} MiB | {peak.value:.0f} MiB |")
            await engine.async_close()

        engine, phrases = await start("hybrid", folder / "homes")
        settings = RecognitionSettings(
            language="ko", silence_ms=300, max_seconds=30, mode="hybrid", phrases=phrases
        )
        marks = {}
        for n in range(1, args.recognitions + 1):
            await engine.transcribe(stream(speech[n % len(speech)]), settings)
            if n in (1, 25, 50, 100) or n == args.recognitions:
                marks[n] = rss_mb()
        print("\n| Hybrid recognitions | " + " | ".join(f"after {n}" for n in marks) + " |")
        print("| --- |" + " --- |" * len(marks))
        print("| RSS | " + " | ".join(f"{v:.0f} MiB" for v in marks.values()) + " |")
        steady = rss_mb()

        rows = []
        mode = "hybrid"
        for _ in range(args.switches):
            mode = "phrase" if mode == "hybrid" else "hybrid"
            with Peak() as peak:
                await engine.async_close()
                engine, phrases = await start(mode, folder / "homes")
            rows.append((mode, rss_mb(), peak.value))
        await engine.async_close()
        print(f"\nMode switches (an entry reload each), from {steady:.0f} MiB in hybrid:\n")
        print("| Switch | To | RSS after | Peak during |")
        print("| --- | --- | --- | --- |")
        for index, (to, after, peak_value) in enumerate(rows, 1):
            print(f"| {index} | {to} | {after:.0f} MiB | {peak_value:.0f} MiB |")
        print(f"\nAfter closing: {rss_mb():.0f} MiB")


if __name__ == "__main__":
    asyncio.run(main())
