"""Cloud guard benchmark (not a test): filter API calls, bytes and time per coordinator update.

    scripts/bench guard [--devices 1,10,100] [--lookups 100000] [--part filters|inventory]

For AdGuard Home and Pi-hole (the loopback fakes that answer as the notes say), with
guarded Echo devices blocking voice and telemetry and a query log that already holds
`--lookups` lookups of the day (a busy home: about 100,000), it measures

- the first apply (nothing in the filter, nothing read before),
- a steady update: what every 30 s poll costs once 30 s of new lookups arrived
  (100,000 a day is about 35 per poll),
- one switch changed;

and the destinations inventory (cloud_guard/destinations.py) on its own: `--devices`' largest
number of Echos, `--lookups` a day for seven days, fed poll by poll as the coordinator
feeds it (about 35 lookups per 30 s poll; each Echo looks up 25 hosts of its own and,
one lookup in twenty, a host never seen before): the time one poll adds (count the
lookups, work out the devices' hosts for the entities), the inventory's memory and its
stored size, after one day and after seven.

An update is what the coordinator does: status, reconcile, verify, read the query log
since the newest entry already read. Calls and bytes are counted on the client's HTTP session, so
the same benchmark measures an older revision of the clients (one that read the query
log with `blocked_queries`) for a before/after comparison.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import os
from pathlib import Path
import platform
import sys
import time
from types import SimpleNamespace
from typing import Any

import aiohttp

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from custom_components.voice_guard.cloud_guard.destinations import (  # noqa: E402
    Categorizer,
    Destinations,
)
from custom_components.voice_guard.cloud_guard.dns.catalog import DeviceType, load_catalog  # noqa: E402
from custom_components.voice_guard.cloud_guard.dns.filters.adguard_home import AdGuardHome  # noqa: E402
from custom_components.voice_guard.cloud_guard.dns.filters.base import DnsFilter  # noqa: E402
from custom_components.voice_guard.cloud_guard.dns.filters.pihole import PiHole  # noqa: E402
from custom_components.voice_guard.cloud_guard.dns.policy import (  # noqa: E402
    Block,
    DevicePolicy,
    GuardedDevice,
    desired_policy,
)
from tests.fakes.adguard_home import FakeAdGuardHome  # noqa: E402
from tests.fakes.pihole import FakePiHole  # noqa: E402

CATALOG = load_catalog()
POLL = timedelta(seconds=30)


def address(n: int) -> str:
    """Return the address of guarded device n."""
    return f"10.0.{n // 200}.{n % 200 + 2}"


def policies(count: int, blocks: set[Block]) -> list[DevicePolicy]:
    """Policies of count Echo devices."""
    return [
        desired_policy(
            GuardedDevice(
                device_id=f"dev{n:03d}",
                name=f"Echo {n}",
                device_type=DeviceType.ECHO_DOT,
                ips=(address(n),),
            ),
            blocks,
            CATALOG,
        )
        for n in range(count)
    ]


@dataclass
class Traffic:
    """Requests and response bytes seen on the client's session."""

    calls: int = 0
    by_path: dict[str, int] = field(default_factory=dict)
    # The responses, whose bodies the clients read in chunks (bounded reads fire no
    # chunk trace): their streams count the bytes read.
    responses: list[aiohttp.ClientResponse] = field(default_factory=list)

    @property
    def received(self) -> int:
        """Response bytes read so far."""
        return sum(r.content.total_bytes for r in self.responses)

    def config(self) -> aiohttp.TraceConfig:
        """Return a trace config that counts."""
        trace = aiohttp.TraceConfig()

        async def start(_: Any, __: Any, params: aiohttp.TraceRequestStartParams) -> None:
            self.calls += 1
            path = params.url.path
            self.by_path[path] = self.by_path.get(path, 0) + 1

        async def end(_: Any, __: Any, params: aiohttp.TraceRequestEndParams) -> None:
            self.responses.append(params.response)

        trace.on_request_start.append(start)
        trace.on_request_end.append(end)
        return trace


def fill_log(fake: Any, lookups: int, devices: int, now: datetime) -> None:
    """Log a day of lookups, newest first: the devices' and other clients', mostly allowed."""
    step = timedelta(days=1) / max(lookups, 1)
    for n in range(lookups):
        when = now - step * (n + 1)
        device = n % (devices + 20)  # 20 other clients besides the guarded devices
        client = address(device) if device < devices else f"10.9.0.{device}"
        host = f"site{n % 5000}.example.com"
        blocked = n % 500 == 0 and device < devices  # now and then a blocked voice lookup
        if blocked:
            host = "avs-alexa-na.amazon.com"
        rule = f"||avs-alexa-*.amazon.com^$client={client}"
        if isinstance(fake, FakeAdGuardHome):
            reason = "FilteredBlackList" if blocked else "NotFilteredNotFound"
            if hasattr(fake, "record"):
                fake.record(client, host, reason, [rule] if blocked else [], when)
            else:  # the fake of an older revision
                fake.querylog.append(_old_adguard_entry(client, host, when, reason, rule))
        else:
            entry = _pihole_entry(len(fake.queries) + 1, client, host, when)
            if blocked:
                entry.update(status="REGEX", upstream="blocklist")
            fake.queries.append(entry)
    if isinstance(fake, FakePiHole):
        fake.queries.sort(key=lambda q: q["time"])


