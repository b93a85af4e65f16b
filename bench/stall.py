"""Stalled and trickling clients against the real engine (not a test): a command's wait.

    scripts/bench stall [--runs 5] [--attack stall|trickle]

Ten clients send 16 kB of speech and then nothing (connection open), two more send
nothing at all; then a good command is spoken at real-time pace. It waits for a decoder
while the stalled speakers hold and lose them (a holder quiet for a second gives its
decoder up while another request waits), then is decoded. The figure is the README's
bound: a good command is answered within the stall limit plus its own decoding. With
--attack trickle as many holders as decoders instead send one 20 ms frame every second,
each in time for the stall limit: the least-rate rule ends them (about four seconds).
Real Vosk, the real clock, the engine's default limits.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator
import datetime as dt
from pathlib import Path
import platform
import sys
import tempfile
import time

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from custom_components.voice_guard.local_voice.engine.base import (  # noqa: E402
    TRICKLE_RATE,
    TRICKLE_SLACK_SECONDS,
    RecognitionSettings,
)
from custom_components.voice_guard.local_voice.engine.vosk_engine import VoskEngine  # noqa: E402
from tests.speech import (  # noqa: E402
    KITCHEN_ON,
    MODEL_PATH,
    silent_stream,
    speak,
    stalled_stream,
    stream,
)


async def trickle_stream(pcm: bytes) -> AsyncIterator[bytes]:
    """Send one 20 ms frame a second, for ever (a trickling client)."""
    while True:
        for start in range(0, len(pcm), 640):
            yield pcm[start : start + 640]
            await asyncio.sleep(1)


async def run(runs: int, attack: str) -> None:
    """Measure and print one line per run, then the worst."""
    with tempfile.TemporaryDirectory() as folder:
        pcm = speak(KITCHEN_ON, Path(folder))
    engine = VoskEngine(MODEL_PATH, "ko", max_decoders=2)
    await engine.async_load()
    settings = RecognitionSettings(language="ko", silence_ms=300, max_seconds=30)
    print(
        f"# stalled clients, {dt.datetime.now(dt.UTC).date()}, {platform.machine()}, "
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"stall limit {engine.stall_seconds:g} s, {engine.max_decoders} decoders, "
        f"attack: {attack} ({10 if attack == 'stall' else engine.max_decoders} holders)"
    )
    holder = stalled_stream if attack == "stall" else trickle_stream
    worst = 0.0
    for number in range(runs):
        speakers = 10 if attack == "stall" else engine.max_decoders
        holders = [
            asyncio.create_task(engine.transcribe(holder(pcm), settings)) for _ in range(speakers)
        ]
        holders += [
            asyncio.create_task(engine.transcribe(silent_stream(), settings)) for _ in range(2)
        ]
        while engine.decoders_in_use < engine.max_decoders:
            engine.decoders_changed.clear()
            await engine.decoders_changed.wait()
        started = time.monotonic()
        result = await engine.transcribe(stream(pcm, pace=0.02, silence_after_ms=1000), settings)
        elapsed = time.monotonic() - started
        worst = max(worst, elapsed)
        await asyncio.gather(*holders, return_exceptions=True)
        print(f"run {number + 1}: answered after {elapsed:.2f} s ({result.text!r})")
    bound = (
        f"stall limit {engine.stall_seconds:g} s"
        if attack == "stall"
        else f"{TRICKLE_SLACK_SECONDS:g} s of slack at {TRICKLE_RATE:g}x real time"
    )
    print(f"worst: {worst:.2f} s ({bound} + decoding)")
    await engine.async_close()


def main() -> None:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--attack", choices=("stall", "trickle"), default="stall")
    args = parser.parse_args()
    asyncio.run(run(args.runs, args.attack))


if __name__ == "__main__":
    main()
