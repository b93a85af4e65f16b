"""The time the engine's limits are measured in: real by default, driven by hand in tests.

A recognition's limits (no audio for stall_seconds, the wall clock of the longest command,
waiting at most busy_seconds for a decoder) read the time and wait through a Clock, so
a test can move time on as an event instead of racing the real clock on a loaded machine.
"""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager
import time
from types import TracebackType
from typing import Protocol, Self


class Clock(Protocol):
    """Now, and a limit on how long something may take."""

    def now(self) -> float:
        """Return seconds on a monotonic scale."""

    def timeout(self, seconds: float) -> AbstractAsyncContextManager[object]:
        """Return a context that raises TimeoutError when seconds have passed."""

    def expire(self, limit: object) -> None:
        """End a wait of timeout()'s now: a TimeoutError where it waits."""


class MonotonicClock:
    """The real clock: time.monotonic and asyncio.timeout."""

    def now(self) -> float:
        """Return time.monotonic()."""
        return time.monotonic()

    def timeout(self, seconds: float) -> AbstractAsyncContextManager[object]:
        """Return asyncio.timeout(seconds)."""
        return asyncio.timeout(seconds)

    def expire(self, limit: object) -> None:
        """Move an entered asyncio.timeout's deadline to now."""
        assert isinstance(limit, asyncio.Timeout)
        limit.reschedule(asyncio.get_running_loop().time())


class ManualClock:
    """A clock that moves only when told to (tests and benchmarks drive it).

    A timeout expires as soon as advance() passes its deadline: its asyncio.timeout is
    rescheduled to now, so the waiting code sees a TimeoutError exactly as with real time.
    waiting(seconds) tells how many waits of that length are under way, so a test can
    move time on exactly when the code it drives is waiting.
    """

    def __init__(self, start: float = 1000.0) -> None:
        """Start at start seconds."""
        self._now = start
        self._pending: list[_ManualTimeout] = []
        self.changed = asyncio.Event()  # set whenever a wait begins or ends

    def now(self) -> float:
        """Return the clock's time."""
        return self._now

    def timeout(self, seconds: float) -> AbstractAsyncContextManager[object]:
        """Return a timeout that expires when the clock is moved past now + seconds."""
        return _ManualTimeout(self, seconds)

    def expire(self, limit: object) -> None:
        """End one of this clock's waits now."""
        assert isinstance(limit, _ManualTimeout)
        limit.expire()

    def waiting(self, seconds: float) -> int:
        """Return how many waits of this length are under way."""
        return sum(1 for wait in self._pending if wait.seconds == seconds)

    async def until_waiting(self, seconds: float, count: int) -> None:
        """Return once count waits of this length are under way (an event, not a delay)."""
        while self.waiting(seconds) < count:
            self.changed.clear()
            await self.changed.wait()

    def advance(self, seconds: float) -> None:
        """Move time on; every wait whose deadline passed ends with a TimeoutError."""
        self._now += seconds
        for wait in list(self._pending):
            if wait.deadline <= self._now:
                wait.expire()


class _ManualTimeout:
    """One wait on a ManualClock: asyncio.timeout, expired by the clock."""

    def __init__(self, clock: ManualClock, seconds: float) -> None:
        self._clock = clock
        self.seconds = seconds
        self.deadline = clock.now() + seconds
        self._inner = asyncio.timeout(None if seconds > 0 else 0)

    async def __aenter__(self) -> Self:
        await self._inner.__aenter__()
        self._clock._pending.append(self)  # noqa: SLF001 - the clock's own helper
        self._clock.changed.set()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self in self._clock._pending:  # noqa: SLF001
            self._clock._pending.remove(self)  # noqa: SLF001
        self._clock.changed.set()
        await self._inner.__aexit__(exc_type, exc, traceback)

    def expire(self) -> None:
        """End the wait now (a TimeoutError where it waits)."""
        if self in self._clock._pending:  # noqa: SLF001
            self._clock._pending.remove(self)  # noqa: SLF001
            self._inner.reschedule(asyncio.get_running_loop().time())
