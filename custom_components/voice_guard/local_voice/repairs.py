"""Repair flows of local voice.

Make the private pipeline preferred, move a pipeline's cloud stages home, download a
missing or damaged speech model again.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.repairs import RepairsFlow

from ..compat import RepairsFlowResult
from ..const import CONF_MODEL_NAME, CONF_MODEL_PATH
from ..data import async_update_and_reload
from .data import loaded_speech_entry, stt_entity_id
from .downloads import ModelDownload, async_catalog


class PipelineRepairFlow(RepairsFlow):
    """Make the private pipeline preferred, or move a pipeline's cloud stages home."""

    def __init__(self, issue_id: str, pipeline_id: str) -> None:
        """Remember the issue and its pipeline."""
        self._issue_id = issue_id
        self._pipeline_id = pipeline_id

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> RepairsFlowResult:
        """Ask first."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Apply the fix once confirmed."""
        from .pipelines import PREFERRED_ISSUE, async_make_local, make_preferred  # noqa: PLC0415

        if user_input is None:
            return self.async_show_form(step_id="confirm")
        if self._issue_id == PREFERRED_ISSUE:
            make_preferred(self.hass, self._pipeline_id)
            return self.async_create_entry(data={})
        speech = loaded_speech_entry(self.hass)
        stt = stt_entity_id(self.hass, speech) if speech is not None else None
        if stt is None or not await async_make_local(self.hass, self._pipeline_id, stt):
            return self.async_abort(reason="pipeline_not_fixable")
        return self.async_create_entry(data={})


class ModelDownloadRepairFlow(RepairsFlow):
    """Download the entry's catalog model again and reload the entry."""

    def __init__(self, entry_id: str, model: str) -> None:
        """Remember which entry and model to repair."""
        self._entry_id = entry_id
        self._model = model
        self._download: ModelDownload | None = None

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> RepairsFlowResult:
        """Ask before downloading."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Confirm, or retry after a failed download."""
        errors: dict[str, str] = {}
        if self._download is not None and self._download.error:
            errors["base"] = self._download.error
            self._download = None
        elif user_input is not None:
            catalog = {model.name: model for model in await async_catalog(self.hass)}
            if (model := catalog.get(self._model)) is None:
                return self.async_abort(reason="model_not_in_catalog")
            self._download = ModelDownload(self, model)
            return await self.async_step_download()
        return self.async_show_form(
            step_id="confirm", description_placeholders={"model": self._model}, errors=errors
        )

    async def async_step_download(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Show the download's progress."""
        download = self._download
        assert download is not None
        if not download.task.done():
            return self.async_show_progress(step_id="download", **download.progress)
        return self.async_show_progress_done(next_step_id=download.next_step("done", "confirm"))

    async def async_step_done(self, user_input: dict[str, Any] | None = None) -> RepairsFlowResult:
        """Point the entry at the fresh model and reload it."""
        assert self._download is not None
        assert self._download.path is not None
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        if entry is None:
            return self.async_abort(reason="entry_removed")
        async_update_and_reload(
            self.hass,
            entry,
            data={
                **entry.data,
                CONF_MODEL_PATH: str(self._download.path),
                CONF_MODEL_NAME: self._model,
            },
        )
        return self.async_create_entry(data={})
