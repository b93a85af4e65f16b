"""Repairs platform: the fix flows of local voice; the cloud guard's repairs only confirm."""

from __future__ import annotations

from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlow
from homeassistant.core import HomeAssistant

from .local_voice.repairs import ModelDownloadRepairFlow, PipelineRepairFlow


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """Create the flow that fixes issue_id."""
    if data and data.get("model") and data.get("entry_id"):
        return ModelDownloadRepairFlow(str(data["entry_id"]), str(data["model"]))
    if data and data.get("pipeline_id"):
        return PipelineRepairFlow(issue_id, str(data["pipeline_id"]))
    return ConfirmRepairFlow()
