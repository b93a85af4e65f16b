"""Cloud guard benchmark (not a test): time and filter API calls to reconcile devices.

    scripts/bench guard

For AdGuard Home and Pi-hole (the loopback fakes that behave as their APIs do), with
1, 10 and 100 guarded Echo devices blocking voice and telemetry: the first apply, a
steady-state update (nothing changed: what every 30 s poll costs), and one switch changed.
An update is what the coordinator does: reconcile, verify, read the query log.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
import os
from pathlib import Path
import platform
import sys
import time
from typing import Any

import aiohttp

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from custom_components.voice_guard.guard.catalog import DeviceType, load_catalog  # noqa: E402
from custom_components.voice_guard.guard.filters.adguard_home import AdGuardHome  # noqa: E402
from custom_components.voice_guard.guard.filters.base import DnsFilter  # noqa: E402
from custom_components.voice_guard.guard.filters.pihole import PiHole  # noqa: E402
from custom_components.voice_guard.guard.policy import (  # noqa: E402
    Block,
    DevicePolicy,
    GuardedDevice,
    desired_policy,
)
from tests.fakes.adguard_home import FakeAdGuardHome  # noqa: E402
from tests.fakes.pihole import FakePiHole  # noqa: E402

CATALOG = load_catalog()


def policies(count: int, blocks: set[Block]) -> list[DevicePolicy]:
    """Policies of count Echo devices."""
    return [
        desired_policy(
            GuardedDevice(
                device_id=f"dev{n:03d}",
                name=f"Echo {n}",
                device_type=DeviceType.ECHO_DOT,
                ips=(f"10.0.{n // 200}.{n % 200 + 2}",),
            ),
            blocks,
            CATALOG,
        )
        for n in range(count)
    ]


async def update(client: DnsFilter, wanted: list[DevicePolicy]) -> int:
    """One coordinator update; return the writes."""
    result = await client.reconcile(wanted)
    await client.verify(wanted)
    await client.blocked_queries(wanted, datetime.now(UTC) - timedelta(hours=24))
    return result.writes


async def measure(fake: Any, client: DnsFilter, wanted: list[DevicePolicy]) -> str:
    """Time and count the API calls of one update."""
    before = len(fake.requests)
    start = time.perf_counter()
    writes = await update(client, wanted)
    elapsed = (time.perf_counter() - start) * 1000
    return f"{elapsed:7.1f} ms, {len(fake.requests) - before:4d} calls ({writes} writes)"


async def run(kind: str, count: int, session: aiohttp.ClientSession) -> None:
    """Cold apply, steady state and one change for count devices."""
    fake: Any = FakeAdGuardHome() if kind == "AdGuard Home" else FakePiHole()
    async with fake.serve():
        client: DnsFilter = (
            AdGuardHome(session, fake.url, "admin", "secret")
            if isinstance(fake, FakeAdGuardHome)
            else PiHole(session, fake.url, "secret")
        )
        wanted = policies(count, {Block.VOICE, Block.TELEMETRY})
        first = await measure(fake, client, wanted)
        await update(client, wanted)  # warm caches (check_host per rule generation)
        steady = await measure(fake, client, wanted)
        changed = [*wanted[:-1], policies(count, {Block.ALL_CLOUD})[-1]]
        change = await measure(fake, client, changed)
        await client.close()
    print(f"| {kind} | {count} | {first} | {steady} | {change} |")


async def main() -> None:
    """Run every filter and size."""
    print(
        f"# Voice Guard cloud guard benchmark on {platform.machine()}, {os.cpu_count()} cores, "
        f"CPython {platform.python_version()}, {time.strftime('%Y-%m-%d')}\n"
    )
    print("| Filter | Devices | First apply | Steady update (every 30 s) | One switch changed |")
    print("| --- | --- | --- | --- | --- |")
    async with aiohttp.ClientSession() as session:
        for kind in ("AdGuard Home", "Pi-hole"):
            for count in (1, 10, 100):
                await run(kind, count, session)


if __name__ == "__main__":
    asyncio.run(main())
