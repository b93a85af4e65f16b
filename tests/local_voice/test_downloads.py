"""Downloading a catalog model from the config flow and from the repair issue."""

from __future__ import annotations

from collections.abc import AsyncIterator
import io
from pathlib import Path
from unittest.mock import patch
import zipfile

from homeassistant.components.repairs import issue_handler, repairs_flow_manager
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.voice_guard.const import (
    CONF_ENGINE,
    CONF_LANGUAGE,
    CONF_MODEL_NAME,
    CONF_MODEL_PATH,
    DOMAIN,
    ENGINE_EMBEDDED,
)
from custom_components.voice_guard.local_voice import downloads
from custom_components.voice_guard.local_voice.engine.catalog import CatalogModel

from ..model_server import ModelSite, corrupt, model_zip
from ..speech import PACKAGED_MODEL

NAME = "vosk-model-small-ko-0.22"


@pytest.fixture
async def site(
    hass: HomeAssistant, socket_enabled: None, tmp_path: Path
) -> AsyncIterator[ModelSite]:
    """The local model site serving NAME; Home Assistant's config folder is a temp folder."""
    hass.config.config_dir = str(tmp_path)
    model_site = ModelSite()
    model_site.archives[NAME] = model_zip(NAME)
    async with model_site.serve():
        with (
            patch.object(downloads, "MODEL_DOWNLOAD_BASE", model_site.base_url),
            patch.object(
                downloads,
                "load_catalog",
                return_value=[
                    # Sized like the real Korean model, which the repair test serves.
                    CatalogModel(NAME, "ko", 300, grammar=True, language_name="한국어"),
                    CatalogModel("vosk-model-small-de-0.15", "de", 45, grammar=True),
                    CatalogModel("vosk-model-de-0.21", "de", 1900, grammar=False),
                ],
            ),
        ):
            yield model_site


async def _download(hass: HomeAssistant, flow_id: str) -> dict:
    """Submit the model choice and follow the progress step to its end."""
    result = await hass.config_entries.flow.async_configure(flow_id, {"catalog_model": NAME})
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    assert result["progress_action"] == "download"
    assert result["description_placeholders"] == {"model": NAME}
    await hass.async_block_till_done()
    return await hass.config_entries.flow.async_configure(flow_id)


async def test_download_in_the_config_flow(hass: HomeAssistant, site: ModelSite) -> None:
    """The user picks a model, watches it download, and gets an entry using it."""
    hass.config.language = "ko"
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "embedded"}
    )
    assert result["menu_options"] == ["model_download", "model_package", "model_folder"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "model_download"}
    )
    assert result["step_id"] == "model_download"
    options = result["data_schema"].schema["catalog_model"].config["options"]
    assert [o["value"] for o in options] == [
        NAME,
        "vosk-model-small-de-0.15",
        "vosk-model-de-0.21",
    ]
    # The language by its own name; ★ marks the models phrase mode works with.
    assert options[0]["label"] == f"★ {NAME} (한국어, 300 MB)"
    assert options[2]["label"] == "vosk-model-de-0.21 (de, 1900 MB)"

    with patch("custom_components.voice_guard.async_setup_entry", return_value=True):
        result = await _download(hass, result["flow_id"])
        await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    path = Path(hass.config.path("voice_guard", "models", NAME))
    assert result["data"] == {
        "kind": "speech",
        CONF_ENGINE: ENGINE_EMBEDDED,
        CONF_MODEL_PATH: str(path),
        CONF_LANGUAGE: "ko",
        CONF_MODEL_NAME: NAME,
    }
    assert (path / "am" / "final.mdl").is_file()
    assert sorted(p.name for p in path.parent.iterdir()) == [NAME]


