"""Stalled clients against the real engine (not a test): how long a good command waits.

    scripts/bench stall [--runs 5]

As many clients as there are decoders send 16 kB of speech and then nothing (connection
open), two more send nothing at all; then a good command is spoken at real-time pace.
It waits for a decoder until the stall limit ends the stalled recognitions, then is
decoded. The figure is the README's bound: a good command is answered within the stall
limit plus its own decoding. Real Vosk, the real clock, the engine's default limits.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
from pathlib import Path
import platform
import sys
import tempfile
import time

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from custom_components.voice_guard.local_voice.engine.base import (  # noqa: E402
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


async def run(runs: int) -> None:
    """Measure and print one line per run, then the worst."""
    with tempfile.TemporaryDirectory() as folder:
        pcm = speak(KITCHEN_ON, Path(folder))
    engine = VoskEngine(MODEL_PATH, "ko", max_decoders=2)
    await engine.async_load()
    settings = RecognitionSettings(language="ko", silence_ms=300, max_seconds=30)
    print(
        f"# stalled clients, {dt.datetime.now(dt.UTC).date()}, {platform.machine()}, "
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"stall limit {engine.stall_seconds:g} s, {engine.max_decoders} decoders"
    )
    worst = 0.0
    for number in range(runs):
        holders = [
            asyncio.create_task(engine.transcribe(stalled_stream(pcm), settings)) for _ in range(2)
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
    print(f"worst: {worst:.2f} s (stall limit {engine.stall_seconds:g} s + decoding)")
    await engine.async_close()


def main() -> None:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    asyncio.run(run(parser.parse_args().runs))


if __name__ == "__main__":
    main()