def _old_adguard_entry(
    client: str, host: str, when: datetime, reason: str = "NotFilteredNotFound", rule: str = ""
) -> dict[str, Any]:
    return {
        "client": client,
        "question": {"class": "IN", "name": host, "type": "A"},
        "reason": reason,
        "rules": [{"filter_list_id": 0, "text": rule}] if rule else [],
        "time": when.strftime("%Y-%m-%dT%H:%M:%S.%f") + "123+00:00",
        "status": "NOERROR",
    }


def _pihole_entry(number: int, client: str, host: str, when: datetime) -> dict[str, Any]:
    return {
        "id": number,
        "time": when.timestamp(),
        "type": "A",
        "status": "FORWARDED",
        "domain": host,
        "client": {"ip": client, "name": None},
        "list_id": None,
        "upstream": "8.8.8.8#53",
        "dnssec": "UNKNOWN",
        "reply": {"type": "IP", "time": 0.3},
        "ede": {"code": -1, "text": None},
        "cname": None,
    }


class Poller:
    """What the coordinator does each update, with the cursor it keeps."""

    def __init__(self, client: DnsFilter) -> None:
        """Poll with client."""
        self.client = client
        self.cursor: datetime | None = None
        self.seen: set[str] = set()

    async def update(self, wanted: list[DevicePolicy]) -> int:
        """One update, as the coordinator runs it; return the writes."""
        if hasattr(self.client, "begin_update"):  # not in older revisions
            self.client.begin_update()
        await self.client.info()
        result = await self.client.reconcile(wanted)
        await self.client.verify(wanted)
        now = datetime.now(UTC)
        window = now - timedelta(hours=24)
        if not hasattr(self.client, "query_log"):  # an older revision
            await self.client.blocked_queries(wanted, window)  # type: ignore[attr-defined]
            return result.writes
        since = max(self.cursor, window) if self.cursor else window
        unknown = [p.device.device_id for p in wanted if p.device.device_id not in self.seen]
        # As the coordinator: after a gap, answered lookups are read back only for devices
        # whose rules were in force before it (none on a first start).
        keep = [p.device.device_id for p in wanted] if self.cursor else []
        log = await self.client.query_log(
            wanted, since, find_last=unknown, window_start=window, keep_answered=keep
        )
        self.seen.update(unknown)
        if log.newest is not None:
            self.cursor = max(self.cursor or log.newest, log.newest)
        return result.writes


async def measure(traffic: Traffic, poller: Poller, wanted: list[DevicePolicy]) -> str:
    """Time, calls and bytes of one update."""
    calls, received = traffic.calls, traffic.received
    start = time.perf_counter()
    writes = await poller.update(wanted)
    elapsed = (time.perf_counter() - start) * 1000
    return (
        f"{elapsed:7.1f} ms, {traffic.calls - calls:4d} calls, "
        f"{(traffic.received - received) / 1024:8.1f} kB ({writes} writes)"
    )


def new_lookups(fake: Any, devices: int, count: int) -> None:
    """Log the lookups of one poll interval, happening now."""
    now = datetime.now(UTC)
    for n in range(count):
        when = now - POLL + POLL * (n + 1) / (count + 1)
        client = address(n % devices)
        if isinstance(fake, FakeAdGuardHome) and hasattr(fake, "record"):
            fake.record(client, f"poll{n}.example.com", "NotFilteredNotFound", [], when)
        elif isinstance(fake, FakeAdGuardHome):
            fake.querylog.insert(0, _old_adguard_entry(client, f"poll{n}.example.com", when))
        else:
            fake.queries.append(_pihole_entry(len(fake.queries) + 1, client, "poll.example", when))


