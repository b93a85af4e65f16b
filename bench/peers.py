"""Oversized and endless answers from network peers (not a test): memory and loop time.

    scripts/bench peers

A peer on the LAN (a filter found by address, a Wyoming server found by zeroconf) can
answer anything. Each attack is served from its own thread (its own event loop, so its
work is not counted), and the client under test runs in this event loop beside a ticker
that measures the longest time the loop was held. Figures: the time until the client's
error, the process's peak RSS growth, and the longest loop block.

- a filter answering 150 MB of JSON (with Content-Length, and chunked without it),
- a filter answering an endless chunked body,
- a Wyoming server announcing 2 GB of event data.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import datetime as dt
from pathlib import Path
import platform
import resource
import sys
import threading
import time

from aiohttp import ClientSession, web

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.common import LoopWatch  # noqa: E402
from custom_components.voice_guard.cloud_guard.dns.filters.adguard_home import (  # noqa: E402
    AdGuardHome,
)
from custom_components.voice_guard.cloud_guard.dns.filters.base import FilterError  # noqa: E402
from custom_components.voice_guard.local_voice.engine.errors import SpeechError  # noqa: E402
from custom_components.voice_guard.local_voice.engine.wyoming_engine import (  # noqa: E402
    describe_server,
)

BIG = 150 * 2**20
MODE = ["length"]  # what the filter's next answer is: "length", "chunked" or "forever"


async def _big(request: web.Request) -> web.StreamResponse:
    mode = MODE[0]
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    if mode == "length":
        response.content_length = BIG
    await response.prepare(request)
    piece = b"0," * (2**19)
    sent = 0
    try:
        while mode == "forever" or sent < BIG:
            await response.write(piece)
            sent += len(piece)
    except ConnectionError:
        pass
    return response


def _serve_http(ready: threading.Event, port: list[int]) -> None:
    async def main() -> None:
        app = web.Application()
        app.router.add_get("/control/status", _big)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port.append(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]  # noqa: SLF001
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


def _serve_wyoming(ready: threading.Event, port: list[int]) -> None:
    async def peer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readline()
        writer.write(b'{"type": "info", "data_length": %d}\n' % (2 * 2**30))
        piece = b"{" * 2**20
        try:
            for _ in range(2048):
                writer.write(piece)
                await writer.drain()
        except ConnectionError:
            pass

    async def main() -> None:
        server = await asyncio.start_server(peer, "127.0.0.1", 0)
        port.append(server.sockets[0].getsockname()[1])
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


def _start(serve: Callable[[threading.Event, list[int]], None]) -> int:
    ready, port = threading.Event(), []
    threading.Thread(target=serve, args=(ready, port), daemon=True).start()
    ready.wait()
    return port[0]


async def _measure(name: str, attack: Callable[[], Awaitable[object]]) -> str:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    async with LoopWatch() as watch:
        try:
            await asyncio.wait_for(attack(), timeout=60)
            outcome = "no error (!)"
        except (FilterError, SpeechError) as err:
            outcome = f"{type(err).__name__}: {str(err).split(': ', 1)[-1]}"[:110]
        except TimeoutError:
            outcome = "no answer within 60 s (!)"
        elapsed = time.perf_counter() - started
    longest = watch.longest
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    return (
        f"{name:<38} {elapsed:6.2f} s  peak RSS +{grown:6.1f} MB  "
        f"longest loop block {longest * 1000:5.1f} ms  -> {outcome}"
    )


async def run() -> None:
    """Run every attack once and print a line each."""
    http = _start(_serve_http)
    wyoming = _start(_serve_wyoming)
    print(
        f"# oversized peers, {dt.datetime.now(dt.UTC).date()}, {platform.machine()}, "
        f"{platform.python_implementation()} {platform.python_version()}"
    )
    async with ClientSession() as session:
        client = AdGuardHome(session, f"http://127.0.0.1:{http}", "", "")
        for name, mode in (
            ("filter: 150 MB JSON with Content-Length", "length"),
            ("filter: 150 MB JSON, chunked", "chunked"),
            ("filter: endless chunked body", "forever"),
        ):
            MODE[0] = mode
            print(await _measure(name, client.info))
    print(
        await _measure(
            "wyoming: 2 GB of event data announced", lambda: describe_server("127.0.0.1", wyoming)
        )
    )


if __name__ == "__main__":
    asyncio.run(run())
