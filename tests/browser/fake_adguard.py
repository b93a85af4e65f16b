"""Serve the fake AdGuard Home on loopback for the browser test, until stopped.

Prints its address on the first line. It knows an Echo Dot on the network (an automatic
client), so the guarded-device form has a device to offer.

    python -m tests.browser.fake_adguard
"""

from __future__ import annotations

import asyncio
import signal

from tests.fakes.adguard_home import FakeAdGuardHome

ECHO = {"ip": "192.168.1.50", "name": "echo-dot-kitchen", "source": "dhcp", "whois_info": {}}


async def main() -> None:
    """Run until SIGTERM or SIGINT."""
    fake = FakeAdGuardHome()
    fake.auto_clients = [ECHO]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with fake.serve():
        print(fake.url, flush=True)  # noqa: T201
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