@pytest.mark.parametrize(
    ("break_site", "error"),
    [
        (lambda s: s.archives.pop(NAME), "download_not_found"),
        (lambda s: s.cut.add(NAME), "download_failed"),
        (lambda s: s.archives.__setitem__(NAME, corrupt(s.archives[NAME])), "download_corrupt"),
        (lambda s: s.archives.__setitem__(NAME, model_zip(NAME, ("README",))), "model_incomplete"),
    ],
)
async def test_failed_download_shows_an_error_and_can_be_retried(
    hass: HomeAssistant, site: ModelSite, break_site: object, error: str
) -> None:
    """A failure returns to the model choice with a translated error; the retry works."""
    good = site.archives[NAME]
    break_site(site)  # type: ignore[operator]
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "embedded"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "model_download"}
    )
    result = await _download(hass, result["flow_id"])

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "model_download"
    assert result["errors"] == {"base": error}
    models = Path(hass.config.path("voice_guard", "models"))
    assert list(models.iterdir()) == []

    site.archives[NAME] = good
    site.cut.clear()
    with patch("custom_components.voice_guard.async_setup_entry", return_value=True):
        result = await _download(hass, result["flow_id"])
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_missing_downloaded_model_is_repaired_by_downloading_it_again(
    hass: HomeAssistant, site: ModelSite, tmp_path: Path
) -> None:
    """A downloaded model that vanished raises a fixable issue; fixing it restores the model."""
    models = Path(hass.config.path("voice_guard", "models"))
    path = models / NAME
    # The real Korean model plays the downloaded one, so the entry can load after the repair.
    site.archives[NAME] = await hass.async_add_executor_job(_zip_folder, PACKAGED_MODEL, NAME)
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=DOMAIN,
        data={
            CONF_ENGINE: ENGINE_EMBEDDED,
            CONF_MODEL_PATH: str(path),
            CONF_LANGUAGE: "ko",
            CONF_MODEL_NAME: NAME,
        },
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY

    issue = ir.async_get(hass).async_get_issue(DOMAIN, "model_unavailable")
    assert issue is not None
    assert issue.is_fixable
    assert issue.translation_key == "model_download_again"
    assert issue.translation_placeholders == {"path": str(path), "model": NAME}

    assert await async_setup_component(hass, "repairs", {})
    flow = await _start_repair(hass)
    assert flow["step_id"] == "confirm"
    assert flow["description_placeholders"] == {"model": NAME}

    # First attempt: the site is down for maintenance.
    site.status[NAME] = 503
    flow = await _repair_step(hass, flow["flow_id"], {})
    assert flow["type"] == "progress"
    await hass.async_block_till_done()
    flow = await _repair_step(hass, flow["flow_id"], None)
    assert flow["step_id"] == "confirm"
    assert flow["errors"] == {"base": "download_failed"}

    site.status.clear()
    flow = await _repair_step(hass, flow["flow_id"], {})
    await hass.async_block_till_done()
    flow = await _repair_step(hass, flow["flow_id"], None)
    assert flow["type"] == "create_entry"
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.LOADED
    assert (path / "am" / "final.mdl").is_file()
    assert ir.async_get(hass).async_get_issue(DOMAIN, "model_unavailable") is None
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_missing_model_folder_issue_is_not_fixable(
    hass: HomeAssistant, entry_without_model: MockConfigEntry
) -> None:
    """A model the user pointed at cannot be downloaded again: the issue explains instead."""
    issue = ir.async_get(hass).async_get_issue(DOMAIN, "model_unavailable")
    assert issue is not None
    assert not issue.is_fixable
    assert issue.translation_key == "model_unavailable"

    await hass.config_entries.async_remove(entry_without_model.entry_id)
    assert ir.async_get(hass).async_get_issue(DOMAIN, "model_unavailable") is None


async def test_repair_for_a_model_no_longer_in_the_catalog(
    hass: HomeAssistant, site: ModelSite
) -> None:
    """The repair aborts with an explanation when the catalog lost the model."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=DOMAIN,
        data={
            CONF_ENGINE: ENGINE_EMBEDDED,
            CONF_MODEL_PATH: str(Path(hass.config.path("voice_guard", "models", "old"))),
            CONF_LANGUAGE: "ko",
            CONF_MODEL_NAME: "vosk-model-retired",
        },
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert await async_setup_component(hass, "repairs", {})

    flow = await _start_repair(hass)
    flow = await _repair_step(hass, flow["flow_id"], {})
    assert flow["type"] == "abort"
    assert flow["reason"] == "model_not_in_catalog"


def _zip_folder(folder: Path, name: str) -> bytes:
    """Store (no compression: it would only slow the test) folder in a zip as <name>/."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as zipped:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                zipped.write(file, f"{name}/{file.relative_to(folder)}")
    return buffer.getvalue()


async def _start_repair(hass: HomeAssistant) -> dict:
    # Home Assistant 2025.4 collects repairs platforms explicitly; 2026 loads them lazily.
    process = getattr(issue_handler, "async_process_repairs_platforms", None)
    if process is not None:
        await process(hass)
    manager = repairs_flow_manager(hass)
    assert manager is not None
    return dict(await manager.async_init(DOMAIN, data={"issue_id": "model_unavailable"}))


async def _repair_step(hass: HomeAssistant, flow_id: str, user_input: dict | None) -> dict:
    manager = repairs_flow_manager(hass)
    assert manager is not None
    return dict(await manager.async_configure(flow_id, user_input))
