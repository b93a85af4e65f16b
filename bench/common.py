"""What the benchmarks share: statistics, the Korean light commands, a loop watch."""

from __future__ import annotations

import asyncio
import time
from typing import Self

AREAS = ("거실", "부엌", "침실", "현관", "안방")
# "{area} {light} on/off": the commands of a home with lights in five areas.
COMMANDS = [
    f"{a} {light} {verb}" for a in AREAS for light in ("불", "조명") for verb in ("켜줘", "꺼")
]


def percentile(values: list[float], pct: float) -> float:
    """Return the nearest-rank percentile."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


class LoopWatch:
    """The longest gap between a watching task's turns: the event loop's longest step.

    async with LoopWatch() as watch: ...; then watch.longest (seconds).
    """

    def __init__(self) -> None:
        """Watch nothing yet."""
        self.longest = 0.0
        self._running = False
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Self:
        """Start watching."""
        self._running = True
        self._task = asyncio.create_task(self._watch())
        await asyncio.sleep(0)
        return self

    async def __aexit__(self, *_: object) -> None:
        """Stop watching."""
        self._running = False
        if self._task is not None:
            await self._task

    async def _watch(self) -> None:
        last = time.perf_counter()
        while self._running:
            await asyncio.sleep(0)
            now = time.perf_counter()
            self.longest = max(self.longest, now - last)
            last = now
