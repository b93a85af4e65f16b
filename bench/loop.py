"""The longest event-loop step for what a user or peer can make large (not a test).

    scripts/bench loop

Each case runs with asyncio's debug mode, whose slow-callback log names every step over
slow_callback_duration (50 ms here, Home Assistant's `hass --debug` reports 100 ms), and
with a task of its own that measures the longest gap between its turns (every step of
anyone in between). The cases, at their bounds:

- speech: ten minutes of audio sent at full speed, as a backlog of 2,048-byte chunks (what
  the Assist websocket queues) and as one 19 MB chunk, into the embedded engine with the
  longest command allowed (120 s; the engine ends it there with "too_long");
- guard: a device with the most extra hosts allowed (100 voice + 100 telemetry) applied to
  AdGuard Home and to Pi-hole (the loopback fakes): reconcile, verify, and the form's
  check of its 200 host names (Public Suffix List and IDNA).

Real Vosk, the real clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
import datetime as dt
import logging
from pathlib import Path
import platform
import sys
import tempfile
import time

import aiohttp

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.common import LoopWatch  # noqa: E402
from custom_components.voice_guard.cloud_guard.dns.catalog import (  # noqa: E402
    DeviceType,
    load_catalog,
)
from custom_components.voice_guard.cloud_guard.dns.filters.adguard_home import (  # noqa: E402
    AdGuardHome,
)
from custom_components.voice_guard.cloud_guard.dns.filters.base import DnsFilter  # noqa: E402
from custom_components.voice_guard.cloud_guard.dns.filters.pihole import PiHole  # noqa: E402
from custom_components.voice_guard.cloud_guard.dns.hosts import normalize_pattern  # noqa: E402
from custom_components.voice_guard.cloud_guard.dns.policy import (  # noqa: E402
    Block,
    GuardedDevice,
    desired_policy,
)
from custom_components.voice_guard.const import MAX_EXTRA_HOSTS, MAX_MAX_SECONDS  # noqa: E402
from custom_components.voice_guard.local_voice.engine.base import (  # noqa: E402
    RecognitionSettings,
)
from custom_components.voice_guard.local_voice.engine.errors import AudioError  # noqa: E402
from custom_components.voice_guard.local_voice.engine.vosk_engine import VoskEngine  # noqa: E402
from tests.fakes.adguard_home import FakeAdGuardHome  # noqa: E402
from tests.fakes.pihole import FakePiHole  # noqa: E402
from tests.speech import KITCHEN_ON, MODEL_PATH, speak  # noqa: E402

SLOW = 0.05  # seconds: a step longer than this is logged by asyncio's debug mode
TEN_MINUTES = 10 * 60 * 32_000  # bytes of 16 kHz 16-bit mono audio


class _SlowSteps(logging.Handler):
    """Collect asyncio's "Executing ... took N seconds" reports."""

    def __init__(self) -> None:
        super().__init__()
        self.reports: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "took" in message and "seconds" in message:
            self.reports.append(message)
            print(f"  slow: {message[:300]}", file=sys.stderr)


async def longest_step(work: Callable[[], Awaitable[object]]) -> tuple[float, float, int]:
    """Run work; return its time, the longest gap between a watcher's turns, slow reports."""
    loop = asyncio.get_running_loop()
    slow = _SlowSteps()
    logging.getLogger("asyncio").addHandler(slow)
    loop.set_debug(True)
    loop.slow_callback_duration = SLOW
    started = time.perf_counter()
    try:
        async with LoopWatch() as watch:
            await work()
    finally:
        elapsed = time.perf_counter() - started
        loop.set_debug(False)
        logging.getLogger("asyncio").removeHandler(slow)
    longest = watch.longest
    return elapsed, longest, len(slow.reports)


def line(case: str, measured: tuple[float, float, int]) -> str:
    """One result line."""
    elapsed, longest, reports = measured
    return (
        f"| {case} | {elapsed:.2f} s | {longest * 1000:.1f} ms | "
        f"{reports} over {SLOW * 1000:.0f} ms |"
    )


async def speech(engine: VoskEngine, pcm: bytes, chunk: int) -> None:
    """Ten minutes of audio at full speed (speech, then noise-free silence repeated)."""
    audio = (pcm + b"\0" * 32_000) * (TEN_MINUTES // (len(pcm) + 32_000) + 1)

    async def far_ahead() -> AsyncIterator[bytes]:
        for start in range(0, TEN_MINUTES, chunk):
            yield audio[start : start + chunk]

    settings = RecognitionSettings(
        language="ko", silence_ms=3000, max_seconds=MAX_MAX_SECONDS, mode="open"
    )
    try:
        await engine.transcribe(far_ahead(), settings)
    except AudioError as err:
        if err.reason != "too_long":  # the engine must end it at the longest command
            raise


async def guard(kind: str) -> None:
    """Apply a device with the most extra hosts allowed, as adding it does."""
    fake = FakeAdGuardHome() if kind == "AdGuard Home" else FakePiHole()
    voice = [f"voice{n}.example.net" for n in range(MAX_EXTRA_HOSTS)]
    telemetry = [f"telemetry{n}.example.org" for n in range(MAX_EXTRA_HOSTS)]
    catalog = load_catalog()  # Home Assistant reads it once, in an executor, at setup
    async with fake.serve(), aiohttp.ClientSession() as session:
        client: DnsFilter = (
            AdGuardHome(session, fake.url, "admin", "secret")
            if isinstance(fake, FakeAdGuardHome)
            else PiHole(session, fake.url, "secret")
        )

        async def add() -> None:
            hosts = [normalize_pattern(host) for host in voice + telemetry]  # the form
            device = GuardedDevice(
                device_id="office",
                name="Office Echo",
                device_type=DeviceType.ECHO,
                ips=("192.168.1.40",),
                extra_voice_hosts=tuple(hosts[:MAX_EXTRA_HOSTS]),
                extra_telemetry_hosts=tuple(hosts[MAX_EXTRA_HOSTS:]),
            )
            wanted = [desired_policy(device, {Block.VOICE, Block.TELEMETRY}, catalog)]
            await client.info()
            await client.reconcile(wanted)
            await client.verify(wanted)

        print(line(f"guard: a device with {2 * MAX_EXTRA_HOSTS} extra hosts, {kind}",
                   await longest_step(add)), flush=True)  # fmt: skip
        await client.close()


async def main() -> None:
    """Measure every case and print a table."""
    print(
        f"# longest event-loop step, {dt.datetime.now(dt.UTC).date()}, {platform.machine()}, "
        f"{platform.python_implementation()} {platform.python_version()}"
    )
    print("| case | took | longest step | slow-callback reports |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        pcm = speak(KITCHEN_ON, Path(folder))
    engine = VoskEngine(MODEL_PATH, "ko", max_decoders=2)
    await engine.async_load()
    for chunk, name in ((2_048, "a backlog of 2,048-byte chunks"), (TEN_MINUTES, "one chunk")):
        measured = await longest_step(lambda chunk=chunk: speech(engine, pcm, chunk))
        print(line(f"speech: 10 min of audio at full speed, {name}", measured), flush=True)
    await engine.async_close()
    for kind in ("AdGuard Home", "Pi-hole"):
        await guard(kind)


if __name__ == "__main__":
    asyncio.run(main())
