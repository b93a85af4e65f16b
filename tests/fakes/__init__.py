"""Loopback HTTP fakes of the DNS filters, faithful to their documented APIs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
import contextlib
from typing import Any

from aiohttp import web


class FakeServer:
    """An aiohttp app on 127.0.0.1 with switchable faults: status codes, hangs, hooks."""

    def __init__(self) -> None:
        """Serve nothing until started."""
        self.url = ""
        self.requests: list[tuple[str, str]] = []
        self.fail_status: int | None = None
        self.hang = False
        # Called before a request is handled: lets a test act as the user in between.
        self.before: Callable[[str, str], None] | None = None
        self._runner: web.AppRunner | None = None
        self._release = asyncio.Event()

    def routes(self, app: web.Application) -> None:
        """Add the API's routes."""
        raise NotImplementedError

    @property
    def writes(self) -> int:
        """Requests that changed something."""
        return sum(method != "GET" for method, path in self.requests if not path.endswith("/auth"))

    @web.middleware
    async def _faults(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        self.requests.append((request.method, request.path))
        if self.hang:
            await self._release.wait()  # until the server stops
            return web.Response(status=503)
        if self.fail_status is not None:
            return web.json_response({"error": "fault"}, status=self.fail_status)
        if self.before is not None:
            self.before(request.method, request.path)
        return await handler(request)

    @contextlib.asynccontextmanager
    async def serve(self) -> AsyncIterator[Any]:
        """Run on a free loopback port."""
        app = web.Application(middlewares=[self._faults])
        self.routes(app)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        try:
            yield self
        finally:
            self._release.set()
            await self._runner.cleanup()
