"""A local stand-in for the Vosk model download site, with every failure a download can meet."""

from __future__ import annotations

from collections.abc import AsyncIterator
import contextlib
import io
import zipfile

from aiohttp import web

from custom_components.voice_guard.local_voice.engine.catalog import CatalogModel

MODEL_FILES = (
    "am/final.mdl",
    "conf/model.conf",
    "conf/mfcc.conf",
    "graph/HCLr.fst",
    "graph/Gr.fst",
    "graph/words.txt",
)


def model_zip(name: str, files: tuple[str, ...] = MODEL_FILES, *, top: bool = True) -> bytes:
    """A zip shaped like an official Vosk model archive (one top folder named like it)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        for index, file in enumerate(files):
            path = f"{name}/{file}" if top else file
            zipped.writestr(path, f"{file} {index} ".encode() * 2000)
    return buffer.getvalue()


def corrupt(data: bytes) -> bytes:
    """Flip bytes in the middle of an archive so its checksums fail."""
    middle = len(data) // 2
    return data[:middle] + bytes(b ^ 0xFF for b in data[middle : middle + 64]) + data[middle + 64 :]


def catalog_model(name: str = "vosk-model-small-test-0.1") -> CatalogModel:
    """A catalog entry for the test models."""
    return CatalogModel(name=name, language="ko", size_mb=1, grammar=True)


class ModelSite:
    """Serves /models/<name>.zip; behaviour per name is set by the test."""

    def __init__(self) -> None:
        """Serve nothing until told to."""
        self.archives: dict[str, bytes] = {}
        self.cut: set[str] = set()
        self.status: dict[str, int] = {}
        self.requests = 0
        self.base_url = ""

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        name = request.match_info["name"]
        if name in self.status:
            return web.Response(status=self.status[name])
        if name not in self.archives:
            return web.Response(status=404)
        data = self.archives[name]
        response = web.StreamResponse()
        response.content_length = len(data)
        await response.prepare(request)
        if name in self.cut:
            await response.write(data[: len(data) // 2])
            assert request.transport is not None
            request.transport.close()
            return response
        for start in range(0, len(data), 64 * 1024):
            await response.write(data[start : start + 64 * 1024])
        await response.write_eof()
        return response

    @contextlib.asynccontextmanager
    async def serve(self) -> AsyncIterator[ModelSite]:
        """Run the site on a free loopback port."""
        app = web.Application()
        app.router.add_get("/models/{name}.zip", self._handle)
        runner = web.AppRunner(app, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}/models"
        try:
            yield self
        finally:
            await runner.cleanup()
