"""Model download: success, and every failure leaves nothing half-written and can be retried."""

from __future__ import annotations

from collections.abc import AsyncIterator
import errno
from pathlib import Path
import tempfile
from typing import Any
from unittest.mock import patch

import aiohttp
import pytest

from custom_components.voice_guard.local_voice.engine import download
from custom_components.voice_guard.local_voice.engine.catalog import (
    CATALOG_FILE,
    load_catalog,
    models_for_language,
)
from custom_components.voice_guard.local_voice.engine.download import download_model
from custom_components.voice_guard.local_voice.engine.errors import ModelError
from custom_components.voice_guard.local_voice.engine.models import validate_model_dir

from ...model_server import ModelSite, catalog_model, corrupt, model_zip

MODEL = catalog_model()


@pytest.fixture
async def site(socket_enabled: None) -> AsyncIterator[ModelSite]:
    """The local model site, serving a good archive of MODEL."""
    model_site = ModelSite()
    model_site.archives[MODEL.name] = model_zip(MODEL.name)
    async with model_site.serve():
        yield model_site


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain aiohttp session, as Home Assistant's shared one."""
    async with aiohttp.ClientSession() as client:
        yield client


def _contents(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


async def test_download_installs_a_checked_model(
    site: ModelSite, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    progress: list[tuple[int, int | None]] = []
    path = await download_model(
        session,
        MODEL,
        tmp_path,
        base_url=site.base_url,
        progress=lambda r, t: progress.append((r, t)),
    )
    assert path == tmp_path / MODEL.name
    assert validate_model_dir(path).supports_grammar
    # Only the model is left: no archive, no staging folder.
    assert [p.name for p in tmp_path.iterdir()] == [MODEL.name]
    size = len(site.archives[MODEL.name])
    assert progress[-1] == (size, size)
    assert [r for r, _ in progress] == sorted(r for r, _ in progress)


async def test_download_replaces_an_existing_model(
    site: ModelSite, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    old = tmp_path / MODEL.name
    old.mkdir()
    (old / "stale").write_text("old")
    path = await download_model(session, MODEL, tmp_path, base_url=site.base_url)
    assert not (path / "stale").exists()
    assert (path / "am" / "final.mdl").is_file()
    assert [p.name for p in tmp_path.iterdir()] == [MODEL.name]


async def test_archive_without_top_folder(
    site: ModelSite, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    site.archives[MODEL.name] = model_zip(MODEL.name, top=False)
    path = await download_model(session, MODEL, tmp_path, base_url=site.base_url)
    assert validate_model_dir(path).size_bytes > 0


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        (lambda s: s.archives.pop(MODEL.name), "download_not_found"),
        (lambda s: s.status.__setitem__(MODEL.name, 503), "download_failed"),
        (lambda s: s.cut.add(MODEL.name), "download_failed"),
        (
            lambda s: s.archives.__setitem__(MODEL.name, corrupt(s.archives[MODEL.name])),
            "download_corrupt",
        ),
        (
            lambda s: s.archives.__setitem__(MODEL.name, b"<html>Not a zip</html>"),
            "download_corrupt",
        ),
        (
            lambda s: s.archives.__setitem__(
                MODEL.name, model_zip(MODEL.name, ("conf/model.conf", "README"))
            ),
            "model_incomplete",
        ),
        (
            lambda s: s.archives.__setitem__(MODEL.name, model_zip("../escape")),
            "download_corrupt",
        ),
        (
            lambda s: s.archives.__setitem__(
                MODEL.name, b"x" * (3 * 1024 * 1024 + 10 * 1024 * 1024)
            ),
            "download_failed",
        ),
    ],
    ids=["404", "503", "cut", "corrupt", "not_zip", "wrong_contents", "path_escape", "too_big"],
)
async def test_failures_leave_nothing_and_can_be_retried(
    site: ModelSite,
    session: aiohttp.ClientSession,
    tmp_path: Path,
    setup: Any,
    reason: str,
) -> None:
    good = site.archives[MODEL.name]
    setup(site)
    with pytest.raises(ModelError) as err:
        await download_model(session, MODEL, tmp_path, base_url=site.base_url)
    assert err.value.reason == reason
    assert _contents(tmp_path) == []
    assert not (tmp_path.parent / "escape").exists()

    site.archives[MODEL.name] = good
    site.status.clear()
    site.cut.clear()
    path = await download_model(session, MODEL, tmp_path, base_url=site.base_url)
    assert validate_model_dir(path)


async def test_existing_model_survives_a_failed_download(
    site: ModelSite, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    await download_model(session, MODEL, tmp_path, base_url=site.base_url)
    site.archives[MODEL.name] = corrupt(site.archives[MODEL.name])
    with pytest.raises(ModelError):
        await download_model(session, MODEL, tmp_path, base_url=site.base_url)
    assert validate_model_dir(tmp_path / MODEL.name)
    assert [p.name for p in tmp_path.iterdir()] == [MODEL.name]


async def test_too_little_free_space_is_refused_before_downloading(
    site: ModelSite, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    usage = download.shutil.disk_usage(tmp_path)._replace(free=1024)
    with (
        patch.object(download.shutil, "disk_usage", return_value=usage),
        pytest.raises(ModelError) as err,
    ):
        await download_model(session, MODEL, tmp_path, base_url=site.base_url)
    assert err.value.reason == "disk_full"
    assert site.requests == 0


async def test_disk_filling_up_while_writing(
    site: ModelSite, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    real = tempfile.NamedTemporaryFile

    class _Full:
        def __init__(self, **kwargs: Any) -> None:
            self._file = real(**kwargs)
            self.name = self._file.name

        def write(self, data: bytes) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

        def close(self) -> None:
            self._file.close()

    with (
        patch.object(download.tempfile, "NamedTemporaryFile", _Full),
        pytest.raises(ModelError) as err,
    ):
        await download_model(session, MODEL, tmp_path, base_url=site.base_url)
    assert err.value.reason == "disk_full"
    assert _contents(tmp_path) == []


async def test_unwritable_models_folder(
    site: ModelSite, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ModelError) as err:
        await download_model(session, MODEL, blocker / "models", base_url=site.base_url)
    assert err.value.reason == "model_write_failed"


async def test_unreachable_site(
    session: aiohttp.ClientSession, tmp_path: Path, socket_enabled: None
) -> None:
    with pytest.raises(ModelError) as err:
        await download_model(session, MODEL, tmp_path, base_url="http://127.0.0.1:9/models")
    assert err.value.reason == "download_failed"
    assert _contents(tmp_path) == []


def test_catalog_lists_grammar_models_for_the_users_language_first() -> None:
    catalog = load_catalog(CATALOG_FILE)
    assert len({m.name for m in catalog}) == len(catalog)
    german = models_for_language(catalog, "de-DE")
    assert german[0].name == "vosk-model-small-de-0.15"
    assert german[0].grammar
    assert german[1].language == "de"
    assert all(m.url().startswith("https://alphacephei.com/vosk/models/") for m in catalog)
    assert catalog[0].url("http://x/m/") == f"http://x/m/{catalog[0].name}.zip"


def test_every_catalog_model_names_its_language() -> None:
    """The shipped catalog gives each model's language by its own name, for the picker."""
    from custom_components.voice_guard.local_voice.engine.catalog import load_catalog  # noqa: PLC0415

    catalog = load_catalog()
    assert all(m.language_name and m.language_name != m.language for m in catalog)
    assert {m.language_name for m in catalog if m.language == "de"} == {"Deutsch"}
