"""Serve the fake AdGuard Home on loopback for the browser test, until stopped.

Prints its address on the first line. It knows two Echos on the network (automatic
clients), so the guarded-device form has devices to offer. POST /test/lookups makes both
look hosts up every two seconds from then on — Amazon's voice and telemetry hosts and
hosts in no catalog — as real Echos do: AdGuard Home answers or blocks each by the rules
in force and logs it, which is what the Voice Guard panel shows. (Before that the Echos
ask nothing, so the first steps see a device that has not asked the filter yet.)

    python -m tests.browser.fake_adguard
"""

from __future__ import annotations

import asyncio
import contextlib
import signal

from aiohttp import web

from tests.fakes.adguard_home import FakeAdGuardHome

ECHO = {"ip": "192.168.1.50", "name": "echo-dot-kitchen", "source": "dhcp", "whois_info": {}}
SHOW = {"ip": "192.168.1.51", "name": "echo-show-living-room", "source": "dhcp", "whois_info": {}}
LOOKUPS = {
    ECHO["ip"]: ("avs-alexa-eu.amazon.com", "device-metrics-us.amazon.com", "tracker.example.net"),
    SHOW["ip"]: ("unagi-na.amazon.com", "cdn.example.org", "avs-alexa-eu.amazon.com"),
}
EVERY = 2.0  # seconds between each device's round of lookups


class BrowserAdGuard(FakeAdGuardHome):
    """The fake with a test switch that starts the Echos' lookups."""

    def __init__(self) -> None:
        """Know both Echos; no lookups yet."""
        super().__init__()
        self.auto_clients = [ECHO, SHOW]
        self._looking: asyncio.Task[None] | None = None

    def routes(self, app: web.Application) -> None:
        """AdGuard Home's endpoints and the test's switch."""
        super().routes(app)
        app.router.add_post("/test/lookups", self._start_lookups)

    async def _start_lookups(self, _: web.Request) -> web.Response:
        if self._looking is None:
            self._looking = asyncio.create_task(self._look_up())
        return web.json_response({"started": True})

    async def _look_up(self) -> None:
        while True:
            for ip, hosts in LOOKUPS.items():
                for host in hosts:
                    self.query(ip, host)
            await asyncio.sleep(EVERY)

    async def stop(self) -> None:
        """Stop looking hosts up."""
        if self._looking is not None:
            self._looking.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._looking


async def main() -> None:
    """Run until SIGTERM or SIGINT."""
    fake = BrowserAdGuard()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with fake.serve():
        print(fake.url, flush=True)  # noqa: T201
        await stop.wait()
        await fake.stop()


if __name__ == "__main__":
    asyncio.run(main())
