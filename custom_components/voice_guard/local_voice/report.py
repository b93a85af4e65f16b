"""Local voice's part of the privacy report: the pipelines that send voice to the cloud."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant

from ..words import async_words


async def async_pipeline_report(hass: HomeAssistant) -> list[dict[str, Any]]:
    """Every pipeline with a cloud stage, with a sentence in the home's language."""
    if "assist_pipeline" not in hass.config.components:
        return []
    from .pipelines import async_audit  # noqa: PLC0415 - needs Assist loaded

    words = await async_words(hass)
    return [
        {
            "pipeline": finding.pipeline_name,
            "services": finding.services,
            "summary": words(
                "summary_pipeline",
                pipeline=finding.pipeline_name,
                services=", ".join(finding.names),
            ),
        }
        for finding in await async_audit(hass)
    ]
