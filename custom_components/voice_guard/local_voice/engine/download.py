"""Download a catalog model: stream to a temporary file, check it, unpack it atomically.

Nothing half-written is ever left where a model is expected: the archive is streamed
into a hidden temporary file next to the models, unpacked into a hidden temporary
folder, checked to be a complete Vosk model, and only then renamed into place. Every
failure removes the temporary files and raises a ModelError whose reason the user
interface translates.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import errno
import logging
from pathlib import Path
import shutil
import tempfile
from typing import IO
import zipfile
import zlib

import aiohttp

from .catalog import DOWNLOAD_BASE, CatalogModel
from .errors import ModelError
from .models import validate_model_dir

_LOGGER = logging.getLogger(__name__)

MB = 1024 * 1024
CHUNK_BYTES = 256 * 1024
# Unpacked models are about twice their archive; keep room for both plus a margin.
DISK_FACTOR = 4
# An answer much larger than the catalog says is not the model we asked for.
OVERSIZE_FACTOR = 2
CONNECT_TIMEOUT = 30
READ_TIMEOUT = 60

type ProgressCallback = Callable[[int, int | None], None]


async def download_model(
    session: aiohttp.ClientSession,
    model: CatalogModel,
    models_dir: Path,
    *,
    base_url: str = DOWNLOAD_BASE,
    progress: ProgressCallback | None = None,
) -> Path:
    """Download, check and install model under models_dir/<name>; return its folder."""
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, _prepare, models_dir, model)
    handle, archive = await loop.run_in_executor(None, _temp_archive, models_dir, model.name)
    try:
        try:
            await _stream(session, model, base_url, handle, progress)
        finally:
            await loop.run_in_executor(None, handle.close)
        return await loop.run_in_executor(None, _install, archive, models_dir, model.name)
    finally:
        await asyncio.shield(loop.run_in_executor(None, _remove, archive))


def _prepare(models_dir: Path, model: CatalogModel) -> None:
    """Create the models folder and check there is room for the model."""
    try:
        models_dir.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(models_dir).free
    except OSError as err:
        raise _os_error(err) from err
    needed = model.size_mb * MB * DISK_FACTOR
    if free < needed:
        raise ModelError(
            f"{models_dir} has {free // MB} MB free, {model.name} needs {needed // MB} MB",
            reason="disk_full",
        )


def _temp_archive(models_dir: Path, name: str) -> tuple[IO[bytes], Path]:
    """Open a hidden temporary file for the archive."""
    try:
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed by download_model
            mode="wb", dir=models_dir, prefix=f".download-{name}-", suffix=".zip", delete=False
        )
    except OSError as err:
        raise _os_error(err) from err
    return handle, Path(handle.name)


async def _stream(
    session: aiohttp.ClientSession,
    model: CatalogModel,
    base_url: str,
    handle: IO[bytes],
    progress: ProgressCallback | None,
) -> None:
    """Stream the archive into handle, checking status and length."""
    loop = asyncio.get_running_loop()
    url = model.url(base_url)
    limit = model.size_mb * MB * OVERSIZE_FACTOR + 10 * MB
    timeout = aiohttp.ClientTimeout(sock_connect=CONNECT_TIMEOUT, sock_read=READ_TIMEOUT)
    received = 0
    try:
        async with session.get(url, timeout=timeout, raise_for_status=False) as response:
            if response.status == 404:  # noqa: PLR2004 - HTTP not found
                raise ModelError(f"{url} does not exist (404)", reason="download_not_found")
            if response.status != 200:  # noqa: PLR2004 - HTTP OK
                raise ModelError(f"{url} answered {response.status}", reason="download_failed")
            total = response.content_length
            if total is not None and total > limit:
                raise ModelError(f"{url} is {total} bytes, expected less", reason="download_failed")
            async for chunk in response.content.iter_chunked(CHUNK_BYTES):
                received += len(chunk)
                if received > limit:
                    raise ModelError(f"{url} sends more than expected", reason="download_failed")
                await loop.run_in_executor(None, _write, handle, chunk)
                if progress is not None:
                    progress(received, total)
    except (aiohttp.ClientError, TimeoutError) as err:
        raise ModelError(
            f"Download of {url} failed after {received} bytes: {err!r}", reason="download_failed"
        ) from err
    if total is not None and received != total:
        raise ModelError(
            f"Download of {url} ended after {received} of {total} bytes", reason="download_failed"
        )
    _LOGGER.debug("Downloaded %s (%s bytes)", url, received)


def _write(handle: IO[bytes], chunk: bytes) -> None:
    try:
        handle.write(chunk)
    except OSError as err:
        raise _os_error(err) from err


def _install(archive: Path, models_dir: Path, name: str) -> Path:
    """Unpack and check the archive, then move the model into place atomically."""
    destination = models_dir / name
    try:
        staging = Path(tempfile.mkdtemp(dir=models_dir, prefix=f".unpack-{name}-"))
    except OSError as err:
        raise _os_error(err) from err
    try:
        _unpack(archive, staging)
        root = _model_root(staging)
        validate_model_dir(root)
        old: Path | None = None
        if destination.exists():
            old = Path(tempfile.mkdtemp(dir=models_dir, prefix=f".old-{name}-")) / name
            destination.rename(old)
        root.rename(destination)
        if old is not None:
            shutil.rmtree(old.parent, ignore_errors=True)
    except OSError as err:
        raise _os_error(err) from err
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return destination


def _unpack(archive: Path, staging: Path) -> None:
    """Extract a zip archive after checking its integrity and member names."""
    try:
        with zipfile.ZipFile(archive) as zipped:
            if (bad := zipped.testzip()) is not None:
                raise ModelError(f"{bad} is damaged in the archive", reason="download_corrupt")
            for member in zipped.infolist():
                target = (staging / member.filename).resolve()
                if not target.is_relative_to(staging.resolve()):
                    raise ModelError(
                        f"{member.filename} points outside the model", reason="download_corrupt"
                    )
            zipped.extractall(staging)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as err:
        raise ModelError(f"The archive is damaged: {err}", reason="download_corrupt") from err


def _model_root(staging: Path) -> Path:
    """Find the model inside the unpacked archive: at its top or one folder down."""
    if (staging / "am").is_dir():
        return staging
    folders = [child for child in staging.iterdir() if child.is_dir()]
    if len(folders) == 1:
        return folders[0]
    raise ModelError("The archive does not contain one model folder", reason="model_incomplete")


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)


def _os_error(err: OSError) -> ModelError:
    """Translate a file system error; a full disk gets its own reason."""
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        return ModelError(f"The disk is full: {err}", reason="disk_full")
    return ModelError(f"Cannot write the model: {err}", reason="model_write_failed")
