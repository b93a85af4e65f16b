"""Model downloads inside config, reconfigure and repair flows (progress step glue)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowHandler
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from ..const import LOGGER, MODELS_FOLDER
from .engine.catalog import DOWNLOAD_BASE, CatalogModel, load_catalog
from .engine.download import download_model
from .engine.errors import ModelError

# Where catalog models are fetched from; tests point it at a local server.
MODEL_DOWNLOAD_BASE = DOWNLOAD_BASE


async def async_catalog(hass: HomeAssistant) -> list[CatalogModel]:
    """Return the model catalog."""
    return await hass.async_add_executor_job(load_catalog)


class ModelDownload:
    """One catalog model being downloaded for a flow, reporting progress to it."""

    def __init__(self, flow: FlowHandler[Any, Any, Any], model: CatalogModel) -> None:
        """Start downloading model in the background."""
        self.model = model
        self.path: Path | None = None
        self.error: str | None = None
        self._flow = flow
        self._percent = -1
        hass = flow.hass
        self.task = hass.async_create_task(self._run(hass), f"voice_guard download {model.name}")

    async def _run(self, hass: HomeAssistant) -> None:
        try:
            self.path = await download_model(
                async_get_clientsession(hass),
                self.model,
                Path(hass.config.path(MODELS_FOLDER)),
                base_url=MODEL_DOWNLOAD_BASE,
                progress=self._progress,
            )
        except ModelError as err:
            LOGGER.warning("Downloading the model %s failed: %s", self.model.name, err)
            self.error = err.reason

    def _progress(self, received: int, total: int | None) -> None:
        """Pass whole-percent steps to the flow's progress bar where Home Assistant has one."""
        if not total:
            return
        percent = min(100, received * 100 // total)
        update = getattr(self._flow, "async_update_progress", None)
        if percent != self._percent and update is not None:
            self._percent = percent
            update(percent / 100)

    @property
    def progress(self) -> dict[str, Any]:
        """Arguments of the flow's progress step while the download runs."""
        return {
            "progress_action": "download",
            "progress_task": self.task,
            "description_placeholders": {"model": self.model.name},
        }

    def next_step(self, done_step: str, failed_step: str) -> str:
        """Return where the flow goes once the download has ended."""
        return failed_step if self.error else done_step