async def run(kind: str, count: int, lookups: int) -> None:
    """Cold apply, steady state and one change for count devices."""
    fake: Any = FakeAdGuardHome() if kind == "AdGuard Home" else FakePiHole()
    fill_log(fake, lookups, count, datetime.now(UTC))
    traffic = Traffic()
    async with fake.serve(), aiohttp.ClientSession(trace_configs=[traffic.config()]) as session:
        client: DnsFilter = (
            AdGuardHome(session, fake.url, "admin", "secret")
            if isinstance(fake, FakeAdGuardHome)
            else PiHole(session, fake.url, "secret")
        )
        poller = Poller(client)
        wanted = policies(count, {Block.VOICE, Block.TELEMETRY})
        first = await measure(traffic, poller, wanted)
        await poller.update(wanted)  # warm caches (check_host per rule generation)
        new_lookups(fake, count, 35)
        steady = await measure(traffic, poller, wanted)
        changed = [*wanted[:-1], policies(count, {Block.ALL_CLOUD})[-1]]
        new_lookups(fake, count, 35)
        change = await measure(traffic, poller, changed)
        # Home Assistant stopped for an hour: every device's lookups of that hour are read
        # back, answered ones too (its rules were in force before).
        poller.cursor = datetime.now(UTC) - timedelta(hours=1)
        restart = await measure(traffic, poller, changed)
        await client.close()
    print(f"| {kind} | {count} | {first} | {steady} | {change} | {restart} |", flush=True)


def inventory(devices: int, per_day: int, days: int = 7) -> None:
    """Feed the inventory a week of lookups, poll by poll; print what it costs."""
    import json  # noqa: PLC0415
    import random  # noqa: PLC0415
    import tracemalloc  # noqa: PLC0415

    rnd = random.Random(7)  # noqa: S311 - a repeatable workload, not a secret
    wanted = policies(devices, set(Block))
    categorize = {p.device.device_id: Categorizer(p.categories) for p in wanted}
    ids = list(categorize)
    own = {
        d: [f"h{n}.amazon.com" for n in range(10)]
        + [f"s{n}.vendor{i}.example.com" for n in range(15)]
        for i, d in enumerate(ids)
    }
    per_poll = max(1, round(per_day * POLL.total_seconds() / 86400))
    polls = int(days * 86400 / POLL.total_seconds())
    start = datetime(2026, 12, 1, tzinfo=UTC)
    kept = Destinations()
    kept.record({}, ids, start)
    times: list[float] = []
    unique = 0
    print(
        f"\n## Destinations inventory: {devices} devices, {per_day:,} lookups a day "
        f"({per_poll} per poll)\n"
    )
    print("| After | Poll adds p50 / p95 / max | Hosts kept | Memory | Stored |")
    print("| --- | --- | --- | --- | --- |")
    for number in range(1, polls + 1):
        now = start + POLL * number
        found: dict[str, list[tuple[str, datetime, bool | None]]] = {}
        for k in range(per_poll):
            device = rnd.choice(ids)
            if rnd.random() < 0.05:
                unique += 1
                host = f"new{unique}.example.net"
            else:
                host = rnd.choice(own[device])
            when = now - POLL + timedelta(seconds=k * POLL.total_seconds() / per_poll)
            found.setdefault(device, []).append((host, when, rnd.random() < 0.3))
        began = time.perf_counter()
        kept.record(found, ids, now)
        for device in ids:
            kept.of(device, categorize[device], now)
        times.append(time.perf_counter() - began)
        if number in (polls // days, polls):
            # Memory: the inventory loaded from what it stores, under tracemalloc (which
            # would slow the polls timed above).
            text = json.dumps(kept.stored(), separators=(",", ":"))
            stored = len(text)
            tracemalloc.start()
            again = Destinations()
            again.load(json.loads(text))
            memory, _ = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            del again
            hosts = sum(len(kept.of(d, categorize[d], now)) for d in ids)
            recent = sorted(times[-(polls // days) :])
            p50, p95 = recent[len(recent) // 2], recent[int(len(recent) * 0.95)]
            print(
                f"| {number * POLL.total_seconds() / 86400:.0f} d | {p50 * 1000:.2f} / "
                f"{p95 * 1000:.2f} / {recent[-1] * 1000:.1f} ms | {hosts:,} | "
                f"{memory / 2**20:.1f} MiB | {stored / 2**20:.2f} MiB |",
                flush=True,
            )


async def main() -> None:
    """Run every filter and size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", default="1,10,100")
    parser.add_argument("--lookups", type=int, default=100_000)
    parser.add_argument("--part", choices=("all", "filters", "inventory"), default="all")
    args = parser.parse_args()
    sizes = [int(n) for n in args.devices.split(",")]
    machine = SimpleNamespace(arch=platform.machine(), cores=os.cpu_count())
    print(
        f"# Voice Guard cloud guard benchmark on {machine.arch}, {machine.cores} cores, "
        f"CPython {platform.python_version()}, {time.strftime('%Y-%m-%d')}, "
        f"query log of {args.lookups:,} lookups\n"
    )
    if args.part != "inventory":
        print(
            "| Filter | Devices | First apply | Steady update (every 30 s) | One switch changed "
            "| After a 1 h stop |"
        )
        print("| --- | --- | --- | --- | --- | --- |")
        for kind in ("AdGuard Home", "Pi-hole"):
            for count in sizes:
                await run(kind, count, args.lookups)
    if args.part != "filters":
        inventory(max(sizes), args.lookups)


if __name__ == "__main__":
    asyncio.run(main())
